#!/usr/bin/env python3
"""parley-sim, LinkedIn and TikTok parts: the simulator behaves as
linkedin.md and tiktok.md say (required headers and Rest.li error bodies,
start/count paging, comments as the organization, notifications and the
X-LI-Signature webhook after challengeCode validation; the TikTok envelope
with HTTP 200 errors, cursor paging, reply/hide/delete and comment.update
webhooks with TikTok-Signature).

Usage: test_sim_linkedin_tiktok.py [PARLEY_SIM [SCENARIO]] [unittest args]
       (or PARLEY_SIM in the environment). Standard library only; the Sim
and Receiver helpers come from test_sim_meta.py next to this file.
"""
import hashlib
import hmac
import http.client
import json
import sys
import time
import unittest
import urllib.parse

import test_sim_meta as common
from test_sim_meta import Receiver, Sim

LI_TOKEN = "li-member-token"
LI_SECRET = "sim-linkedin-client-secret"
LI_ORG = "urn:li:organization:5515715"
LI_HEADERS = {"Authorization": "Bearer " + LI_TOKEN, "LinkedIn-Version": "202509",
              "X-Restli-Protocol-Version": "2.0.0"}
TT_TOKEN = "act.sim-tiktok-token"
TT_SECRET = "sim-tiktok-client-secret"
TT_BUSINESS = "-000acmebusiness"
TT_API = "/tiktok/open_api/v1.3/"


def enc(urn):
    """URN-encode for a path segment, as Rest.li 2.0.0 requires."""
    return urllib.parse.quote(urn, safe="")


def li_challenge_answer(q):
    code = q.get("challengeCode", "")
    resp = hmac.new(LI_SECRET.encode(), code.encode(), hashlib.sha256).hexdigest()
    return 200, json.dumps({"challengeCode": code, "challengeResponse": resp}).encode()


class SimCase(unittest.TestCase):
    def setUp(self):
        self.sim = Sim()
        self.rx = None

    def tearDown(self):
        if self.rx:
            self.rx.close()
        self.sim.stop()


