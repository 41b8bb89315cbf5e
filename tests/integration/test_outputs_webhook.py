"""The webhook output against a local HTTP receiver (Python's http.server
on 127.0.0.1:0) that verifies the Parley-Signature header exactly as
docs/outputs.md tells a receiver to: HMAC-SHA256 over "<t>." + body,
constant-time compare, timestamp within 5 minutes, dedup by event id.
Receiver and verifier are imported by the outage and crash tests.
The TLS tests serve the same receiver over HTTPS (Python's ssl) with a
self-signed certificate the openssl CLI makes at test time."""
import hashlib
import hmac
import json
import os
import ssl
import subprocess
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
    same port (the outage test). tls: (cert, key) PEM paths to serve HTTPS."""

    def __init__(self, secret=SECRET, port=0, tls=None):
        self.secret = secret
        self.tls = tls
        self.mode = "ok"
        self.ids = []
        self.requests = []
        self.rejected = []
        self.lock = threading.Lock()
        self.port = port
        self.server = None

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/parley"

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
        if self.tls:
            # the handshake runs in accept(); a failed one is an OSError
            # that socketserver drops, and the client sees the alert
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
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


def deliver(tmp, url, count, opts=""):
    """Runs parleyd until the output's cursor is at count; returns it stopped."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port, url, count=count, opts=opts), tmpdir=tmp).start(base)
    wait_until(lambda: status(base)["outputs"][0]["cursor"] >= count, what=f"cursor at {count}")
    assert d.stop() == 0
    return d


