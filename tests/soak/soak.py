#!/usr/bin/env python3
"""The soak test (issue 14 item 5): parleyd with all five connectors against
parley-sim for PARLEY_SOAK_MINUTES (default 30) minutes of mixed traffic
(the simulator's generator on all five platforms) plus bursts of signed
Facebook webhook deliveries, with a kill -9 and restart, a SIGHUP reload
and an outage of the webhook output's receiver on the way.

Every 10 s it samples parleyd's RSS (VmRSS), its open file descriptors
(/proc/<pid>/fd) and the journal's size on disk. At the end it checks:
  - lost: every generated simulator item and every burst delivery answered
    200 is in the sqlite store, and every journaled event reached the store
    and the webhook receiver (0 allowed);
  - duplicated: no message is in the sqlite store twice (by platform text
    identity of the bursts, 0 allowed);
  - RSS flat: after the restart and a warm-up (WARMUP below), the samples
    are split in thirds; the last third's max must be within 10 % of the
    first third's max;
  - fds flat: the last third's max at most the first third's max + 8.
It writes report.md (a Markdown table), samples.csv and soak.png into --out
and exits 1 when a check fails.

Not part of ctest's default run: `cmake --build build --target soak`."""
import argparse
import json
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import http.client as httpclient

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from parley_it import (DEMO_SECRETS, FIVE_INSTANCES, FiveStack, http,  # noqa: E402
                       wait_until)
from test_meta_common import fb_comment_delivery  # noqa: E402
from test_outputs_webhook import SECRET, Receiver  # noqa: E402

SAMPLE_S = 10
PAGE = "104000000000001"
META_SECRET = DEMO_SECRETS["META_APP_SECRET"]


def sections(receiver_url):
    return f"""outputs:
  - name: store
    type: sqlite
    options:
      path: "{{dir}}/store.db"
  - name: hook
    type: webhook
    options:
      url: "{receiver_url}"
      secret: {SECRET}
      batch_size: 50
      timeout: 2s
routes:
  - outputs: [store, hook]
"""


def delivery(n):
    """Burst delivery n: one new Facebook comment with its own id and text."""
    return fb_comment_delivery(n, f"soak burst {n}", page=PAGE, secret=META_SECRET)


class Bursts:
    """burst(k) POSTs k new deliveries on one keep-alive connection; one
    without an answer (parleyd down) is sent again until it gets a 200."""

    def __init__(self, port):
        self.port, self.next, self.ok, self.retries = port, 0, set(), 0

    def burst(self, k, stop):
        conn = None
        for _ in range(k):
            n = self.next
            self.next += 1
            while not stop.is_set():
                try:
                    conn = conn or httpclient.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    body, headers = delivery(n)
                    conn.request("POST", f"/hooks/{FIVE_INSTANCES['facebook']}", body, headers)
                    r = conn.getresponse()
                    r.read()
                    if r.status == 200:
                        self.ok.add(n)
                        break
                except (OSError, httpclient.HTTPException):
                    conn = None
                self.retries += 1
                time.sleep(0.2)
        if conn:
            conn.close()


