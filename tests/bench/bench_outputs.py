#!/usr/bin/env python3
"""bench_outputs — end-to-end events/s into each output on this machine.

For each output, a fresh parleyd (the real daemon, its SQLite journal in a
temp dir) takes N events from the test connector as fast as it emits them
and delivers them to that one output: ndjson to a file, the sqlite
conversation store, the webhook output to a local receiver (Python
http.server, per event and in batches of 100), NATS JetStream (a real
nats-server -js on loopback). The clock runs from parleyd's start until its
status shows the output's delivery cursor at N. Figures are printed, never
asserted.

  bench_outputs.py PARLEYD TEST_PLUGIN_DIR [N]
  cmake --build build --target bench_outputs_run
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BENCH_TOKEN = "parley-bench-admin-token-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(base):
    try:
        req = urllib.request.Request(base + "/v1/status",
                                     headers={"Authorization": "Bearer " + BENCH_TOKEN})
        with urllib.request.urlopen(req, timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None


class Receiver:
    def __init__(self):
        count = self.count = [0]

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                count[0] += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/bench"

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def run(parleyd, plugins, n, tmp, output_yaml):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cfg = os.path.join(tmp, "bench.yaml")
    with open(cfg, "w") as f:
        f.write(f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {plugins}
  journal: {tmp}/journal.db
  admin_token: {BENCH_TOKEN}
  log_level: warn
  queue_size: 100000
connectors:
  - name: bench
    plugin: testconn
    options: {{account: acme, count: {n}, batch: 512, interval: 1ms}}
outputs:
{output_yaml}
routes:
  - outputs: out
""")
    log = open(os.path.join(tmp, "parleyd.log"), "ab")
    t0 = time.monotonic()
    p = subprocess.Popen([parleyd, "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
    ingest = None
    try:
        while True:
            st = status(base)
            now = time.monotonic()
            if st:
                if ingest is None and st["last_seq"] >= n:
                    ingest = now - t0
                if st["outputs"][0]["cursor"] >= n:
                    return ingest or now - t0, now - t0
            if p.poll() is not None:
                raise RuntimeError("parleyd exited; see " + log.name)
            if now - t0 > 600:
                raise RuntimeError("no progress after 600 s; see " + log.name)
            time.sleep(0.005)
    finally:
        p.terminate()
        p.wait()
        log.close()


def main():
    parleyd, plugins = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    nats_bin = shutil.which("nats-server") or "/usr/sbin/nats-server"
    rec = Receiver()
    nats_dir = tempfile.mkdtemp(prefix="bench-nats-")
    nport = free_port()
    nats = subprocess.Popen([nats_bin, "-a", "127.0.0.1", "-p", str(nport), "-js", "-sd", nats_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    cases = [
        ("ndjson (file)", "  - name: out\n    type: ndjson\n    options: {path: %(tmp)s/out.ndjson}\n"),
        ("sqlite store", "  - name: out\n    type: sqlite\n    options: {path: %(tmp)s/store.db}\n"),
        ("webhook, 1 event per POST",
         "  - name: out\n    type: webhook\n    options: {url: \"%(hook)s\", secret: bench}\n"),
        ("webhook, 100 events per POST",
         "  - name: out\n    type: webhook\n"
         "    options: {url: \"%(hook)s\", secret: bench, batch_size: 100}\n"),
        ("nats JetStream (max_inflight 256)",
         "  - name: out\n    type: nats\n    options: {url: \"%(nats)s\", create_stream: true,"
         " stream: BENCH%(i)d}\n"),
    ]
    print(f"bench_outputs: {n} events from testconn through parleyd into one output each")
    print(f"{'output':36} {'ingest ev/s':>12} {'delivered ev/s':>15} {'seconds':>8}")
    try:
        for i, (name, yaml) in enumerate(cases):
            tmp = tempfile.mkdtemp(prefix="bench-outputs-")
            out = yaml % {"tmp": tmp, "hook": rec.url, "nats": f"nats://127.0.0.1:{nport}", "i": i}
            ingest, total = run(parleyd, plugins, n, tmp, out)
            print(f"{name:36} {n / ingest:12.0f} {n / total:15.0f} {total:8.2f}")
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        rec.stop()
        nats.terminate()
        nats.wait()
        shutil.rmtree(nats_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
