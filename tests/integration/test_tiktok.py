"""tiktok.so end to end: the real parleyd against the real parley-sim.

Comments and replies on the account's videos arrive as events with the
right fields; after downtime the back-fill delivers what was written
meanwhile exactly once (paging past one page, new replies to old comments,
a new video); signed comment.update webhooks become the same events and
forged or stale ones are refused; reply, hide and unhide are performed and
recorded by the simulator, what TikTok cannot do is refused by name; an
expired token is refreshed, or the instance reports unhealthy and recovers
once a refresh succeeds; throttling (40100 with HTTP 200, and 429) is
survived. Every wait is for a condition, never for a time."""
import hashlib
import hmac
import json
import os
import re
import time

import pytest

from parley_it import (PLUGIN_DIR, SimProcess, Parleyd, event_ms, free_port, http,
                       read_ndjson, validate_events, wait_until)


BUSINESS = "-000itacmebusiness"
TOKEN = "act.it-tiktok-token-3f9a"
REFRESH = "rft.it-tiktok-refresh-77c2"
CLIENT_KEY = "it-tiktok-client-key"
CLIENT_SECRET = "it-tiktok-client-secret-5be1"
SECRETS = [TOKEN, REFRESH, CLIENT_SECRET]

USERS = [("tt-3001", "lottebakt", "Lotte"), ("tt-3002", "techdad42", "Tom"),
         ("tt-3003", "jana.k", "Jana")]


def scenario(path, per_minute=600, scopes=None, lifetime=None):
    items = [
        dict(ref="v1", type="video", author="acme", at=-90000, text="Spring drop #acme"),
        dict(ref="v2", type="video", author="acme", at=-80000, text="Behind the scenes"),
        dict(ref="c1", type="comment", author="lottebakt", parent_ref="v1", at=-5000,
             text="Die van mij piepen na twee dagen al 😩"),
        dict(ref="c2", type="comment", author="techdad42", parent_ref="v1", at=-4000,
             text="is this waterproof?"),
        dict(ref="r1", type="comment", author="jana.k", parent_ref="c1", at=-3000,
             text="Meine auch!"),
        dict(ref="b1", type="comment", author="acme", parent_ref="c1", at=-2500,
             text="Sorry Lotte, DM us your order number"),
        dict(ref="c3", type="comment", author="jana.k", parent_ref="v2", at=-2000,
             text="Wo kann ich die kaufen?"),
    ]
    s = {
        "platforms": {"tiktok": {
            "account": {"id": BUSINESS, "handle": "acme", "name": "Acme"},
            "client_secret": CLIENT_SECRET, "client_key": CLIENT_KEY,
            "rate_limit": {"per_minute": per_minute},
            **({"access_token_lifetime_s": lifetime} if lifetime else {}),
            "tokens": [dict({"token": TOKEN, "kind": "user", "user_id": BUSINESS},
                            **({"scopes": scopes} if scopes else {})),
                       {"token": REFRESH, "kind": "refresh", "user_id": BUSINESS}]}},
        "users": [dict(platform="tiktok", id=i, handle=h, name=n) for i, h, n in USERS],
        "items": [dict(platform="tiktok", **it) for it in items],
    }
    with open(path, "w") as f:
        json.dump(s, f)


class Sim(SimProcess):
    def __init__(self, tmp, *extra, per_minute=600, scopes=None, lifetime=None):
        path = os.path.join(tmp, "scenario.json")
        scenario(path, per_minute, scopes, lifetime)
        super().__init__(path, extra, tmp)

    def call(self, method, path, doc=None):
        status, _, body = http(method, self.base + path,
                               json.dumps(doc) if doc is not None else None,
                               {"Content-Type": "application/json"})
        assert status in (200, 201), body
        return json.loads(body) if body else None

    def item(self, **kw):
        return self.call("POST", "/_sim/items", dict(platform="tiktok", **kw))

    def items(self):
        return self.call("GET", "/_sim/items?platform=tiktok")["items"]

    def ref(self, ref):
        return next(i for i in self.items() if i.get("ref") == ref)

    def sent(self):
        return self.call("GET", "/_sim/sent?platform=tiktok")["sent"]

    def fault(self, **kw):
        return self.call("POST", "/_sim/faults", dict(platform="tiktok", **kw))

    def faults(self):
        return self.call("GET", "/_sim/faults")["faults"]

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        assert super().stop() == 0