class LinkedIn(SimCase):
    def li(self, path, method="GET", headers=None, **kw):
        h = dict(LI_HEADERS) if headers is None else headers
        return self.sim.json(method, "/linkedin/rest" + path, headers=h, **kw)

    def post_urn(self):
        return "urn:li:share:" + self.sim.by_ref("linkedin", "li-post-1")["id"]

    def assert_restli_error(self, status, body, want_status, code):
        self.assertEqual(status, want_status)
        self.assertEqual((body["status"], body["code"]), (want_status, code))
        self.assertIsInstance(body["message"], str)

    def test_missing_version_header_is_400_version_missing(self):
        h = {k: v for k, v in LI_HEADERS.items() if k != "LinkedIn-Version"}
        status, _, body = self.li("/posts", headers=h, params={"q": "author", "author": LI_ORG})
        self.assert_restli_error(status, body, 400, "VERSION_MISSING")

    def test_missing_protocol_header_is_400_and_a_sunset_version_426(self):
        h = {k: v for k, v in LI_HEADERS.items() if k != "X-Restli-Protocol-Version"}
        status, _, body = self.li("/posts", headers=h, params={"q": "author", "author": LI_ORG})
        self.assert_restli_error(status, body, 400, "ILLEGAL_ARGUMENT")
        status, _, body = self.li("/posts", headers=dict(LI_HEADERS, **{"LinkedIn-Version": "202001"}),
                                  params={"q": "author", "author": LI_ORG})
        self.assert_restli_error(status, body, 426, "NONEXISTENT_VERSION")

    def test_revoked_and_expired_tokens_get_401_bodies(self):
        status, _, body = self.li("/posts", headers=dict(LI_HEADERS, Authorization="Bearer nope"),
                                  params={"q": "author", "author": LI_ORG})
        self.assert_restli_error(status, body, 401, "REVOKED_ACCESS_TOKEN")
        self.assertEqual(body["serviceErrorCode"], 65601)
        self.sim.json("POST", "/_sim/tokens/expire", body={"platform": "linkedin"})
        status, _, body = self.li("/posts", params={"q": "author", "author": LI_ORG})
        self.assert_restli_error(status, body, 401, "EXPIRED_ACCESS_TOKEN")

    def test_comments_page_with_start_and_count(self):
        post = self.post_urn()
        for i in range(5):
            self.sim.add_item(platform="linkedin", type="comment",
                              parent_id=post.rsplit(":", 1)[1], author="emily-chen",
                              text="question %d" % i)
        seen, start = [], 0
        while True:
            status, _, page = self.li("/socialActions/%s/comments" % enc(post),
                                      params={"start": start, "count": 3})
            self.assertEqual(status, 200, page)
            self.assertEqual(page["paging"]["total"], 7)
            seen += page["elements"]
            if len(page["elements"]) < 3:
                self.assertEqual(page["paging"]["links"], [])
                break
            start += 3
        self.assertEqual(len({c["id"] for c in seen}), 7)
        times = [c["created"]["time"] for c in seen]
        self.assertEqual(times, sorted(times))
        first = seen[0]
        self.assertEqual(first["commentUrn"],
                         "urn:li:comment:(urn:li:activity:%s,%s)" % (post.rsplit(":", 1)[1], first["id"]))
        self.assertTrue(first["actor"].startswith("urn:li:person:"))

    def test_malformed_urn_is_400_and_unknown_post_404(self):
        status, _, body = self.li("/socialActions/%s/comments" % enc("urn:li:share:abc"))
        self.assert_restli_error(status, body, 400, "ILLEGAL_ARGUMENT")
        status, _, body = self.li("/socialActions/%s/comments" % enc("urn:li:share:42"))
        self.assert_restli_error(status, body, 404, "NOT_FOUND")

    def test_reply_as_the_organization_is_201_recorded_and_listed(self):
        post_id = self.sim.by_ref("linkedin", "li-post-1")["id"]
        comment = self.sim.by_ref("linkedin", "li-c-1")
        curn = "urn:li:comment:(urn:li:activity:%s,%s)" % (post_id, comment["id"])
        status, headers, body = self.li("/socialActions/%s/comments" % enc(curn), "POST", body={
            "actor": LI_ORG, "object": "urn:li:activity:" + post_id,
            "message": {"text": "Yes, hybrid and remote both work."}})
        self.assertEqual(status, 201, body)
        new_id = headers["x-restli-id"]
        self.assertEqual((body["id"], body["parentComment"], body["actor"]), (new_id, curn, LI_ORG))
        self.assertEqual([(s["action"], s["in_reply_to"], s["id"]) for s in self.sim.sent("linkedin")],
                         [("reply", comment["id"], new_id)])
        _, _, replies = self.li("/socialActions/%s/comments" % enc(curn))
        self.assertEqual([c["id"] for c in replies["elements"]], [new_id])

    def test_commenting_as_someone_else_is_403(self):
        status, _, body = self.li("/socialActions/%s/comments" % enc(self.post_urn()), "POST", body={
            "actor": "urn:li:organization:1", "message": {"text": "hi"}})
        self.assert_restli_error(status, body, 403, "ACCESS_DENIED")
        status, _, body = self.li("/socialActions/%s/comments" % enc(self.post_urn()), "POST",
                                  headers=dict(LI_HEADERS), body=None)
        self.assert_restli_error(status, body, 400, "ILLEGAL_ARGUMENT")
        self.assertEqual(self.sim.sent("linkedin"), [])

    def test_notifications_pull_filters_actions(self):
        status, _, body = self.li("/organizationalEntityNotifications", params={
            "q": "criteria", "organizationalEntity": LI_ORG, "actions": "List(COMMENT)"})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["elements"]), 2)
        self.assertEqual({n["action"] for n in body["elements"]}, {"COMMENT"})

    def test_webhook_validation_then_signed_comment_notification(self):
        self.rx = Receiver(li_challenge_answer)
        self.sim.set_target("linkedin", self.rx.url)
        get = self.rx.next("GET")
        self.assertRegex(get["query"]["challengeCode"],
                         r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        item = self.sim.add_item(platform="linkedin", type="comment",
                                 parent_id=self.sim.by_ref("linkedin", "li-post-1")["id"],
                                 author="markus-kessler", text="Gibt es Stellen in Wien?")
        r = self.rx.next("POST")
        want = hmac.new(LI_SECRET.encode(), b"hmacsha256=" + r["body"], hashlib.sha256).hexdigest()
        self.assertEqual(r["headers"]["x-li-signature"], want)
        env = json.loads(r["body"])
        self.assertEqual(env["type"], "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS")
        n = env["notifications"][0]
        self.assertEqual((n["action"], n["organizationalEntity"]), ("COMMENT", LI_ORG))
        self.assertEqual(n["decoratedGeneratedActivity"]["comment"]["text"], item["text"])
        self.assertEqual(n["lastModifiedAt"], item["created_ms"])

    def test_failed_validation_blocks_deliveries(self):
        self.rx = Receiver(lambda q: (200, b'{"challengeCode":"x","challengeResponse":"y"}'))
        self.sim.set_target("linkedin", self.rx.url)
        result = self.sim.wait_log("linkedin", lambda e: e.get("kind") == "verify_result")
        self.assertFalse(result["ok"])
        self.sim.add_item(platform="linkedin", type="comment",
                          parent_id=self.sim.by_ref("linkedin", "li-post-1")["id"],
                          author="emily-chen", text="anyone?")
        self.assertFalse(self.sim.wait_log("linkedin", lambda e: e.get("skipped"))["ok"])

    def token_call(self, **form):
        form.setdefault("client_id", "sim-linkedin-client-id")
        form.setdefault("client_secret", LI_SECRET)
        return self.sim.json("POST", "/linkedin/oauth/v2/accessToken", form=form)

    def test_oauth_code_exchange_then_refresh_keeps_the_consent_clock(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.sim.port, timeout=30)
        conn.request("GET", "/linkedin/oauth/v2/authorization?" + urllib.parse.urlencode({
            "response_type": "code", "client_id": "sim-linkedin-client-id",
            "redirect_uri": "https://example.com/cb", "state": "s-42",
            "scope": "r_organization_social w_organization_social"}))
        resp = conn.getresponse()
        resp.read()
        conn.close()
        self.assertEqual(resp.status, 302)
        back = urllib.parse.urlsplit(resp.getheader("Location"))
        q = dict(urllib.parse.parse_qsl(back.query))
        self.assertEqual((back.netloc, back.path, q["state"]), ("example.com", "/cb", "s-42"))
        status, _, tok = self.token_call(grant_type="authorization_code", code=q["code"],
                                         redirect_uri="https://example.com/cb")
        self.assertEqual(status, 200, tok)
        self.assertEqual(tok["expires_in"], 5184000)
        self.assertLessEqual(tok["refresh_token_expires_in"], 31536000)
        h = dict(LI_HEADERS, Authorization="Bearer " + tok["access_token"])
        self.assertEqual(self.li("/posts", headers=h, params={"q": "author", "author": LI_ORG})[0], 200)
        status, _, again = self.token_call(grant_type="authorization_code", code=q["code"])
        self.assertEqual((status, again["error"]), (400, "invalid_request"))
        status, _, bad = self.token_call(grant_type="authorization_code", code="x", client_secret="no")
        self.assertEqual((status, bad["error"]), (401, "invalid_client"))
        status, _, fresh = self.token_call(grant_type="refresh_token",
                                           refresh_token=tok["refresh_token"])
        self.assertEqual(status, 200, fresh)
        self.assertNotEqual(fresh["access_token"], tok["access_token"])
        self.assertLessEqual(fresh["refresh_token_expires_in"], tok["refresh_token_expires_in"])

    def test_daily_limit_is_429_without_retry_after(self):
        for _ in range(1000):
            status, headers, body = self.li("/posts", params={"q": "author", "author": LI_ORG})
            if status != 200:
                break
        self.assert_restli_error(status, body, 429, "TOO_MANY_REQUESTS")
        self.assertEqual(body["serviceErrorCode"], 101)
        self.assertIsNone(headers.get("Retry-After"))


class TikTok(SimCase):
    def tt(self, endpoint, method="GET", token=TT_TOKEN, params=None, body=None):
        headers = {"Access-Token": token} if token else {}
        if method == "GET":
            params = dict({"business_id": TT_BUSINESS}, **(params or {}))
        else:
            body = dict({"business_id": TT_BUSINESS}, **(body or {}))
        return self.sim.json(method, TT_API + endpoint, headers=headers, params=params, body=body)

    def video(self):
        return self.sim.by_ref("tiktok", "tt-video-1")["id"]

    def assert_ok(self, status, body):
        self.assertEqual(status, 200)
        self.assertEqual((body["code"], body["message"]), (0, "OK"), body)
        self.assertRegex(body["request_id"], r"^\d{32}$")

    def test_errors_use_the_envelope_with_http_200(self):
        status, _, body = self.tt("business/comment/list/", token="act.nope",
                                  params={"video_id": self.video()})
        self.assertEqual(status, 200)
        self.assertEqual(body["code"], 40105)
        self.assertEqual(body["data"], {})
        status, _, body = self.tt("business/comment/list/", params={"video_id": self.video(),
                                                                    "max_count": 31})
        self.assertEqual((status, body["code"]), (200, 40002))

    def test_video_list_selects_json_fields(self):
        status, _, body = self.tt("business/video/list/",
                                  params={"fields": '["item_id","caption","create_time"]'})
        self.assert_ok(status, body)
        v = body["data"]["videos"][0]
        self.assertEqual(set(v), {"item_id", "caption", "create_time"})
        self.assertIsInstance(v["create_time"], int)
        self.assertFalse(body["data"]["has_more"])

    def test_comment_list_walks_with_cursor_until_has_more_is_false(self):
        for i in range(4):
            self.sim.add_item(platform="tiktok", type="comment", parent_id=self.video(),
                              author="techdad42", text="nr %d" % i)
        seen, cursor = [], 0
        while True:
            status, _, body = self.tt("business/comment/list/", params={
                "video_id": self.video(), "cursor": cursor, "max_count": 2})
            self.assert_ok(status, body)
            seen += body["data"]["comments"]
            cursor = body["data"]["cursor"]
            if not body["data"]["has_more"]:
                break
        self.assertEqual(len({c["comment_id"] for c in seen}), 7)
        times = [int(c["create_time"]) for c in seen]
        self.assertEqual(times, sorted(times, reverse=True))
        self.assertIsInstance(seen[0]["create_time"], str, "list responses carry strings")
        self.assertRegex(seen[0]["user_id"], r"^[0-9a-f]{64}$")

    def test_reply_is_recorded_and_listed_and_text_is_limited(self):
        comment = self.sim.by_ref("tiktok", "tt-c-1")["id"]
        status, _, body = self.tt("business/comment/reply/create/", "POST", body={
            "video_id": self.video(), "comment_id": comment, "text": "Sorry! Stuur ons een DM."})
        self.assert_ok(status, body)
        new = body["data"]["comment_id"]
        self.assertIsInstance(body["data"]["create_time"], int)
        _, _, replies = self.tt("business/comment/reply/list/", params={
            "video_id": self.video(), "comment_id": comment})
        listed = replies["data"]["comments"]
        self.assertEqual([(c["comment_id"], c["owner"], c["parent_comment_id"]) for c in listed],
                         [(new, True, comment)])
        self.assertEqual([(s["action"], s["in_reply_to"]) for s in self.sim.sent("tiktok")],
                         [("reply", comment)])
        status, _, body = self.tt("business/comment/reply/create/", "POST", body={
            "video_id": self.video(), "comment_id": comment, "text": "x" * 151})
        self.assertEqual(body["code"], 40002)

    def test_hidden_comments_show_only_with_status_all(self):
        comment = self.sim.by_ref("tiktok", "tt-c-2")["id"]
        status, _, body = self.tt("business/comment/hide/", "POST", body={
            "video_id": self.video(), "comment_id": comment, "action": "HIDE"})
        self.assert_ok(status, body)
        _, _, public = self.tt("business/comment/list/", params={"video_id": self.video()})
        _, _, every = self.tt("business/comment/list/", params={"video_id": self.video(),
                                                                "status": "ALL"})
        self.assertNotIn(comment, [c["comment_id"] for c in public["data"]["comments"]])
        hidden = [c for c in every["data"]["comments"] if c["comment_id"] == comment]
        self.assertEqual(hidden[0]["status"], "HIDDEN")
        self.assertEqual(self.sim.sent("tiktok")[0]["action"], "hide")

    def test_only_the_business_own_comments_can_be_deleted(self):
        comment = self.sim.by_ref("tiktok", "tt-c-3")["id"]
        _, _, body = self.tt("business/comment/delete/", "POST", body={"comment_id": comment})
        self.assertEqual(body["code"], 40002)
        self.assertEqual(self.sim.sent("tiktok"), [])

    def test_comment_update_webhook_is_signed_with_timestamp_and_body(self):
        self.rx = Receiver()
        self.sim.set_target("tiktok", self.rx.url)
        item = self.sim.add_item(platform="tiktok", type="comment", parent_id=self.video(),
                                 author="jana.k", text="Gibt es die auch in Blau?")
        r = self.rx.next("POST")
        parts = dict(p.split("=", 1) for p in r["headers"]["tiktok-signature"].split(","))
        signed = parts["t"].encode() + b"." + r["body"]
        self.assertEqual(parts["s"], hmac.new(TT_SECRET.encode(), signed, hashlib.sha256).hexdigest())
        self.assertLessEqual(abs(int(parts["t"]) - time.time()), 300)
        env = json.loads(r["body"])
        self.assertEqual((env["event"], env["user_openid"]), ("comment.update", TT_BUSINESS))
        self.assertIsInstance(env["content"], str, "content is a JSON string")
        content = json.loads(env["content"])
        self.assertEqual((content["comment_id"], content["video_id"], content["text"]),
                         (item["id"], self.video(), item["text"]))

    def oauth(self, endpoint, body):
        return self.sim.json("POST", TT_API + "tt_user/oauth2/" + endpoint, body=body)

    def test_auth_code_exchange_once_then_refresh(self):
        code = {"client_id": "sim-tiktok-client-key", "client_secret": TT_SECRET,
                "grant_type": "authorization_code", "auth_code": "sim-auth-code",
                "redirect_uri": "https://example.com/cb"}
        status, _, body = self.oauth("token/", code)
        self.assert_ok(status, body)
        data = body["data"]
        self.assertEqual((data["expires_in"], data["refresh_token_expires_in"], data["open_id"]),
                         (86400, 31536000, TT_BUSINESS))
        self.assertTrue(data["access_token"].startswith("act."))
        status, _, listed = self.tt("business/video/list/", token=data["access_token"])
        self.assert_ok(status, listed)
        self.assertEqual(self.oauth("token/", code)[2]["code"], 40110, "a code is good once")
        self.assertEqual(self.oauth("token/", dict(code, client_secret="x"))[2]["code"], 40101)
        status, _, fresh = self.oauth("refresh_token/", {
            "client_id": "sim-tiktok-client-key", "client_secret": TT_SECRET,
            "grant_type": "refresh_token", "refresh_token": data["refresh_token"]})
        self.assert_ok(status, fresh)
        self.assertNotEqual(fresh["data"]["access_token"], data["access_token"])
        self.sim.json("POST", "/_sim/tokens/expire", body={"platform": "tiktok"})
        _, _, expired = self.tt("business/video/list/", token=fresh["data"]["access_token"])
        self.assertEqual(expired["code"], 40102)

    def test_request_limit_answers_40100(self):
        for _ in range(2000):
            status, _, body = self.tt("business/video/list/")
            if body["code"] != 0:
                break
        self.assertEqual((status, body["code"]), (200, 40100))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        common.SIM = args.pop(0)
    if args and not args[0].startswith("-"):
        common.SCENARIO = args.pop(0)
    if not common.SIM:
        sys.exit("usage: test_sim_linkedin_tiktok.py PARLEY_SIM [SCENARIO] [unittest args] "
                 "(or set PARLEY_SIM)")
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)
