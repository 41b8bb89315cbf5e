#!/usr/bin/env python3
"""bench_scale — does parleyd stay fast as its journal grows?

On the real parleyd with the facebook connector (bench_ingest.py's signed
distinct deliveries, parleyd config and wrk runs, imported from it):

  a. ingest rate (wrk, full rate) with an empty journal and with a journal
     already holding N events (--events, default 10 000 000); the figure
     is the ratio full / empty. Also a paced run on the full journal: the
     latency baseline for c.
  b. start-up time to the first answered webhook, full and empty journal:
     from exec of parleyd until one signed delivery, POSTed in a loop,
     gets its 200.
  c. retention pruning: a parleyd with router.retention and
     router.dedup_window of 1 s on a copy of the full journal (every event
     delivered and old): seconds and CPU seconds per million events for
     dropping the bodies, then for forgetting the ids, and the latency of
     paced webhooks while each phase runs.

The N events are not sent through HTTP (hours): parleyd ingests one real
delivery into a new journal, which gives the exact row its connector
writes; that row is then copied N - 1 times with its own comment id, text
and author (the same substitutions fb_comment_delivery makes), received
over the past week, with the sqlite3 module in large transactions, and
the output's cursor is set to the last seq (all delivered). The journal's
schema and meta are parleyd's own. The filled journal is cached in the
work directory (journal-N/) and reused when N matches; the runs that add
events to it delete them again afterwards.

Figures are printed, never asserted; the script exits non-zero only when
an answered delivery is missing (from the journal, or for the pruning run,
whose retention also prunes the new events, from the ndjson output).

  bench_scale.py --parleyd P --plugins DIR --work DIR [--events 10000000]
                 [--deliveries 300000] [--duration 8] [--threads 2]
                 [--connections 64] [--starts 3] [--pace R]
  cmake --build build --target bench_scale_run
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_ingest as bi  # noqa: E402

# comment ids of the filled events start here: far from the wrk deliveries
# (0 .. --deliveries) and the start-up probe
FILL_BASE = 1000000000
PROBE = 900000000
SECOND = 500000000  # the deliveries of the second paced run during pruning
WEEK_MS = 7 * 86400 * 1000
FILL_FORMAT = 1  # bump when the fill changes: older caches are refilled


def parse_args():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--parleyd", required=True)
    a.add_argument("--plugins", required=True, help="directory of facebook.so")
    a.add_argument("--work", required=True, help="directory on a real disk (journals, inputs)")
    a.add_argument("--events", type=int, default=10000000, help="events in the full journal")
    a.add_argument("--deliveries", type=int, default=300000)
    a.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--connections", type=int, default=64)
    a.add_argument("--starts", type=int, default=3, help="start-up measurements per journal")
    a.add_argument("--rounds", type=int, default=3,
                   help="empty/full ingest pairs, alternating (the median ratio is reported)")
    a.add_argument("--pace", type=float, default=0,
                   help="req/s of the paced runs (default: half the full-journal full rate)")
    a.add_argument("--batch", type=int, default=200000, help="rows per fill transaction")
    args = a.parse_args()
    # bench_ingest's own options that it reads; the sim and hello-world are
    # not used here
    args.sim = args.hello = args.parleyd
    args.platforms = "facebook"
    return bi.setup(args)


ARGS = parse_args()
ROUTER_KEEP = "  retention: 0\n"  # a and b: no pruning during the runs


def du(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)
               if f.startswith("parley.journal"))


def df(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


# ---- the filled journal ----

def real_row(d):
    """Run parleyd on a new journal in d with one real delivery (comment id
    FILL_BASE); returns that row as parleyd's connector wrote it."""
    port = bi.free_port()
    base = f"http://127.0.0.1:{port}"
    pd = bi.Parleyd(bi.parleyd_config(d, port, "facebook", ROUTER_KEEP), tmpdir=d).start(base)
    try:
        name, value, body = bi.fb_delivery(FILL_BASE)
        s = bi.http("POST", f"{base}/hooks/fb", body,
                    {name: value, "Content-Type": "application/json"}, admin=False)[0]
        if s != 200:
            raise RuntimeError(f"the shape delivery got {s}:\n{pd.logs()[-2000:]}")
        bi.wait_until(lambda: caught_up(base), 60, 0.05, "the shape event delivered")
    finally:
        rc = pd.stop()
    if rc != 0:
        raise RuntimeError(f"parleyd exited {rc}:\n{pd.logs()[-2000:]}")
    db = sqlite3.connect(os.path.join(d, "parley.journal"))
    row = db.execute("SELECT id, instance, conversation, received_ms, json, typeof(json) "
                     "FROM events").fetchall()
    db.close()
    if len(row) != 1:
        raise RuntimeError(f"the shape run left {len(row)} events, not 1")
    return row[0]


