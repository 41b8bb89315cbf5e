"""facebook.so end to end: the real parleyd against the real parley-sim.

Signed webhooks for comments, replies, mentions, DMs (and echoes, postbacks,
reactions, edits, deletions) on two Pages of one app reach the right
instance as the right events; forged, unverified, oversized and malformed
deliveries are refused without affecting anything else; after downtime
the back-fill delivers every missed item once and the simulator's webhook
retries are deduplicated; reply, private reply, DM and hide are performed;
an expired token makes the instance unhealthy while webhooks keep flowing.
Every wait is for a condition, never for a time."""
import hashlib
import hmac
import json
import os
import time

import pytest

from parley_it import http, validate_events, wait_until
from test_meta_common import (APP_SECRET, EMILY, JANA, PAGE1, PAGE2, PAGE3, PIETER, SECRETS,
                              Stack, sign)


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


@pytest.fixture
def st(tmp):
    stack = Stack(tmp, ig=False)
    yield stack
    stack.close()


def fb(native):
    return "facebook:" + native


def by_id(events):
    return {e["id"]: e for e in events}


def test_signed_webhooks_on_two_pages_reach_the_right_instance_as_the_right_events(st):
    sim = st.sim
    p1, p2, p3 = (sim.find("facebook", r)["id"] for r in ("p1", "p2", "p3"))
    c1 = sim.item(platform="facebook", type="comment", author_id=JANA, parent_id=p1,
                  account_id=PAGE1, text="Gilt der Rabatt auch in Deutschland?")
    r1 = sim.item(platform="facebook", type="comment", author_id=PIETER, parent_id=c1["id"],
                  account_id=PAGE1, text="Same question here")
    m1 = sim.item(platform="facebook", type="mention", author_id=EMILY, account_id=PAGE1,
                  text="Shout-out to @Acme for the quick replacement")
    d1 = sim.item(platform="facebook", type="message", author_id=PIETER, recipient_id=PAGE1,
                  account_id=PAGE1, text="Mijn code HERFST30 werkt niet")
    c2 = sim.item(platform="facebook", type="comment", author_id=JANA, parent_id=p2,
                  account_id=PAGE2, text="Bezorgen jullie ook in België?")
    d2 = sim.item(platform="facebook", type="message", author_id=JANA, recipient_id=PAGE2,
                  account_id=PAGE2, text="Waar blijft mijn pakket?")
    pb = sim.item(platform="facebook", type="postback", author_id=JANA, recipient_id=PAGE2,
                  account_id=PAGE2, text="Talk to an agent", payload="AGENT")
    c3 = sim.item(platform="facebook", type="comment", author_id=EMILY, parent_id=p3,
                  account_id=PAGE3, text="Wo ist meine Bestellung?")

    ev = {k: st.event(fb(v["id"])) for k, v in
          dict(c1=c1, r1=r1, m1=m1, d1=d1, c2=c2, d2=d2, pb=pb).items()}
    assert ev["c1"]["kind"] == "comment" and ev["c1"]["account"] == PAGE1
    assert ev["c1"]["conversation_id"] == p1 and ev["c1"]["in_reply_to"] == fb(p1)
    assert ev["c1"]["author"]["id"] == JANA and ev["c1"]["author"]["name"] == "Jana Krüger"
    assert ev["c1"]["text"] == "Gilt der Rabatt auch in Deutschland?"
    assert ev["r1"]["kind"] == "reply" and ev["r1"]["in_reply_to"] == fb(c1["id"])
    assert ev["r1"]["conversation_id"] == p1
    assert ev["m1"]["kind"] == "mention" and ev["m1"]["author"]["id"] == EMILY
    assert ev["d1"]["kind"] == "direct_message" and ev["d1"]["visibility"] == "private"
    assert ev["d1"]["conversation_id"] == f"{PAGE1}:{PIETER}"
    assert ev["c2"]["account"] == PAGE2 and ev["c2"]["conversation_id"] == p2
    assert ev["d2"]["account"] == PAGE2 and ev["d2"]["conversation_id"] == f"{PAGE2}:{JANA}"
    assert ev["pb"]["kind"] == "postback" and ev["pb"]["text"] == "Talk to an agent"
    assert ev["pb"]["raw"]["postback"]["payload"] == "AGENT"
    for k, e in ev.items():
        assert e["connector"] == "fb", k
    # Page 3 belongs to the same app but is served by fb_de: fb counted and
    # ignored its webhook entry; fb_de got the comment through its back-fill
    de = st.event(fb(c3["id"]))
    assert de["connector"] == "fb_de" and de["account"] == PAGE3
    assert st.metric("facebook_webhook_unknown_entries_total", "fb") >= 1
    validate_events(st.events())
    assert len(st.events()) == len(by_id(st.events())), "an event came out twice"


