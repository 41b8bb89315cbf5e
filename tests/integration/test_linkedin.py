"""linkedin.so end to end: the real parleyd loads the real linkedin.so, which
reads the real parley-sim's /linkedin API (organization posts, socialActions
comments and replies, organizationalEntityNotifications) and receives its
signed webhooks; replies and comments are performed as the organization.
Every wait is for a condition, never for a time."""
import datetime
import hashlib
import hmac
import json
import os
import signal

import pytest

from parley_it import (Parleyd, SimProcess, PLUGIN_DIR, free_port, http, read_ndjson,
                       run_parleyd, validate_events, wait_until)

ORG_ID = "5515715"
ORG = "urn:li:organization:" + ORG_ID
TOKEN = "it-li-member-token-4e1f"
CLIENT_SECRET = "it-li-client-secret-8a2c"
SECRETS = [TOKEN, CLIENT_SECRET]
EMILY, MARKUS = "ACoAAB1001", "ACoAAB1002"


def scenario(path, newest_first=False):
    s = {
        "platforms": {"linkedin": {
            "account": {"id": ORG_ID, "urn": ORG, "handle": "acme", "name": "Acme Corporation"},
            "client_secret": CLIENT_SECRET,
            "rate_limit": {"member_day": 1000000, "app_day": 10000000},
            "comments_newest_first": newest_first,
            "tokens": [{"token": TOKEN, "kind": "user",
                        "scopes": "r_organization_social w_organization_social "
                                  "rw_organization_admin"}]}},
        "users": [
            {"platform": "linkedin", "id": EMILY, "handle": "emily-chen", "name": "Emily Chen"},
            {"platform": "linkedin", "id": MARKUS, "handle": "markus-kessler",
             "name": "Markus Keßler"},
        ],
        "items": [
            {"platform": "linkedin", "type": "post", "ref": "p1", "author": "acme", "at": -90000,
             "text": "We are hiring customer care specialists."},
            {"platform": "linkedin", "type": "post", "ref": "p2", "author": "acme", "at": -80000,
             "text": "Our spring release is out."},
            {"platform": "linkedin", "type": "comment", "ref": "c1", "author": "emily-chen",
             "at": -6000, "parent_ref": "p1", "text": "Is remote work possible?"},
            {"platform": "linkedin", "type": "comment", "ref": "c2", "author": "markus-kessler",
             "at": -5000, "parent_ref": "p1", "text": "Ich habe nie eine Antwort erhalten."},
            {"platform": "linkedin", "type": "comment", "ref": "r1", "author": "emily-chen",
             "at": -4000, "parent_ref": "c2", "text": "Same here."},
            {"platform": "linkedin", "type": "comment", "ref": "b1", "author": "acme",
             "at": -3500, "parent_ref": "c2", "text": "Sorry Markus, we will check.",
             "from_brand": True},
            {"platform": "linkedin", "type": "comment", "ref": "c3", "author": "emily-chen",
             "at": -3000, "parent_ref": "p2", "text": "Does it support SSO?"},
            {"platform": "linkedin", "type": "mention", "ref": "m1", "author": "markus-kessler",
             "at": -2000, "text": "Applied at @Acme Corporation three weeks ago."},
        ],
    }
    with open(path, "w") as f:
        json.dump(s, f)


class Sim(SimProcess):
    def __init__(self, tmp, *extra, newest_first=False):
        path = os.path.join(tmp, "scenario.json")
        scenario(path, newest_first)
        super().__init__(path, extra, tmp)

    def call(self, method, path, body=None, headers=None, form=None):
        data = json.dumps(body) if body is not None else form
        h = dict({"Content-Type": "application/x-www-form-urlencoded" if form else
                  "application/json"}, **(headers or {}))
        s, _, b = http(method, self.base + path, data, h)
        return s, (json.loads(b) if b else None)

    def item(self, **kw):
        s, it = self.call("POST", "/_sim/items", dict(platform="linkedin", **kw))
        assert s == 201, it
        return it

    def refs(self):
        _, b = self.call("GET", "/_sim/items?platform=linkedin")
        return {i["ref"]: i for i in b["items"] if "ref" in i}

    def sent(self):
        return self.call("GET", "/_sim/sent?platform=linkedin")[1]["sent"]

    def stop(self):
        assert super().stop() == 0