def substitutions(n):
    """What differs between delivery n and delivery FILL_BASE (test_meta_common.
    fb_comment_delivery): the comment id and text carry n, the author n % 997."""
    return [(f"900_{FILL_BASE}", f"900_{n}"), (f"bench {FILL_BASE}:", f"bench {n}:"),
            (str(7100000000000000 + FILL_BASE % 997), str(7100000000000000 + n % 997))]


def fill(n):
    """The cached journal of n events (work/journal-n/), made when missing."""
    d = os.path.join(ARGS.work, f"journal-{n}")
    marker = os.path.join(d, "filled.json")
    if os.path.exists(marker):
        with open(marker) as f:
            m = json.load(f)
        if m.get("events") == n and m.get("format") == FILL_FORMAT:
            print(f"  full journal: cached {d}/parley.journal ({du(d) / 1e9:.2f} GB, filled "
                  f"{m['when']} in {m['seconds']:.0f} s)")
            return d, m
    if os.path.exists(d):
        shutil.rmtree(d)
    part = d + ".part"
    if os.path.exists(part):
        shutil.rmtree(part)
    os.makedirs(part)
    t0 = time.monotonic()
    rid, inst, conv, _, js, kind = real_row(part)
    if str(FILL_BASE) not in rid:
        raise RuntimeError(f"the event id {rid!r} does not carry the comment id")
    js = js.decode() if isinstance(js, bytes) else js
    subs = substitutions(FILL_BASE)
    for old, _ in subs:
        if old not in js:
            raise RuntimeError(f"the event JSON does not hold {old!r}: cannot vary it")
    blob = kind == "blob"
    print(f"  filling {n:,} events like the real one: id {rid}, {len(js)} bytes of JSON "
          f"({kind}), conversation {conv}; free disk {df(ARGS.work) / 1e9:.0f} GB")
    db = sqlite3.connect(os.path.join(part, "parley.journal"), isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")  # a crash during the fill only loses the cache
    db.execute("PRAGMA cache_size = -262144")
    now = int(time.time() * 1000)
    step = max(1, WEEK_MS // n)  # n events over the past week, oldest first
    db.execute("UPDATE events SET received_ms = ?", (now - n * step,))

    def rows(lo, hi):
        for i in range(lo, hi):
            k = FILL_BASE + i
            j = js
            for old, new in substitutions(k):
                j = j.replace(old, new)
            yield (rid.replace(str(FILL_BASE), str(k)), inst, conv,
                   now - (n - i) * step, j.encode() if blob else j)

    done = 1
    while done < n:
        hi = min(n, done + ARGS.batch)
        db.execute("BEGIN")
        db.executemany("INSERT INTO events(id, instance, conversation, received_ms, json) "
                       "VALUES(?, ?, ?, ?, ?)", rows(done, hi))
        db.execute("COMMIT")
        done = hi
        el = time.monotonic() - t0
        print(f"    {done:,} events, {el:.0f} s, {done / el:,.0f} events/s", flush=True)
    last = db.execute("SELECT max(seq) FROM events").fetchone()[0]
    db.execute("INSERT INTO cursors(output, seq) VALUES('file', ?) "
               "ON CONFLICT(output) DO UPDATE SET seq = excluded.seq", (last,))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    count = db.execute("SELECT count(*) FROM events").fetchone()[0]
    db.close()
    if count != n or last != n:
        raise RuntimeError(f"the fill left {count:,} events, last seq {last}, not {n:,}")
    m = {"events": n, "format": FILL_FORMAT, "seconds": time.monotonic() - t0,
         "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "last_seq": last}
    with open(os.path.join(part, "filled.json"), "w") as f:
        json.dump(m, f)
    for f in os.listdir(part):
        if f.startswith(("events.ndjson", "parleyd.log", "parley.yaml")):
            os.unlink(os.path.join(part, f))
    os.rename(part, d)
    print(f"  full journal: {d}/parley.journal, {count:,} events (SELECT count(*)), "
          f"{du(d) / 1e9:.2f} GB, filled in {m['seconds']:.0f} s")
    return d, m


def restore(d, m):
    """Drop what a run added to the cached journal: events after the fill,
    and the cursor back to the fill's last seq."""
    db = sqlite3.connect(os.path.join(d, "parley.journal"), isolation_level=None)
    last = m["last_seq"]
    db.execute("BEGIN IMMEDIATE")
    added = db.execute("DELETE FROM events WHERE seq > ?", (last,)).rowcount
    db.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'", (last,))
    db.execute("UPDATE cursors SET seq = ?", (last,))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    for f in os.listdir(d):
        if f.startswith(("events.ndjson", "parleyd.log", "parley.yaml", "admin_token")):
            os.unlink(os.path.join(d, f))
    return added


# ---- parleyd ----

def caught_up(base):
    st = json.loads(bi.http("GET", f"{base}/v1/status")[2])
    return all(o["cursor"] >= st["last_seq"] for o in st["outputs"]) and st


def metrics(base):
    text = bi.http("GET", f"{base}/metrics", timeout=30)[2].decode()
    out = {}
    for name in ("parley_journal_pruned_total", "parley_journal_forgotten_total"):
        m = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M)
        out[name] = float(m.group(1)) if m else 0.0
    return out


def drop_cache(d):
    """Evict the journal's pages from the OS page cache (only this file's:
    posix_fadvise DONTNEED after fsync), for a cold start as after a boot.
    Returns how much of it stayed resident, as fincore says, when it can."""
    paths = [os.path.join(d, f) for f in os.listdir(d) if f.startswith("parley.journal")]
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    if not shutil.which("fincore"):
        return None
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES",
                          os.path.join(d, "parley.journal")], capture_output=True, text=True)
    return int(out.stdout.split()[0]) if out.returncode == 0 and out.stdout.strip() else None