def until_failing(tmp, url, count, opts=""):
    """Starts parleyd and waits for the output to fail; returns (parleyd, its
    base URL, the output's status)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port, url, count=count, opts=opts), tmpdir=tmp).start(base)
    wait_until(lambda: status(base)["outputs"][0]["state"] == "failing", what="failing")
    return d, base, status(base)["outputs"][0]


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
    d = deliver(tmp, receiver.url, 300)
    assert receiver.ids == [f"test:tc1-{n}" for n in range(300)] and not receiver.rejected
    headers, body = receiver.requests[0]
    assert headers["Content-Type"] == "application/json"
    assert headers["Parley-Event-Id"] == "test:tc1-0" and headers["Parley-Events"] == "1"
    assert json.loads(body)["id"] == "test:tc1-0"
    assert SECRET not in d.logs()


def test_batches_post_a_json_array(tmp, receiver):
    deliver(tmp, receiver.url, 1000, opts="      batch_size: 50\n")
    assert receiver.ids == [f"test:tc1-{n}" for n in range(1000)]
    sizes = [len(json.loads(b)) for _, b in receiver.requests]
    assert max(sizes) == 50 and all(isinstance(json.loads(b), list) for _, b in receiver.requests)
    assert all(h["Parley-Events"] == str(len(json.loads(b))) for h, b in receiver.requests)


def test_a_receiver_with_another_secret_rejects_and_nothing_counts_as_delivered(tmp):
    r = Receiver(secret="not-the-same").start()
    try:
        d, _, st = until_failing(tmp, r.url, 10)
        assert st["cursor"] == 0 and "HTTP 401" in st["last_error"]
        assert r.rejected[0] == "signature mismatch" and not r.ids
        d.stop()
        assert SECRET not in d.logs()
    finally:
        r.stop()


def test_check_config_refuses_bad_webhook_options(tmp):
    port = free_port()
    for opts, url, msg in [("      batch_size: 0\n", "http://127.0.0.1:1/x", "batch_size"),
                           ("", "ftp://127.0.0.1/x", "url")]:
        path = f"{tmp}/bad.yaml"
        with open(path, "w") as f:
            f.write(config(tmp, port, url, opts=opts))
        r = run_parleyd("--check-config", path)
        assert r.returncode != 0 and msg in r.stderr, r.stderr
        assert SECRET not in r.stderr + r.stdout


# ---- TLS ----

def make_cert(tmp, name, san):
    """A self-signed certificate (its own CA) for san, and its key."""
    cert, key = os.path.join(tmp, f"{name}.crt"), os.path.join(tmp, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_receiver(tmp):
    cert = make_cert(tmp, "receiver", "IP:127.0.0.1")
    r = Receiver(tls=cert).start()
    yield r
    r.stop()


# a query string is where a receiver's token often sits: never shown
TOKEN_QUERY = "?token=qs-s3cr3t-77"


def test_https_is_verified_by_default_and_a_fixed_config_delivers_everything(tmp, tls_receiver):
    url = tls_receiver.url + TOKEN_QUERY
    d, base, st = until_failing(tmp, url, 20)
    assert st["cursor"] == 0 and not tls_receiver.requests
    assert tls_receiver.url in st["last_error"], st["last_error"]
    assert "TLS: " in st["last_error"] and "certificate" in st["last_error"], st["last_error"]
    assert d.stop() == 0
    # the same journal, now trusting the receiver's certificate
    cert, port = tls_receiver.tls[0], int(base.rsplit(":", 1)[1])
    with open(d.config, "w") as f:
        f.write(config(tmp, port, url, count=20, opts=f"      ca_file: {cert}\n"))
    d.start(base)
    wait_until(lambda: status(base)["outputs"][0]["cursor"] >= 20, what="cursor at 20")
    assert d.stop() == 0
    assert tls_receiver.ids == [f"test:tc1-{n}" for n in range(20)]
    for secret in (SECRET, "qs-s3cr3t-77"):
        assert secret not in d.logs()


def test_ca_file_does_not_excuse_a_wrong_host_name(tmp):
    cert = make_cert(tmp, "elsewhere", "DNS:elsewhere.example")
    r = Receiver(tls=cert).start()
    try:
        d, _, st = until_failing(tmp, r.url, 5, opts=f"      ca_file: {cert[0]}\n")
        assert st["cursor"] == 0 and "127.0.0.1" in st["last_error"] and not r.requests
        assert "TLS: " in st["last_error"], st["last_error"]
        assert d.stop() == 0
    finally:
        r.stop()


def test_tls_verify_false_checks_neither_the_chain_nor_the_name_and_says_so(tmp):
    # self-signed and for another name: both checks would refuse it
    r = Receiver(tls=make_cert(tmp, "elsewhere", "DNS:elsewhere.example")).start()
    try:
        d = deliver(tmp, r.url, 30, opts="      tls_verify: false\n")
        assert r.ids == [f"test:tc1-{n}" for n in range(30)]
        warnings = [l for l in d.logs().splitlines() if "tls_verify is false" in l]
        assert len(warnings) == 1 and "[hook]" in warnings[0] and " warn " in warnings[0], warnings
    finally:
        r.stop()


def test_check_config_refuses_an_unusable_ca_file(tmp):
    port = free_port()
    empty = os.path.join(tmp, "empty.pem")
    open(empty, "w").close()
    cert, _ = make_cert(tmp, "receiver", "IP:127.0.0.1")
    for opts, msg in [(f"      ca_file: {tmp}/missing-ca.pem\n",
                       f"output hook: ca_file: cannot read {tmp}/missing-ca.pem"),
                      (f"      ca_file: {empty}\n", "holds no PEM certificate"),
                      (f"      ca_file: {cert}\n      tls_verify: false\n", "tls_verify")]:
        path = f"{tmp}/bad.yaml"
        with open(path, "w") as f:
            f.write(config(tmp, port, "https://127.0.0.1:1/x", opts=opts))
        r = run_parleyd("--check-config", path)
        assert r.returncode != 0 and msg in r.stderr and "ca_file" in r.stderr, r.stderr
    with open(path, "w") as f:
        f.write(config(tmp, port, "https://127.0.0.1:1/x", opts=f"      ca_file: {cert}\n"))
    r = run_parleyd("--check-config", path)
    assert r.returncode == 0, r.stderr