def config(tmp, port, sim, token=TOKEN, extra="", sources="comments, mentions"):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {PLUGIN_DIR}
  journal: {tmp}/parley.journal
  log_level: debug
connectors:
  - name: li
    plugin: linkedin
    options:
      base_url: {sim.base}/linkedin
      oauth_url: {sim.base}/linkedin/oauth/v2
      organization: "{ORG}"
      access_token: {token}
      client_secret: {CLIENT_SECRET}
      sources: [{sources}]
      poll_interval: 300ms
      poll_floor: 100ms
      page_size: 2
      include_raw: true
{extra}
outputs:
  - name: all
    type: ndjson
    options:
      path: {tmp}/all.ndjson
routes:
  - outputs: all
"""


def li(native):
    return "linkedin:" + native


def activity(post_id):
    return "urn:li:activity:" + post_id


class Stack:
    def __init__(self, tmp, *sim_args, newest_first=False, **cfg):
        self.tmp = tmp
        self.sim = Sim(tmp, *sim_args, newest_first=newest_first)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.text = config(tmp, self.port, self.sim, **cfg)
        self.d = Parleyd(self.text, tmpdir=tmp).start(self.base)

    def events(self):
        return read_ndjson(os.path.join(self.tmp, "all.ndjson"))

    def event(self, ev_id, timeout=30):
        return wait_until(lambda: next((e for e in self.events() if e["id"] == ev_id), None),
                          timeout, what="event " + ev_id)

    def metric(self, name):
        _, _, b = http("GET", self.base + "/metrics")
        for line in b.decode().splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def status(self):
        _, _, b = http("GET", self.base + "/v1/status")
        return next(c for c in json.loads(b)["connectors"] if c["name"] == "li")

    def action(self, **kw):
        doc = dict({"schema": "parley.action.v1", "connector": "li"}, **kw)
        s, _, b = http("POST", self.base + "/v1/actions", json.dumps(doc),
                       {"Content-Type": "application/json"})
        return s, json.loads(b)

    def restart(self):
        assert self.d.stop() == 0
        self.d = Parleyd(self.text, tmpdir=self.tmp).start(self.base)

    def close(self):
        code = self.d.stop()
        self.sim.stop()
        logs = self.d.logs()
        out = json.dumps(self.events())
        for secret in SECRETS:
            assert secret not in logs, "a secret reached parleyd's log"
            assert secret not in out, "a secret reached an event"
        assert code == 0, logs


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


@pytest.fixture
def st(tmp, request):
    stack = Stack(tmp, newest_first=getattr(request, "param", "") == "newest_first")
    yield stack
    stack.close()


def no_duplicates(events):
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)), "an event came out twice"


# LinkedIn does not document the order of comments (linkedin.md §5.1): the
# walks must work with either.
ORDERS = pytest.mark.parametrize("st", ["oldest_first", "newest_first"], indirect=True)


@ORDERS
def test_comments_replies_and_mentions_arrive_with_the_right_fields(st):
    r = st.sim.refs()
    p1, p2 = r["p1"]["id"], r["p2"]["id"]
    ev = {k: st.event(li(r[k]["id"])) for k in ("c1", "c2", "r1", "b1", "c3", "m1")}
    c1 = ev["c1"]
    assert c1["kind"] == "comment" and c1["visibility"] == "public" and c1["account"] == ORG
    assert c1["conversation_id"] == activity(p1) and c1["in_reply_to"] == li(p1)
    assert c1["author"] == {"id": "urn:li:person:" + EMILY}
    assert c1["text"] == "Is remote work possible?"
    created = datetime.datetime.strptime(c1["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    assert int(created.timestamp() * 1000) == r["c1"]["created_ms"]  # epoch ms kept
    comment_urn = f"urn:li:comment:(urn:li:activity:{p1},{r['c1']['id']})"
    assert c1["url"] == ("https://www.linkedin.com/feed/update/urn:li:activity:%s/?commentUrn=%s"
                         % (p1, comment_urn.replace(":", "%3A").replace("(", "%28")
                            .replace(")", "%29").replace(",", "%2C")))
    assert c1["raw"]["commentUrn"] == comment_urn  # include_raw
    assert ev["r1"]["kind"] == "reply" and ev["r1"]["in_reply_to"] == li(r["c2"]["id"])
    assert ev["r1"]["conversation_id"] == activity(p1)
    # the page answering natively is an outbound message of the thread
    assert ev["b1"]["kind"] == "outbound" and ev["b1"]["author"]["id"] == ORG
    assert ev["c3"]["conversation_id"] == activity(p2)
    m1 = ev["m1"]
    assert m1["kind"] == "mention" and m1["author"]["id"] == "urn:li:person:" + MARKUS
    assert m1["text"] == "Applied at @Acme Corporation three weeks ago."
    assert m1["conversation_id"] == "urn:li:share:" + r["m1"]["id"]
    # more new comments than one page (page_size 2) between two polls
    many = [st.sim.item(type="comment", parent_id=p2, author="markus-kessler", text=f"q{n}")
            for n in range(7)]
    for it in many:
        st.event(li(it["id"]))
    evs = [e for e in st.events() if e["kind"] != "system"]
    no_duplicates(evs)
    validate_events(evs)
    # the organization's own posts are not conversation
    assert li(p1) not in {e["id"] for e in evs}


@ORDERS
def test_restart_backfill_delivers_what_was_created_while_down_exactly_once(st):
    r = st.sim.refs()
    p1, p2 = r["p1"]["id"], r["p2"]["id"]
    st.event(li(r["m1"]["id"]))
    st.event(li(r["c3"]["id"]))
    before = wait_until(lambda: st.metric("linkedin_comment_passes_total") >= 2 and
                        st.metric("linkedin_mention_passes_total") >= 2 and st.events(),
                        what="two complete passes")
    assert before
    first = {e["id"] for e in st.events()}
    assert st.d.stop() == 0
    # p1 then holds 3 top-level comments, p2 holds 5: with page_size 2 the
    # first and the last page of p1 would overlap
    missed = [st.sim.item(type="comment", parent_id=p1 if n == 0 else p2, author="emily-chen",
                          text=f"while down {n}") for n in range(5)]
    missed.append(st.sim.item(type="comment", parent_id=r["c1"]["id"], author="markus-kessler",
                              text="a reply while down"))
    missed.append(st.sim.item(type="mention", author="emily-chen", text="@Acme while down"))
    st.d = Parleyd(st.text, tmpdir=st.tmp).start(st.base)
    for it in missed:
        st.event(li(it["id"]), timeout=60)
    reply = st.event(li(missed[5]["id"]))
    assert reply["kind"] == "reply" and reply["in_reply_to"] == li(r["c1"]["id"])
    # a few more passes over the same posts and range: nothing comes again
    n = st.metric("linkedin_comment_passes_total")
    wait_until(lambda: st.metric("linkedin_comment_passes_total") >= n + 3, what="more passes")
    evs = st.events()
    no_duplicates(evs)
    assert {li(it["id"]) for it in missed} | first == {e["id"] for e in evs if e["kind"] != "system"}
    assert st.metric("linkedin_events_emitted_total") == len(missed), \
        "the restarted instance re-emitted what its checkpoints cover"


def test_reply_and_comment_as_the_organization_are_recorded_and_refusals_are_clear(st):
    r = st.sim.refs()
    p1, c1 = r["p1"]["id"], r["c1"]["id"]
    st.event(li(c1))
    s, res = st.action(idempotency_key="li-reply-1", type="reply_public", target=li(c1),
                       conversation_id=activity(p1), text="Yes, remote work is possible!")
    assert s == 200 and res["status"] == "done", res
    new_id = res["platform_id"]
    sent = [x for x in st.sim.sent() if x["action"] == "reply"]
    assert sent and sent[0]["in_reply_to"] == c1 and sent[0]["text"].startswith("Yes, remote")
    out = st.event(li(new_id))
    assert out["kind"] == "outbound" and out["in_reply_to"] == li(c1)
    assert out["conversation_id"] == activity(p1)
    # a comment on the post itself
    s, res = st.action(idempotency_key="li-comment-1", type="reply_public", target=li(p1),
                       conversation_id=activity(p1), text="Applications are open until May.")
    assert s == 200 and res["status"] == "done", res
    assert any(x["action"] == "comment" and x["in_reply_to"] == p1 for x in st.sim.sent())
    # the same key again: performed once
    st.action(idempotency_key="li-reply-1", type="reply_public", target=li(c1),
              conversation_id=activity(p1), text="Yes, remote work is possible!")
    assert len([x for x in st.sim.sent() if x["action"] == "reply"]) == 1
    # what LinkedIn does not allow is refused with the reason
    s, res = st.action(idempotency_key="li-dm-1", type="direct_message",
                       conversation_id=activity(p1), recipient="urn:li:person:" + EMILY, text="hi")
    assert res["status"] != "done" and "no API for a company page's private messages" in \
        res.get("message", ""), res
    s, res = st.action(idempotency_key="li-hide-1", type="hide", target=li(c1),
                       conversation_id=activity(p1))
    assert res["status"] != "done" and "hide_deletes" in res.get("message", ""), res
    s, res = st.action(idempotency_key="li-bad-1", type="reply_public", target=li(c1), text="x")
    assert res["status"] != "done" and "conversation_id" in res.get("message", ""), res
    assert not [x for x in st.sim.sent() if x["action"] == "delete"]
    validate_events([e for e in st.events()])


def test_hide_deletes_option_deletes_the_comment(tmp):
    st = Stack(tmp, extra="      hide_deletes: true")
    try:
        r = st.sim.refs()
        st.event(li(r["b1"]["id"]))
        s, res = st.action(idempotency_key="li-del-1", type="hide", target=li(r["b1"]["id"]),
                           conversation_id=activity(r["p1"]["id"]))
        assert s == 200 and res["status"] == "done", res
        assert any(x["action"] == "delete" and x["target"] == r["b1"]["id"] for x in st.sim.sent())
        s, res = st.action(idempotency_key="li-unhide-1", type="unhide",
                           target=li(r["b1"]["id"]), conversation_id=activity(r["p1"]["id"]))
        assert res["status"] != "done" and "nothing to unhide" in res.get("message", ""), res
    finally:
        st.close()


def test_a_429_is_survived(st):
    r = st.sim.refs()
    st.event(li(r["c3"]["id"]))
    s, _ = st.sim.call("POST", "/_sim/faults", {"platform": "linkedin", "path": "/rest/",
                                                "fault": "status429", "count": 2})
    assert s == 201
    later = st.sim.item(type="comment", parent_id=r["p2"]["id"], author="emily-chen",
                        text="after the throttle")
    st.event(li(later["id"]), timeout=90)
    _, faults = st.sim.call("GET", "/_sim/faults")
    assert faults["faults"] == [], faults  # both 429s were served, and waited out
    assert st.status()["healthy"] is True
    no_duplicates(st.events())


def oauth_code_exchange(sim):
    """The administrator's consent, as the app's backend would do it."""
    s, tok = sim.call("POST", "/linkedin/oauth/v2/accessToken",
                      form="grant_type=authorization_code&code=sim-auth-code&redirect_uri="
                           "https%3A%2F%2Fapp.example%2Fcb&client_id=it-app&client_secret="
                      + CLIENT_SECRET)
    assert s == 200, tok
    return tok["access_token"], tok["refresh_token"]


def test_expired_token_makes_the_instance_unhealthy_then_a_new_token_recovers_it(tmp):
    token_file = os.path.join(tmp, "li-token")
    with open(token_file, "w") as f:
        f.write(TOKEN)
    st = Stack(tmp, token="${file:%s}" % token_file)
    try:
        r = st.sim.refs()
        st.event(li(r["c3"]["id"]))
        st.sim.call("POST", "/_sim/tokens/expire", {"platform": "linkedin"})
        sys_ev = wait_until(lambda: [e for e in st.events() if e["kind"] == "system"], 60,
                            what="a system event")
        assert len(sys_ev) == 1 and "re-authorize" in sys_ev[0]["text"], sys_ev
        validate_events(sys_ev)
        wait_until(lambda: st.metric("linkedin_token_refused_total") >= 3, 60,
                   what="further refused polls (the instance keeps running)")
        status = st.status()
        assert status["healthy"] is False and "EXPIRED_ACCESS_TOKEN" in status["health_reason"]
        # the administrator re-authorizes; the operator puts the new token in
        # place and reloads
        access, _ = oauth_code_exchange(st.sim)
        SECRETS.append(access)
        with open(token_file, "w") as f:
            f.write(access)
        st.d.proc.send_signal(signal.SIGHUP)
        later = st.sim.item(type="comment", parent_id=r["p2"]["id"], author="emily-chen",
                            text="after the new token")
        st.event(li(later["id"]), timeout=60)
        wait_until(lambda: st.status()["healthy"] is True, what="healthy again")
    finally:
        st.close()


def test_a_refresh_token_renews_an_expired_access_token(tmp):
    sim = Sim(tmp)
    access, refresh = oauth_code_exchange(sim)
    SECRETS.extend([access, refresh])
    port = free_port()
    extra = f"      refresh_token: {refresh}\n      client_id: it-app"
    d = Parleyd(config(tmp, port, sim, token=access, extra=extra), tmpdir=tmp).start(
        f"http://127.0.0.1:{port}")
    try:
        p2 = sim.refs()["p2"]["id"]
        events = lambda: read_ndjson(os.path.join(tmp, "all.ndjson"))
        wait_until(lambda: any(e["id"] == li(sim.refs()["c3"]["id"]) for e in events()),
                   what="the first comments")
        sim.call("POST", "/_sim/tokens/expire", {"platform": "linkedin"})
        later = sim.item(type="comment", parent_id=p2, author="emily-chen", text="after expiry")
        wait_until(lambda: any(e["id"] == li(later["id"]) for e in events()), 60,
                   what="a comment written after the expiry")
        assert not [e for e in events() if e["kind"] == "system"]
        assert d.stop() == 0
        # the configured access token is expired now: a restart uses the
        # refreshed one kept in the checkpoint store
        d = Parleyd(config(tmp, port, sim, token=access, extra=extra), tmpdir=tmp).start(
            f"http://127.0.0.1:{port}")
        after = sim.item(type="comment", parent_id=p2, author="emily-chen", text="after restart")
        wait_until(lambda: any(e["id"] == li(after["id"]) for e in events()), 60,
                   what="a comment after the restart")
        assert not [e for e in events() if e["kind"] == "system"]
    finally:
        code = d.stop()
        sim.stop()
        for secret in SECRETS:
            assert secret not in d.logs()
        assert code == 0


def sign(body, secret=CLIENT_SECRET):
    return hmac.new(secret.encode(), b"hmacsha256=" + body.encode(), hashlib.sha256).hexdigest()


def test_webhook_challenge_signature_and_notifications(tmp):
    st = Stack(tmp, sources="webhook")
    try:
        hook = st.base + "/hooks/li"
        code = "890e4665-4dfe-4ab1-b689-ed553bceeed0"
        s, h, b = http("GET", hook + "?challengeCode=" + code)
        want = hmac.new(CLIENT_SECRET.encode(), code.encode(), hashlib.sha256).hexdigest()
        assert s == 200 and json.loads(b) == {"challengeCode": code, "challengeResponse": want}
        # the simulator validates the endpoint, then delivers signed notifications
        st.sim.call("POST", "/_sim/webhook-target", {"platform": "linkedin", "url": hook})
        wait_until(lambda: any(d.get("kind") == "verify_result" and d.get("ok") for d in
                               st.sim.call("GET", "/_sim/webhooks?platform=linkedin")[1]
                               ["deliveries"]), what="the challengeCode validation")
        p1 = st.sim.refs()["p1"]["id"]
        c = st.sim.item(type="comment", parent_id=p1, author="emily-chen", text="via webhook")
        m = st.sim.item(type="mention", author="markus-kessler", text="@Acme via webhook")
        ev = st.event(li(c["id"]))
        assert ev["kind"] == "comment" and ev["conversation_id"] == activity(p1)
        assert ev["text"] == "via webhook" and ev["author"]["id"] == "urn:li:person:" + EMILY
        assert st.event(li(m["id"]))["kind"] == "mention"
        # forged, unsigned and malformed deliveries are refused, counted
        secret_text = "FORGED-BODY-MARKER"
        forged = json.dumps({"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [
            {"notificationId": 1, "action": "COMMENT", "organizationalEntity": ORG,
             "lastModifiedAt": 1691574506310, "sourcePost": "urn:li:activity:1",
             "generatedActivity": "urn:li:comment:(activity:1,999)",
             "decoratedGeneratedActivity": {"comment": {"owner": "urn:li:person:x",
                                                        "text": secret_text}}}]})
        assert http("POST", hook, forged, {"X-LI-Signature": sign(forged, "wrong")})[0] == 401
        assert http("POST", hook, forged)[0] == 401
        bad = '{"type":"ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS"}'
        assert http("POST", hook, bad, {"X-LI-Signature": sign(bad)})[0] == 400
        assert st.metric("linkedin_webhook_forged_total") == 2
        assert not [e for e in st.events() if e["id"] == "linkedin:999"]
        assert "forged webhook refused" in st.d.logs() and secret_text not in st.d.logs()
        # the same forged body signed right: the short URN form is normalised
        assert http("POST", hook, forged, {"X-LI-Signature": sign(forged)})[0] == 200
        short = st.event("linkedin:999")
        assert short["url"].endswith("commentUrn=urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity"
                                     "%3A1%2C999%29")
        validate_events(st.events())
    finally:
        st.close()


def test_a_signed_delivery_with_bad_characters_keeps_every_notification(tmp):
    """A raw NUL or an invalid byte in one notification of a signed delivery
    is repaired (U+FFFD), marked "repaired" on every event of it, counted;
    the other notifications are kept and the log names no text."""
    st = Stack(tmp, sources="webhook")
    try:
        hook = st.base + "/hooks/li"

        def note(n, text):
            return {"notificationId": n, "action": "COMMENT", "organizationalEntity": ORG,
                    "lastModifiedAt": 1691574506310, "sourcePost": "urn:li:activity:1",
                    "generatedActivity": f"urn:li:comment:(activity:1,77{n})",
                    "decoratedGeneratedActivity": {"comment": {"owner": "urn:li:person:x",
                                                               "text": text}}}
        body = (json.dumps({"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [
            note(1, "MESSAGE-1"), note(2, "MESSAGE-2")]})
            .replace("MESSAGE-1", "nul \x00 hier").replace("MESSAGE-2", "alles goed"))
        raw = body.encode().replace(b"\\u0000", b"\x00").replace(b"goed", b"go\xffed")
        sig = hmac.new(CLIENT_SECRET.encode(), b"hmacsha256=" + raw, hashlib.sha256).hexdigest()
        assert http("POST", hook, raw, {"X-LI-Signature": sig})[0] == 200
        one, two = st.event("linkedin:771"), st.event("linkedin:772")
        assert one["text"] == "nul \ufffd hier" and two["text"] == "alles go\ufffded"
        assert one["repaired"] == 2 and two["repaired"] == 2
        assert st.metric("linkedin_webhook_repaired_total") == 1
        logs = st.d.logs()
        assert "2 invalid characters replaced by U+FFFD" in logs and "hier" not in logs
        validate_events(st.events())
    finally:
        st.close()


def test_config_errors_name_the_option(tmp):
    port = free_port()
    sim_base = "http://127.0.0.1:1"
    text = config(tmp, port, type("S", (), {"base": sim_base})()).replace(
        f'organization: "{ORG}"', 'organization: "urn:li:company:12"')
    path = os.path.join(tmp, "p.yaml")
    with open(path, "w") as f:
        f.write(text)
    r = run_parleyd("--check-config", path)
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "organization: 'urn:li:company:12'" in out, out
    assert TOKEN not in out