def start_time(d, tag, cold=False):
    """Seconds from exec of parleyd on the journal in d to the 200 of the
    first signed delivery (the probe, POSTed in a loop); and its RSS then.
    cold: the journal's pages are evicted from the page cache first."""
    resident = drop_cache(d) if cold else None
    port = bi.free_port()
    base = f"http://127.0.0.1:{port}"
    name, value, body = bi.fb_delivery(PROBE)
    req = urllib.request.Request(f"{base}/hooks/fb", data=body.encode(), method="POST",
                                 headers={name: value, "Content-Type": "application/json"})
    pd = bi.Parleyd(bi.parleyd_config(d, port, "facebook", ROUTER_KEEP), tmpdir=d,
                    name=f"parley-{tag}.yaml")
    t0 = time.monotonic()
    pd.start()
    tries, last = 0, "no answer"
    try:
        while True:
            if pd.proc.poll() is not None:
                raise RuntimeError(f"parleyd exited {pd.proc.returncode}:\n{pd.logs()[-2000:]}")
            tries += 1
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    if r.status == 200:
                        break
                    last = str(r.status)
            except urllib.error.HTTPError as e:
                last = str(e.code)
            except OSError as e:
                last = type(e).__name__
            if time.monotonic() - t0 > 120:
                raise RuntimeError(f"no 200 within 120 s (last: {last})")
            time.sleep(0.002)
        secs = time.monotonic() - t0
        rss = bi.proc_status(pd.proc.pid, "VmRSS")
    finally:
        rc = pd.stop()
    if rc != 0:
        raise RuntimeError(f"parleyd exited {rc}:\n{pd.logs()[-2000:]}")
    return secs, tries, rss, pd.config, resident


