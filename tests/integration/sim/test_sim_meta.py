#!/usr/bin/env python3
"""parley-sim, Facebook and Instagram parts: the simulator behaves as
facebook.md and instagram.md say (Graph errors, tokens, appsecret_proof,
usage headers and throttling, fields=, cursor paging, replies, private
replies, hiding, DMs and the 24-hour window, signed webhooks after the
hub.challenge verification).

Each test starts its own parley-sim on 127.0.0.1:0 with the demo scenario.
Usage: test_sim_meta.py [PARLEY_SIM [SCENARIO]] [unittest args]
       (or PARLEY_SIM in the environment; the scenario defaults to
       sdk/sim/scenarios/demo.json). Standard library only.
The Sim and Receiver helpers are shared with test_sim_linkedin_tiktok.py.
"""
import hashlib
import hmac
import http.server
import json
import os
import queue
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.environ.get("PARLEY_SIM")
SCENARIO = os.path.join(HERE, "..", "..", "..", "sdk", "sim", "scenarios", "demo.json")

# Test values of the demo scenario (sdk/sim/scenarios/demo.json).
META_SECRET = "sim-meta-app-secret"
VERIFY_TOKEN = "sim-verify-token"
FB_TOKEN = "fb-page-token"
FB_PAGE = "104000000000001"
IG_TOKEN = "ig-page-token"
IG_USER = "17841400000000001"
GRAPH = "/v19.0"
WAIT_S = 20  # upper bound for an asynchronous delivery, never a measured time


class Sim:
    """One parley-sim process on 127.0.0.1:0."""

    def __init__(self, *extra, scenario=None):
        args = [SIM, "--listen", "127.0.0.1:0", "--scenario", scenario or SCENARIO,
                "--webhook-retry-ms", "50", *extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("parley-sim listening on 127.0.0.1:"):
            self.proc.kill()
            raise RuntimeError("parley-sim did not start: %r %s" % (line, self.proc.stderr.read()))
        self.port = int(line.rsplit(":", 1)[1])
        self.base = "http://127.0.0.1:%d" % self.port

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        if self.proc.returncode != 0 or "Sanitizer" in err or "runtime error:" in err:
            raise AssertionError("parley-sim did not stop cleanly (exit %s):\n%s"
                                 % (self.proc.returncode, err[-4000:]))

    def call(self, method, path, params=None, body=None, form=None, headers=None):
        """Returns (status, headers, raw body bytes)."""
        url = path if path.startswith("http") else self.base + path
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, method, path, **kw):
        status, headers, raw = self.call(method, path, **kw)
        return status, headers, json.loads(raw) if raw else None

    def add_item(self, **item):
        status, _, body = self.json("POST", "/_sim/items", body=item)
        assert status == 201, (status, body)
        return body

    def items(self, platform):
        return self.json("GET", "/_sim/items", params={"platform": platform})[2]["items"]

    def by_ref(self, platform, ref):
        return next(i for i in self.items(platform) if i.get("ref") == ref)

    def sent(self, platform):
        return self.json("GET", "/_sim/sent", params={"platform": platform})[2]["sent"]

    def deliveries(self, platform):
        return self.json("GET", "/_sim/webhooks", params={"platform": platform})[2]["deliveries"]

    def set_target(self, platform, url):
        status, _, body = self.json("POST", "/_sim/webhook-target",
                                    body={"platform": platform, "url": url})
        assert status == 200, (status, body)

    def wait_log(self, platform, pred):
        """The first delivery-log entry matching pred, polling up to WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for e in self.deliveries(platform):
                if pred(e):
                    return e
            time.sleep(0.05)
        raise AssertionError("no matching webhook log entry for %s" % platform)


class Receiver:
    """A webhook endpoint on 127.0.0.1:0 recording every request.
    answer_get(query dict) -> (status, body bytes) answers verification GETs;
    post_statuses are the statuses for successive POSTs (then 200)."""

    def __init__(self, answer_get=None, post_statuses=()):
        self.got = queue.Queue()
        statuses = list(post_statuses)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def record(self, body):
                u = urllib.parse.urlsplit(self.path)
                outer.got.put({"method": self.command, "path": u.path,
                               "query": dict(urllib.parse.parse_qsl(u.query)),
                               "headers": {k.lower(): v for k, v in self.headers.items()},
                               "body": body})

            def answer(self, status, body=b"", ctype="text/plain"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self.record(b"")
                q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                status, body = answer_get(q) if answer_get else (200, b"")
                ctype = "application/json" if body[:1] == b"{" else "text/plain"
                self.answer(status, body, ctype)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.record(body)
                self.answer(statuses.pop(0) if statuses else 200)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self, method="POST", match=lambda r: True):
        """The next recorded request of method that matches, within WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %s request reached the receiver" % method)
            try:
                r = self.got.get(timeout=left)
            except queue.Empty:
                continue
            if r["method"] == method and match(r):
                return r

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def meta_answer(q):
    """A correct Meta subscription endpoint: echo hub.challenge for our token."""
    if q.get("hub.mode") == "subscribe" and q.get("hub.verify_token") == VERIFY_TOKEN:
        return 200, q["hub.challenge"].encode()
    return 403, b""


