"""The webhook output against a local HTTP receiver (Python's http.server
on 127.0.0.1:0) that verifies the Parley-Signature header exactly as
docs/outputs.md tells a receiver to: HMAC-SHA256 over "<t>." + body,
constant-time compare, timestamp within 5 minutes, dedup by event id.
Receiver and verifier are imported by the outage and crash tests."""
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from parley_it import Parleyd, free_port, http, run_parleyd, wait_until, TEST_PLUGIN_DIR

SECRET = "whsec-Xy7-parley"
TOLERANCE_S = 300


def verify(secret, header, body, now=None, tolerance=TOLERANCE_S):
    """What a receiver does. Returns None when valid, else the reason."""
    if not header:
        return "no signature"
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts:
        return "malformed signature"
    try:
        ts = int(parts["t"])
    except ValueError:
        return "malformed timestamp"
    now = time.time() if now is None else now
    if abs(now - ts) > tolerance:
        return "timestamp outside the tolerance (replay?)"
    want = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, parts["v1"]):
        return "signature mismatch"
    return None


class Receiver:
    """Records every verified event id (with repeats) and every request.
    mode: "ok" answers 204, "fail" answers 500; stop()/start() reopen on the
    same port (the outage test)."""

    def __init__(self, secret=SECRET, port=0):
        self.secret = secret
        self.mode = "ok"
        self.ids = []
        self.requests = []
        self.rejected = []
        self.lock = threading.Lock()
        self.port = port
        self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/parley"

    def start(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.requests.append((dict(self.headers), body))
                    if outer.mode == "fail":
                        code = 500
                    else:
                        why = verify(outer.secret, self.headers.get("Parley-Signature"), body)
                        if why:
                            outer.rejected.append(why)
                            code = 401
                        else:
                            doc = json.loads(body)
                            evs = doc if isinstance(doc, list) else [doc]
                            outer.ids.extend(e["id"] for e in evs)
                            code = 204
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def count(self):
        with self.lock:
            return len(self.ids)


def config(tmp, port, url, count=0, opts="", queue_size=10000):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {TEST_PLUGIN_DIR}
  journal: {tmp}/parley.journal
  queue_size: {queue_size}
connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, count: {count}, batch: 100, interval: 1ms}}
outputs:
  - name: hook
    type: webhook
    options:
      url: {url}
      secret: {SECRET}
{opts}
routes:
  - outputs: hook
"""


def status(base):
    return json.loads(http("GET", f"{base}/v1/status")[2])


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def test_verify_follows_the_documented_format():
    body = b'{"id":"test:1"}'
    t = 1795000000
    sig = hmac.new(SECRET.encode(), b"1795000000." + body, hashlib.sha256).hexdigest()
    header = f"t={t},v1={sig}"
    assert verify(SECRET, header, body, now=t + 10) is None
    assert verify(SECRET, header, body, now=t + 301) == "timestamp outside the tolerance (replay?)"
    assert verify(SECRET, header, body + b" ", now=t) == "signature mismatch"
    assert verify("other", header, body, now=t) == "signature mismatch"


def test_each_event_is_posted_signed_with_its_id(tmp, receiver):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port, receiver.url, count=300), tmpdir=tmp).start(base)
    wait_until(lambda: status(base)["outputs"][0]["cursor"] >= 300, what="cursor at 300")
    assert d.stop() == 0
    assert receiver.ids == [f"test:tc1-{n}" for n in range(300)] and not receiver.rejected
    headers, body = receiver.requests[0]
    assert headers["Content-Type"] == "application/json"
    assert headers["Parley-Event-Id"] == "test:tc1-0" and headers["Parley-Events"] == "1"
    assert json.loads(body)["id"] == "test:tc1-0"
    assert SECRET not in d.logs()


def test_batches_post_a_json_array(tmp, receiver):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port, receiver.url, count=1000, opts="      batch_size: 50\n"),
                tmpdir=tmp).start(base)
    wait_until(lambda: status(base)["outputs"][0]["cursor"] >= 1000, what="cursor at 1000")
    assert d.stop() == 0
    assert receiver.ids == [f"test:tc1-{n}" for n in range(1000)]
    sizes = [len(json.loads(b)) for _, b in receiver.requests]
    assert max(sizes) == 50 and all(isinstance(json.loads(b), list) for _, b in receiver.requests)
    assert all(h["Parley-Events"] == str(len(json.loads(b))) for h, b in receiver.requests)


def test_a_receiver_with_another_secret_rejects_and_nothing_counts_as_delivered(tmp):
    r = Receiver(secret="not-the-same").start()
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        d = Parleyd(config(tmp, port, r.url, count=10), tmpdir=tmp).start(base)
        wait_until(lambda: status(base)["outputs"][0]["state"] == "failing", what="failing")
        st = status(base)["outputs"][0]
        assert st["cursor"] == 0 and "HTTP 401" in st["last_error"]
        assert r.rejected[0] == "signature mismatch" and not r.ids
        d.stop()
        assert SECRET not in d.logs()
    finally:
        r.stop()


def test_check_config_refuses_bad_webhook_options(tmp):
    port = free_port()
    for opts, url, msg in [("      batch_size: 0\n", "http://127.0.0.1:1/x", "batch_size"),
                           ("", "ftp://127.0.0.1/x", "url"),
                           ("      tls_verify: false\n", "https://127.0.0.1:1/x", "tls_verify")]:
        path = f"{tmp}/bad.yaml"
        with open(path, "w") as f:
            f.write(config(tmp, port, url, opts=opts))
        r = run_parleyd("--check-config", path)
        assert r.returncode != 0 and msg in r.stderr, r.stderr
        assert SECRET not in r.stderr + r.stdout