def proc_wchar(pid):
    """Bytes the process passed to write(2) and friends (/proc/<pid>/io)."""
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """Reads the prune counters, parleyd's CPU time and bytes written every
    step seconds."""

    def __init__(self, base, pid, step=0.1):
        super().__init__(daemon=True)
        self.base, self.pid, self.step = base, pid, step
        self.samples = []  # (monotonic, cpu s, pruned, forgotten, bytes written)
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                m = metrics(self.base)
                self.samples.append((time.monotonic(), bi.proc_cpu(self.pid),
                                     m["parley_journal_pruned_total"],
                                     m["parley_journal_forgotten_total"],
                                     proc_wchar(self.pid)))
            except (OSError, ValueError):
                pass
            self.stop.wait(self.step)

    def latest(self):
        return self.samples[-1] if self.samples else (time.monotonic(), 0, 0, 0, 0)


def phase_cost(samples, col, windows):
    """Seconds, CPU seconds and bytes written per million for the samples'
    column col, over the stretches of samples outside every (t0, t1) of
    windows (the paced wrk runs), while the column was growing."""
    secs = cpu = done = wrote = 0.0
    for a, b in zip(samples, samples[1:]):
        if b[col] <= a[col] or any(a[0] < w1 and b[0] > w0 for w0, w1 in windows):
            continue
        secs += b[0] - a[0]
        cpu += b[1] - a[1]
        wrote += b[4] - a[4]
        done += b[col] - a[col]
    if not done:
        return None
    return secs * 1e6 / done, cpu * 1e6 / done, done, wrote * 1e6 / done


def prune_run(src, m, files, pace):
    """Retention on a copy of the full journal; returns its figures."""
    n = m["last_seq"]
    d = bi.fresh_dir("scale-prune")
    t0 = time.monotonic()
    for f in os.listdir(src):
        if f.startswith("parley.journal"):
            shutil.copyfile(os.path.join(src, f), os.path.join(d, f))
    print(f"  pruning: copied the full journal to {d} in {time.monotonic() - t0:.0f} s")
    port = bi.free_port()
    base = f"http://127.0.0.1:{port}"
    cfg = bi.parleyd_config(d, port, "facebook", "  retention: 1s\n  dedup_window: 1s\n")
    pd = bi.Parleyd(cfg, tmpdir=d).start(base)
    res = {"config": pd.config, "n": n, "loads": {}}
    smp = Sampler(base, pd.proc.pid)
    smp.start()
    windows = []
    try:
        started = time.monotonic()
        url = f"{base}/hooks/fb"
        # the paced runs, one while the bodies go, one while the ids go
        for phase, col, file in (("bodies", 2, files[0]), ("ids", 3, files[1])):
            bi.wait_until(lambda: smp.latest()[col] > 0, 600, 0.05, f"pruning of {phase}")
            w0 = time.monotonic()
            r = bi.timed_wrk(pd.proc.pid, url, file, "once", pace)
            w1 = time.monotonic()
            windows.append((w0, w1))
            r["still"] = smp.latest()[col] < n  # the phase lasted the whole run
            res["loads"][phase] = r
        bi.wait_until(lambda: smp.latest()[3] >= n, 3600, 0.2, "every old id forgotten")
        end = time.monotonic()
        bi.wait_until(lambda: caught_up(base), 600, 0.1, "the ndjson output caught up")
        smp.stop.set()
        smp.join()
        s = smp.samples
        first_b = next(x for x in s if x[2] > 0)
        done_b = next(x for x in s if x[2] >= n)
        first_f = next(x for x in s if x[3] > 0)
        res["bodies_s"] = done_b[0] - first_b[0]
        res["ids_s"] = end - first_f[0]
        res["total_s"] = end - started
        res["cost_bodies"] = phase_cost(s, 2, windows)
        res["cost_ids"] = phase_cost(s, 3, windows)
        res["hwm_kb"] = bi.proc_status(pd.proc.pid, "VmHWM")
    finally:
        smp.stop.set()
        rc = pd.stop()
    if rc != 0:
        raise RuntimeError(f"parleyd exited {rc}:\n{pd.logs()[-2000:]}")
    with open(os.path.join(d, "events.ndjson")) as f:
        res["ndjson"] = len({json.loads(line)["id"] for line in f if line.strip()})
    res["size"] = du(d)
    db = sqlite3.connect(os.path.join(d, "parley.journal"))
    res["left"] = db.execute("SELECT count(*) FROM events").fetchone()[0]
    db.close()
    for f in os.listdir(d):  # gigabytes of free pages: not worth keeping
        if f.startswith("parley.journal"):
            os.unlink(os.path.join(d, f))
    return res


