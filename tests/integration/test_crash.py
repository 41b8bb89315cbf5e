"""Crash test: N events (N >= 100,000, PARLEY_CRASH_N to change) flow from
the test connector into three outputs at once — the ndjson file, the
sqlite store and NATS JetStream (a real nats-server) — while parleyd is
killed with SIGKILL at several random moments and restarted each time.

At the end every event id must be in the sqlite store exactly once, in the
JetStream stream exactly once (Nats-Msg-Id dedup) and in the ndjson file
at least once. Lost and duplicate counts are printed (pytest -s shows
them); the kill moments are random, the seed is printed to replay a run."""
import json
import os
import random
import sqlite3

from parley_it import Parleyd, free_port, http, read_ndjson_torn, wait_until, TEST_PLUGIN_DIR
from test_outputs_nats import JetStream, NatsServer

N = int(os.environ.get("PARLEY_CRASH_N", "100000"))
KILLS = int(os.environ.get("PARLEY_CRASH_KILLS", "6"))


def config(tmp, port, nats_url):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {TEST_PLUGIN_DIR}
  journal: {tmp}/parley.journal
  log_level: warn
connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, count: {N}, batch: 250, interval: 1ms,
               kinds: [mention, direct_message, comment, outbound]}}
outputs:
  - name: file
    type: ndjson
    options: {{path: {tmp}/events.ndjson}}
  - name: store
    type: sqlite
    options: {{path: {tmp}/store.db}}
  - name: js
    type: nats
    options: {{url: "{nats_url}", create_stream: true, stream: CRASH, duplicate_window: 30m}}
routes:
  - outputs: [file, store, js]
"""


def status(base):
    try:
        return json.loads(http("GET", f"{base}/v1/status", timeout=2)[2])
    except (OSError, ValueError):
        return None


def ndjson_ids(path):
    events, torn = read_ndjson_torn(path)
    return [e["id"] for e in events], torn


def report(name, ids, want):
    seen = set(ids)
    lost = len(want - seen)
    dups = len(ids) - len(seen)
    print(f"crash test: {name}: {len(ids)} records, {len(seen)} distinct ids, lost {lost}, "
          f"duplicates {dups}")
    return lost, dups


def test_kill_9_at_random_moments_loses_nothing_and_stores_each_event_once(tmp_path):
    tmp = str(tmp_path)
    seed = int(os.environ.get("PARLEY_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"\ncrash test: N={N}, {KILLS} kills, seed {seed}")
    nats = NatsServer(os.path.join(tmp, "js")).start()
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        text = config(tmp, port, nats.url)
        # kill when the journal has passed these points: spread over the run,
        # so kills land while ingesting, while delivering and in between
        marks = sorted(rng.sample(range(N // 50, N - N // 20), KILLS))
        for i, mark in enumerate(marks):
            d = Parleyd(text, tmpdir=tmp).start(base)
            seen = {}

            def passed(mark=mark, seen=seen):
                seen["st"] = status(base) or {}
                return seen["st"].get("last_seq", 0) >= mark

            wait_until(passed, timeout=300, step=0.002, what=f"journal past {mark}")
            d.kill9()
            backlog = {o["name"]: o["backlog"] for o in seen["st"]["outputs"]}
            print(f"crash test: kill {i + 1} at journal seq {seen['st']['last_seq']}, "
                  f"backlogs just before: {backlog}")
        d = Parleyd(text, tmpdir=tmp).start(base)

        def drained():
            st = status(base)
            return st and st["last_seq"] >= N and all(o["cursor"] >= N for o in st["outputs"])

        wait_until(drained, timeout=600, step=0.1, what=f"all {N} events delivered")
        assert d.stop() == 0
    finally:
        nats.stop()

    want = {f"test:tc1-{n}" for n in range(N)}
    file_ids, torn = ndjson_ids(f"{tmp}/events.ndjson")
    print(f"crash test: ndjson torn lines after kills: {torn}")
    db = sqlite3.connect(f"{tmp}/store.db")
    store_ids = [r[0] for r in db.execute("SELECT id FROM messages")]
    nats = NatsServer(os.path.join(tmp, "js")).start()  # the same store: read what it kept
    try:
        js = JetStream(nats.url)
        msgs = js.messages("CRASH")
        js.close()
    finally:
        nats.stop()
    js_ids = [h["Nats-Msg-Id"] for _, h, _ in msgs]
    assert all(json.loads(json.dumps(ev))["id"] == h["Nats-Msg-Id"] for _, h, ev in msgs[:100])

    lost_f, _ = report("ndjson", file_ids, want)
    lost_s, dup_s = report("sqlite store", store_ids, want)
    lost_j, dup_j = report("jetstream", js_ids, want)
    assert (lost_f, lost_s, lost_j) == (0, 0, 0)
    assert (dup_s, dup_j) == (0, 0)
    assert set(file_ids) == set(store_ids) == set(js_ids) == want