def config(tmp, port, sim, extra="", interval="500ms"):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {PLUGIN_DIR}
  journal: {tmp}/parley.journal
  log_level: debug
connectors:
  - name: tt
    plugin: tiktok
    options:
      base_url: {sim.base}/tiktok
      business_id: "{BUSINESS}"
      account_handle: acme
      access_token: {TOKEN}
      client_secret: {CLIENT_SECRET}
      poll_interval: {interval}
      poll_floor: 100ms
      rate_limit_backoff: 1s
      include_raw: true
{extra}
outputs:
  - name: all
    type: ndjson
    options: {{path: {tmp}/all.ndjson}}
routes:
  - outputs: all
"""

REFRESH_OPTS = f"""      refresh_token: {REFRESH}
      client_key: {CLIENT_KEY}
"""


class Stack:
    def __init__(self, tmp, sim_args=(), extra="", interval="500ms", per_minute=600,
                 scopes=None, lifetime=None):
        self.tmp = tmp
        self.sim = Sim(tmp, *sim_args, per_minute=per_minute, scopes=scopes, lifetime=lifetime)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.text = config(tmp, self.port, self.sim, extra, interval)
        self.d = Parleyd(self.text, tmpdir=tmp).start(self.base)

    def events(self, kind=None):
        evs = read_ndjson(os.path.join(self.tmp, "all.ndjson"))
        return [e for e in evs if kind is None or e["kind"] == kind]

    def customer(self):
        return [e for e in self.events() if e["kind"] not in ("system", "unknown")]

    def wait_ids(self, ids, what, timeout=60):
        want = {"tiktok:" + i for i in ids}
        wait_until(lambda: want <= {e["id"] for e in self.events()}, timeout, what=what)

    def event(self, native):
        return next(e for e in self.events() if e["id"] == "tiktok:" + native)

    def metric(self, name, labels='"tt"'):
        _, _, b = http("GET", self.base + "/metrics")
        for line in b.decode().splitlines():
            if line.startswith(name + "{") and labels in line:
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def status(self):
        doc = json.loads(http("GET", self.base + "/v1/status")[2])
        return next(c for c in doc["connectors"] if c["name"] == "tt")

    def action(self, **kw):
        doc = dict(schema="parley.action.v1", connector="tt", **kw)
        s, _, b = http("POST", self.base + "/v1/actions", json.dumps(doc),
                       {"Content-Type": "application/json"})
        return s, json.loads(b)

    def restart(self):
        assert self.d.stop() == 0
        self.d = Parleyd(self.text, tmpdir=self.tmp).start(self.base)

    def close(self):
        code = self.d.stop()
        self.sim.stop()
        logs = self.d.logs() + json.dumps(self.events())
        for secret in SECRETS:
            assert secret not in logs, "a secret reached parleyd's log or an event"
        assert code == 0, self.d.logs()


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


@pytest.fixture
def st(tmp):
    s = Stack(tmp)
    yield s
    s.close()


def no_duplicates(st):
    ids = [e["id"] for e in st.customer()]
    assert len(ids) == len(set(ids)), "an event came out twice"


def test_comments_and_replies_arrive_with_the_right_fields(st):
    ref = {r: st.sim.ref(r) for r in ("v1", "v2", "c1", "c2", "r1", "b1", "c3")}
    st.wait_ids([ref[r]["id"] for r in ("c1", "c2", "r1", "b1", "c3")], "the scenario's comments")
    v1, c1 = ref["v1"]["id"], ref["c1"]["id"]
    e = st.event(c1)
    assert e["kind"] == "comment" and e["visibility"] == "public" and e["account"] == "acme"
    assert e["conversation_id"] == "tiktok:" + v1 and e["in_reply_to"] == "tiktok:" + v1
    assert e["author"]["handle"] == "lottebakt" and e["author"]["name"] == "Lotte"
    assert re.fullmatch(r"[0-9a-f]{64}", e["author"]["id"])  # app-scoped hash (§4.1)
    assert e["text"] == "Die van mij piepen na twee dagen al 😩"
    assert e["url"] == f"https://www.tiktok.com/@acme/video/{v1}"
    # create_time has seconds only
    assert event_ms(e["created_at"]) == ref["c1"]["created_ms"] // 1000 * 1000
    assert e["raw"]["comment_id"] == c1
    r1 = st.event(ref["r1"]["id"])
    assert r1["kind"] == "reply" and r1["in_reply_to"] == "tiktok:" + c1
    assert r1["conversation_id"] == "tiktok:" + v1
    b1 = st.event(ref["b1"]["id"])
    assert b1["kind"] == "outbound" and b1["in_reply_to"] == "tiktok:" + c1
    c3 = st.event(ref["c3"]["id"])
    assert c3["conversation_id"] == "tiktok:" + ref["v2"]["id"]
    # written while running: a comment, and a reply to an old comment
    new = st.sim.item(type="comment", author="techdad42", parent_id=ref["v2"]["id"],
                      text="price?")
    rep = st.sim.item(type="comment", author="lottebakt", parent_id=ref["c2"]["id"],
                      text="yes it is")
    st.wait_ids([new["id"], rep["id"]], "comments written while running")
    assert st.event(rep["id"])["in_reply_to"] == "tiktok:" + ref["c2"]["id"]
    validate_events(st.events())
    no_duplicates(st)
    assert st.metric("parley_events_duplicate_total") == 0
    assert not st.events("system")


def test_restart_backfill_delivers_what_was_missed_exactly_once(st):
    sim = st.sim
    v1, c2 = sim.ref("v1")["id"], sim.ref("c2")["id"]
    st.wait_ids([sim.ref("c3")["id"]], "the scenario's comments")
    passes = st.metric("tiktok_backfill_passes_total")
    wait_until(lambda: st.metric("tiktok_backfill_passes_total") >= passes + 2,
               what="two complete passes")
    assert st.d.stop() == 0
    missed = [sim.item(type="comment", author=USERS[n % 3][1], parent_id=v1,
                       text=f"missed {n}")["id"] for n in range(40)]  # > one page of 30
    missed += [sim.item(type="comment", author="jana.k", parent_id=c2,
                        text=f"reply missed {n}")["id"] for n in range(3)]
    v3 = sim.item(type="video", author="acme", text="New video while down")["id"]
    missed += [sim.item(type="comment", author="lottebakt", parent_id=v3,
                        text=f"on the new video {n}")["id"] for n in range(2)]
    t0 = time.monotonic()
    st.d = Parleyd(st.text, tmpdir=st.tmp).start(st.base)
    st.wait_ids(missed, "every missed comment")
    print(f"back-fill after restart: {len(missed)} items in {time.monotonic() - t0:.2f} s "
          "(parleyd start included)")
    passes = st.metric("tiktok_backfill_passes_total")
    wait_until(lambda: st.metric("tiktok_backfill_passes_total") >= passes + 2,
               what="two more passes")
    # the connector re-emitted nothing the journal had: the checkpoints held
    assert st.metric("parley_events_duplicate_total") == 0
    no_duplicates(st)
    assert st.event(missed[41])["kind"] == "reply"
    assert st.event(missed[-1])["conversation_id"] == "tiktok:" + v3
    validate_events(st.events())


def sign(body, t=None, secret=CLIENT_SECRET):
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},s={mac}"


def test_signed_webhooks_become_events_and_forged_ones_are_refused(tmp):
    st = Stack(tmp, interval="1h")
    try:
        sim = st.sim
        st.wait_ids([sim.ref("c3")["id"]], "the first pass")
        sim.call("POST", "/_sim/webhook-target", {"platform": "tiktok",
                                                  "url": st.base + "/hooks/tt"})
        c = sim.item(type="comment", author="techdad42", parent_id=sim.ref("v2")["id"],
                     text="webhook path")
        st.wait_ids([c["id"]], "the comment by webhook")
        print("webhook path: created -> received %d ms" %
              (event_ms(st.event(c["id"])["received_at"]) - c["created_ms"]))
        assert st.metric("tiktok_webhook_deliveries_total") >= 1
        e = st.event(c["id"])
        assert e["kind"] == "comment" and e["author"]["handle"] == "techdad42"
        hook = st.base + "/hooks/tt"
        secret_text = "FORGED-MARKER do not log me"
        body = json.dumps({"client_key": CLIENT_KEY, "event": "comment.update",
                           "create_time": int(time.time()), "user_openid": BUSINESS,
                           "content": json.dumps({"comment_id": "999", "video_id": "1",
                                                  "text": secret_text,
                                                  "create_time": int(time.time())})})
        h = {"Content-Type": "application/json"}
        assert http("POST", hook, body, dict(h, **{"TikTok-Signature": sign(body, secret="x")}))[0] == 401
        assert http("POST", hook, body, h)[0] == 401
        stale = sign(body, t=int(time.time()) - 3600)
        assert http("POST", hook, body, dict(h, **{"TikTok-Signature": stale}))[0] == 401
        assert st.metric("tiktok_webhook_forged_total") == 3
        assert http("POST", hook, "not json", dict(h, **{"TikTok-Signature": sign("not json")}))[0] == 400
        # an event type nobody maps is kept as kind unknown, never dropped
        other = json.dumps({"client_key": CLIENT_KEY, "event": "im_receive_msg",
                            "create_time": int(time.time()), "user_openid": BUSINESS,
                            "content": json.dumps({"conversation_id": "c-1"})})
        assert http("POST", hook, other, dict(h, **{"TikTok-Signature": sign(other)}))[0] == 200
        unknown = wait_until(lambda: st.events("unknown"), what="the unknown event")
        assert unknown[0]["raw"]["event"] == "im_receive_msg"
        # the account holder revoked the app: unhealthy, a system event
        gone = json.dumps({"client_key": CLIENT_KEY, "event": "authorization.removed",
                           "create_time": int(time.time()), "user_openid": BUSINESS,
                           "content": json.dumps({"reason": 1})})
        assert http("POST", hook, gone, dict(h, **{"TikTok-Signature": sign(gone)}))[0] == 200
        sysev = wait_until(lambda: st.events("system"), what="a system event")
        assert "authorization.removed" in sysev[0]["text"]
        assert st.status()["healthy"] is False
        assert "tiktok:999" not in {e["id"] for e in st.events()}
        assert secret_text not in st.d.logs()
        validate_events(st.events())
    finally:
        st.close()


def test_a_signed_delivery_with_bad_characters_is_kept_and_marked(tmp):
    """An invalid byte in the envelope and a \\u0000 inside the embedded
    content: the comment arrives repaired (U+FFFD), marked, counted, and its
    text is not logged."""
    st = Stack(tmp, interval="1h")
    try:
        sim = st.sim
        hook = st.base + "/hooks/tt"
        sim.call("POST", "/_sim/webhook-target", {"platform": "tiktok", "url": hook})
        c = sim.item(type="comment", author="techdad42", parent_id=sim.ref("v2")["id"],
                     text="TEMPLATE-COMMENT")
        st.wait_ids([c["id"]], "the template comment")
        body = next(d["body"] for d in sim.call("GET", "/_sim/webhooks?platform=tiktok")
                    ["deliveries"] if "TEMPLATE-COMMENT" in (d.get("body") or ""))
        env = json.loads(body)
        content = json.loads(env["content"])
        content["comment_id"] = c["id"] + "7"
        content["text"] = "MESSAGE-1"
        env["content"] = json.dumps(content).replace("MESSAGE-1", "nul \\u0000 hier")
        env["note"] = "ZZ"
        raw = json.dumps(env).encode().replace(b"ZZ", b"\xff")
        t = int(time.time())
        mac = hmac.new(CLIENT_SECRET.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
        assert http("POST", hook, raw, {"Content-Type": "application/json",
                                        "TikTok-Signature": f"t={t},s={mac}"})[0] == 200
        st.wait_ids([c["id"] + "7"], "the repaired comment")
        e = st.event(c["id"] + "7")
        assert e["text"] == "nul \ufffd hier", e
        assert e["repaired"] == 2
        assert "repaired" not in st.event(c["id"])
        assert st.metric("tiktok_webhook_repaired_total") == 1
        logs = st.d.logs()
        assert "2 invalid characters replaced by U+FFFD" in logs and "hier" not in logs
        validate_events(st.events())
    finally:
        st.close()


def test_reply_hide_and_unhide_are_recorded_and_refusals_named(st):
    sim = st.sim
    v1, c2 = sim.ref("v1")["id"], sim.ref("c2")["id"]
    st.wait_ids([c2], "the comment to answer")
    reply = dict(idempotency_key="tt-reply-c2", type="reply_public", target="tiktok:" + c2,
                 conversation_id="tiktok:" + v1, text="Yes, IPX7 rated 💧")
    s, res = st.action(**reply)
    assert s == 200 and res["status"] == "done", res
    s, again = st.action(**reply)
    assert s in (200, 409), again
    s, top = st.action(idempotency_key="tt-comment-v1", type="reply_public",
                       target="tiktok:" + v1, conversation_id="tiktok:" + v1,
                       text="Thanks all for the love!")
    assert s == 200 and top["status"] == "done", top
    for kind in ("hide", "unhide"):
        s, r = st.action(idempotency_key="tt-" + kind, type=kind, target="tiktok:" + c2,
                         conversation_id="tiktok:" + v1)
        assert s == 200 and r["status"] == "done", r
    s, r = st.action(idempotency_key="tt-private", type="reply_private", target="tiktok:" + c2,
                     conversation_id="tiktok:" + v1, text="DM?")
    assert r["error"] == "PARLEY_ENOTSUP" and "private replies" in r["message"], r
    s, r = st.action(idempotency_key="tt-dm", type="direct_message", recipient="tt-3001",
                     text="hi")
    assert r["error"] == "PARLEY_ENOTSUP" and "Business Messaging" in r["message"], r
    s, r = st.action(idempotency_key="tt-long", type="reply_public", target="tiktok:" + c2,
                     conversation_id="tiktok:" + v1, text="x" * 151)
    assert r["error"] == "PARLEY_EINVAL" and "150" in r["message"], r
    s, r = st.action(idempotency_key="tt-noconv", type="reply_public", target="tiktok:" + c2,
                     text="hello")
    assert r["error"] == "PARLEY_EINVAL" and "conversation_id" in r["message"], r
    sent = sim.sent()
    assert [(x["action"], x["in_reply_to"]) for x in sent if x["action"] in ("reply", "comment")] \
        == [("reply", c2), ("comment", v1)]
    assert [(x["action"], x["mode"]) for x in sent if x["action"] == "hide"] == \
        [("hide", "HIDE"), ("hide", "UNHIDE")]
    st.wait_ids([res["platform_id"], top["platform_id"]], "the outbound comments")
    out = st.event(res["platform_id"])
    assert out["kind"] == "outbound" and out["in_reply_to"] == "tiktok:" + c2
    assert st.event(top["platform_id"])["in_reply_to"] == "tiktok:" + v1
    validate_events(st.events())
    no_duplicates(st)


def test_an_expired_token_is_refreshed_and_kept_across_a_restart(tmp):
    st = Stack(tmp, extra=REFRESH_OPTS)
    try:
        sim = st.sim
        st.wait_ids([sim.ref("c3")["id"]], "the first pass")
        sim.call("POST", "/_sim/tokens/expire", {"platform": "tiktok"})
        later = sim.item(type="comment", author="jana.k", parent_id=sim.ref("v1")["id"],
                         text="after the expiry")
        st.wait_ids([later["id"]], "a comment after the expiry")
        assert st.metric("tiktok_token_refreshes_total") >= 1
        assert not st.events("system")
        # the configured token is expired: a restart must use the refreshed one
        st.restart()
        after = sim.item(type="comment", author="jana.k", parent_id=sim.ref("v1")["id"],
                         text="after the restart")
        st.wait_ids([after["id"]], "a comment after the restart")
        assert st.metric("tiktok_token_refreshes_total") == 0
        assert not st.events("system")
    finally:
        st.close()


def test_refreshed_tokens_are_renewed_before_they_expire(tmp):
    # issued tokens live 10 s: after the first (reactive) refresh the timer
    # renews at 90 % of expires_in (1 s before the expiry), so no pass fails
    # for the token again
    st = Stack(tmp, extra=REFRESH_OPTS, lifetime=10)
    try:
        sim = st.sim
        st.wait_ids([sim.ref("c3")["id"]], "the first pass")
        sim.call("POST", "/_sim/tokens/expire", {"platform": "tiktok"})
        wait_until(lambda: st.metric("tiktok_token_refreshes_total") >= 1, 30,
                   what="the refresh after the expiry")
        failures = st.metric("tiktok_backfill_failures_total")  # the expiry's pass
        passes = st.metric("tiktok_backfill_passes_total")
        wait_until(lambda: st.metric("tiktok_token_refreshes_total") >= 3, 60,
                   what="two early refreshes")
        assert st.metric("tiktok_backfill_passes_total") > passes + 10  # polls kept going
        assert st.metric("tiktok_backfill_failures_total") == failures
        assert st.metric("tiktok_auth_failures_total") == 0 and not st.events("system")
    finally:
        st.close()


def test_a_failed_refresh_is_unhealthy_then_recovers(tmp):
    st = Stack(tmp, extra=REFRESH_OPTS)
    try:
        sim = st.sim
        st.wait_ids([sim.ref("c3")["id"]], "the first pass")
        sim.fault(path="/open_api/v1.3/tt_user/oauth2/refresh_token/", fault="status5xx",
                  status=503, count=1)
        sim.call("POST", "/_sim/tokens/expire", {"platform": "tiktok"})
        sysev = wait_until(lambda: st.events("system"), 60, what="the unhealthy system event")
        assert "refresh_token/ failed" in sysev[0]["text"]
        later = sim.item(type="comment", author="jana.k", parent_id=sim.ref("v1")["id"],
                         text="written while unhealthy")
        st.wait_ids([later["id"]], "the comment, once the refresh succeeded", timeout=90)
        wait_until(lambda: st.status()["healthy"] is True, 30, what="healthy again")
        assert st.metric("tiktok_token_refreshes_total") >= 1
        validate_events(st.events())
    finally:
        st.close()


def test_without_refresh_credentials_an_expired_token_is_unhealthy_once(st):
    sim = st.sim
    st.wait_ids([sim.ref("c3")["id"]], "the first pass")
    sim.call("POST", "/_sim/tokens/expire", {"platform": "tiktok"})
    wait_until(lambda: st.events("system"), 60, what="a system event")
    wait_until(lambda: st.metric("tiktok_auth_failures_total") >= 3, 60,
               what="further refused passes")
    inst = st.status()
    assert inst["healthy"] is False and inst["state"] == "running"
    assert "40102" in inst["health_reason"] and "re-authorize" in inst["health_reason"]
    assert len(st.events("system")) == 1


def test_a_token_without_the_comment_scope_is_unhealthy_by_name(tmp):
    st = Stack(tmp, scopes="user.info.basic,video.list")
    try:
        sysev = wait_until(lambda: st.events("system"), 60, what="a system event")
        assert "40001" in sysev[0]["text"] and "comment.list" in sysev[0]["text"]
        inst = st.status()
        assert inst["healthy"] is False and inst["state"] == "running"
        assert not st.customer()
        assert st.metric("tiktok_token_refreshes_total") == 0
    finally:
        st.close()


def test_throttling_is_survived(tmp):
    # 4 calls per endpoint and 3 s window: every pass runs into code 40100
    # (HTTP 200), and an injected 429 on top
    st = Stack(tmp, sim_args=("--rate-window-s", "3", "--verbose"), per_minute=4)
    try:
        sim = st.sim
        st.wait_ids([sim.ref("c3")["id"]], "the first pass")
        sim.fault(path="/open_api/v1.3/business/comment/list/", fault="status429", count=2)
        later = [sim.item(type="comment", author="techdad42", parent_id=sim.ref("v1")["id"],
                          text=f"while throttled {n}")["id"] for n in range(3)]
        st.wait_ids(later, "comments written while throttled", timeout=120)
        wait_until(lambda: sim.logs().count("tiktok: 40100 (HTTP 200)") >= 1, 60,
                   what="the simulator's own limit")
        wait_until(lambda: not sim.faults(), 60, what="both 429s served")
        assert st.metric("parley_events_duplicate_total") == 0
        no_duplicates(st)
    finally:
        st.close()
