#!/usr/bin/env python3
"""bench_ingest — durable webhook ingest against the HTTP ceiling, same run.

wrk (Debian's, with bench_ingest.lua) replays pre-generated, pre-signed,
distinct Facebook webhook deliveries (one new comment each; each request
takes the next one) against:

  1. ceiling: bench_hello_h2o, an h2o hello-world on a uv loop built by the
     bench (h2o and libuv as parleyd uses them), the same requests;
  2. parleyd: the facebook connector (app secret, no reachable Graph API),
     its journal on the real disk under the work directory (never tmpfs),
     an ndjson output; every 2xx answer must be an event in the journal;
  3. parleyd paced at half the ceiling's rate (wrk's Lua delay(): wrk2 is
     not in Debian), for the latency at half load; and paced at half its
     own full rate, for its latency when it is surely not saturated;
  4. the same full-rate pair (ceiling, then parleyd with the twitter
     connector) with X Account Activity deliveries (--platforms);
  5. idle RSS of parleyd with the five connectors against parley-sim.

For each: req/s, p50/p99 latency, the server's CPU time per answer, events
counted in the journal afterwards, peak RSS (VmHWM) under load, each printed with the command that reproduces
it. Figures are printed, never asserted; the only failure is a broken
promise (an answered 200 that is not in the journal).

  bench_ingest.py --parleyd P --plugins DIR --sim S --hello H --work DIR
                  [--deliveries 300000] [--duration 8] [--threads 2]
                  [--connections 64] [--rounds 1] [--idle 10]
                  [--platforms facebook,twitter]
  cmake --build build --target bench_ingest_run
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", ".."))
LUA = os.path.join(HERE, "bench_ingest.lua")

APP_SECRET = "bench-meta-app-secret-3e71"
CONSUMER_SECRET = "bench-x-consumer-secret-8d02"
PAGE = "104000000000001"
BRAND = "2244994945"  # the X account, @acme


def parse_args(argv=None):
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--parleyd", required=True)
    a.add_argument("--plugins", required=True, help="directory of facebook.so and the others")
    a.add_argument("--sim", required=True, help="parley-sim, for the idle five-connector RSS")
    a.add_argument("--hello", required=True, help="bench_hello_h2o")
    a.add_argument("--work", required=True, help="directory on a real disk (journals, inputs)")
    a.add_argument("--deliveries", type=int, default=300000)
    a.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--connections", type=int, default=64)
    a.add_argument("--platforms", default="facebook,twitter",
                   help="facebook (always), twitter: a full-rate pair of X deliveries too")
    a.add_argument("--rounds", type=int, default=1, help="ceiling/parleyd pairs, alternating")
    a.add_argument("--idle", type=float, default=10, help="seconds before the idle RSS reading")
    return a.parse_args(argv)


# The options every function below reads (work, threads, connections,
# duration, parleyd, plugins, hello, ...): set by setup(), which another
# benchmark (bench_scale.py) calls with its own namespace.
ARGS = None


def setup(args):
    """Take args (parse_args()'s namespace, or one with the same names) as
    the options, and import the integration fixtures, which read where the
    programs are from the environment at import."""
    global ARGS, FiveStack, Parleyd, free_port, http, router_yaml, wait_until, fb_comment_delivery
    ARGS = args
    ARGS.platforms = ["facebook"] + [p for p in ARGS.platforms.split(",")
                                     if p and p != "facebook"]
    for k in ("parleyd", "plugins", "sim", "hello", "work"):
        setattr(ARGS, k, os.path.realpath(getattr(ARGS, k)))
    os.environ.update(PARLEYD=ARGS.parleyd, PARLEY_SIM=ARGS.sim, PARLEY_PLUGIN_DIR=ARGS.plugins,
                      PARLEY_SOURCE_DIR=SOURCE)
    sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
    from parley_it import FiveStack, Parleyd, free_port, http, router_yaml, wait_until
    from test_meta_common import fb_comment_delivery
    return ARGS


# ---- inputs ----

def fb_delivery(n):
    """Facebook delivery n: one new comment on the Page (test_meta_common)."""
    body, headers = fb_comment_delivery(n, f"bench {n}: my order never arrived", page=PAGE,
                                        secret=APP_SECRET)
    return "X-Hub-Signature-256", headers["X-Hub-Signature-256"], body


def tw_delivery(n):
    """X Account Activity delivery n: one new tweet mentioning @acme, in the
    v1.1 shape (as parley-sim sends them)."""
    t = 1764000000 + n // 100
    uid = str(1500000000000000000 + n % 997)
    tid = str(1800000000000000000 + n)
    text = f"@acme bench {n}: my order never arrived"
    body = json.dumps({"for_user_id": BRAND, "tweet_create_events": [{
        "created_at": time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime(t)),
        "id": int(tid), "id_str": tid, "text": text, "truncated": False,
        "is_quote_status": False, "lang": "en", "timestamp_ms": str(t * 1000),
        "in_reply_to_status_id": None, "in_reply_to_status_id_str": None,
        "in_reply_to_user_id": None, "in_reply_to_user_id_str": None,
        "in_reply_to_screen_name": None,
        "user": {"id": int(uid), "id_str": uid, "name": "Kunde", "screen_name": f"kunde{n % 997}",
                 "followers_count": 12, "verified": False},
        "entities": {"hashtags": [], "urls": [], "symbols": [], "user_mentions": [
            {"screen_name": "acme", "name": "Acme", "id": int(BRAND), "id_str": BRAND,
             "indices": [0, 5]}]}}]}, separators=(",", ":"))
    mac = hmac.new(CONSUMER_SECRET.encode(), body.encode(), hashlib.sha256).digest()
    return "x-twitter-webhooks-signature", "sha256=" + base64.b64encode(mac).decode(), body


def connector_yaml(platform):
    """The connectors: entry of the platform, named as its /hooks/ path.
    base_url points at a closed port: no platform API, no backfill or
    polling that could add events; webhooks are all this benchmark asks."""
    closed = f"http://127.0.0.1:{free_port()}"
    if platform == "facebook":
        return f"""  - name: fb
    plugin: facebook
    options:
      base_url: {closed}/facebook
      app_secret: {APP_SECRET}
      verify_token: bench-verify-token
      pages: ["{PAGE}"]
      page_access_token: bench-page-token
      backfill_interval: 1h
"""
    return f"""  - name: tw
    plugin: twitter
    options:
      base_url: {closed}/twitter
      account_id: "{BRAND}"
      account_handle: acme
      bearer_token: bench-bearer
      consumer_secret: {CONSUMER_SECRET}
      sources: [webhook]
"""


PLATFORMS = {"facebook": ("fb", fb_delivery), "twitter": ("tw", tw_delivery)}


def deliveries_file(platform, n, first=0):
    """The file of deliveries first .. first + n - 1 (bench_ingest.lua's
    input), made once in the work directory."""
    tag = f"-from{first}" if first else ""
    path = os.path.join(ARGS.work, f"deliveries-{platform}-{n}{tag}.tsv")
    make = PLATFORMS[platform][1]
    if not os.path.exists(path):
        with open(path + ".part", "w") as f:
            for i in range(first, first + n):
                f.write("\t".join(make(i)) + "\n")
        os.rename(path + ".part", path)
    return path


# ---- the machine ----

def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    dev = fs = "?"
    with open("/proc/self/mountinfo") as f:  # the mount holding the work dir
        best = ""
        for line in f:
            p = line.split()
            mnt, sep = p[4], p.index("-")
            if (ARGS.work + "/").startswith(mnt.rstrip("/") + "/") and len(mnt) >= len(best):
                best, fs, dev = mnt, p[sep + 1], p[sep + 2]
    rot = "?"
    m = re.match(r"/dev/([a-z]+)", dev)
    if m and os.path.exists(f"/sys/block/{m.group(1)}/queue/rotational"):
        with open(f"/sys/block/{m.group(1)}/queue/rotational") as f:
            rot = "rotational" if f.read().strip() == "1" else "non-rotational"
    return (f"{os.cpu_count()} CPUs ({cpu}), {mem} MiB; work dir {ARGS.work} on {dev} "
            f"({fs}, {rot})")


# processes that mean another build or test run shares the CPUs
BUILDERS = {"cc1", "cc1plus", "clang", "clang++", "ld", "collect2", "ctest", "make", "ninja",
            "pytest", "node", "chromium", "parley-sim"}


def neighbours():
    """Load and the other work running right now (builds, tests)."""
    mine = {os.getpid(), os.getppid()}
    seen, running = {}, 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) in mine:
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        comm, state = s[s.index("(") + 1:s.rindex(")")], s[s.rindex(")") + 2]
        running += state == "R"
        if comm in BUILDERS:
            seen[comm] = seen.get(comm, 0) + 1
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    what = ", ".join(f"{c} x{n}" for c, n in sorted(seen.items())) or "none"
    return f"load average {load}, {running} other processes running; builds/tests: {what}"


def proc_cpu(pid):
    """CPU seconds (user + system, all threads) the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_wrk(pid, *args, **kw):
    """wrk(...) plus the server's CPU time per answer: on a shared machine
    a steadier figure than req/s, which depends on the CPU share it got."""
    cpu = proc_cpu(pid)
    r = wrk(*args, **kw)
    r["cpu_us"] = (proc_cpu(pid) - cpu) * 1e6 / max(r["requests"], 1)
    return r


def proc_status(pid, key):
    """A /proc/<pid>/status field in kB (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


# ---- wrk ----

def wrk(url, file, mode, rate=None):
    cmd = ["wrk", "-t", str(ARGS.threads), "-c", str(ARGS.connections),
           "-d", f"{ARGS.duration}s", "--latency", "-s", LUA, url, "--", file,
           str(ARGS.threads), mode]
    env = dict(os.environ)
    if rate:
        cmd.append(str(int(rate)))
        env["BENCH_PACED"] = "1"
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=ARGS.duration + 120)
    m = re.search(r"^BENCH_JSON (.*)$", out.stdout, re.M)
    if out.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    r = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["ok"] = r["requests"] - r["errors"]["status"]  # wrk: non-2xx/3xx are status errors
    r["cmd"] = ("BENCH_PACED=1 " if rate else "") + shlex.join(cmd)
    return r


def show(name, r, extra=""):
    e = r["errors"]
    errs = ", ".join(f"{k} {v}" for k, v in e.items() if v) or "none"
    print(f"  {name}: {r['rps']:,.0f} req/s, p50 {r['latency_us']['p50'] / 1000:.2f} ms, "
          f"p99 {r['latency_us']['p99'] / 1000:.2f} ms, max {r['latency_us']['max'] / 1000:.1f} ms"
          f", {r['cpu_us']:.0f} µs CPU per answer"
          f" ({r['requests']:,} answers, {r['ok']:,} 2xx, errors: {errs}){extra}")
    print(f"    reproduce: {r['cmd']}")
    if r["paced"]:
        print(f"    pacing: {r['paced']:,} requests paced by delay(); the schedule fell more"
              f" than 50 ms behind {r['resets']} times (it restarts from now then)")
    if r["exhausted_threads"]:
        print(f"    WARNING: {r['exhausted_threads']} wrk thread(s) ran out of distinct deliveries"
              f" and stopped early: req/s is too low; raise --deliveries")


# ---- the runs ----

def ceiling(file, instance="fb"):
    p = subprocess.Popen([ARGS.hello, "0"], stdout=subprocess.PIPE, text=True)
    try:
        m = re.search(r"listening on ([\d.]+:\d+)", p.stdout.readline())
        if not m:
            raise RuntimeError("bench_hello_h2o did not start")
        r = timed_wrk(p.pid, f"http://{m.group(1)}/hooks/{instance}", file, "wrap")
        r["cmd"] = f"{ARGS.hello} {m.group(1).split(':')[1]} & {r['cmd']}"
        r["hwm_kb"] = proc_status(p.pid, "VmHWM")
        return r
    finally:
        p.terminate()
        p.wait()


def parleyd_config(d, port, platform, router_extra=""):
    return router_yaml(d, port, plugin_dir=ARGS.plugins,
                       extra="  log_level: warn\n" + router_extra) + f"""
connectors:
{connector_yaml(platform)}outputs:
  - name: file
    type: ndjson
    options: {{path: {d}/events.ndjson}}
routes:
  - outputs: [file]
"""


def fresh_dir(name, keep_journal=False):
    """The run directory name under the work dir, emptied of the last run's
    journal (unless keep_journal: a benchmark put one there), ndjson and log."""
    d = os.path.join(ARGS.work, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith(("events.ndjson", "parleyd.log")) or (
                f.startswith("parley.journal") and not keep_journal):
            os.unlink(os.path.join(d, f))
    return d


def ingest(name, file, rate=None, platform="facebook", keep_journal=False, router_extra="",
           after_seq=0):
    """One wrk run against a parleyd in the run directory name; then the
    events of the run (seq > after_seq: a kept journal's own are not
    counted) in its journal and ndjson."""
    instance = PLATFORMS[platform][0]
    d = fresh_dir(name, keep_journal)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    pd = Parleyd(parleyd_config(d, port, platform, router_extra), tmpdir=d).start(base)
    try:
        r = timed_wrk(pd.proc.pid, f"{base}/hooks/{instance}", file, "once", rate)
        r["cmd"] = f"{ARGS.parleyd} --config {pd.config} & {r['cmd']}"
        r["hwm_kb"] = proc_status(pd.proc.pid, "VmHWM")

        def caught_up():
            st = json.loads(http("GET", f"{base}/v1/status")[2])
            return all(o["cursor"] >= st["last_seq"] for o in st["outputs"]) and st
        wait_until(caught_up, timeout=600, step=0.1, what="the ndjson output caught up")
    finally:
        rc = pd.stop()
    if rc != 0:
        raise RuntimeError(f"parleyd exited {rc}:\n" + pd.logs()[-2000:])
    journal = os.path.join(d, "parley.journal")
    db = sqlite3.connect(journal)
    r["events"], r["distinct"] = db.execute(
        "SELECT count(*), count(DISTINCT id) FROM events WHERE instance = ? AND seq > ?",
        (instance, after_seq)).fetchone()
    db.close()
    with open(os.path.join(d, "events.ndjson")) as f:
        r["ndjson"] = sum(1 for _ in f)
    r["config"] = pd.config
    r["count_cmd"] = (f"sqlite3 {journal} \"SELECT count(DISTINCT id) FROM events "
                      f"WHERE instance = '{instance}'"
                      + (f" AND seq > {after_seq}" if after_seq else "") + "\"")
    return r


def idle_rss():
    d = fresh_dir("idle-five")
    stack = FiveStack(d, "outputs:\n  - name: file\n    type: ndjson\n"
                         "    options: {{path: {dir}/events.ndjson}}\nroutes:\n  - outputs: [file]\n")
    stack.start()
    try:
        time.sleep(ARGS.idle)
        pid = stack.parleyd.proc.pid
        return proc_status(pid, "VmRSS"), proc_status(pid, "VmHWM"), stack.parleyd.config
    finally:
        stack.stop()


def main():
    if not shutil.which("wrk"):
        sys.exit("bench_ingest: wrk not found (Debian package wrk; tests/deps.sh installs it)")
    os.makedirs(ARGS.work, exist_ok=True)
    print(f"bench_ingest: {ARGS.deliveries:,} distinct signed deliveries per platform "
          f"({', '.join(ARGS.platforms)}), wrk -t{ARGS.threads} -c{ARGS.connections} "
          f"-d{ARGS.duration}s, loopback")
    print(f"  machine: {machine()}")
    print(f"  before: {neighbours()}")
    files = {}
    for platform in ARGS.platforms:
        t0 = time.monotonic()
        files[platform] = deliveries_file(platform, ARGS.deliveries)
        print(f"  deliveries: {files[platform]} ({os.path.getsize(files[platform]) / 1e6:.0f} MB,"
              f" {time.monotonic() - t0:.1f} s to make or find)")
    file = files["facebook"]

    # ceiling and parleyd alternate, so that a neighbour's burst of work
    # hits both; the ratio is taken per round
    rounds = []
    for i in range(ARGS.rounds):
        tag = f" (round {i + 1}/{ARGS.rounds})" if ARGS.rounds > 1 else ""
        top = ceiling(file)
        show("ceiling, h2o hello-world" + tag, top)
        full = ingest("run-full", file)
        show("parleyd, facebook webhooks -> journal -> ndjson" + tag, full)
        rounds.append((full["rps"] / top["rps"], top, full))
    ratio, top, full = sorted(rounds, key=lambda x: x[0])[len(rounds) // 2]  # the median
    half_rate = top["rps"] / 2
    half = ingest("run-half", file, rate=half_rate)
    show(f"parleyd paced at 50 % of the ceiling ({half_rate:,.0f} req/s asked)", half)
    # and at half of what parleyd itself reached: its latency when not
    # saturated, whatever the ceiling
    own_rate = full["rps"] / 2
    own = ingest("run-own-half", file, rate=own_rate)
    show(f"parleyd paced at 50 % of its own full rate ({own_rate:,.0f} req/s asked)", own)
    extra = []
    if "twitter" in files:  # X Account Activity: the same pair, once
        tw_top = ceiling(files["twitter"], "tw")
        show("ceiling, h2o hello-world, X deliveries", tw_top)
        tw = ingest("run-twitter", files["twitter"], platform="twitter")
        show("parleyd, X Account Activity webhooks -> journal -> ndjson", tw)
        extra.append(("X webhooks, full rate", tw))
    print(f"  during: {neighbours()}")

    ok = True
    print("  journal (counted after each run, parleyd stopped):")
    for name, r in [(f"full rate, round {i + 1}", x[2]) for i, x in enumerate(rounds)] + [
            ("half the ceiling", half), ("half its own rate", own)] + extra:
        good = r["distinct"] >= r["ok"]
        ok = ok and good
        print(f"    {name}: {r['distinct']:,} distinct events ({r['events']:,} rows), "
              f"{r['ndjson']:,} ndjson lines, {r['ok']:,} answered 2xx: "
              f"{'every 2xx is in the journal' if good else 'LOST: fewer events than 2xx answers'}"
              f" ({r['distinct'] - r['ok']:+,}: committed, answer not counted when wrk stopped;"
              f" at most {ARGS.connections} were in flight)")
    print(f"      reproduce: {half['count_cmd']} (the last run's journal; run-full: the last "
          f"full-rate round)")
    print(f"  ratio parleyd / ceiling: {ratio:.0%} ({full['rps']:,.0f} / {top['rps']:,.0f} req/s"
          + (f"; the median of rounds at {', '.join(f'{x[0]:.0%}' for x in rounds)}"
             if len(rounds) > 1 else "") + ")")
    print(f"  server CPU per answer: parleyd {full['cpu_us']:.0f} µs, ceiling {top['cpu_us']:.0f} µs"
          f" (ceiling / parleyd {top['cpu_us'] / full['cpu_us']:.0%}; user+system from /proc/<pid>/stat"
          f" around the wrk run)")
    if extra:
        print(f"  ratio parleyd / ceiling, X deliveries: {tw['rps'] / tw_top['rps']:.0%} "
              f"({tw['rps']:,.0f} / {tw_top['rps']:,.0f} req/s; CPU per answer {tw['cpu_us']:.0f}"
              f" / {tw_top['cpu_us']:.0f} µs)")
    print(f"  p99 at half load: {half['latency_us']['p99'] / 1000:.2f} ms at "
          f"{half['rps']:,.0f} req/s achieved ({half_rate:,.0f} asked)")
    if half_rate > full["rps"] or half["rps"] < 0.95 * half_rate:
        print("    NOTE: parleyd did not keep up with half the ceiling's rate here: this run "
              "is saturated, its latency is not that of half load")
    print(f"  p99 at half its own full rate: {own['latency_us']['p99'] / 1000:.2f} ms at "
          f"{own['rps']:,.0f} req/s achieved ({own_rate:,.0f} asked)")
    peak = max(x[2]["hwm_kb"] for x in rounds)
    print(f"  peak RSS (VmHWM) of parleyd under the full-rate run: {peak / 1024:.1f} MiB"
          f" (hello-world: {max(x[1]['hwm_kb'] for x in rounds) / 1024:.1f} MiB)")
    print(f"    reproduce: the full-rate commands above, then "
          f"grep VmHWM /proc/$(pidof parleyd)/status")
    rss, hwm, cfg = idle_rss()
    print(f"  idle RSS, five connectors against parley-sim, after {ARGS.idle:g} s: "
          f"{rss / 1024:.1f} MiB (VmHWM {hwm / 1024:.1f} MiB)")
    print(f"    reproduce: parley-sim --listen 127.0.0.1:0 --scenario sdk/sim/scenarios/demo.json; "
          f"parleyd --config {cfg} (secrets in the environment as tests/demo.sh sets them); "
          f"grep VmRSS /proc/$(pidof parleyd)/status")
    print(f"  after: {neighbours()}")
    return 0 if ok else 1


if __name__ == "__main__":
    setup(parse_args())
    sys.exit(main())