def latency(r):
    return (f"p50 {r['latency_us']['p50'] / 1000:.2f} ms, p99 {r['latency_us']['p99'] / 1000:.2f}"
            f" ms, max {r['latency_us']['max'] / 1000:.1f} ms")


def main():
    if not shutil.which("wrk"):
        sys.exit("bench_scale: wrk not found (Debian package wrk; tests/deps.sh installs it)")
    os.makedirs(ARGS.work, exist_ok=True)
    n = ARGS.events
    print(f"bench_scale: journal of {n:,} events against an empty one; wrk -t{ARGS.threads} "
          f"-c{ARGS.connections} -d{ARGS.duration}s, loopback")
    print(f"  machine: {bi.machine()}; free disk {df(ARGS.work) / 1e9:.0f} GB")
    print(f"  before: {bi.neighbours()}")
    file = bi.deliveries_file("facebook", ARGS.deliveries)
    full_dir, m = fill(n)
    ok = True

    def check(name, r):
        nonlocal ok
        good = r["distinct"] >= r["ok"]
        ok = ok and good
        print(f"    journal: {r['distinct']:,} new distinct events, {r['ok']:,} answered 2xx: "
              f"{'every 2xx is in the journal' if good else 'LOST: fewer events than 2xx'}"
              f" (reproduce: {r['count_cmd']})")

    # a. ingest, empty then full, alternating so that a neighbour's burst
    # of work hits both
    rounds = []
    for i in range(ARGS.rounds):
        tag = f" (round {i + 1}/{ARGS.rounds})" if ARGS.rounds > 1 else ""
        empty = bi.ingest("scale-empty", file, router_extra=ROUTER_KEEP)
        bi.show("ingest, empty journal" + tag, empty)
        check("empty", empty)
        full = bi.ingest(os.path.relpath(full_dir, ARGS.work), file, keep_journal=True,
                         router_extra=ROUTER_KEEP, after_seq=m["last_seq"])
        bi.show(f"ingest, journal of {n:,} events" + tag, full)
        check("full", full)
        print(f"    removed the run's {restore(full_dir, m):,} events from the cached journal")
        rounds.append((full["rps"] / empty["rps"], empty, full))
    ratio, empty, full = sorted(rounds, key=lambda x: x[0])[len(rounds) // 2]  # the median
    pace = ARGS.pace or full["rps"] / 2
    paced = bi.ingest(os.path.relpath(full_dir, ARGS.work), file, rate=pace, keep_journal=True,
                      router_extra=ROUTER_KEEP, after_seq=m["last_seq"])
    bi.show(f"ingest paced at {pace:,.0f} req/s, journal of {n:,} events, no pruning", paced)
    check("paced", paced)
    restore(full_dir, m)
    print(f"  ratio full / empty journal: {ratio:.0%} ({full['rps']:,.0f} / {empty['rps']:,.0f}"
          f" req/s; CPU per answer {full['cpu_us']:.0f} / {empty['cpu_us']:.0f} µs"
          + (f"; the median of rounds at {', '.join(f'{x[0]:.0%}' for x in rounds)}"
             if len(rounds) > 1 else "") + ")")

    # b. start-up to the first answered webhook
    starts = {}
    for tag, d, cold in (("empty", bi.fresh_dir("scale-empty"), False),
                         ("full", full_dir, False), ("full", full_dir, True)):
        key = tag + (", cold" if cold else "")
        starts[key] = []
        for _ in range(ARGS.starts):
            starts[key].append(start_time(d, tag, cold))
            if tag == "full":
                restore(full_dir, m)
            else:
                bi.fresh_dir("scale-empty")
    for key, runs in starts.items():
        what = "empty journal" if key == "empty" else f"journal of {n:,} events"
        how = ("cold: the journal's pages evicted from the page cache first (posix_fadvise), "
               f"{runs[-1][4] / 1e6 if runs[-1][4] is not None else float('nan'):.1f} MB of it "
               "still resident (fincore)" if key.endswith("cold") else
               "warm: the journal's pages in the page cache")
        print(f"  start-up to the first 200, {what}, {how}: "
              + ", ".join(f"{r[0]:.3f} s" for r in runs)
              + f" ({runs[-1][1]} POSTs in the last; RSS then {runs[-1][2] / 1024:.1f} MiB)")
        print(f"    reproduce: {ARGS.parleyd} --config {runs[-1][3]} & then POST one signed "
              f"delivery to /hooks/fb until it answers 200")

    # c. retention pruning
    pr = prune_run(full_dir, m, (file, bi.deliveries_file("facebook", ARGS.deliveries, SECOND)),
                   pace)
    for phase, col in (("bodies", "cost_bodies"), ("ids", "cost_ids")):
        c = pr[col]
        secs = pr["bodies_s" if phase == "bodies" else "ids_s"]
        what = "dropping bodies" if phase == "bodies" else "forgetting ids"
        print(f"  pruning, {what}: {n:,} events in {secs:.1f} s with the paced load for "
              f"{ARGS.duration} s of it"
              + (f"; unloaded {c[0]:.2f} s, {c[1]:.2f} CPU s and {c[3] / 1e9:.2f} GB written"
                 f" (write(2) bytes: WAL and checkpoints) per million ({c[2]:,.0f} events"
                 f" measured)" if c else ""))
        r = pr["loads"][phase]
        print(f"    webhooks meanwhile, paced at {pace:,.0f} req/s: {r['rps']:,.0f} req/s, "
              f"{latency(r)} (without pruning: {latency(paced)})"
              + ("" if r["still"] else " NOTE: the phase ended before the wrk run did"))
        print(f"    reproduce: {ARGS.parleyd} --config {pr['config']} & BENCH_PACED=1 "
              f"{r['cmd'].split('BENCH_PACED=1 ', 1)[-1]}")
    answered = sum(r["ok"] for r in pr["loads"].values())
    good = pr["ndjson"] >= answered
    ok = ok and good
    print(f"    {pr['ndjson']:,} distinct events in the ndjson output, {answered:,} answered 2xx: "
          f"{'every 2xx delivered' if good else 'LOST: fewer events than 2xx'}; "
          f"{pr['left']:,} events left in the journal, file {pr['size'] / 1e9:.2f} GB "
          f"(SQLite keeps the freed pages), peak RSS {pr['hwm_kb'] / 1024:.1f} MiB")
    print(f"  after: {bi.neighbours()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