def hub_signature(body, secret=META_SECRET):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class MetaCase(unittest.TestCase):
    def setUp(self):
        self.sim = Sim()
        self.rx = None

    def tearDown(self):
        if self.rx:
            self.rx.close()
        self.sim.stop()

    def fb(self, path, method="GET", token=FB_TOKEN, **kw):
        params = dict(kw.pop("params", {}) or {})
        if token:
            params["access_token"] = token
        return self.sim.json(method, "/facebook" + GRAPH + path, params=params, **kw)

    def ig(self, path, method="GET", token=IG_TOKEN, **kw):
        params = dict(kw.pop("params", {}) or {})
        if token:
            params["access_token"] = token
        return self.sim.json(method, "/instagram" + GRAPH + path, params=params, **kw)

    def subscribe(self, platform, answer=meta_answer, post_statuses=()):
        """A receiver registered as platform's target; returns the verification GET."""
        self.rx = Receiver(answer, post_statuses)
        self.sim.set_target(platform, self.rx.url)
        return self.rx.next("GET")

    def assert_graph_error(self, status, body, code, subcode=None):
        self.assertEqual(status, 400)
        err = body["error"]
        self.assertEqual(err["code"], code)
        self.assertEqual(err.get("error_subcode"), subcode)
        self.assertIsInstance(err["message"], str)
        self.assertIsInstance(err["type"], str)
        self.assertRegex(err["fbtrace_id"], r"^[A-Za-z0-9_-]{11}$")


def walk(case, first):
    """Follow paging.next from the first page; returns all data items."""
    status, _, page = first
    case.assertEqual(status, 200, page)
    seen = list(page["data"])
    while "next" in page["paging"]:
        status, _, page = case.sim.json("GET", page["paging"]["next"])
        case.assertEqual(status, 200, page)
        seen += page["data"]
    return seen


