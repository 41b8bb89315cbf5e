"""instagram.so end to end: the real parleyd against the real parley-sim.

Signed "instagram" webhooks for comments, replies, mentions and DMs become
the right events; after downtime the back-fill (media -> comments with
replies, conversations -> messages) delivers every missed item once; reply,
private reply, DM and hide are performed and recorded by the simulator.
Every wait is for a condition, never for a time."""
import json

import pytest

from parley_it import validate_events, wait_until
from test_meta_common import IG1, IG_JANA, IG_PIETER, Stack, sign


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


@pytest.fixture
def st(tmp):
    stack = Stack(tmp, fb=False, sim_args=("--webhook-retry-ms", "1000",
                                           "--webhook-attempts", "6"))
    yield stack
    stack.close()


def ig(native):
    return "instagram:" + native


def test_signed_webhooks_become_comment_reply_mention_and_dm_events(st):
    sim = st.sim
    media = sim.find("instagram", "m1")["id"]
    c = sim.item(platform="instagram", type="comment", author_id=IG_JANA, parent_id=media,
                 account_id=IG1, text="Do you ship to Spain?")
    r = sim.item(platform="instagram", type="comment", author_id=IG_PIETER, parent_id=c["id"],
                 account_id=IG1, text="Asking too")
    mention = sim.item(platform="instagram", type="mention", author_id=IG_JANA, account_id=IG1,
                       text="Loving my @acme.store skates")
    dm = sim.item(platform="instagram", type="message", author_id=IG_JANA, recipient_id=IG1,
                  account_id=IG1, text="Is it in stock?")
    ec = st.event(ig(c["id"]))
    assert ec["kind"] == "comment" and ec["conversation_id"] == media
    assert ec["author"]["handle"] == "jana_k" and ec["account"] == IG1 and ec["connector"] == "ig"
    er = st.event(ig(r["id"]))
    assert er["kind"] == "reply" and er["in_reply_to"] == ig(c["id"])
    em = st.event(ig(mention["id"]))
    assert em["kind"] == "mention" and em["raw"]["value"]["media_id"] == mention["id"]
    ed = st.event(ig(dm["id"]))
    assert ed["kind"] == "direct_message" and ed["conversation_id"] == f"{IG1}:{IG_JANA}"
    validate_events(st.events())


def test_backfill_after_downtime_delivers_every_missed_item_once(st):
    sim = st.sim
    media = sim.find("instagram", "m1")["id"]
    c0 = sim.item(platform="instagram", type="comment", author_id=IG_JANA, parent_id=media,
                  account_id=IG1, text="before")
    st.event(ig(c0["id"]))
    passes = st.metric("instagram_backfill_passes_total", "ig")
    wait_until(lambda: st.metric("instagram_backfill_passes_total", "ig") >= passes + 2,
               what="two back-fill passes")
    assert st.d.stop() == 0
    missed = []
    for n in range(4):
        missed.append(sim.item(platform="instagram", type="comment", author_id=IG_PIETER,
                               parent_id=media, account_id=IG1, text=f"missed {n}"))
        missed.append(sim.item(platform="instagram", type="message", author_id=IG_PIETER,
                               recipient_id=IG1, account_id=IG1, text=f"dm {n}"))
    missed.append(sim.item(platform="instagram", type="comment", author_id=IG_JANA,
                           parent_id=c0["id"], account_id=IG1, text="reply under an old one"))
    st.restart()
    for it in missed:
        st.event(ig(it["id"]), timeout=60)
    ids = [it["id"] for it in missed]

    def retried_ok():
        ok = [d for d in sim.deliveries("instagram")["deliveries"]
              if d.get("kind") == "delivery" and d.get("ok")]
        return all(any(i in json.dumps(d.get("body")) for d in ok) for i in ids)
    wait_until(retried_ok, timeout=90, what="the simulator's retries answered 2xx")
    got = [e["id"] for e in st.events()]
    for i in ids:
        assert got.count(ig(i)) == 1, i
    assert len(got) == len(set(got))


def test_reply_private_reply_dm_and_hide_are_performed_and_recorded(st):
    sim = st.sim
    media = sim.find("instagram", "m1")["id"]
    c = sim.item(platform="instagram", type="comment", author_id=IG_JANA, parent_id=media,
                 account_id=IG1, text="Where is my order?")
    dm = sim.item(platform="instagram", type="message", author_id=IG_PIETER, recipient_id=IG1,
                  account_id=IG1, text="Hello?")
    st.event(ig(c["id"]))
    conv = st.event(ig(dm["id"]))["conversation_id"]
    for key, kind, extra in (
            ("ig-reply", "reply_public", dict(target=ig(c["id"]), text="On it!")),
            ("ig-private", "reply_private", dict(target=ig(c["id"]), text="Order number?")),
            ("ig-dm", "direct_message", dict(conversation_id=conv, text="Checking now")),
            ("ig-hide", "hide", dict(target=ig(c["id"])))):
        s, r = st.action(idempotency_key=key, type=kind, connector="ig", **extra)
        assert s == 200 and r["status"] == "done", (kind, r)
    acts = [x["action"] for x in sim.sent("instagram")]
    assert sorted(acts) == ["dm", "hide", "private_reply", "reply"], acts
    # replying to a reply is refused by Instagram: the platform's words come back
    rep = [e for e in st.events() if e["kind"] == "outbound" and e.get("in_reply_to") == ig(c["id"])]
    assert rep
    s, r = st.action(idempotency_key="ig-reply-2", type="reply_public", connector="ig",
                     target=rep[0]["id"], text="nested")
    assert r["status"] == "failed" and r["error_code"] == "100", r


def test_forged_and_malformed_deliveries_are_refused(st):
    from parley_it import http
    hook = st.base + "/hooks/ig"
    body = json.dumps({"object": "instagram", "entry": [{"id": IG1, "time": 1, "changes": [
        {"field": "comments", "value": {"id": "1", "text": "x", "media": {"id": "2"}}}]}]})
    assert http("POST", hook, body, {"X-Hub-Signature-256": sign(body, "nope")})[0] == 401
    bad = '{"object":"instagram","entry":[{"id":"1","messaging":{}}]}'
    assert http("POST", hook, bad, {"X-Hub-Signature-256": sign(bad)})[0] == 400
    other = json.dumps({"object": "instagram", "entry": [{"id": "999", "time": 1, "changes": []}]})
    assert http("POST", hook, other, {"X-Hub-Signature-256": sign(other)})[0] == 200
    assert st.metric("instagram_webhook_unknown_entries_total", "ig") == 1
    assert not [e for e in st.events() if e["id"] == "instagram:1"]