def test_echoes_reactions_edits_deletions_and_unknown_payloads_are_events_too(st):
    sim = st.sim
    p1 = sim.find("facebook", "p1")["id"]
    c = sim.item(platform="facebook", type="comment", author_id=JANA, parent_id=p1,
                 account_id=PAGE1, text="first version")
    st.event(fb(c["id"]))
    sim.item(platform="facebook", type="edit", parent_id=c["id"], account_id=PAGE1,
             text="second version")
    react = sim.item(platform="facebook", type="reaction", author_id=EMILY, parent_id=c["id"],
                     account_id=PAGE1, reaction="love")
    echo = sim.item(platform="facebook", type="message", author_id=PAGE1, recipient_id=JANA,
                    account_id=PAGE1, text="Sent from the Pages app")
    sim.item(platform="facebook", type="delete", parent_id=c["id"], account_id=PAGE1)
    out = st.event(fb(echo["id"]))
    assert out["kind"] == "outbound" and out["conversation_id"] == f"{PAGE1}:{JANA}"
    wait_until(lambda: {"edited", "deleted", "reaction"} <= {e["kind"] for e in st.events()},
               what="edited, deleted and reaction events")
    evs = st.events()
    edited = next(e for e in evs if e["kind"] == "edited")
    assert edited["id"].startswith(fb(c["id"]) + "~edited~") and edited["text"] == "second version"
    deleted = next(e for e in evs if e["kind"] == "deleted")
    assert deleted["id"] == fb(c["id"]) + "~deleted" and deleted["in_reply_to"] == fb(c["id"])
    reaction = next(e for e in evs if e["kind"] == "reaction")
    assert reaction["in_reply_to"] == fb(c["id"]) and "love" in reaction["text"]
    # a field no mapping knows: carried raw as kind unknown, counted
    body = json.dumps({"object": "page", "entry": [{"id": PAGE1, "time": 1704110400, "changes": [
        {"field": "ratings", "value": {"review_text": "5 stars", "reviewer_id": JANA}}]}]})
    s, _, _ = http("POST", st.base + "/hooks/fb", body,
                   {"X-Hub-Signature-256": sign(body), "Content-Type": "application/json"})
    assert s == 200
    unknown = wait_until(lambda: next((e for e in st.events() if e["kind"] == "unknown"), None),
                         what="the unknown event")
    assert unknown["raw"]["field"] == "ratings" and unknown["account"] == PAGE1
    assert st.metric("facebook_unknown_total", "fb") >= 1
    validate_events(st.events())


def test_forged_unverified_oversized_and_malformed_deliveries_are_refused_alone(tmp):
    st = Stack(tmp, ig=False, max_body=65536)
    try:
        hook = st.base + "/hooks/fb"
        secret_text = "FORGED-BODY-MARKER do not log me"
        forged = json.dumps({"object": "page", "entry": [{"id": PAGE1, "time": 1, "changes": [
            {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "1_2",
                                        "post_id": "1", "message": secret_text}}]}]})
        s, _, _ = http("POST", hook, forged, {"X-Hub-Signature-256": sign(forged, "wrong-secret")})
        assert s == 401
        assert http("POST", hook, forged)[0] == 401  # no signature at all
        s, _, _ = http("GET", hook + "?hub.mode=subscribe&hub.challenge=42&hub.verify_token=nope")
        assert s == 403
        big = json.dumps({"object": "page", "entry": [], "pad": "x" * 100000})
        s, _, _ = http("POST", hook, big, {"X-Hub-Signature-256": sign(big)})
        assert s == 413
        for bad in ('{"object":"page","entry":{}}', '{"object":"page","entry":[{"time":1}]}',
                    '{"object":"page","entry":[{"id":"1","changes":[{"value":{}}]}]}',
                    '{"entry":[]}', 'not json at all'):
            assert http("POST", hook, bad, {"X-Hub-Signature-256": sign(bad)})[0] == 400, bad
        assert st.metric("facebook_webhook_forged_total", "fb") == 2
        assert st.metric("facebook_webhook_malformed_total", "fb") == 5
        # nothing else affected: a real comment still flows, nothing forged came out
        p1 = st.sim.find("facebook", "p1")["id"]
        c = st.sim.item(platform="facebook", type="comment", author_id=JANA, parent_id=p1,
                        account_id=PAGE1, text="still working?")
        st.event(fb(c["id"]))
        assert not [e for e in st.events() if e["id"] == "facebook:1_2"]
        logs = st.d.logs()
        assert "forged webhook refused" in logs and secret_text not in logs
    finally:
        st.close()


