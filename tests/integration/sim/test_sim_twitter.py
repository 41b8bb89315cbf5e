#!/usr/bin/env python3
"""parley-sim, Twitter/X part: the simulator behaves as twitter.md says.

Each test starts its own parley-sim on 127.0.0.1:0 with the demo scenario,
so tests never share rate-limit buckets, faults or tokens.
Usage: test_sim_twitter.py PATH/TO/parley-sim PATH/TO/demo.json [unittest args]
Only the standard library is used.
"""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import queue
import re
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

SIM = None
SCENARIO = None

BRAND_ID = "2244994945"
APP = "tw-app-bearer"
USER = "tw-user-token"
REFRESH = "tw-refresh-token"
CONSUMER_SECRET = "sim-twitter-consumer-secret"
JANA_ID = "9900000001"
ANNEKE_ID = "9900000008"
PROBLEM_401 = {"title": "Unauthorized", "type": "about:blank", "status": 401,
               "detail": "Unauthorized"}


class Sim:
    """One parley-sim process."""

    def __init__(self, *extra, scenario=None):
        args = [SIM, "--listen", "127.0.0.1:0", "--scenario", scenario or SCENARIO, *extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("parley-sim listening on 127.0.0.1:"):
            self.proc.kill()
            raise RuntimeError("parley-sim did not start: %r %s" % (line, self.proc.stderr.read()))
        self.port = int(line.rsplit(":", 1)[1])
        self.base = "http://127.0.0.1:%d" % self.port

    def stop(self):
        """SIGTERM, then insist on a clean exit (sanitizer builds report
        leaks and errors on stderr and in the exit status)."""
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

    def call(self, method, path, token=None, body=None, params=None, form=None):
        """Returns (status, headers, raw body bytes)."""
        url = self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        headers = {}
        data = None
        if token:
            headers["Authorization"] = "Bearer " + token
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, method, path, token=None, body=None, params=None, form=None):
        status, headers, raw = self.call(method, path, token, body, params, form)
        return status, headers, json.loads(raw) if raw else None

    def tw(self, path, token=APP, params=None, method="GET", body=None):
        return self.json(method, "/twitter" + path, token, body, params)

    def add_item(self, **item):
        item.setdefault("platform", "twitter")
        item.setdefault("type", "tweet")
        status, _, body = self.json("POST", "/_sim/items", body=item)
        assert status == 201, (status, body)
        return body

    def fault(self, **spec):
        spec.setdefault("platform", "twitter")
        status, _, body = self.json("POST", "/_sim/faults", body=spec)
        assert status == 201, (status, body)


def mentions(sim, **params):
    return sim.tw("/2/users/%s/mentions" % BRAND_ID, params=params)


def ids_of(body):
    return [t["id"] for t in body.get("data", [])]


def as_int(ids):
    return [int(i) for i in ids]


class SimTestCase(unittest.TestCase):
    sim_args = ()

    def setUp(self):
        self.sim = Sim(*self.sim_args)

    def tearDown(self):
        self.sim.stop()


