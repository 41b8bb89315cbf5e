"""instagram.so end to end: the real parleyd against the real parley-sim.

Signed "instagram" webhooks for comments, replies, mentions and DMs on two
accounts of one app become the right events on the right instance;
mentions (ids only on the wire) are looked up and come out with their
content, exactly once even when parleyd dies between the webhook and the
lookup, and with their ids only when the lookup is refused for good; after
downtime the back-fill (media -> comments with replies, conversations ->
messages) delivers every missed item once; reply, private reply, DM and
hide are performed and recorded by the simulator.
Every wait is for a condition, never for a time."""
import json

import pytest

from parley_it import validate_events, wait_until
from test_meta_common import IG1, IG2, IG_JANA, IG_PIETER, Stack, sign


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
    # a caption mention: the webhook names the media only; the event has its content
    em = st.event(ig(mention["id"]))
    assert em["kind"] == "mention" and em["text"] == "Loving my @acme.store skates"
    assert em["author"]["handle"] == "jana_k" and em["conversation_id"] == mention["id"]
    assert em["url"] == f"https://www.instagram.com/p/{mention['id']}/" and em["account"] == IG1
    # a comment mention (on someone else's media): comment_id + media_id
    cm = sim.item(platform="instagram", type="mention", author_id=IG_PIETER, account_id=IG1,
                  parent_id=mention["id"], text="@acme.store do these come in blue?")
    ecm = st.event(ig(cm["id"]))
    assert ecm["kind"] == "mention" and ecm["text"] == "@acme.store do these come in blue?"
    assert ecm["author"]["handle"] == "pieter_dv" and ecm["conversation_id"] == mention["id"]
    assert ecm["in_reply_to"] == ig(mention["id"]) and ecm["url"] == em["url"]
    assert ecm["created_at"].endswith("Z")
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


def fault_on_account(sim, **fault):
    """Every call on IG1's node (the mention lookups, and the back-fill's
    edges under it) gets fault until DELETE /_sim/faults."""
    s, b = sim.call("POST", "/_sim/faults", dict(platform="instagram", path="/v23.0/" + IG1,
                                                 always=True, **fault))
    assert s == 201, b


def mentions_envelope(*changes):
    """One delivery with an entry per (account, mentions value), as Meta
    batches the entries of one app."""
    return {"object": "instagram", "entry": [
        {"id": acct, "time": 1704110400, "changes": [{"field": "mentions", "value": v}]}
        for acct, v in changes]}


def test_two_accounts_of_one_app_reach_the_right_instance(tmp):
    # ig serves IG1 and is the app's webhook URL; ig_nl serves IG2
    st = Stack(tmp, fb=False, ig2=True)
    try:
        sim = st.sim
        m1, m2 = sim.find("instagram", "m1")["id"], sim.find("instagram", "m2")["id"]
        c1 = sim.item(platform="instagram", type="comment", author_id=IG_JANA, parent_id=m1,
                      account_id=IG1, text="Ship to Spain?")
        c2 = sim.item(platform="instagram", type="comment", author_id=IG_PIETER, parent_id=m2,
                      account_id=IG2, text="Ook in België?")
        d2 = sim.item(platform="instagram", type="message", author_id=IG_PIETER,
                      recipient_id=IG2, account_id=IG2, text="Waar blijft mijn pakket?")
        mn1 = sim.item(platform="instagram", type="mention", author_id=IG_JANA, account_id=IG1,
                       text="@acme.store love it")
        mn2 = sim.item(platform="instagram", type="mention", author_id=IG_PIETER,
                       account_id=IG2, text="@acme.store.nl top!")
        e1 = st.event(ig(c1["id"]))
        assert (e1["connector"], e1["account"], e1["conversation_id"]) == ("ig", IG1, m1)
        # IG2's webhook entries reached ig (the app's one URL): counted, ignored;
        # ig_nl has IG2's comment and DM through its back-fill
        e2 = st.event(ig(c2["id"]))
        assert (e2["connector"], e2["account"], e2["conversation_id"]) == ("ig_nl", IG2, m2)
        ed = st.event(ig(d2["id"]))
        assert (ed["connector"], ed["conversation_id"]) == ("ig_nl", f"{IG2}:{IG_PIETER}")
        wait_until(lambda: st.metric("instagram_webhook_unknown_entries_total", "ig") >= 3,
                   what="ig counting IG2's entries")
        # one delivery naming both accounts, posted to both instances: each
        # takes its own entry, looks the mention up on its own account node
        env = mentions_envelope((IG1, {"media_id": mn1["id"]}), (IG2, {"media_id": mn2["id"]}))
        assert st.hook("ig_nl", env) == 200 and st.hook("ig", env) == 200
        got1, got2 = st.event(ig(mn1["id"])), st.event(ig(mn2["id"]))
        assert (got1["connector"], got1["account"], got1["text"]) == ("ig", IG1, "@acme.store love it")
        assert (got2["connector"], got2["account"], got2["text"]) == \
            ("ig_nl", IG2, "@acme.store.nl top!")
        assert st.metric("instagram_webhook_unknown_entries_total", "ig_nl") == 1
        ids = [e["id"] for e in st.events()]
        assert len(ids) == len(set(ids)), "an event came out twice"
        validate_events(st.events())
    finally:
        st.close()