class FacebookReading(MetaCase):
    def add_comments(self, post_id, n):
        return [self.sim.add_item(platform="facebook", type="comment", parent_id=post_id,
                                  author="emily.chen", text="comment %d" % i)["id"]
                for i in range(n)]

    def test_comments_page_with_cursors_until_next_is_absent(self):
        post = self.sim.by_ref("facebook", "fb-post-1")["id"]
        self.add_comments(post, 5)
        everything = self.fb("/%s/comments" % post, params={"limit": 100})[2]["data"]
        seen = walk(self, self.fb("/%s/comments" % post, params={"limit": 2}))
        self.assertEqual([c["id"] for c in seen], [c["id"] for c in everything])
        self.assertGreaterEqual(len(seen), 7)
        times = [c["created_time"] for c in seen]
        self.assertEqual(times, sorted(times), "order=chronological is the default")
        self.assertRegex(times[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")

    def test_before_cursor_pages_back_and_a_forged_cursor_is_code_100(self):
        post = self.sim.by_ref("facebook", "fb-post-1")["id"]
        self.add_comments(post, 4)
        _, _, p1 = self.fb("/%s/comments" % post, params={"limit": 2})
        _, _, p2 = self.sim.json("GET", p1["paging"]["next"])
        _, _, back = self.fb("/%s/comments" % post,
                             params={"limit": 2, "before": p2["paging"]["cursors"]["before"]})
        self.assertEqual([c["id"] for c in back["data"]], [c["id"] for c in p1["data"]])
        status, _, body = self.fb("/%s/comments" % post, params={"after": "bm90LWFuLWlk"})
        self.assert_graph_error(status, body, 100)

    def test_filter_toplevel_hides_replies_and_stream_flattens_them(self):
        post = self.sim.by_ref("facebook", "fb-post-1")["id"]
        reply = self.sim.by_ref("facebook", "fb-c-3")
        _, _, top = self.fb("/%s/comments" % post, params={"fields": "id,parent"})
        _, _, stream = self.fb("/%s/comments" % post,
                               params={"filter": "stream", "fields": "id,parent",
                                       "summary": "true"})
        self.assertNotIn(reply["id"], [c["id"] for c in top["data"]])
        flat = {c["id"]: c for c in stream["data"]}
        self.assertEqual(flat[reply["id"]]["parent"]["id"], reply["parent_id"])
        self.assertEqual(stream["summary"]["total_count"], len(stream["data"]))

    def test_fields_selects_nested_subfields_and_edges(self):
        status, _, feed = self.fb("/%s/feed" % FB_PAGE, params={
            "fields": "id,from{name},comments.limit(1).summary(true){message}"})
        self.assertEqual(status, 200)
        post = feed["data"][0]
        self.assertEqual(set(post), {"id", "from", "comments"})
        self.assertEqual(post["from"], {"name": "Acme"})
        self.assertEqual(len(post["comments"]["data"]), 1)
        self.assertEqual(set(post["comments"]["data"][0]), {"message"})
        self.assertGreater(post["comments"]["summary"]["total_count"], 1)

    def test_since_and_until_bound_the_creation_time(self):
        post = self.sim.by_ref("facebook", "fb-post-1")["id"]
        old = self.sim.by_ref("facebook", "fb-c-1")
        since = old["created_ms"] // 1000 + 1
        new = self.add_comments(post, 1)[0]
        _, _, after = self.fb("/%s/comments" % post, params={"since": since})
        ids = [c["id"] for c in after["data"]]
        self.assertIn(new, ids)
        self.assertNotIn(old["id"], ids)
        _, _, before = self.fb("/%s/comments" % post, params={"until": since - 1})
        self.assertEqual([c["id"] for c in before["data"]], [old["id"]])
        status, _, body = self.fb("/%s/comments" % post, params={"since": "yesterday"})
        self.assert_graph_error(status, body, 100)

    def test_malformed_fields_is_a_syntax_error_not_a_crash(self):
        status, _, body = self.fb("/%s/feed" % FB_PAGE, params={"fields": "id,from{name"})
        self.assert_graph_error(status, body, 100)
        self.assertIn("Syntax error", body["error"]["message"])

    def test_unknown_node_is_code_100_subcode_33(self):
        status, _, body = self.fb("/999999999/comments")
        self.assert_graph_error(status, body, 100, 33)


class MetaAuth(MetaCase):
    def test_unknown_token_is_code_190(self):
        status, headers, body = self.fb("/%s/feed" % FB_PAGE, token="not-a-token")
        self.assert_graph_error(status, body, 190)
        self.assertEqual(body["error"]["type"], "OAuthException")
        self.assertIn("invalid_token", headers["WWW-Authenticate"])

    def test_missing_token_is_code_104(self):
        status, _, body = self.fb("/%s/feed" % FB_PAGE, token=None)
        self.assert_graph_error(status, body, 104)

    def test_bearer_header_is_accepted_like_access_token(self):
        status, _, _ = self.sim.json("GET", "/facebook%s/%s/feed" % (GRAPH, FB_PAGE),
                                     headers={"Authorization": "Bearer " + FB_TOKEN})
        self.assertEqual(status, 200)

    def test_expired_token_is_code_190_subcode_463_on_both_platforms(self):
        for platform, call in (("facebook", lambda: self.fb("/%s/feed" % FB_PAGE)),
                               ("instagram", lambda: self.ig("/%s/media" % IG_USER))):
            self.assertEqual(call()[0], 200)
            self.sim.json("POST", "/_sim/tokens/expire", body={"platform": platform})
            status, _, body = call()
            self.assert_graph_error(status, body, 190, 463)
            self.assertIn("Session has expired", body["error"]["message"])

    def test_appsecret_proof_is_checked_when_sent(self):
        good = hmac.new(META_SECRET.encode(), FB_TOKEN.encode(), hashlib.sha256).hexdigest()
        status, _, _ = self.fb("/%s/feed" % FB_PAGE, params={"appsecret_proof": good})
        self.assertEqual(status, 200)
        status, _, body = self.fb("/%s/feed" % FB_PAGE, params={"appsecret_proof": "0" * 64})
        self.assert_graph_error(status, body, 100)
        self.assertEqual(body["error"]["type"], "GraphMethodException")
        self.assertIn("appsecret_proof", body["error"]["message"])


class MetaThrottling(MetaCase):
    def usage(self, headers, obj):
        app = json.loads(headers["X-App-Usage"])
        buc = json.loads(headers["X-Business-Use-Case-Usage"])[obj][0]
        return app, buc

    def run_until_throttled(self, call, obj, buc_type):
        counts = []
        for _ in range(1000):
            status, headers, body = call()
            app, buc = self.usage(headers, obj)
            self.assertEqual(buc["type"], buc_type)
            if status != 200:
                return counts, status, body, buc
            counts.append(app["call_count"])
        self.fail("never throttled")

    def test_usage_grows_with_calls_until_the_page_throttling_error(self):
        counts, status, body, buc = self.run_until_throttled(
            lambda: self.fb("/%s/feed" % FB_PAGE), FB_PAGE, "pages")
        self.assertEqual(counts, sorted(counts))
        self.assertGreater(counts[-1], counts[0])
        self.assertGreaterEqual(counts[-1], 99)
        self.assert_graph_error(status, body, 32)
        self.assertTrue(body["error"]["is_transient"])
        self.assertEqual(buc["call_count"], 100)
        self.assertGreater(buc["estimated_time_to_regain_access"], 0)

    def test_instagram_throttles_with_code_80002(self):
        _, status, body, buc = self.run_until_throttled(
            lambda: self.ig("/%s/media" % IG_USER), IG_USER, "instagram")
        self.assert_graph_error(status, body, 80002)
        self.assertGreater(buc["estimated_time_to_regain_access"], 0)

    def test_injected_429_fault_carries_the_graph_throttling_body(self):
        self.sim.json("POST", "/_sim/faults", body={"platform": "facebook", "fault": "status429"})
        status, headers, body = self.fb("/%s/feed" % FB_PAGE)
        self.assertEqual(status, 429)
        self.assertEqual(body["error"]["code"], 32)
        self.assertEqual(json.loads(headers["X-App-Usage"])["call_count"], 100)


class FacebookActions(MetaCase):
    def test_reply_is_recorded_and_visible_in_the_next_poll(self):
        comment = self.sim.by_ref("facebook", "fb-c-1")
        status, _, body = self.fb("/%s/comments" % comment["id"], "POST",
                                  form={"message": "Ja, wir liefern nach Deutschland."})
        self.assertEqual(status, 200)
        sent = self.sim.sent("facebook")
        self.assertEqual([(s["action"], s["in_reply_to"], s["id"]) for s in sent],
                         [("reply", comment["id"], body["id"])])
        _, _, replies = self.fb("/%s/comments" % comment["id"], params={"fields": "id,from,message"})
        mine = [c for c in replies["data"] if c["id"] == body["id"]]
        self.assertEqual(mine[0]["from"]["id"], FB_PAGE)
        self.assertEqual(mine[0]["message"], "Ja, wir liefern nach Deutschland.")

    def test_reply_without_message_is_code_100(self):
        comment = self.sim.by_ref("facebook", "fb-c-1")
        status, _, body = self.fb("/%s/comments" % comment["id"], "POST", form={})
        self.assert_graph_error(status, body, 100)
        self.assertEqual(self.sim.sent("facebook"), [])

    def test_hide_marks_the_comment_hidden_and_records_it(self):
        comment = self.sim.by_ref("facebook", "fb-c-2")
        status, _, body = self.fb("/" + comment["id"], "POST", params={"is_hidden": "true"})
        self.assertEqual((status, body), (200, {"success": True}))
        _, _, node = self.fb("/" + comment["id"], params={"fields": "id,is_hidden"})
        self.assertTrue(node["is_hidden"])
        self.assertEqual(self.sim.sent("facebook")[0]["action"], "hide")

    def test_the_pages_own_comment_cannot_be_hidden(self):
        own = self.sim.by_ref("facebook", "fb-c-3")
        status, _, body = self.fb("/" + own["id"], "POST", params={"is_hidden": "true"})
        self.assert_graph_error(status, body, 100)

    def test_private_reply_goes_to_the_commenter_once(self):
        comment = self.sim.by_ref("facebook", "fb-c-1")
        msg = {"recipient": {"comment_id": comment["id"]}, "message": {"text": "Hallo Jana!"}}
        status, _, body = self.fb("/%s/messages" % FB_PAGE, "POST", body=msg)
        self.assertEqual(status, 200)
        self.assertEqual(body["recipient_id"], comment["author_id"])
        status, _, again = self.fb("/%s/messages" % FB_PAGE, "POST", body=msg)
        self.assert_graph_error(status, again, 10900)
        self.assertEqual([s["action"] for s in self.sim.sent("facebook")], ["private_reply"])
        thread = "t_%s_%s" % (FB_PAGE, comment["author_id"])
        _, _, msgs = self.fb("/%s/messages" % thread, params={"fields": "id,message,from"})
        self.assertEqual(msgs["data"][0]["id"], body["message_id"])
        _, _, node = self.fb("/" + comment["id"], params={"fields": "can_reply_privately"})
        self.assertFalse(node["can_reply_privately"])

    def test_dm_inside_the_window_is_sent_and_listed_in_the_conversation(self):
        dm = self.sim.by_ref("facebook", "fb-dm-1")
        status, _, body = self.fb("/me/messages", "POST", body={
            "recipient": {"id": dm["author_id"]}, "messaging_type": "RESPONSE",
            "message": {"text": "Probeer HERFST-30, met streepje."}})
        self.assertEqual(status, 200)
        self.assertEqual(self.sim.sent("facebook")[0]["action"], "dm")
        _, _, convs = self.fb("/%s/conversations" % FB_PAGE, params={
            "platform": "messenger", "user_id": dm["author_id"],
            "fields": "id,participants,messages.limit(2){id,message,from}"})
        conv = convs["data"][0]
        self.assertEqual(conv["messages"]["data"][0]["id"], body["message_id"])
        self.assertEqual(conv["messages"]["data"][1]["message"], dm["text"])
        self.assertEqual({p["id"] for p in conv["participants"]["data"]},
                         {FB_PAGE, dm["author_id"]})

    def test_dm_outside_the_24_hour_window_is_code_10_subcode_2018278(self):
        old = int(time.time() * 1000) - 25 * 3600 * 1000
        self.sim.add_item(platform="facebook", type="message", author="emily.chen",
                          recipient="acme", text="Hello?", created_ms=old)
        status, _, body = self.fb("/%s/messages" % FB_PAGE, "POST", body={
            "recipient": {"id": "7100000000000003"}, "message": {"text": "Sorry for the wait"}})
        self.assert_graph_error(status, body, 10, 2018278)
        self.assertEqual(self.sim.sent("facebook"), [])

    def test_send_api_refuses_a_malformed_request_cleanly(self):
        status, _, body = self.fb("/%s/messages" % FB_PAGE, "POST", body={"message": {"text": "x"}})
        self.assert_graph_error(status, body, 100)
        status, _, body = self.fb("/%s/messages" % FB_PAGE, "POST",
                                  form={"recipient": "{not json", "message": "{}"})
        self.assert_graph_error(status, body, 100)


class FacebookWebhooks(MetaCase):
    def test_verification_get_carries_mode_token_and_a_challenge(self):
        get = self.subscribe("facebook")
        self.assertEqual(get["query"]["hub.mode"], "subscribe")
        self.assertEqual(get["query"]["hub.verify_token"], VERIFY_TOKEN)
        self.assertRegex(get["query"]["hub.challenge"], r"^\d+$")
        self.sim.wait_log("facebook", lambda e: e.get("kind") == "verify_result" and e["ok"])

    def test_comment_created_at_run_time_arrives_signed_in_the_feed_envelope(self):
        self.subscribe("facebook")
        post = self.sim.by_ref("facebook", "fb-post-1")["id"]
        item = self.sim.add_item(platform="facebook", type="comment", parent_id=post,
                                 author="jana.krueger", text="Wann kommt mein Paket? äöü /x")
        r = self.rx.next("POST")
        self.assertEqual(r["headers"]["x-hub-signature-256"], hub_signature(r["body"]))
        sha1 = "sha1=" + hmac.new(META_SECRET.encode(), r["body"], hashlib.sha1).hexdigest()
        self.assertEqual(r["headers"]["x-hub-signature"], sha1)
        self.assertNotIn("ä".encode(), r["body"], "non-ASCII is escaped as \\uXXXX")
        env = json.loads(r["body"])
        self.assertEqual(env["object"], "page")
        entry = env["entry"][0]
        self.assertEqual(entry["id"], FB_PAGE)
        change = entry["changes"][0]
        self.assertEqual(change["field"], "feed")
        v = change["value"]
        self.assertEqual((v["item"], v["verb"], v["comment_id"], v["post_id"], v["parent_id"]),
                         ("comment", "add", item["id"], post, post))
        self.assertEqual(v["message"], "Wann kommt mein Paket? äöü /x")
        self.assertEqual(v["created_time"], item["created_ms"] // 1000)

    def test_a_forged_signature_would_not_match(self):
        self.subscribe("facebook")
        self.sim.add_item(platform="facebook", type="mention", author="emily.chen",
                          text="Thanks @Acme")
        r = self.rx.next("POST")
        self.assertNotEqual(r["headers"]["x-hub-signature-256"],
                            hub_signature(r["body"], "another-secret"))
        change = json.loads(r["body"])["entry"][0]["changes"][0]
        self.assertEqual((change["field"], change["value"]["item"]), ("mention", "post"))

    def test_target_failing_the_challenge_gets_no_deliveries(self):
        self.subscribe("facebook", answer=lambda q: (200, b"wrong"))
        self.sim.wait_log("facebook", lambda e: e.get("kind") == "verify_result")
        self.sim.add_item(platform="facebook", type="comment",
                          parent_id=self.sim.by_ref("facebook", "fb-post-1")["id"],
                          author="emily.chen", text="hello?")
        skipped = self.sim.wait_log("facebook", lambda e: e.get("skipped"))
        self.assertFalse(skipped["ok"])
        self.assertFalse(any(e.get("kind") == "delivery" and e.get("status") for e in
                             self.sim.deliveries("facebook")))

    def test_failed_delivery_is_retried_with_the_same_signed_body(self):
        self.subscribe("facebook", post_statuses=(500,))
        self.sim.add_item(platform="facebook", type="comment",
                          parent_id=self.sim.by_ref("facebook", "fb-post-1")["id"],
                          author="emily.chen", text="retry me")
        first, second = self.rx.next("POST"), self.rx.next("POST")
        self.assertEqual(first["body"], second["body"])
        self.assertEqual(second["headers"]["x-hub-signature-256"], hub_signature(second["body"]))

    def test_inbound_dm_and_the_pages_echo_use_the_messaging_list(self):
        self.subscribe("facebook")
        dm = self.sim.add_item(platform="facebook", type="message", author="jana.krueger",
                               recipient="acme", text="Ist mein Paket unterwegs?")
        inbound = json.loads(self.rx.next("POST")["body"])["entry"][0]
        ev = inbound["messaging"][0]
        self.assertEqual((ev["sender"]["id"], ev["recipient"]["id"]), (dm["author_id"], FB_PAGE))
        self.assertEqual(ev["message"], {"mid": dm["id"], "text": "Ist mein Paket unterwegs?"})
        self.assertEqual(ev["timestamp"], dm["created_ms"])
        self.assertGreater(inbound["time"], 10 ** 12, "messaging entries carry ms")
        _, _, sent = self.fb("/%s/messages" % FB_PAGE, "POST", body={
            "recipient": {"id": dm["author_id"]}, "message": {"text": "Ja!"}})
        echo = json.loads(self.rx.next("POST")["body"])["entry"][0]["messaging"][0]
        self.assertTrue(echo["message"]["is_echo"])
        self.assertEqual(echo["message"]["mid"], sent["message_id"])
        self.assertEqual(echo["sender"]["id"], FB_PAGE)

    def test_postback_and_message_reaction_are_delivered(self):
        self.subscribe("facebook")
        dm = self.sim.by_ref("facebook", "fb-dm-1")
        self.sim.add_item(platform="facebook", type="postback", author="pieter.devries",
                          recipient="acme", text="Track order", payload="TRACK_ORDER")
        pb = json.loads(self.rx.next("POST")["body"])["entry"][0]["messaging"][0]
        self.assertEqual(pb["postback"]["payload"], "TRACK_ORDER")
        self.sim.add_item(platform="facebook", type="reaction", author="pieter.devries",
                          recipient="acme", parent_id=dm["id"], reaction="love")
        re = json.loads(self.rx.next("POST")["body"])["entry"][0]["messaging"][0]
        self.assertEqual((re["reaction"]["mid"], re["reaction"]["reaction"]), (dm["id"], "love"))

    def test_edit_and_delete_are_reported_with_their_verbs(self):
        self.subscribe("facebook")
        comment = self.sim.by_ref("facebook", "fb-c-2")
        self.sim.add_item(platform="facebook", type="edit", parent_id=comment["id"],
                          author="pieter.devries", text="Laat maar, werkt al")
        edited = json.loads(self.rx.next("POST")["body"])["entry"][0]["changes"][0]["value"]
        self.assertEqual((edited["verb"], edited["message"]), ("edited", "Laat maar, werkt al"))
        self.sim.add_item(platform="facebook", type="delete", parent_id=comment["id"],
                          author="pieter.devries")
        removed = json.loads(self.rx.next("POST")["body"])["entry"][0]["changes"][0]["value"]
        self.assertEqual((removed["verb"], removed["comment_id"]), ("remove", comment["id"]))
        self.assertNotIn("message", removed)
        status, _, _ = self.fb("/" + comment["id"])
        self.assertEqual(status, 400, "a removed comment is gone")


class TwoPages(unittest.TestCase):
    """One Meta app, two Pages: one webhook URL, told apart by entry.id."""
    PAGE2 = "104000000000002"

    def setUp(self):
        import tempfile
        with open(SCENARIO, encoding="utf-8") as f:
            scenario = json.load(f)
        scenario["platforms"]["facebook"]["pages"] = [
            {"id": self.PAGE2, "handle": "acme.nl", "name": "Acme Nederland"}]
        scenario["items"].append({"platform": "facebook", "type": "post", "ref": "nl-post",
                                  "author_id": self.PAGE2, "account_id": self.PAGE2,
                                  "at": -100, "text": "Nieuw in Nederland!"})
        fd, self.path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(scenario, f)
        self.sim = Sim(scenario=self.path)
        self.rx = Receiver(meta_answer)

    def tearDown(self):
        self.rx.close()
        self.sim.stop()
        os.unlink(self.path)

    def test_each_page_has_its_own_feed_and_webhook_entries(self):
        q = {"access_token": FB_TOKEN}
        _, _, feed2 = self.sim.json("GET", "/facebook/v19.0/%s/feed" % self.PAGE2, params=q)
        _, _, feed1 = self.sim.json("GET", "/facebook/v19.0/%s/feed" % FB_PAGE, params=q)
        nl_post = self.sim.by_ref("facebook", "nl-post")["id"]
        self.assertEqual([p["id"] for p in feed2["data"]], [nl_post])
        self.assertNotIn(nl_post, [p["id"] for p in feed1["data"]])
        self.sim.set_target("facebook", self.rx.url)
        self.sim.add_item(platform="facebook", type="comment", parent_id=nl_post,
                          account_id=self.PAGE2, author="pieter.devries", text="Eindelijk!")
        self.sim.add_item(platform="facebook", type="comment",
                          parent_id=self.sim.by_ref("facebook", "fb-post-1")["id"],
                          author="emily.chen", text="And in the UK?")
        entries = [json.loads(self.rx.next("POST")["body"])["entry"][0]["id"] for _ in range(2)]
        self.assertEqual(sorted(entries), sorted([self.PAGE2, FB_PAGE]))


class Instagram(MetaCase):
    def test_media_lists_with_comments_newest_first_and_replies_edge(self):
        media = self.sim.by_ref("instagram", "ig-media-1")
        status, _, body = self.ig("/%s/media" % IG_USER, params={
            "fields": "id,caption,media_type,timestamp,comments_count,"
                      "comments{id,text,username,from{id,username},replies{id}}"})
        self.assertEqual(status, 200)
        m = body["data"][0]
        self.assertEqual((m["id"], m["caption"], m["media_type"]), (media["id"], media["text"], "IMAGE"))
        self.assertRegex(m["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")
        comments = m["comments"]["data"]
        self.assertEqual(m["comments_count"], len(comments))
        self.assertEqual(comments[0]["id"], self.sim.by_ref("instagram", "ig-c-2")["id"])
        self.assertEqual(comments[0]["from"]["username"], "markus.k")

    def test_comment_paging_walks_everything_once(self):
        media = self.sim.by_ref("instagram", "ig-media-1")["id"]
        for i in range(5):
            self.sim.add_item(platform="instagram", type="comment", parent_id=media,
                              author="sam.okafor", text="🔥 %d" % i)
        everything = self.ig("/%s/comments" % media, params={"limit": 100})[2]["data"]
        seen = walk(self, self.ig("/%s/comments" % media, params={"limit": 3}))
        self.assertEqual(seen, everything)
        self.assertEqual(len(seen), 7)

    def test_reply_is_recorded_visible_and_one_level_only(self):
        comment = self.sim.by_ref("instagram", "ig-c-1")["id"]
        status, _, body = self.ig("/%s/replies" % comment, "POST",
                                  params={"message": "@lotte.bakes binnenkort!"})
        self.assertEqual(status, 200)
        _, _, replies = self.ig("/%s/replies" % comment, params={"fields": "id,text,parent_id"})
        self.assertEqual(replies["data"][-1], {"id": body["id"], "text": "@lotte.bakes binnenkort!",
                                               "parent_id": comment})
        status, _, err = self.ig("/%s/replies" % body["id"], "POST", params={"message": "x"})
        self.assert_graph_error(status, err, 100)
        self.assertEqual([(s["action"], s["in_reply_to"]) for s in self.sim.sent("instagram")],
                         [("reply", comment)])

    def test_hide_true_hides_and_is_recorded(self):
        comment = self.sim.by_ref("instagram", "ig-c-2")["id"]
        status, _, body = self.ig("/" + comment, "POST", params={"hide": "true"})
        self.assertEqual((status, body), (200, {"success": True}))
        _, _, node = self.ig("/" + comment, params={"fields": "hidden"})
        self.assertTrue(node["hidden"])
        self.assertEqual(self.sim.sent("instagram")[0]["action"], "hide")

    def test_dm_in_window_private_reply_and_conversation_participants(self):
        dm = self.sim.by_ref("instagram", "ig-dm-1")
        status, _, sent = self.ig("/%s/messages" % IG_USER, "POST", body={
            "recipient": {"id": dm["author_id"]}, "message": {"text": "Ja, ook naar België!"}})
        self.assertEqual(status, 200)
        comment = self.sim.by_ref("instagram", "ig-c-2")
        status, _, pr = self.ig("/me/messages", "POST", body={
            "recipient": {"comment_id": comment["id"]}, "message": {"text": "Das tut uns leid!"}})
        self.assertEqual((status, pr["recipient_id"]), (200, comment["author_id"]))
        self.assertEqual([s["action"] for s in self.sim.sent("instagram")], ["dm", "private_reply"])
        _, _, convs = self.ig("/%s/conversations" % IG_USER, params={
            "platform": "instagram", "user_id": dm["author_id"],
            "fields": "participants,messages{id,message}"})
        conv = convs["data"][0]
        self.assertIn({"id": dm["author_id"], "username": "lotte.bakes"},
                      conv["participants"]["data"])
        self.assertEqual(conv["messages"]["data"][0]["id"], sent["message_id"])

    def test_dm_without_an_open_window_is_code_10(self):
        status, _, body = self.ig("/%s/messages" % IG_USER, "POST", body={
            "recipient": {"id": "17841400000000102"}, "message": {"text": "Hi Sam"}})
        self.assert_graph_error(status, body, 10, 2534022)

    def test_mentioned_media_is_resolved_by_field_expansion(self):
        mention = self.sim.by_ref("instagram", "ig-m-1")
        field = "mentioned_media.media_id(%s){id,caption,username}" % mention["id"]
        status, _, body = self.ig("/" + IG_USER, params={"fields": field})
        self.assertEqual(status, 200)
        self.assertEqual(body["mentioned_media"], {"id": mention["id"], "caption": mention["text"],
                                                   "username": "sam.okafor"})
        status, _, err = self.ig("/" + IG_USER, params={
            "fields": "mentioned_media.media_id(123){id}"})
        self.assert_graph_error(status, err, 100)

    def test_webhooks_for_comment_reply_and_mention_are_signed(self):
        get = self.subscribe("instagram")
        self.assertEqual(get["query"]["hub.verify_token"], VERIFY_TOKEN)
        media = self.sim.by_ref("instagram", "ig-media-1")["id"]
        parent = self.sim.by_ref("instagram", "ig-c-1")["id"]
        reply = self.sim.add_item(platform="instagram", type="comment", parent_id=parent,
                                  author="markus.k", text="Ich auch!")
        r = self.rx.next("POST")
        self.assertEqual(r["headers"]["x-hub-signature-256"], hub_signature(r["body"]))
        env = json.loads(r["body"])
        self.assertEqual((env["object"], env["entry"][0]["id"]), ("instagram", IG_USER))
        change = env["entry"][0]["changes"][0]
        self.assertEqual(change["field"], "comments")
        self.assertEqual(change["value"]["id"], reply["id"])
        self.assertEqual(change["value"]["parent_id"], parent)
        self.assertEqual(change["value"]["media"]["id"], media)
        self.assertEqual(change["value"]["from"]["username"], "markus.k")
        mention = self.sim.add_item(platform="instagram", type="mention", author="sam.okafor",
                                    text="Look @acme.store")
        m = json.loads(self.rx.next("POST")["body"])["entry"][0]["changes"][0]
        self.assertEqual(m, {"field": "mentions", "value": {"media_id": mention["id"]}})

    def test_inbound_dm_webhook_uses_messaging(self):
        self.subscribe("instagram")
        dm = self.sim.add_item(platform="instagram", type="message", author="markus.k",
                               recipient="acme.store", text="Wo ist meine Bestellung?")
        ev = json.loads(self.rx.next("POST")["body"])["entry"][0]["messaging"][0]
        self.assertEqual((ev["sender"]["id"], ev["recipient"]["id"]), (dm["author_id"], IG_USER))
        self.assertEqual(ev["message"]["mid"], dm["id"])


class TwoInstagramAccounts(MetaCase):
    """One Meta app, two IG accounts (demo: acme.store and acme.store.nl,
    the latter linked to Page 104000000000002): each has its own media,
    comments and mentions; webhooks are told apart by entry.id."""
    IG2 = "17841400000000002"
    IG2_PAGE = "104000000000002"

    def test_each_account_lists_only_its_own_media(self):
        nl = self.sim.by_ref("instagram", "ig-nl-media-1")["id"]
        _, _, own = self.ig("/%s/media" % self.IG2, params={"fields": "id,username,comments_count"})
        self.assertEqual(own["data"], [{"id": nl, "username": "acme.store.nl", "comments_count": 1}])
        _, _, first = self.ig("/%s/media" % IG_USER, params={"fields": "id"})
        self.assertNotIn(nl, [m["id"] for m in first["data"]])

    def test_mentions_resolve_only_on_the_mentioned_account(self):
        nl = self.sim.by_ref("instagram", "ig-nl-m-1")
        field = "mentioned_media.media_id(%s){id,caption,username,permalink}" % nl["id"]
        status, _, body = self.ig("/" + self.IG2, params={"fields": field})
        self.assertEqual(status, 200)
        self.assertEqual(body["mentioned_media"]["caption"], nl["text"])
        self.assertEqual(body["mentioned_media"]["username"], "lotte.bakes")
        status, _, err = self.ig("/" + IG_USER, params={"fields": field})
        self.assert_graph_error(status, err, 100)

    def test_mentioned_comment_names_its_media_with_permalink_and_owner(self):
        other = self.sim.by_ref("instagram", "ig-m-1")
        c = self.sim.add_item(platform="instagram", type="mention", parent_id=other["id"],
                              author="markus.k", text="@acme.store ich auch!")
        field = ("mentioned_comment.comment_id(%s){id,text,timestamp,username,"
                 "media{id,permalink,username}}" % c["id"])
        status, _, body = self.ig("/" + IG_USER, params={"fields": field})
        self.assertEqual(status, 200)
        mc = body["mentioned_comment"]
        self.assertEqual((mc["id"], mc["text"], mc["username"]),
                         (c["id"], "@acme.store ich auch!", "markus.k"))
        self.assertEqual(mc["media"], {"id": other["id"], "username": "sam.okafor",
                                       "permalink": "https://www.instagram.com/p/%s/" % other["id"]})
        status, _, err = self.ig("/" + self.IG2, params={"fields": field})
        self.assert_graph_error(status, err, 100)

    def test_the_linked_page_id_acts_for_its_account(self):
        status, _, node = self.ig("/" + self.IG2_PAGE, params={"fields": "id,username"})
        self.assertEqual((status, node), (200, {"id": self.IG2, "username": "acme.store.nl"}))

    def test_webhook_entries_carry_each_accounts_id(self):
        self.subscribe("instagram")
        nl = self.sim.by_ref("instagram", "ig-nl-media-1")["id"]
        c2 = self.sim.add_item(platform="instagram", type="comment", parent_id=nl,
                               account_id=self.IG2, author="markus.k", text="Und in Deutschland?")
        m1 = self.sim.add_item(platform="instagram", type="mention", author="sam.okafor",
                               text="@acme.store again")
        got = {}
        for _ in range(2):
            entry = json.loads(self.rx.next("POST")["body"])["entry"][0]
            got[entry["id"]] = entry["changes"][0]
        self.assertEqual(got[self.IG2]["value"]["id"], c2["id"])
        self.assertEqual(got[IG_USER]["value"], {"media_id": m1["id"]})


class Generator(unittest.TestCase):
    def test_rate_generates_customer_comments_on_every_platform(self):
        sim = Sim("--rate", "200", "--seed", "3")
        try:
            want = {"facebook": "post", "instagram": "media", "linkedin": "post",
                    "tiktok": "video"}
            found = {}
            deadline = time.monotonic() + WAIT_S
            while len(found) < len(want) and time.monotonic() < deadline:
                for platform in set(want) - set(found):
                    gen = [i for i in sim.items(platform) if i.get("generated")]
                    if gen:
                        found[platform] = gen[0]
                time.sleep(0.05)
            self.assertEqual(set(found), set(want))
            for platform, item in found.items():
                parent = next(i for i in sim.items(platform) if i["id"] == item["parent_id"])
                self.assertEqual((item["type"], parent["type"]), ("comment", want[platform]))
                self.assertFalse(item["from_brand"])
                self.assertIn(item["lang"], ("en", "de", "nl"))
        finally:
            sim.stop()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        SIM = args.pop(0)
    if args and not args[0].startswith("-"):
        SCENARIO = args.pop(0)
    if not SIM:
        sys.exit("usage: test_sim_meta.py PARLEY_SIM [SCENARIO] [unittest args] "
                 "(or set PARLEY_SIM)")
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)