def proc_sample(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def journal_bytes(d):
    base = os.path.join(d, "parley.journal")
    return sum(os.path.getsize(base + s) for s in ("", "-wal", "-shm")
               if os.path.exists(base + s))


class Sampler(threading.Thread):
    def __init__(self, stack, t0):
        super().__init__(daemon=True)
        self.stack, self.t0, self.rows, self.phase = stack, t0, [], "traffic"
        self.stop_ev = threading.Event()

    def run(self):
        while not self.stop_ev.wait(SAMPLE_S):
            proc = self.stack.parleyd.proc
            try:
                rss, fds = proc_sample(proc.pid)
            except (OSError, ValueError):
                continue  # between a kill and the restart
            self.rows.append({"t": time.monotonic() - self.t0, "pid": proc.pid,
                              "rss_kb": rss, "fds": fds,
                              "journal": journal_bytes(self.stack.dir), "phase": self.phase,
                              "load": os.getloadavg()[0]})


def status(base):
    return json.loads(http("GET", base + "/v1/status")[2])


def sim_items(sim):
    """Generated customer items of the simulator, per platform."""
    out = {}
    for p in FIVE_INSTANCES:
        s, _, body = http("GET", f"{sim.url}/_sim/items?platform={p}", timeout=60)
        assert s == 200, body
        doc = json.loads(body)
        items = doc["items"] if isinstance(doc, dict) else doc
        out[p] = [i for i in items if i.get("generated")]
    return out


def thirds(rows):
    n = len(rows) // 3
    return rows[:n], rows[-n:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="directory for report.md, samples.csv, soak.png")
    ap.add_argument("--minutes", type=float,
                    default=float(os.environ.get("PARLEY_SOAK_MINUTES", "30")))
    ap.add_argument("--rate", type=int, default=10, help="simulator items per second")
    ap.add_argument("--burst", type=int, default=300, help="webhook deliveries per burst")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    total = a.minutes * 60
    # the timeline, as fractions of the run
    t_kill, warm, t_hup, t_down, t_up = 0.2 * total, 0.1 * total, 0.4 * total, 0.5 * total, \
        0.6 * total
    burst_every = max(10.0, total / 30)
    tmp = tempfile.mkdtemp(prefix="parley-soak-")
    rec = Receiver().start()
    stack = FiveStack(tmp, sections(rec.url),
                      sim_args=("--rate-window-s", "60", "--rate", str(a.rate))).start()
    print(f"soak: {a.minutes} min, work dir {tmp}, parleyd {stack.base}, sim {stack.sim.url}",
          flush=True)
    t0 = time.monotonic()
    sampler = Sampler(stack, t0)
    sampler.start()
    bursts = Bursts(stack.port)
    stop = threading.Event()
    log = []  # (t, what)

    def burster():
        while not stop.wait(burst_every):
            bursts.burst(a.burst, stop)

    bt = threading.Thread(target=burster, daemon=True)
    bt.start()
    restart_t = None
    for at, what in ((t_kill, "kill9"), (t_hup, "sighup"), (t_down, "outage"), (t_up, "back"),
                     (total, "end")):
        time.sleep(max(0.0, at - (time.monotonic() - t0)))
        now = time.monotonic() - t0
        if what == "kill9":
            stack.parleyd.kill9()
            stack.parleyd.start(wait_http=stack.base)
            restart_t = time.monotonic() - t0
            sampler.phase = "after restart"
        elif what == "sighup":
            stack.parleyd.proc.send_signal(signal.SIGHUP)
            time.sleep(2)
            assert stack.parleyd.proc.poll() is None, "parleyd died on SIGHUP"
            sampler.phase = "after reload"
        elif what == "outage":
            rec.stop()
            sampler.phase = "output outage"
        elif what == "back":
            rec.start()
            sampler.phase = "after outage"
        log.append((now, what))
        print(f"soak: {now / 60:6.1f} min  {what}", flush=True)
    stop.set()
    bt.join(120)
    sampler.phase = "drain"
    # what was generated up to now must arrive; the generator keeps going
    cut = sim_items(stack.sim)
    want_sim = {f"{p}:{i['id']}" for p, items in cut.items() for i in items}
    wait_until(lambda: all(o["cursor"] >= st["last_seq"] for st in [status(stack.base)]
                           for o in st["outputs"]), timeout=300, step=1, what="outputs caught up")
    time.sleep(15)  # the last polls of the connectors
    wait_until(lambda: all(o["cursor"] >= st["last_seq"] for st in [status(stack.base)]
                           for o in st["outputs"]), timeout=300, step=1, what="outputs caught up")
    sampler.stop_ev.set()
    sampler.join()
    rc_stop = stack.parleyd.stop()
    stack.sim.stop()
    rec.stop()

    db = sqlite3.connect(f"{tmp}/store.db")
    stored = dict(db.execute("SELECT id, text FROM messages").fetchall())
    jdb = sqlite3.connect(f"{tmp}/parley.journal")
    journaled = {r[0] for r in jdb.execute("SELECT id FROM events")}
    burst_texts = [t for t in stored.values() if t and t.startswith("soak burst ")]
    want_burst = {f"soak burst {n}" for n in bursts.ok}
    lost_sim = want_sim - journaled
    lost_burst = want_burst - set(burst_texts)
    lost_store = journaled - set(stored)
    lost_hook = journaled - set(rec.ids)
    dup_store = len(burst_texts) - len(set(burst_texts))

    rows = sampler.rows
    after = [r for r in rows if restart_t is not None and r["t"] >= restart_t + warm]
    first, last = thirds(after)
    checks = []

    def check(name, ok, figure):
        checks.append((name, ok, figure))

    check("events lost (simulator items not journaled)", not lost_sim,
          f"{len(lost_sim)} of {len(want_sim)}")
    check("events lost (burst deliveries answered 200 not stored)", not lost_burst,
          f"{len(lost_burst)} of {len(want_burst)}")
    check("events lost (journaled, not in the sqlite store)", not lost_store,
          f"{len(lost_store)} of {len(journaled)}")
    check("events lost (journaled, never at the webhook receiver)", not lost_hook,
          f"{len(lost_hook)} of {len(journaled)}")
    check("duplicates in the sqlite store", dup_store == 0, str(dup_store))
    if first and last:
        r1, r3 = max(r["rss_kb"] for r in first), max(r["rss_kb"] for r in last)
        f1, f3 = max(r["fds"] for r in first), max(r["fds"] for r in last)
        check("RSS flat (last third max <= 1.10 x first third max)", r3 <= 1.10 * r1,
              f"{r1 / 1024:.1f} MiB -> {r3 / 1024:.1f} MiB ({(r3 / r1 - 1) * 100:+.1f} %)")
        check("fds flat (last third max <= first third max + 8)", f3 <= f1 + 8, f"{f1} -> {f3}")
    else:
        check("RSS/fds samples after warm-up", False, f"{len(after)} samples")
    check("parleyd stopped cleanly (SIGTERM, exit 0)", rc_stop == 0, str(rc_stop))
    ok = all(c[1] for c in checks)

    with open(os.path.join(a.out, "samples.csv"), "w") as f:
        f.write("t_s,pid,rss_kb,fds,journal_bytes,load1,phase\n")
        for r in rows:
            f.write(f"{r['t']:.0f},{r['pid']},{r['rss_kb']},{r['fds']},{r['journal']},"
                    f"{r['load']:.2f},{r['phase']}\n")
    st_hook = len(rec.ids)
    per_platform = {p: len(v) for p, v in cut.items()}
    with open(os.path.join(a.out, "report.md"), "w") as f:
        f.write(f"# Soak run: {a.minutes:g} min\n\n")
        f.write(f"Simulator generator {a.rate}/s over five platforms ({per_platform}), "
                f"{len(bursts.ok)} signed Facebook webhook deliveries in bursts of {a.burst} "
                f"every {burst_every:.0f} s ({bursts.retries} sent again), "
                f"{len(journaled)} events journaled, {len(stored)} stored, "
                f"{st_hook} webhook deliveries (with repeats).\n\n")
        f.write("| when (min) | what |\n|---|---|\n")
        for t, w in log:
            f.write(f"| {t / 60:.1f} | {w} |\n")
        f.write(f"\nRSS/fd rule: samples from {((restart_t or 0) + warm) / 60:.1f} min "
                f"(restart + {warm / 60:.1f} min warm-up) to the end, split in thirds.\n\n")
        f.write("| check | figure | result |\n|---|---|---|\n")
        for name, good, fig in checks:
            f.write(f"| {name} | {fig} | {'pass' if good else 'FAIL'} |\n")
        if rows:
            f.write(f"\nRSS min/max {min(r['rss_kb'] for r in rows) / 1024:.1f}/"
                    f"{max(r['rss_kb'] for r in rows) / 1024:.1f} MiB, fds "
                    f"{min(r['fds'] for r in rows)}/{max(r['fds'] for r in rows)}, journal "
                    f"{rows[0]['journal'] / 1e6:.1f} -> {rows[-1]['journal'] / 1e6:.1f} MB, "
                    f"{len(rows)} samples every {SAMPLE_S} s; machine load average (1 min) "
                    f"{min(r['load'] for r in rows):.1f}..{max(r['load'] for r in rows):.1f} "
                    f"on {os.cpu_count()} cores.\n")
    chart(rows, log, os.path.join(a.out, "soak.png"))
    for name, good, fig in checks:
        print(f"soak: {'pass' if good else 'FAIL'}  {name}: {fig}")
    if not a.keep and ok:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


def chart(rows, log, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = [r["t"] / 60 for r in rows]
    fig, ax = plt.subplots(3, 1, figsize=(9, 7), sharex=True)
    for a_, key, scale, label in ((ax[0], "rss_kb", 1 / 1024, "RSS (MiB)"),
                                  (ax[1], "fds", 1, "open fds"),
                                  (ax[2], "journal", 1e-6, "journal (MB)")):
        a_.plot(t, [r[key] * scale for r in rows], lw=1.2)
        a_.set_ylabel(label)
        a_.grid(alpha=0.3)
        for when, what in log:
            a_.axvline(when / 60, color="grey", ls=":", lw=0.8)
    for when, what in log:
        ax[0].annotate(what, (when / 60, ax[0].get_ylim()[1]), fontsize=7, rotation=90,
                       va="top", ha="right")
    ax[2].set_xlabel("minutes")
    fig.suptitle("parleyd soak: five connectors + webhook bursts")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    sys.exit(main())