def test_backfill_after_downtime_delivers_every_missed_item_once(tmp):
    # deliveries fail while parleyd is down and are retried for ~30 s
    st = Stack(tmp, ig=False, sim_args=("--webhook-retry-ms", "1000", "--webhook-attempts", "6"))
    try:
        sim = st.sim
        p1, p2 = sim.find("facebook", "p1")["id"], sim.find("facebook", "p2")["id"]
        first = sim.item(platform="facebook", type="comment", author_id=JANA, parent_id=p1,
                         account_id=PAGE1, text="before the restart")
        st.event(fb(first["id"]))
        # the checkpoint is written by a complete back-fill pass after it
        passes = st.metric("facebook_backfill_passes_total", "fb")
        wait_until(lambda: st.metric("facebook_backfill_passes_total", "fb") >= passes + 2,
                   what="two back-fill passes")
        assert st.d.stop() == 0
        missed = []
        for n in range(6):
            missed.append(sim.item(platform="facebook", type="comment", author_id=PIETER,
                                   parent_id=p1 if n % 2 else p2,
                                   account_id=PAGE1 if n % 2 else PAGE2, text=f"missed {n}"))
            missed.append(sim.item(platform="facebook", type="message", author_id=EMILY,
                                   recipient_id=PAGE1, account_id=PAGE1, text=f"dm missed {n}"))
        missed.append(sim.item(platform="facebook", type="comment", author_id=JANA,
                               parent_id=missed[0]["id"], account_id=PAGE2, text="reply missed"))
        t0 = time.time()
        st.restart()
        for it in missed:
            st.event(fb(it["id"]), timeout=60)
        backfill_s = time.time() - t0
        # let the simulator's retries arrive: every delivery of the missed
        # items ends with a 2xx from parleyd
        ids = [it["id"] for it in missed]

        def retried_ok():
            log = sim.deliveries("facebook")["deliveries"]
            ok = [d for d in log if d.get("kind") == "delivery" and d.get("ok")]
            return all(any(i in json.dumps(d.get("body")) for d in ok) for i in ids)
        wait_until(retried_ok, timeout=90, what="the simulator's retries answered 2xx")
        st.restart()  # and one more back-fill pass over the same window
        wait_until(lambda: st.metric("facebook_backfill_passes_total", "fb") >= 1,
                   what="a back-fill pass after the second restart")
        got = [e["id"] for e in st.events()]
        for i in ids:
            assert got.count(fb(i)) == 1, i
        assert len(got) == len(set(got)), "an event came out twice"
        print(f"\nback-fill after restart: {len(missed)} missed items out in {backfill_s:.2f} s")
    finally:
        st.close()


