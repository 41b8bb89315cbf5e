#!/usr/bin/env python3
"""The template connector (sdk/template/chirp.c) end to end through parleyd:
webhooks signed with X-Chirp-Signature are accepted and become events, forged
or unsigned ones are refused, and a reply action reaches chirp exactly once.

    test_chirp_e2e.py PARLEYD CHIRP_SO CHIRP_SERVER_PY

The fake chirp server runs in this process (tests/integration/chirp_server.py),
parleyd as a child with its own config, journal and NDJSON output file.
Nothing waits a fixed time: every wait is for a condition, bounded.
"""
import hashlib
import hmac
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

PARLEYD, CHIRP_SO, SERVER_PY = ([os.path.abspath(a) for a in sys.argv[1:4]]
                               if len(sys.argv) >= 4 else (None, None, None))
TOKEN = "chirp-e2e-token"


def load_server_module():
    spec = importlib.util.spec_from_file_location("chirp_server", SERVER_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# parleyd's admin API (/v1/...) takes this token; webhooks take chirp's signature
ADMIN_TOKEN = "chirp-e2e-admin-token-0123456789"


def http(method, url, body=None, headers=None):
    data = body if isinstance(body, (bytes, type(None))) else body.encode()
    headers = dict(headers or {})
    if "/v1/" in url:
        headers["Authorization"] = "Bearer " + ADMIN_TOKEN
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_until(pred, what, limit=30.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("gave up after %.0fs waiting for %s" % (limit, what))


def sign(body):
    return "sha256=" + hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()


class ChirpThroughParleyd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mod = load_server_module()
        cls.server = mod.ThreadingHTTPServer(("127.0.0.1", 0), mod.Handler)
        cls.server.daemon_threads = True
        cls.server.world = mod.World(TOKEN, 0)  # no items: events come by webhook only
        cls.server.verbose = False
        cls.world = cls.server.world
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.chirp_url = "http://127.0.0.1:%d" % cls.server.server_address[1]

        cls.dir = tempfile.mkdtemp(prefix="chirp-e2e-")
        cls.out = os.path.join(cls.dir, "events.ndjson")
        cls.base = "http://127.0.0.1:%d" % free_port()
        config = os.path.join(cls.dir, "parley.yaml")
        with open(config, "w") as f:
            f.write("""router:
  listen: %s
  plugin_dir: %s
  journal: %s/parley.journal
  admin_token: ${PARLEY_ADMIN_TOKEN}
connectors:
  - name: chirp_acme
    plugin: chirp
    options:
      base_url: %s
      token: ${CHIRP_TOKEN}
      account: acme_support
      poll_interval: 1h
outputs:
  - name: file
    type: ndjson
    options:
      path: %s
routes:
  - outputs: file
""" % (cls.base[len("http://"):], os.path.dirname(CHIRP_SO), cls.dir, cls.chirp_url, cls.out))
        cls.log = open(os.path.join(cls.dir, "parleyd.log"), "wb")
        cls.proc = subprocess.Popen([PARLEYD, "--config", config], stdout=cls.log,
                                    stderr=subprocess.STDOUT,
                                    env=dict(os.environ, CHIRP_TOKEN=TOKEN,
                                             PARLEY_ADMIN_TOKEN=ADMIN_TOKEN))
        wait_until(lambda: cls.proc.poll() is not None or cls.healthy(), "parleyd /healthz")
        assert cls.proc.poll() is None, "parleyd exited: " + cls.logs()

    @classmethod
    def healthy(cls):
        try:
            return http("GET", cls.base + "/healthz")[0] == 200
        except OSError:
            return False

    @classmethod
    def logs(cls):
        with open(os.path.join(cls.dir, "parleyd.log"), "rb") as f:
            return f.read().decode(errors="replace")

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        rc = cls.proc.wait(30)
        cls.log.close()
        cls.server.shutdown()
        logs = cls.logs()
        assert rc == 0, "parleyd exited %d after SIGTERM: %s" % (rc, logs)
        assert TOKEN not in logs, "the chirp token appears in parleyd's log"

    def event_ids(self):
        if not os.path.exists(self.out):
            return set()
        with open(self.out, "rb") as f:
            lines = f.read().split(b"\n")[:-1]
        return {json.loads(l)["id"] for l in lines if l.strip()}

    def new_item(self, text):
        with self.world.lock:
            return self.world.add_item({"text": text, "seed": 1})

    def post_hook(self, item, signature):
        body = json.dumps({"data": [item]}).encode()
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Chirp-Signature"] = signature(body) if callable(signature) else signature
        return http("POST", self.base + "/hooks/chirp_acme", body, headers)

    def test_signed_webhook_becomes_an_event(self):
        item = self.new_item("Mijn pakket is nooit aangekomen")
        status, body = self.post_hook(item, sign)
        self.assertEqual((status, body), (200, b"ok\n"))
        # answered 2xx only after the commit: the event is already durable
        wait_until(lambda: "chirp:" + item["id"] in self.event_ids(), "the webhook's event")

    def test_forged_signature_is_refused_and_emits_nothing(self):
        forged = self.new_item("forged")
        status, _ = self.post_hook(forged, "sha256=" + "0" * 64)
        self.assertEqual(status, 401)
        wrong_key = self.new_item("signed with another key")
        status, _ = self.post_hook(wrong_key, lambda b: "sha256=" + hmac.new(
            b"not-the-token", b, hashlib.sha256).hexdigest())
        self.assertEqual(status, 401)
        # a valid hook sent afterwards is committed after the refused ones would have been
        marker = self.new_item("marker")
        self.assertEqual(self.post_hook(marker, sign)[0], 200)
        wait_until(lambda: "chirp:" + marker["id"] in self.event_ids(), "the marker event")
        self.assertNotIn("chirp:" + forged["id"], self.event_ids())
        self.assertNotIn("chirp:" + wrong_key["id"], self.event_ids())

    def test_unsigned_or_malformed_signature_is_refused(self):
        item = self.new_item("unsigned")
        self.assertEqual(self.post_hook(item, None)[0], 401)
        self.assertEqual(self.post_hook(item, "sha1=abc")[0], 401)
        self.assertEqual(self.post_hook(item, "sha256=zz")[0], 401)

    def test_webhook_accepts_post_only(self):
        self.assertEqual(http("GET", self.base + "/hooks/chirp_acme")[0], 405)

    def test_reply_action_reaches_chirp_exactly_once(self):
        item = self.new_item("Waar blijft mijn terugbetaling?")
        action = json.dumps({"schema": "parley.action.v1", "idempotency_key": "e2e-reply-1",
                             "type": "reply_public", "connector": "chirp_acme",
                             "target": "chirp:" + item["id"],
                             "text": "Sorry! We sturen je een DM."})
        status, body = http("POST", self.base + "/v1/actions", action,
                            {"Content-Type": "application/json"})
        self.assertEqual(status, 200, body)
        result = json.loads(body)
        with self.world.lock:
            sent = [s for s in self.world.sent if s["in_reply_to"] == item["id"]]
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["text"], "Sorry! We sturen je een DM.")
        self.assertEqual(result.get("platform_id"), sent[0]["id"])
        # the same idempotency key again: the core answers, chirp is not called
        status, _ = http("POST", self.base + "/v1/actions", action,
                         {"Content-Type": "application/json"})
        self.assertIn(status, (200, 409))
        with self.world.lock:
            self.assertEqual(len([s for s in self.world.sent
                                  if s["in_reply_to"] == item["id"]]), 1)

    def test_reply_to_a_foreign_event_is_refused_by_the_connector(self):
        action = json.dumps({"schema": "parley.action.v1", "idempotency_key": "e2e-foreign",
                             "type": "reply_public", "connector": "chirp_acme",
                             "target": "twitter:123", "text": "hi"})
        status, body = http("POST", self.base + "/v1/actions", action,
                            {"Content-Type": "application/json"})
        self.assertEqual(status, 502, body)
        self.assertIn("chirp: event id", json.loads(body).get("message", ""))


if __name__ == "__main__":
    if not SERVER_PY:
        sys.exit(__doc__)
    unittest.main(argv=[sys.argv[0], "-v"])