class MentionsTimeline(SimTestCase):
    def test_mentions_are_newest_first_and_carry_only_default_fields(self):
        status, _, body = mentions(self.sim)
        self.assertEqual(status, 200)
        ids = as_int(ids_of(body))
        self.assertEqual(ids, sorted(ids, reverse=True))
        for t in body["data"]:
            self.assertEqual(set(t), {"id", "text", "edit_history_tweet_ids"})
            self.assertIsInstance(t["id"], str)

    def test_pagination_token_walks_all_mentions_without_overlap(self):
        _, _, everything = mentions(self.sim, max_results=100)
        seen, token = [], None
        while True:
            params = {"max_results": 5}
            if token:
                params["pagination_token"] = token
            status, _, page = mentions(self.sim, **params)
            self.assertEqual(status, 200)
            self.assertLessEqual(page["meta"]["result_count"], 5)
            seen += ids_of(page)
            token = page["meta"].get("next_token")
            if not token:
                break
        self.assertEqual(seen, ids_of(everything))
        self.assertGreater(len(seen), 5)

    def test_since_id_returns_only_newer_mentions(self):
        _, _, before = mentions(self.sim)
        newest = before["meta"]["newest_id"]
        created = self.sim.add_item(author="lotte_b", text="@acme waar blijft mijn pakket?",
                                    lang="nl")
        _, _, after = mentions(self.sim, since_id=newest)
        self.assertEqual(ids_of(after), [created["id"]])

    def test_page_without_results_has_no_data_key(self):
        _, _, body = mentions(self.sim)
        _, _, empty = mentions(self.sim, since_id=body["meta"]["newest_id"])
        self.assertEqual(empty, {"meta": {"result_count": 0}})

    def test_max_results_outside_5_to_100_is_an_invalid_request(self):
        status, headers, body = mentions(self.sim, max_results=1000)
        self.assertEqual(status, 400)
        self.assertEqual(body["type"], "https://api.twitter.com/2/problems/invalid-request")
        self.assertIn("max_results", body["errors"][0]["parameters"])

    def test_fields_and_expansions_fill_includes_users(self):
        _, _, body = mentions(self.sim, **{"tweet.fields": "created_at,author_id,lang",
                                           "expansions": "author_id",
                                           "user.fields": "public_metrics,verified"})
        authors = {t["author_id"] for t in body["data"]}
        users = body["includes"]["users"]
        self.assertEqual({u["id"] for u in users}, authors)
        self.assertEqual(len(users), len(authors), "includes.users is deduplicated")
        for u in users:
            self.assertIn("followers_count", u["public_metrics"])
        self.assertRegex(body["data"][0]["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


    def test_previous_token_leads_back_to_the_newer_page(self):
        _, _, first = mentions(self.sim, max_results=5)
        _, _, second = mentions(self.sim, max_results=5,
                                pagination_token=first["meta"]["next_token"])
        self.assertNotIn("previous_token", first["meta"])
        _, _, back = mentions(self.sim, max_results=5,
                              pagination_token=second["meta"]["previous_token"])
        self.assertEqual(ids_of(back), ids_of(first))


class MentionsDepth(unittest.TestCase):
    def test_only_the_800_newest_mentions_are_reachable(self):
        scenario = {"platforms": {"twitter": {"account": {"id": "1", "handle": "acme"},
                                              "tokens": [{"token": "t", "kind": "app"}]}},
                    "users": [{"platform": "twitter", "id": "2", "handle": "jo"}],
                    "items": [{"platform": "twitter", "type": "tweet", "author": "jo",
                               "text": "@acme no %d" % i, "at": -1000 + i} for i in range(805)]}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(scenario, f)
        sim = Sim(scenario=f.name)
        try:
            seen, token = [], None
            while True:
                params = {"max_results": 100}
                if token:
                    params["pagination_token"] = token
                _, _, page = sim.tw("/2/users/1/mentions", token="t", params=params)
                seen += ids_of(page)
                token = page["meta"].get("next_token")
                if not token:
                    break
            self.assertEqual(len(seen), 800)
            self.assertEqual(len(set(seen)), 800)
            self.assertEqual(seen, sorted(seen, key=int, reverse=True))
        finally:
            sim.stop()
            os.unlink(f.name)


class RecentSearch(SimTestCase):
    def search(self, query, **params):
        params["query"] = query
        params["tweet.fields"] = "text"
        return self.sim.tw("/2/tweets/search/recent", params=params)

    def test_plain_word_matches_untagged_brand_mentions(self):
        status, _, body = self.search("acme -is:retweet", max_results=100)
        self.assertEqual(status, 200)
        texts = [t["text"] for t in body["data"]]
        self.assertTrue(any("Acme refund" in t for t in texts))
        self.assertFalse(any(t.startswith("RT @") for t in texts))
        self.assertFalse(any("Twijfel tussen" in t for t in texts), "a @globex-only tweet")

    def test_or_phrase_and_mention_operators(self):
        _, _, body = self.search('"Kundenservice von Acme" OR @globex', max_results=100)
        texts = [t["text"] for t in body["data"]]
        self.assertTrue(any("Kundenservice von Acme" in t for t in texts))
        self.assertTrue(any("@globex" in t for t in texts))
        self.assertTrue(all("Kundenservice von Acme" in t or "@globex" in t for t in texts))

    def test_query_of_only_negations_is_an_invalid_request(self):
        status, _, body = self.search("-is:retweet")
        self.assertEqual(status, 400)
        self.assertEqual(body["title"], "Invalid Request")

    def test_max_results_below_10_is_an_invalid_request(self):
        status, _, _ = self.search("acme", max_results=5)
        self.assertEqual(status, 400)


class Auth(SimTestCase):
    def test_wrong_token_gets_the_401_problem_body(self):
        status, headers, body = mentions_with_token(self.sim, "not-a-token")
        self.assertEqual(status, 401)
        self.assertEqual(headers["content-type"], "application/problem+json")
        self.assertEqual(body, PROBLEM_401)

    def test_app_bearer_cannot_post_tweets(self):
        status, _, body = self.sim.tw("/2/tweets", token=APP, method="POST", body={"text": "hi"})
        self.assertEqual(status, 403)
        self.assertEqual(body["type"],
                         "https://api.twitter.com/2/problems/unsupported-authentication")

    def test_expired_token_gets_401_until_refreshed_with_rotation(self):
        self.sim.json("POST", "/_sim/tokens/expire", body={"platform": "twitter"})
        status, _, body = self.sim.tw("/2/dm_events", token=USER)
        self.assertEqual((status, body), (401, PROBLEM_401))
        status, _, tok = self.sim.json("POST", "/twitter/2/oauth2/token",
                                       form={"grant_type": "refresh_token",
                                             "refresh_token": REFRESH,
                                             "client_id": "sim-twitter-client-id"})
        self.assertEqual(status, 200)
        self.assertEqual(tok["expires_in"], 7200)
        self.assertNotEqual(tok["refresh_token"], REFRESH)
        status, _, _ = self.sim.tw("/2/dm_events", token=tok["access_token"])
        self.assertEqual(status, 200)
        status, _, again = self.sim.json("POST", "/twitter/2/oauth2/token",
                                         form={"grant_type": "refresh_token",
                                               "refresh_token": REFRESH,
                                               "client_id": "sim-twitter-client-id"})
        self.assertEqual(status, 400, "the old refresh token stops working")
        self.assertEqual(again["error"], "invalid_request")

    def test_refresh_from_an_unknown_client_is_refused(self):
        status, _, body = self.sim.json("POST", "/twitter/2/oauth2/token",
                                        form={"grant_type": "refresh_token",
                                              "refresh_token": REFRESH,
                                              "client_id": "someone-else"})
        self.assertEqual(status, 401)
        self.assertEqual(body["error"], "unauthorized_client")


def mentions_with_token(sim, token):
    return sim.tw("/2/users/%s/mentions" % BRAND_ID, token=token)


class RateLimits(SimTestCase):
    # 450 requests per window * 0.01 = 4 per 2-second window
    sim_args = ("--rate-limit-scale", "0.01", "--rate-window-s", "2")

    def test_every_answer_carries_the_rate_limit_trio(self):
        _, h1, _ = mentions(self.sim)
        _, h2, _ = mentions(self.sim)
        self.assertEqual(h1["x-rate-limit-limit"], "4")
        self.assertEqual(int(h1["x-rate-limit-remaining"]) - 1, int(h2["x-rate-limit-remaining"]))
        self.assertGreater(int(h1["x-rate-limit-reset"]), 1_600_000_000)

    def test_429_after_the_window_is_used_up_then_allowed_after_reset(self):
        for _ in range(4):
            status, headers, _ = mentions(self.sim)
            self.assertEqual(status, 200)
        status, headers, body = mentions(self.sim)
        self.assertEqual(status, 429)
        self.assertEqual(body, {"title": "Too Many Requests", "detail": "Too Many Requests",
                                "type": "about:blank", "status": 429})
        self.assertEqual(headers["x-rate-limit-remaining"], "0")
        reset = int(headers["x-rate-limit-reset"])
        while time.time() < reset + 0.1:
            time.sleep(0.1)
        status, _, _ = mentions(self.sim)
        self.assertEqual(status, 200)

    def test_app_and_user_tokens_have_separate_buckets(self):
        for _ in range(4):
            mentions(self.sim)
        status, _, _ = mentions_with_token(self.sim, USER)
        self.assertEqual(status, 200)


class Faults(SimTestCase):
    sim_args = ("--timeout-hold-ms", "300")
    path = "/2/users/%s/mentions" % BRAND_ID

    def test_status5xx_answers_once_with_a_problem_body_then_recovers(self):
        self.sim.fault(path=self.path, fault="status5xx", status=503, count=1)
        status, headers, body = mentions(self.sim)
        self.assertEqual(status, 503)
        self.assertEqual(body["title"], "Service Unavailable")
        status, _, _ = mentions(self.sim)
        self.assertEqual(status, 200)

    def test_status429_carries_twitter_rate_limit_headers(self):
        self.sim.fault(path=self.path, fault="status429")
        status, headers, body = mentions(self.sim)
        self.assertEqual(status, 429)
        self.assertEqual(headers["x-rate-limit-remaining"], "0")
        self.assertEqual(body["status"], 429)

    def test_fault_on_another_path_leaves_this_one_alone(self):
        self.sim.fault(path="/2/tweets/search", fault="status5xx", always=True)
        status, _, _ = mentions(self.sim)
        self.assertEqual(status, 200)

    def test_truncated_body_is_not_valid_json(self):
        self.sim.fault(path=self.path, fault="truncated")
        status, _, raw = self.sim.call("GET", "/twitter" + self.path, APP)
        self.assertEqual(status, 200)
        with self.assertRaises(ValueError):
            json.loads(raw)

    def test_invalid_utf8_body_does_not_decode(self):
        self.sim.fault(path=self.path, fault="invalid_utf8")
        _, _, raw = self.sim.call("GET", "/twitter" + self.path, APP)
        with self.assertRaises(UnicodeDecodeError):
            raw.decode("utf-8")

    def test_duplicate_repeats_an_item_in_the_page(self):
        self.sim.fault(path=self.path, fault="duplicate")
        _, _, body = mentions(self.sim)
        ids = ids_of(body)
        self.assertEqual(len(ids), len(set(ids)) + 1)

    def test_out_of_order_shuffles_the_page(self):
        self.sim.fault(path=self.path, fault="out_of_order")
        _, _, body = mentions(self.sim)
        ids = as_int(ids_of(body))
        self.assertNotEqual(ids, sorted(ids, reverse=True))

    def test_expire_token_makes_the_request_and_later_ones_401(self):
        self.sim.fault(path=self.path, fault="expire_token")
        self.assertEqual(mentions(self.sim)[0], 401)
        self.assertEqual(self.sim.tw("/2/tweets/search/recent", params={"query": "acme"})[0], 401)

    def test_slow_answers_normally_after_the_delay(self):
        self.sim.fault(path=self.path, fault="slow", delay_ms=200)
        status, _, body = mentions(self.sim)
        self.assertEqual(status, 200)
        self.assertIn("data", body)

    def test_timeout_holds_the_request_then_answers_504(self):
        self.sim.fault(path=self.path, fault="timeout")
        status, _, body = mentions(self.sim)
        self.assertEqual(status, 504)
        self.assertEqual(body["title"], "Gateway Timeout")

    def test_oversized_body_is_bigger_than_20_mib(self):
        self.sim.fault(path=self.path, fault="oversized")
        status, _, raw = self.sim.call("GET", "/twitter" + self.path, APP)
        self.assertEqual(status, 200)
        self.assertGreater(len(raw), 20 * 1024 * 1024)

    def test_unknown_fault_kind_is_refused_with_a_clear_error(self):
        status, _, body = self.sim.json("POST", "/_sim/faults",
                                        body={"platform": "twitter", "fault": "meteor"})
        self.assertEqual(status, 400)
        self.assertIn("unknown fault 'meteor'", body["error"])


class FilteredStream(SimTestCase):
    sim_args = ("--keepalive-ms", "100")

    def open_stream(self, token=APP):
        conn = http.client.HTTPConnection("127.0.0.1", self.sim.port, timeout=10)
        conn.request("GET", "/twitter/2/tweets/search/stream?expansions=author_id",
                     headers={"Authorization": "Bearer " + token})
        return conn, conn.getresponse()

    def add_rule(self, value, tag):
        status, _, body = self.sim.tw("/2/tweets/search/stream/rules", method="POST",
                                      body={"add": [{"value": value, "tag": tag}]})
        self.assertEqual(status, 201, body)
        return body

    def test_stream_delivers_a_matching_tweet_with_rules_and_keepalive_lines(self):
        self.add_rule("acme -is:retweet", "care")
        conn, resp = self.open_stream()
        try:
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.readline(), b"\r\n", "keep-alive before any tweet")
            created = self.sim.add_item(author="mkessler", lang="de",
                                        text="Wo ist mein Paket, acme?")
            line = resp.readline()
            while line == b"\r\n":
                line = resp.readline()
            self.assertTrue(line.endswith(b"\r\n"))
            msg = json.loads(line)
            self.assertEqual(msg["data"]["id"], created["id"])
            self.assertEqual(msg["matching_rules"][0]["tag"], "care")
            self.assertEqual(msg["includes"]["users"][0]["username"], "mkessler")
        finally:
            conn.close()

    def next_message(self, resp):
        line = resp.readline()
        while line == b"\r\n":
            line = resp.readline()
        return json.loads(line)

    def test_duplicate_fault_delivers_each_tweet_twice(self):
        self.add_rule("@acme", "m")
        self.sim.fault(path="/2/tweets/search/stream", fault="duplicate")
        conn, resp = self.open_stream()
        try:
            created = self.sim.add_item(author="jana_k", text="@acme doppelt?")
            self.assertEqual(self.next_message(resp)["data"]["id"], created["id"])
            self.assertEqual(self.next_message(resp)["data"]["id"], created["id"])
        finally:
            conn.close()

    def test_out_of_order_fault_delivers_the_newer_tweet_first(self):
        self.add_rule("@acme", "m")
        self.sim.fault(path="/2/tweets/search/stream", fault="out_of_order")
        conn, resp = self.open_stream()
        try:
            first = self.sim.add_item(author="jana_k", text="@acme eins")
            second = self.sim.add_item(author="jana_k", text="@acme zwei")
            self.assertEqual(self.next_message(resp)["data"]["id"], second["id"])
            self.assertEqual(self.next_message(resp)["data"]["id"], first["id"])
        finally:
            conn.close()

    def test_truncated_fault_cuts_the_next_tweet_and_ends_the_stream(self):
        self.add_rule("@acme", "m")
        self.sim.fault(path="/2/tweets/search/stream", fault="truncated")
        conn, resp = self.open_stream()
        try:
            self.sim.add_item(author="jana_k", text="@acme abgeschnitten")
            rest = resp.read().replace(b"\r\n", b"")
            self.assertTrue(rest.startswith(b'{"data"'))
            with self.assertRaises(ValueError):
                json.loads(rest)
        finally:
            conn.close()

    def test_operational_disconnect_sends_an_error_line_then_closes(self):
        conn, resp = self.open_stream()
        try:
            status, _, body = self.sim.json("POST", "/twitter/_sim/stream/disconnect",
                                            body={"disconnect_type": "UpstreamOperationalDisconnect"})
            self.assertEqual(body["connections"], 1)
            msg = self.next_message(resp)
            self.assertEqual(msg["errors"][0]["disconnect_type"], "UpstreamOperationalDisconnect")
            self.assertNotIn("data", msg)
            rest = resp.read()
            self.assertEqual(rest.strip(b"\r\n"), b"", "the stream ends after the error line")
        finally:
            conn.close()

    def test_second_concurrent_connection_gets_429_too_many_connections(self):
        conn, resp = self.open_stream()
        try:
            status, _, body = self.sim.tw("/2/tweets/search/stream")
            self.assertEqual(status, 429)
            self.assertEqual(body["connection_issue"], "TooManyConnections")
        finally:
            conn.close()

    def test_user_token_is_refused_on_the_stream(self):
        status, _, body = self.sim.tw("/2/tweets/search/stream", token=USER)
        self.assertEqual(status, 403)
        self.assertEqual(body["title"], "Unsupported Authentication")

    def test_rules_report_duplicates_and_delete_by_id(self):
        first = self.add_rule("@acme", "mentions")
        status, _, dup = self.sim.tw("/2/tweets/search/stream/rules", method="POST",
                                     body={"add": [{"value": "@acme"}]})
        self.assertEqual(dup["meta"]["summary"]["not_created"], 1)
        self.assertEqual(dup["errors"][0]["title"], "DuplicateRule")
        rid = first["data"][0]["id"]
        status, _, deleted = self.sim.tw("/2/tweets/search/stream/rules", method="POST",
                                         body={"delete": {"ids": [rid]}})
        self.assertEqual(deleted["meta"]["summary"]["deleted"], 1)
        _, _, rules = self.sim.tw("/2/tweets/search/stream/rules")
        self.assertEqual(rules["meta"]["result_count"], 0)
        self.assertNotIn("data", rules)


class WebhookReceiver:
    """A tiny Account Activity endpoint: answers CRC (right or wrong) and
    queues the POSTs it receives."""

    def __init__(self, secret, fail_first=0):
        self.posts = queue.Queue()
        self.fail_first = fail_first
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                token = q["crc_token"][0]
                digest = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
                body = json.dumps({"response_token": "sha256=" +
                                   base64.b64encode(digest).decode()}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.put((dict(self.headers), raw))
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hooks/twitter" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wait_for(predicate, what):
    for _ in range(200):
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("gave up waiting for " + what)


class AccountActivityWebhooks(unittest.TestCase):
    def start(self, secret, fail_first=0):
        self.hook = WebhookReceiver(secret, fail_first)
        self.sim = Sim("--webhook", "twitter=" + self.hook.url, "--webhook-retry-ms", "20")

    def tearDown(self):
        self.sim.stop()
        self.hook.close()

    def crc_entries(self):
        _, _, log = self.sim.json("GET", "/_sim/webhooks", params={"platform": "twitter"})
        return [e for e in log["deliveries"] if e.get("kind") == "crc"]

    def test_mention_is_delivered_signed_after_a_valid_crc(self):
        self.start(CONSUMER_SECRET)
        crc = wait_for(self.crc_entries, "the CRC check")
        self.assertTrue(crc[0]["valid"])
        created = self.sim.add_item(author="emily_writes", text="@acme where is my refund?")
        headers, raw = self.hook.posts.get(timeout=10)
        want = "sha256=" + base64.b64encode(
            hmac.new(CONSUMER_SECRET.encode(), raw, hashlib.sha256).digest()).decode()
        sig = {k.lower(): v for k, v in headers.items()}["x-twitter-webhooks-signature"]
        self.assertTrue(hmac.compare_digest(sig, want))
        payload = json.loads(raw)
        self.assertEqual(payload["for_user_id"], BRAND_ID)
        event = payload["tweet_create_events"][0]
        self.assertEqual(event["id_str"], created["id"])
        self.assertEqual(event["user"]["screen_name"], "emily_writes")

    def test_dm_to_the_brand_is_delivered_as_direct_message_event(self):
        self.start(CONSUMER_SECRET)
        wait_for(self.crc_entries, "the CRC check")
        self.sim.add_item(type="dm", author="anneke_v", recipient="acme", text="Hoi, vraagje!")
        _, raw = self.hook.posts.get(timeout=10)
        event = json.loads(raw)["direct_message_events"][0]
        self.assertEqual(event["message_create"]["sender_id"], ANNEKE_ID)
        self.assertEqual(event["message_create"]["message_data"]["text"], "Hoi, vraagje!")

    def test_a_refused_delivery_is_retried_with_the_same_signed_body(self):
        self.start(CONSUMER_SECRET, fail_first=2)
        wait_for(self.crc_entries, "the CRC check")
        self.sim.add_item(author="sam_reviews", text="@acme great service")
        attempts = [self.hook.posts.get(timeout=10) for _ in range(3)]
        self.assertEqual(len({raw for _, raw in attempts}), 1)
        sigs = {{k.lower(): v for k, v in h.items()}["x-twitter-webhooks-signature"]
                for h, _ in attempts}
        self.assertEqual(len(sigs), 1)

        def logged():
            _, _, log = self.sim.json("GET", "/_sim/webhooks", params={"platform": "twitter"})
            d = [e for e in log["deliveries"] if e.get("kind") == "delivery"]
            return d if len(d) == 3 else None
        log = wait_for(logged, "three logged attempts")
        self.assertEqual([(e["attempt"], e["status"], e["ok"]) for e in log],
                         [(1, 503, False), (2, 503, False), (3, 200, True)])

    def test_wrong_crc_answer_marks_the_webhook_invalid_and_stops_deliveries(self):
        self.start("not-the-consumer-secret")
        crc = wait_for(self.crc_entries, "the CRC check")
        self.assertFalse(crc[0]["valid"])
        self.sim.add_item(author="emily_writes", text="@acme hello?")
        with self.assertRaises(queue.Empty):
            self.hook.posts.get(timeout=0.5)


class Replies(SimTestCase):
    def jana_complaint(self):
        _, _, body = self.sim.tw("/2/tweets/search/recent",
                                 params={"query": "from:jana_k #5512", "max_results": 10})
        return body["data"][0]["id"]

    def test_reply_is_recorded_and_visible_in_the_next_mentions_poll(self):
        parent = self.jana_complaint()
        status, _, body = self.sim.tw("/2/tweets", token=USER, method="POST",
                                      body={"text": "@jana_k Wir kümmern uns sofort darum!",
                                            "reply": {"in_reply_to_tweet_id": parent}})
        self.assertEqual(status, 201)
        reply_id = body["data"]["id"]
        self.assertEqual(body["data"]["text"], "@jana_k Wir kümmern uns sofort darum!")
        _, _, sent = self.sim.json("GET", "/_sim/sent", params={"platform": "twitter"})
        self.assertEqual(sent["sent"][-1]["action"], "reply")
        self.assertEqual(sent["sent"][-1]["in_reply_to"], parent)
        _, _, polled = self.sim.tw("/2/users/%s/mentions" % JANA_ID,
                                   params={"tweet.fields": "conversation_id,author_id"})
        latest = polled["data"][0]
        self.assertEqual(latest["id"], reply_id)
        self.assertEqual(latest["author_id"], BRAND_ID)
        self.assertEqual(latest["conversation_id"], parent)

    def test_same_reply_text_twice_is_403_duplicate_content(self):
        parent = self.jana_complaint()
        reply = {"text": "@jana_k Danke!", "reply": {"in_reply_to_tweet_id": parent}}
        self.assertEqual(self.sim.tw("/2/tweets", USER, method="POST", body=reply)[0], 201)
        status, _, body = self.sim.tw("/2/tweets", USER, method="POST", body=reply)
        self.assertEqual(status, 403)
        self.assertIn("duplicate content", body["detail"])

    def test_dm_is_sent_recorded_and_listed(self):
        status, _, body = self.sim.tw("/2/dm_conversations/with/%s/messages" % ANNEKE_ID, USER,
                                      method="POST", body={"text": "Ja hoor, maat 42 is geregeld."})
        self.assertEqual(status, 201)
        self.assertEqual(body["data"]["dm_conversation_id"], "%s-%s" % (BRAND_ID, ANNEKE_ID))
        _, _, events = self.sim.tw("/2/dm_events", USER,
                                   params={"dm_event.fields": "sender_id,dm_conversation_id"})
        self.assertEqual(events["data"][0]["id"], body["data"]["dm_event_id"])
        self.assertEqual(events["data"][0]["sender_id"], BRAND_ID)
        _, _, sent = self.sim.json("GET", "/_sim/sent", params={"platform": "twitter"})
        self.assertEqual(sent["sent"][-1]["action"], "dm")

    def test_users_me_names_the_brand_for_its_user_token(self):
        status, _, body = self.sim.tw("/2/users/me", USER, params={"user.fields": "verified"})
        self.assertEqual(status, 200)
        self.assertEqual(body["data"], {"id": BRAND_ID, "name": "Acme", "username": "acme",
                                        "verified": True})

    def test_dm_conversation_lists_only_that_conversation_and_pages(self):
        for i in range(3):
            self.sim.add_item(type="dm", author="jana_k", recipient="acme", text="nachricht %d" % i)
        path = "/2/dm_conversations/%s-%s/dm_events" % (BRAND_ID, JANA_ID)
        _, _, first = self.sim.tw(path, USER, params={"max_results": 2})
        self.assertEqual(first["meta"]["result_count"], 2)
        _, _, rest = self.sim.tw(path, USER, params={"max_results": 100,
                                                     "pagination_token": first["meta"]["next_token"]})
        _, _, whole = self.sim.tw(path, USER, params={"dm_event.fields": "dm_conversation_id"})
        self.assertEqual(ids_of(first) + ids_of(rest), ids_of(whole))
        self.assertEqual({e["dm_conversation_id"] for e in whole["data"]},
                         {"%s-%s" % (BRAND_ID, JANA_ID)})

    def test_dm_events_refuse_since_id(self):
        status, _, body = self.sim.tw("/2/dm_events", USER, params={"since_id": "1"})
        self.assertEqual(status, 400)
        self.assertIn("since_id", body["errors"][0]["parameters"])

    def test_hiding_a_reply_in_the_brands_conversation_is_recorded(self):
        _, _, found = self.sim.tw("/2/tweets/search/recent",
                                  params={"query": "from:jana_k is:reply", "max_results": 10,
                                          "tweet.fields": "conversation_id"})
        reply = found["data"][-1]["id"]
        status, _, body = self.sim.tw("/2/tweets/%s/hidden" % reply, USER, method="PUT",
                                      body={"hidden": True})
        self.assertEqual((status, body), (200, {"data": {"hidden": True}}))
        _, _, sent = self.sim.json("GET", "/_sim/sent", params={"platform": "twitter"})
        self.assertEqual(sent["sent"][-1], {**sent["sent"][-1], "action": "hide", "id": reply})


def run_with_scenario(scenario_text):
    """Starts parley-sim on a scenario it should refuse; returns (exit, stderr)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(scenario_text)
    try:
        p = subprocess.run([SIM, "--listen", "127.0.0.1:0", "--scenario", f.name],
                           capture_output=True, text=True, timeout=20)
        return p.returncode, p.stderr, f.name
    finally:
        os.unlink(f.name)


class Scenario(unittest.TestCase):
    def test_malformed_scenario_is_refused_naming_file_line_and_column(self):
        code, err, path = run_with_scenario('{\n  "platforms": {\n    "twitter": [,]\n')
        self.assertEqual(code, 1)
        self.assertRegex(err, re.escape(path) + r":3:\d+: ")

    def test_timeline_item_naming_an_unknown_author_is_refused_with_its_index(self):
        code, err, _ = run_with_scenario(json.dumps({
            "platforms": {"twitter": {"account": {"id": "1", "handle": "acme"}}},
            "items": [{"platform": "twitter", "type": "tweet", "author": "ghost", "text": "x"}]}))
        self.assertEqual(code, 1)
        self.assertIn("items[0]: author 'ghost' is not a known twitter user", err)

    def test_future_timeline_item_arrives_while_running(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"platforms": {"twitter": {"account": {"id": "1", "handle": "acme"},
                                                 "tokens": [{"token": "t", "kind": "app"}]}},
                       "users": [{"platform": "twitter", "id": "2", "handle": "jo"}],
                       "items": [{"platform": "twitter", "type": "tweet", "author": "jo",
                                  "text": "@acme later", "at": 0.2}]}, f)
        sim = Sim(scenario=f.name)
        try:
            items = wait_for(lambda: sim.json("GET", "/_sim/items")[2]["items"],
                             "the timeline item")
            self.assertEqual(items[0]["text"], "@acme later")
        finally:
            sim.stop()
            os.unlink(f.name)


class Generator(SimTestCase):
    sim_args = ("--rate", "50", "--seed", "7")

    def test_rate_generates_new_brand_mentions_while_running(self):
        def generated():
            _, _, body = self.sim.json("GET", "/_sim/items", params={"platform": "twitter"})
            made = [i for i in body["items"] if i.get("generated")]
            return made if len(made) >= 5 else None
        made = wait_for(generated, "five generated items")
        self.assertTrue(all(i["type"] == "tweet" and i["lang"] in ("de", "nl", "en") for i in made))
        _, _, polled = mentions(self.sim, max_results=100)
        self.assertTrue({i["id"] for i in made} & set(ids_of(polled)))


    def test_rate_spreads_items_over_every_platform_with_customers(self):
        def platforms():
            _, _, body = self.sim.json("GET", "/_sim/items")
            got = {i["platform"] for i in body["items"] if i.get("generated")}
            return got if len(got) >= 5 else None
        _, _, health = self.sim.json("GET", "/_sim/health")
        if len(health["platforms"]) < 5:
            self.skipTest("not every platform is compiled in")
        self.assertEqual(wait_for(platforms, "generated items on five platforms"),
                         {"twitter", "facebook", "instagram", "linkedin", "tiktok"})


class ControlApi(SimTestCase):
    def test_created_item_records_its_creation_time(self):
        before = int(time.time() * 1000)
        item = self.sim.add_item(author="techdad42", text="@acme testing freshness")
        after = int(time.time() * 1000)
        self.assertTrue(before - 5 <= item["created_ms"] <= after + 5)
        self.assertGreater(int(item["id"]), 2 ** 53, "snowflake-sized ids")

    def test_malformed_item_json_is_a_clear_400(self):
        status, _, raw = self.sim.call("POST", "/_sim/items", body=None)
        req = urllib.request.Request(self.sim.base + "/_sim/items", data=b"{not json",
                                     method="POST")
        try:
            urllib.request.urlopen(req, timeout=10)
            self.fail("accepted malformed JSON")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 400)
            self.assertIn("not JSON", json.loads(e.read())["error"])

    def test_item_for_an_unknown_author_handle_is_refused(self):
        status, _, body = self.sim.json("POST", "/_sim/items",
                                        body={"platform": "twitter", "type": "tweet",
                                              "author": "nobody_here", "text": "x"})
        self.assertEqual(status, 400)
        self.assertIn("nobody_here", body["error"])


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: test_sim_twitter.py PARLEY_SIM SCENARIO [unittest args]")
    SIM, SCENARIO = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