def test_reply_private_reply_dm_and_hide_are_performed_and_recorded(st):
    sim = st.sim
    p1 = sim.find("facebook", "p1")["id"]
    c = sim.item(platform="facebook", type="comment", author_id=JANA, parent_id=p1,
                 account_id=PAGE1, text="Where is my order?")
    dm = sim.item(platform="facebook", type="message", author_id=PIETER, recipient_id=PAGE1,
                  account_id=PAGE1, text="Hello?")
    st.event(fb(c["id"]))
    conv = st.event(fb(dm["id"]))["conversation_id"]
    s, r = st.action(idempotency_key="fb-reply-1", type="reply_public", connector="fb",
                     target=fb(c["id"]), conversation_id=p1, text="Sorry! Checking now.")
    assert s == 200 and r["status"] == "done", r
    reply_id = r["platform_id"]
    s, r = st.action(idempotency_key="fb-private-1", type="reply_private", connector="fb",
                     account=PAGE1, target=fb(c["id"]), text="Could you send your order number?")
    assert s == 200 and r["status"] == "done", r
    s, r = st.action(idempotency_key="fb-dm-1", type="direct_message", connector="fb",
                     conversation_id=conv, text="We are on it.")
    assert s == 200 and r["status"] == "done", r
    s, r = st.action(idempotency_key="fb-hide-1", type="hide", connector="fb",
                     target=fb(c["id"]))
    assert s == 200 and r["status"] == "done", r
    # the same key again is not performed again
    s, r = st.action(idempotency_key="fb-hide-1", type="hide", connector="fb",
                     target=fb(c["id"]))
    sent = sim.sent("facebook")
    acts = [x["action"] for x in sent]
    assert acts.count("reply") == 1 and acts.count("private_reply") == 1
    assert acts.count("dm") == 1 and acts.count("hide") == 1
    assert next(x for x in sent if x["action"] == "reply")["in_reply_to"] == c["id"]
    assert next(x for x in sent if x["action"] == "private_reply")["recipient_id"] == JANA
    assert next(x for x in sent if x["action"] == "dm")["recipient_id"] == PIETER
    # the reply appears in the conversation once (action result and its webhook echo)
    out = st.event(fb(reply_id))
    assert out["kind"] == "outbound" and out["conversation_id"] == p1
    # outside the 24 h window: a clear error from the platform's code
    s, r = st.action(idempotency_key="fb-dm-2", type="direct_message", connector="fb",
                     conversation_id=f"{PAGE1}:{EMILY}", text="Hi Emily")
    assert r["status"] == "failed" and r["error_code"].startswith("10/"), r
    assert "messaging window" in r["message"]
    got = [e["id"] for e in st.events()]
    assert len(got) == len(set(got))


def test_an_expired_token_makes_the_instance_unhealthy_and_webhooks_still_flow(st):
    sim = st.sim
    s, b = sim.call("POST", "/_sim/tokens/expire", {"platform": "facebook"})
    assert s in (200, 201), b

    def unhealthy():
        s, _, b = http("GET", st.base + "/v1/status")
        inst = [i for i in json.loads(b)["connectors"] if i["name"] == "fb"][0]
        return inst if not inst.get("healthy", True) else None
    inst = wait_until(unhealthy, what="fb reported unhealthy")
    reason = json.dumps(inst)
    assert "190" in reason and "page_access_token" in reason
    assert not any(secret in reason for secret in SECRETS)
    system = wait_until(lambda: [e for e in st.events() if e["kind"] == "system"
                                 and e["connector"] == "fb"], what="a system event")
    assert "190" in system[0]["text"]
    p1 = sim.find("facebook", "p1")["id"]
    c = sim.item(platform="facebook", type="comment", author_id=JANA, parent_id=p1,
                 account_id=PAGE1, text="webhooks keep working")
    assert st.event(fb(c["id"]))["kind"] == "comment"


def test_throttling_is_waited_out_and_webhooks_keep_flowing(st):
    sim = st.sim
    s, b = sim.call("POST", "/_sim/faults", {"platform": "facebook", "path": "",
                                            "fault": "status429", "count": 1})
    assert s == 201, b
    wait_until(lambda: st.metric("facebook_throttled_total", "fb") +
               st.metric("facebook_throttled_total", "fb_de") >= 1, what="a throttled call")
    p1 = sim.find("facebook", "p1")["id"]
    c = sim.item(platform="facebook", type="comment", author_id=JANA, parent_id=p1,
                 account_id=PAGE1, text="while throttled")
    assert st.event(fb(c["id"]))["kind"] == "comment"


