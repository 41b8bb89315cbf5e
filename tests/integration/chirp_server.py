#!/usr/bin/env python3
"""A fake "chirp" platform (the fictional network of sdk/template/) for tests.

    chirp_server.py [--port N] [--port-file F] [--seed-items N] [--token T]
                    [--run -- COMMAND ARGS...]

Serves on 127.0.0.1 (port 0 = any free port):

  GET  /chirp/v1/mentions?since_id=X   mentions newer than X, newest first:
       {"data":[{id,text,author:{id,handle,followers},created_at,
                 conversation_id,lang}], "meta":{"newest_id","result_count"}}
  POST /chirp/v1/replies  {"in_reply_to","text","idempotency_key"}
       -> 201 {"data":{"id"}}; the same idempotency_key returns the first reply

Both need "Authorization: Bearer <token>"; a wrong token is answered 401,
an expired one 401 with code "token_expired" (chirp's own error body:
{"error":{"code","message"}}). Rate limit: 429 with Retry-After.

The control API follows parley-sim's (docs/simulator.md), for the platform
"chirp", so the conformance kit's fault rows work against it:

  GET    /_sim/health
  POST   /_sim/items      {"platform":"chirp","text",...} -> 201 item
  GET    /_sim/items
  GET    /_sim/sent       replies received
  POST   /_sim/faults     {"platform","path","fault","count"|"always","status","delay_ms"}
  GET    /_sim/faults     DELETE /_sim/faults
  POST   /_sim/tokens/expire
  POST   /_sim/webhook-target {"platform","url"}: every new item is then also
         POSTed there as {"data":[item]} with
         X-Chirp-Signature: sha256=hex(HMAC-SHA256(token, body))
  GET    /_sim/webhooks   the delivery log

With --run, the server starts, substitutes {url} in COMMAND's arguments,
sets CHIRP_URL in its environment, runs it and exits with its status.
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PLATFORM = "chirp"
FAULTS = ("status429", "status5xx", "slow", "timeout", "truncated", "invalid_utf8",
          "duplicate", "out_of_order", "expire_token", "oversized")
TIMEOUT_HOLD_S = 15
OVERSIZED_BYTES = 21 * 1024 * 1024

CUSTOMERS = [
    ("501", "anna_k", 120, "de", "Hallo @acme_support, meine Bestellung ist nicht angekommen."),
    ("502", "joost", 4300, "nl", "@acme_support mijn pakket is beschadigd, wat nu?"),
    ("503", "sam_r", 56000, "en", "Great service from @acme_support today, thanks!"),
    ("504", "lena", 15, "de", "Warum dauert die Rückerstattung so lange? @acme_support"),
    ("505", "pieter", 890, "nl", "Top geholpen door acme, dank jullie wel!"),
    ("506", "maya", 2100, "en", "@acme_support my order #4411 arrived broken :("),
]


def now_rfc3339():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class World:
    """Items, tokens, faults and the sent record, behind one lock."""

    def __init__(self, token, seed_items):
        self.lock = threading.Lock()
        self.token = token
        self.expired = False
        self.next_id = 1000000
        self.items = []
        self.sent = []
        self.replies_by_key = {}
        self.faults = []
        self.webhook_url = None
        self.webhook_log = []
        for i in range(seed_items):
            self.add_item({"text": None, "seed": i})

    def new_id(self):
        self.next_id += 1
        return str(self.next_id)

    def add_item(self, spec):
        uid, handle, followers, lang, text = CUSTOMERS[int(spec.get("seed", len(self.items)))
                                                       % len(CUSTOMERS)]
        item_id = self.new_id()
        item = {
            "id": item_id,
            "text": spec.get("text") or text,
            "author": {"id": spec.get("author_id", uid), "handle": spec.get("handle", handle),
                       "followers": spec.get("followers", followers)},
            "created_at": now_rfc3339(),
            "conversation_id": spec.get("conversation_id", item_id),
            "lang": spec.get("lang", lang),
        }
        self.items.append(item)
        return item

    def take_fault(self, path):
        for rule in self.faults:
            if path.startswith(rule["path"]):
                rule["applied"] += 1
                if not rule["always"]:
                    rule["remaining"] -= 1
                    if rule["remaining"] == 0:
                        self.faults.remove(rule)
                return dict(rule)
        return None


class Handler(BaseHTTPRequestHandler):
    server_version = "chirp-fake/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet unless asked
        if self.server.verbose:
            sys.stderr.write("chirp_server: " + fmt % args + "\n")

    # -- answering --------------------------------------------------------
    def answer(self, status, body=None, headers=None, raw=None):
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message, headers=None):
        self.answer(status, {"error": {"code": code, "message": message}}, headers)

    def read_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    @property
    def world(self):
        return self.server.world

    # -- routing ----------------------------------------------------------
    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        url = urlparse(self.path)
        if url.path.startswith("/_sim/"):
            return self.control(method, url)
        if url.path.startswith("/chirp/"):
            return self.platform(method, url)
        self.error(404, "not_found", "no such path")

    # -- the platform -----------------------------------------------------
    def authorized(self):
        auth = self.headers.get("Authorization", "")
        w = self.world
        if auth != "Bearer " + w.token:
            self.error(401, "invalid_token", "missing or unknown token")
            return False
        if w.expired:
            self.error(401, "token_expired", "the token has expired")
            return False
        return True

    def platform(self, method, url):
        sub = url.path[len("/chirp"):]
        with self.world.lock:
            fault = self.world.take_fault(sub)
        if fault and not self.request_fault(fault):
            return
        if not self.authorized():
            return
        if method == "GET" and sub == "/v1/mentions":
            return self.mentions(url, fault)
        if method == "POST" and sub == "/v1/replies":
            return self.reply()
        self.error(404, "not_found", "no such endpoint")

    def request_fault(self, fault):
        """Apply request-level faults; False when the request is answered."""
        kind = fault["fault"]
        if kind == "status429":
            self.error(429, "rate_limited", "too many requests",
                       {"Retry-After": "1", "X-Rate-Limit-Remaining": "0"})
            return False
        if kind == "status5xx":
            self.error(fault.get("status") or 503, "unavailable", "try again later")
            return False
        if kind == "slow":
            time.sleep((fault.get("delay_ms") or 2000) / 1000.0)
        elif kind == "timeout":
            time.sleep(TIMEOUT_HOLD_S)
            self.close_connection = True
            return False
        elif kind == "expire_token":
            with self.world.lock:
                self.world.expired = True
        elif kind == "oversized":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(OVERSIZED_BYTES))
            self.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(OVERSIZED_BYTES // len(chunk)):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return False
        return True

    def mentions(self, url, fault):
        since = parse_qs(url.query).get("since_id", [""])[0]
        if since and not since.isdigit():
            return self.error(400, "invalid_request", "since_id must be a decimal id")
        with self.world.lock:
            page = [dict(i) for i in self.world.items if not since or int(i["id"]) > int(since)]
        page.sort(key=lambda i: int(i["id"]), reverse=True)
        meta = {"result_count": len(page)}
        if page:
            meta["newest_id"] = page[0]["id"]
        kind = fault["fault"] if fault else None
        if kind == "duplicate" and page:
            page.insert(1, dict(page[0]))
        if kind == "out_of_order":
            random.shuffle(page)
        raw = json.dumps({"data": page, "meta": meta}).encode()
        if kind == "truncated":
            raw = raw[: len(raw) // 2]
        if kind == "invalid_utf8":
            raw = raw.replace(b'"data"', b'"d\xff\xfeata"', 1)
        self.answer(200, raw=raw)

    def reply(self):
        body = self.read_json()
        if not isinstance(body, dict) or not body.get("in_reply_to") or "text" not in body:
            return self.error(400, "invalid_request", "in_reply_to and text are required")
        key = body.get("idempotency_key")
        with self.world.lock:
            w = self.world
            if key and key in w.replies_by_key:
                return self.answer(200, {"data": {"id": w.replies_by_key[key]}})
            rid = w.new_id()
            if key:
                w.replies_by_key[key] = rid
            w.sent.append({"action": "reply", "id": rid, "in_reply_to": body["in_reply_to"],
                           "text": body["text"], "platform": PLATFORM,
                           "recorded_ms": int(time.time() * 1000)})
        self.answer(201, {"data": {"id": rid}})

    # -- the control API --------------------------------------------------
    def control(self, method, url):
        w = self.world
        path = url.path
        if method == "GET" and path == "/_sim/health":
            with w.lock:
                return self.answer(200, {"ok": True, "platforms": [PLATFORM],
                                         "items": len(w.items)})
        if method == "GET" and path == "/_sim/items":
            with w.lock:
                return self.answer(200, {"items": list(reversed(w.items))})
        if method == "GET" and path == "/_sim/sent":
            with w.lock:
                return self.answer(200, {"sent": list(w.sent)})
        if method == "GET" and path == "/_sim/faults":
            with w.lock:
                return self.answer(200, {"faults": list(w.faults)})
        if method == "DELETE" and path == "/_sim/faults":
            with w.lock:
                w.faults.clear()
            return self.answer(200, {"faults": []})
        if method == "GET" and path == "/_sim/webhooks":
            with w.lock:
                return self.answer(200, {"deliveries": list(w.webhook_log)})
        body = self.read_json() if method == "POST" else None
        if method == "POST" and body is None:
            return self.answer(400, {"error": "%s: body is not JSON" % path})
        if method == "POST" and path == "/_sim/items":
            if body.get("platform") != PLATFORM:
                return self.answer(400, {"error": "POST /_sim/items: platform must be 'chirp'"})
            with w.lock:
                item = w.add_item(body)
            self.deliver_webhook(item)
            return self.answer(201, item)
        if method == "POST" and path == "/_sim/faults":
            return self.add_fault(body)
        if method == "POST" and path == "/_sim/tokens/expire":
            with w.lock:
                w.expired = True
            return self.answer(200, {"platform": PLATFORM, "expired": True})
        if method == "POST" and path == "/_sim/webhook-target":
            with w.lock:
                w.webhook_url = body.get("url")
            return self.answer(200, {"platform": PLATFORM, "url": body.get("url")})
        self.answer(404, {"error": "no such control path (see docs/simulator.md)"})

    def add_fault(self, body):
        kind = body.get("fault")
        if kind not in FAULTS:
            return self.answer(400, {"error": "POST /_sim/faults: unknown fault '%s'" % kind})
        if body.get("platform") != PLATFORM:
            return self.answer(400, {"error": "fault: platform '%s' is not served"
                                              % body.get("platform")})
        count = body.get("count", 1)
        always = bool(body.get("always"))
        if not always and (not isinstance(count, int) or count < 1):
            return self.answer(400, {"error": "POST /_sim/faults: 'count' must be a positive "
                                              "integer (or always:true)"})
        rule = {"platform": PLATFORM, "path": body.get("path") or "", "fault": kind,
                "remaining": 0 if always else count, "always": always, "applied": 0}
        for k in ("status", "delay_ms"):
            if k in body:
                rule[k] = body[k]
        with self.world.lock:
            self.world.faults.append(rule)
            faults = list(self.world.faults)
        self.answer(201, {"faults": faults})

    def deliver_webhook(self, item):
        w = self.world
        if not w.webhook_url:
            return
        body = json.dumps({"data": [item]}).encode()
        sig = hmac.new(w.token.encode(), body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(w.webhook_url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Chirp-Signature": "sha256=" + sig})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                status = resp.status
        except urllib.error.HTTPError as e:
            status = e.code
        except OSError as e:
            status = str(e)
        with w.lock:
            w.webhook_log.append({"platform": PLATFORM, "url": w.webhook_url,
                                  "status": status, "item": item["id"]})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--seed-items", type=int, default=12)
    ap.add_argument("--token", default="chirp-test-token")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--run", action="store_true",
                    help="then -- COMMAND ARGS...: run it against the server, exit with its status")
    argv = sys.argv[1:]
    cmd = []
    if "--" in argv:
        cut = argv.index("--")
        argv, cmd = argv[:cut], argv[cut + 1:]
    args = ap.parse_args(argv)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.world = World(args.token, args.seed_items)
    server.verbose = args.verbose
    url = "http://127.0.0.1:%d" % server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.replace(tmp, args.port_file)
    if not args.run:
        sys.stderr.write("chirp_server: serving %s\n" % url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        return 0
    if not cmd:
        ap.error("--run needs -- COMMAND ARGS...")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ, CHIRP_URL=url)
    rc = subprocess.call([a.replace("{url}", url) for a in cmd], env=env)
    server.shutdown()
    return rc


if __name__ == "__main__":
    sys.exit(main())
