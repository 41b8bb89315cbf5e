"""Crash test of the webhook path: N distinct signed Facebook deliveries
(N >= 50,000, PARLEY_CRASH_WEBHOOK_N to change) are POSTed by several
keep-alive clients while parleyd is killed with SIGKILL at random moments
(PARLEY_CRASH_WEBHOOK_KILLS, >= 5) and restarted. A client that gets no
answer retries the same delivery, as Meta does; so some deliveries that
were committed before a kill arrive twice.

A 200 means committed: at the end every delivery that was answered 200 must
be in the sqlite store exactly once and in the ndjson file at least once.
Counts are printed (pytest -s); the kill moments are random and the seed is
printed to replay a run. The real parleyd and facebook.so over loopback."""
import http.client as httpclient
import json
import os
import random
import sqlite3
import threading

from parley_it import (PLUGIN_DIR, Parleyd, free_port, http, read_ndjson_torn, router_yaml,
                       wait_until)
from test_meta_common import fb_comment_delivery, webhook_only_fb_yaml

N = int(os.environ.get("PARLEY_CRASH_WEBHOOK_N", "50000"))
KILLS = int(os.environ.get("PARLEY_CRASH_WEBHOOK_KILLS", "5"))
CLIENTS = 6


def config(tmp, port):
    return router_yaml(tmp, port, plugin_dir=PLUGIN_DIR, extra="  log_level: warn\n") + \
        webhook_only_fb_yaml() + f"""outputs:
  - name: file
    type: ndjson
    options: {{path: {tmp}/events.ndjson}}
  - name: store
    type: sqlite
    options: {{path: {tmp}/store.db}}
routes:
  - outputs: [file, store]
"""


def delivery(n):
    return fb_comment_delivery(n, f"crash {n}")


class Load:
    """CLIENTS threads POSTing deliveries 0..N-1 over keep-alive
    connections; a delivery without an answer (parleyd killed, refused while
    down) is sent again until it gets one."""

    def __init__(self, port):
        self.port = port
        self.next = 0
        self.ok = set()            # deliveries answered 200
        self.retries = 0
        self.other = {}            # other statuses seen: count
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.client, daemon=True) for _ in range(CLIENTS)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def take(self):
        with self.lock:
            if self.next >= N:
                return None
            self.next += 1
            return self.next - 1

    def send(self, conn, n):
        body, headers = delivery(n)
        conn.request("POST", "/hooks/fb", body, headers)
        r = conn.getresponse()
        r.read()
        return r.status

    def client(self):
        conn = None
        n = self.take()
        while n is not None:
            try:
                conn = conn or httpclient.HTTPConnection("127.0.0.1", self.port, timeout=30)
                status = self.send(conn, n)
            except (OSError, httpclient.HTTPException):
                conn = None
                with self.lock:
                    self.retries += 1
                threading.Event().wait(0.01)
                continue
            with self.lock:
                if status == 200:
                    self.ok.add(n)
                else:  # 503 while paused or stopping: retried like a lost answer
                    self.other[status] = self.other.get(status, 0) + 1
            if status == 200:
                n = self.take()

    def answered(self):
        with self.lock:
            return len(self.ok)

    def join(self):
        for t in self.threads:
            t.join(600)


def test_every_webhook_answered_200_survives_kill_9_once(tmp_path):
    tmp = str(tmp_path)
    seed = int(os.environ.get("PARLEY_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"\nwebhook crash test: N={N}, {KILLS} kills, {CLIENTS} clients, seed {seed}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    text = config(tmp, port)
    d = Parleyd(text, tmpdir=tmp).start(base)
    load = Load(port).start()
    for i, mark in enumerate(sorted(rng.sample(range(N // 20, N - N // 10), KILLS))):
        wait_until(lambda: load.answered() >= mark, timeout=600, step=0.002,
                   what=f"{mark} deliveries answered")
        d.kill9()
        print(f"webhook crash test: kill {i + 1} after {load.answered()} answered")
        d = Parleyd(text, tmpdir=tmp).start(base)
    load.join()
    assert load.answered() == N

    def delivered():
        st = json.loads(http("GET", f"{base}/v1/status")[2])
        return all(o["cursor"] >= st["last_seq"] for o in st["outputs"])

    wait_until(delivered, timeout=600, step=0.1, what="every output caught up")
    assert d.stop() == 0
    print(f"webhook crash test: {load.retries} deliveries sent again, other answers {load.other}")

    want = {f"crash {n}" for n in load.ok}
    rows = sqlite3.connect(f"{tmp}/store.db").execute(
        "SELECT text, count(*) FROM messages GROUP BY text").fetchall()
    stored = {t: c for t, c in rows}
    lost = want - set(stored)
    dups = sum(c - 1 for c in stored.values())
    print(f"webhook crash test: store: {len(stored)} messages, lost {len(lost)}, "
          f"duplicates {dups}")
    events, torn = read_ndjson_torn(f"{tmp}/events.ndjson")
    file_texts = {e.get("text") for e in events}
    print(f"webhook crash test: ndjson: {len(events)} records, "
          f"{len({e['id'] for e in events})} distinct, torn lines {torn}")
    assert not lost, sorted(lost)[:10]
    assert dups == 0
    assert want <= file_texts, sorted(want - file_texts)[:10]