def test_webhook_path_freshness(st):
    """Creation in the simulator (created_ms) to the event in the output."""
    sim = st.sim
    p1 = sim.find("facebook", "p1")["id"]
    path = os.path.join(st.tmp, "all.ndjson")
    lat = []
    for n in range(40):
        it = sim.item(platform="facebook", type="comment", author_id=JANA, parent_id=p1,
                      account_id=PAGE1, text=f"latency probe {n}")
        want = f'"facebook:{it["id"]}"'.encode()

        def seen():
            with open(path, "rb") as f:
                return want in f.read()
        wait_until(seen, step=0.002, what="probe " + it["id"])
        lat.append(time.time() * 1000 - it["created_ms"])
    lat.sort()
    p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"\nwebhook path latency over {len(lat)} comments: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    with open(os.path.join(os.environ.get("PARLEY_BUILD_DIR", st.tmp), "meta-latency.txt"), "w") as f:
        f.write(f"facebook webhook latency ms p50={p50:.1f} p99={p99:.1f} n={len(lat)}\n")


def test_platform_values_in_log_lines_are_words_or_sizes_never_text(st):
    """A signed delivery whose "object", change "field" and entry id carry
    text (a newline that would forge a log line, customer words): the log
    names them by size, and the payload is still kept as unknown events."""
    hostile = "my card 4111 was stolen\n2026-01-01T00:00:00Z error [router] FORGED"
    for env in ({"object": hostile, "entry": []},
                {"object": "page", "entry": [{"id": PAGE1, "time": 1700000000,
                                              "changes": [{"field": hostile, "value": {}}]}]}):
        raw = json.dumps(env).encode()
        sig = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        s, _, _ = http("POST", st.base + "/hooks/fb", raw,
                       {"X-Hub-Signature-256": sig, "Content-Type": "application/json"})
        assert s == 200
    wait_until(lambda: [e for e in st.events() if e["kind"] == "unknown"
                        and e.get("raw", {}).get("field") == hostile], what="the unknown change")
    logs = st.d.logs()
    assert f"webhook for object ({len(hostile)} bytes, not shown) ignored" in logs
    assert f"change field ({len(hostile)} bytes, not shown) has no mapping" in logs
    assert "stolen" not in logs and "FORGED" not in logs


def test_a_signed_delivery_with_bad_characters_is_accepted_with_every_message(st):
    """One invalid UTF-8 byte, a raw NUL or a lone \\ud800 in one message of a
    signed delivery must not cost the delivery: Meta resends the same bytes
    and finally gives up. The text is repaired (U+FFFD), counted, and the
    log says how many characters, never which text."""
    p1 = st.sim.find("facebook", "p1")["id"]
    c = st.sim.item(platform="facebook", type="comment", author_id=JANA, parent_id=p1,
                    account_id=PAGE1, text="TEMPLATE-COMMENT")
    st.event(fb(c["id"]))
    body = next(d["body"] for d in st.sim.deliveries("facebook")["deliveries"]
                if d.get("kind") == "delivery" and "TEMPLATE-COMMENT" in (d.get("body") or ""))
    env = json.loads(body)
    template = env["entry"][0]["changes"][0]
    changes = []
    for n in range(1, 5):
        ch = json.loads(json.dumps(template))
        ch["value"]["comment_id"] = f"{c['id']}{n}"
        ch["value"]["message"] = f"MESSAGE-{n}"
        changes.append(ch)
    env["entry"][0]["changes"] = changes
    raw = (json.dumps(env).encode()
           .replace(b"MESSAGE-1", b"kapot \xff echt")
           .replace(b"MESSAGE-2", b"nul \x00 hier")
           .replace(b"MESSAGE-3", b"\\ud800 los")
           .replace(b"MESSAGE-4", b"alles goed"))
    sig = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    s, _, _ = http("POST", st.base + "/hooks/fb", raw,
                   {"X-Hub-Signature-256": sig, "Content-Type": "application/json"})
    assert s == 200
    texts = {n: st.event(fb(f"{c['id']}{n}"))["text"] for n in range(1, 5)}
    assert texts == {1: "kapot \ufffd echt", 2: "nul \ufffd hier", 3: "\ufffd los", 4: "alles goed"}
    # every event of the delivery says its input was repaired, and by how much
    assert {st.event(fb(f"{c['id']}{n}")).get("repaired") for n in range(1, 5)} == {3}
    assert "repaired" not in st.event(fb(c["id"]))
    assert st.metric("facebook_webhook_repaired_total", "fb") == 1
    assert st.metric("facebook_webhook_malformed_total", "fb") == 0
    logs = st.d.logs()
    assert "3 invalid characters replaced by U+FFFD" in logs
    assert "kapot" not in logs and "hier" not in logs