def test_a_mention_survives_parleyd_dying_before_its_lookup_and_comes_out_once(st):
    sim = st.sim
    # every call on the account node hangs: the lookup cannot finish
    fault_on_account(sim, fault="slow", delay_ms=600000)
    mention = sim.item(platform="instagram", type="mention", author_id=IG_JANA, account_id=IG1,
                       text="@acme.store where is order 5512?")

    def answered():
        return any(d.get("kind") == "delivery" and d.get("ok") and mention["id"] in
                   json.dumps(d.get("body")) for d in sim.deliveries("instagram")["deliveries"])
    wait_until(answered, what="the mention webhook answered 2xx")
    wait_until(lambda: st.metric("instagram_mentions_pending", "ig") == 1, what="one pending")
    assert not [e for e in st.events() if e["id"] == ig(mention["id"])]
    # the webhook was answered, the lookup never came back: kill -9, lift the fault
    st.restart(kill9=True, meanwhile=lambda: sim.call("DELETE", "/_sim/faults"))
    assert not sim.call("GET", "/_sim/faults")[1]["faults"]
    ev = st.event(ig(mention["id"]))
    assert ev["text"] == "@acme.store where is order 5512?" and ev["author"]["handle"] == "jana_k"
    wait_until(lambda: st.metric("instagram_mentions_pending", "ig") == 0 and
               st.metric("instagram_mentions_resolved_total", "ig") == 1, what="the set emptied")
    st.restart()  # nothing pending any more: not looked up, not emitted again
    wait_until(lambda: st.metric("instagram_backfill_passes_total", "ig") >= 1,
               what="a back-fill pass after the restart")
    assert [e["id"] for e in st.events()].count(ig(mention["id"])) == 1
    assert st.metric("instagram_mentions_resolved_total", "ig") == 0


def test_a_mention_refused_for_good_comes_out_with_its_ids_only(st):
    # a comment deleted before the lookup: Graph answers (#100)
    env = mentions_envelope((IG1, {"comment_id": "17999000000000001",
                                   "media_id": "17999000000000002"}))
    assert st.hook("ig", env) == 200
    ev = st.event(ig("17999000000000001"))
    assert ev["kind"] == "mention" and ev["conversation_id"] == "17999000000000002"
    assert "text" not in ev or not ev["text"]
    assert ev["raw"]["value"] == {"comment_id": "17999000000000001",
                                  "media_id": "17999000000000002"}
    assert st.metric("instagram_mentions_unresolved_total", "ig") == 1
    assert st.metric("instagram_mentions_pending", "ig") == 0
    assert "cannot be fetched" in st.d.logs()
    validate_events(st.events())


def test_mentions_wait_while_the_token_is_refused(st):
    sim = st.sim
    assert sim.call("POST", "/_sim/tokens/expire", {"platform": "instagram"})[0] == 200
    mention = sim.item(platform="instagram", type="mention", author_id=IG_JANA, account_id=IG1,
                       text="@acme.store hello?")
    wait_until(lambda: st.metric("instagram_token_refused_total", "ig") >= 1 and
               st.metric("instagram_mentions_pending", "ig") == 1,
               what="the lookup refused by the token, the mention still pending")
    wait_until(lambda: "mentions: 1 pending, next lookup in" in st.d.logs(),
               what="the lookup refused and scheduled again")
    # neither resolved nor given up: it waits for a token that works
    assert not [e for e in st.events() if e["id"] == ig(mention["id"])]
    assert st.metric("instagram_mentions_unresolved_total", "ig") == 0


def test_a_mention_whose_lookup_fails_is_retried_and_comes_out_once(st):
    sim = st.sim
    fault_on_account(sim, fault="status5xx", status=503)
    mention = sim.item(platform="instagram", type="mention", author_id=IG_PIETER,
                       account_id=IG1, text="@acme.store still no answer")
    wait_until(lambda: "mentions: 1 pending, next lookup in" in st.d.logs(),
               timeout=60, what="the lookup failing and scheduled again")
    assert not [e for e in st.events() if e["id"] == ig(mention["id"])]
    sim.call("DELETE", "/_sim/faults")
    ev = st.event(ig(mention["id"]), timeout=60)
    assert ev["text"] == "@acme.store still no answer"
    wait_until(lambda: st.metric("instagram_mentions_pending", "ig") == 0, what="the set empty")
    assert [e["id"] for e in st.events()].count(ig(mention["id"])) == 1
    assert st.metric("instagram_mentions_unresolved_total", "ig") == 0


def test_the_pending_set_is_bounded_and_the_overflow_is_emitted_with_ids(st):
    sim = st.sim
    # lookups hang: the set fills up
    fault_on_account(sim, fault="slow", delay_ms=600000)
    bound = 256  # PARLEY_INSTAGRAM_MENTIONS_MAX
    ids = ["179%014d" % n for n in range(bound + 1)]
    env = {"object": "instagram", "entry": [{"id": IG1, "time": 1704110400, "changes": [
        {"field": "mentions", "value": {"media_id": i}} for i in ids]}]}
    assert st.hook("ig", env) == 200
    ev = st.event(ig(ids[-1]))
    assert ev["kind"] == "mention" and ev["raw"]["value"] == {"media_id": ids[-1]}
    assert st.metric("instagram_mentions_overflow_total", "ig") == 1
    assert st.metric("instagram_mentions_pending", "ig") == bound
    assert not [e for e in st.events() if e["id"] in {ig(i) for i in ids[:-1]}]
    # the same delivery again: nothing is added twice, only the overflow repeats
    assert st.hook("ig", env) == 200
    wait_until(lambda: st.metric("instagram_mentions_overflow_total", "ig") == 2,
               what="the second overflow")
    assert st.metric("instagram_mentions_pending", "ig") == bound
