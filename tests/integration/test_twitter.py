"""The Twitter/X connector end to end: the real parleyd loads the real
twitter.so, which reads the real parley-sim's /twitter API (mentions, search,
filtered stream, DMs, Account Activity webhooks) and performs replies, DMs
and hides there. Every assertion is on what arrived, never on how fast."""
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import time

import pytest

from parley_it import Parleyd, free_port, http, read_ndjson, validate_events, wait_until

SIM = os.environ.get("PARLEY_SIM", "parley-sim")
PLUGIN_DIR = os.environ.get("PARLEY_PLUGIN_DIR", "")
BRAND = "2244994945"
CONSUMER_SECRET = "sim-twitter-consumer-secret"
SECRETS = ["tw-app-bearer", "tw-user-token", "tw-refresh-token", CONSUMER_SECRET]

USERS = [
    ("9900000001", "jana_k", "Jana Krüger", 312, False, "de"),
    ("9900000002", "tom_b", "Tom Baker", 58, False, "en"),
    ("9900000003", "lisa_v", "Lisa de Vries", 120400, True, "nl"),
    ("9900000004", "bob_r", "Bob Ross", 9, False, "en"),
]


def dm_conversation(a, b):
    """1:1 DM conversation id: "<lower id>-<higher id>" by value (twitter.md §5a)."""
    lo, hi = sorted([a, b], key=int)
    return f"{lo}-{hi}"


def tweet(ref, author, text, at=None, **kw):
    """A tweet item; without `at` the simulator stamps it with the time it is
    posted (created_ms = now), as when a customer writes it live."""
    item = dict(platform="twitter", type="tweet", ref=ref, author=author, text=text, **kw)
    if at is not None:
        item["at"] = at
    return item


# What exists when the connector first starts: one page per source at most
# (a new connector reads only the newest page, it does not crawl history).
ITEMS = [
    tweet("b1", "acme", "We know about the delivery delays this week and are on it.", -7000),
    tweet("t1", "jana_k", "@acme Meine Bestellung ist seit zwei Wochen unterwegs.", -6000, lang="de"),
    tweet("t2", "acme", "@jana_k Das tut uns leid! Schick uns bitte eine DM.", -5000,
          parent_ref="t1", lang="de"),
    tweet("t3", "jana_k", "Immer noch nichts, danke für gar nichts", -4000, parent_ref="t2", lang="de"),
    tweet("t4", "tom_b", "still waiting for my acme refund, third week now", -3000),
    tweet("t5", "lisa_v", "Switching to globex, they actually answer", -2500, lang="nl"),
    tweet("t7", "bob_r", "this thread is useless, buy crypto now", -2000, parent_ref="b1"),
    tweet("x1", "bob_r", "nice weather in Utrecht today", -1500),
    # a retweet repeats t1's words: in the mentions timeline, not a message
    tweet("rt1", "bob_r", "RT @jana_k: @acme Meine Bestellung ist seit zwei Wochen unterwegs.",
          -1200, retweet_of_ref="t1"),
    dict(platform="twitter", type="dm", ref="d1", author="tom_b", recipient="acme",
         text="Order 5512, can you check?", at=-1000),
]

CUSTOMER_REFS = ["t1", "t3", "t4", "t5", "t7", "d1"]


def scenario(path, stream_connections=1):
    s = {
        "platforms": {"twitter": {
            "account": {"id": BRAND, "handle": "acme", "name": "Acme", "followers": 182000,
                        "verified": True},
            "consumer_secret": CONSUMER_SECRET,
            "client_id": "sim-client-id",
            "stream_max_connections": stream_connections,
            "tokens": [
                {"token": "tw-app-bearer", "kind": "app"},
                {"token": "tw-user-token", "kind": "user", "user_id": BRAND,
                 "expires_in": 7200,
                 "scopes": "tweet.read tweet.write tweet.moderate.write users.read dm.read "
                           "dm.write offline.access"},
                {"token": "tw-refresh-token", "kind": "refresh", "user_id": BRAND,
                 "scopes": "tweet.read tweet.write tweet.moderate.write users.read dm.read "
                           "dm.write offline.access"},
            ]}},
        "users": [dict(platform="twitter", id=i, handle=h, name=n, followers=f, verified=v, lang=l)
                  for i, h, n, f, v, l in USERS],
        "items": ITEMS,
    }
    with open(path, "w") as f:
        json.dump(s, f)


class Sim:
    def __init__(self, tmp, *extra, stream_connections=1):
        path = os.path.join(tmp, "scenario.json")
        scenario(path, stream_connections)
        self.log = open(os.path.join(tmp, "sim.log"), "wb")
        self.proc = subprocess.Popen(
            [SIM, "--listen", "127.0.0.1:0", "--scenario", path, "--keepalive-ms", "200",
             "--rate-limit-scale", "100", *extra],
            stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"listening on [\d.]+:(\d+)", line)
        assert m, f"parley-sim did not start: {line!r}"
        self.base = f"http://127.0.0.1:{m.group(1)}"

    def get(self, path):
        status, _, body = http("GET", self.base + path)
        assert status == 200, body
        return json.loads(body)

    def post(self, path, doc):
        status, _, body = http("POST", self.base + path, json.dumps(doc),
                               {"Content-Type": "application/json"})
        assert status in (200, 201), body
        return json.loads(body)

    def ids(self):
        """ref -> id of every item."""
        return {i["ref"]: i["id"] for i in self.get("/_sim/items?platform=twitter")["items"]
                if "ref" in i}

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(30) == 0
        self.log.close()


def config(tmp, port, sim, sources, extra="", stream_timeout="5s"):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {PLUGIN_DIR}
  journal: {tmp}/parley.journal
  log_level: info
connectors:
  - name: tw
    plugin: twitter
    options:
      base_url: {sim.base}/twitter
      account_id: "{BRAND}"
      account_handle: acme
      bearer_token: tw-app-bearer
      user_access_token: tw-user-token
      consumer_secret: {CONSUMER_SECRET}
      sources: [{", ".join(sources)}]
      search_queries: ["acme -from:acme", "globex OR initech"]
      stream_rules: ["(@acme OR acme) -from:acme", "globex"]
      poll_floor: 200ms
      poll_interval: 500ms
      max_results: 10
      stream_timeout: {stream_timeout}
{extra}
outputs:
  - name: all
    type: ndjson
    options: {{path: {tmp}/all.ndjson}}
routes:
  - outputs: all
"""


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


@pytest.fixture
def sim(tmp):
    s = Sim(tmp)
    yield s
    s.stop()


def events(tmp):
    return read_ndjson(os.path.join(tmp, "all.ndjson"))


def customer_ids(tmp):
    return [e["id"] for e in events(tmp) if e["kind"] != "system"]


def wait_ids(tmp, want, what):
    wait_until(lambda: want <= set(customer_ids(tmp)), 60, what=what)


def metric(port, name):
    _, _, body = http("GET", f"http://127.0.0.1:{port}/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name) and not line.startswith("#"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def action(port, doc):
    doc = dict(schema="parley.action.v1", connector="tw", **doc)
    status, _, body = http("POST", f"http://127.0.0.1:{port}/v1/actions", json.dumps(doc),
                           {"Content-Type": "application/json"})
    return status, json.loads(body)


def assert_no_secrets(*texts):
    for t in texts:
        for s in SECRETS:
            assert s not in t, "a secret leaked into the output"


def test_every_path_yields_each_message_once_and_valid(tmp, sim):
    port = free_port()
    sources = ["mentions", "search", "stream", "dms"]
    d = Parleyd(config(tmp, port, sim, sources), tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    ids = sim.ids()
    want = {f"twitter:{ids[r]}" for r in CUSTOMER_REFS}
    wait_ids(tmp, want, "the scenario's mentions, replies, keyword matches and DM")

    # stream items the polls also return: one event each
    wait_until(lambda: metric(port, "twitter_stream_connected") == 1, 30, what="stream connected")
    live = [sim.post("/_sim/items", tweet(f"s{i}", "tom_b", f"@acme app crashes at checkout #{i}"))
            for i in range(3)]
    live.append(sim.post("/_sim/items", tweet("s3", "lisa_v", "globex support rocks")))
    want |= {f"twitter:{i['id']}" for i in live}
    wait_ids(tmp, want, "the stream items")
    assert metric(port, "twitter_stream_tweets_total") >= 4

    # more new mentions than a page holds (max_results 10) while parleyd is down
    assert d.stop() == 0
    burst = [sim.post("/_sim/items", tweet(f"m{i}", USERS[i % 4][1], f"@acme where is order {i}?"))
             for i in range(25)]
    want |= {f"twitter:{i['id']}" for i in burst}
    d = Parleyd(config(tmp, port, sim, sources), tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    wait_ids(tmp, want, "all 25 mentions of the burst")
    assert metric(port, "twitter_pages_total") >= 3  # 25 new mentions took three pages

    evs = [e for e in events(tmp) if e["kind"] != "system"]
    got = [e["id"] for e in evs]
    assert len(got) == len(set(got)), "duplicates"
    assert set(got) == want, f"unexpected: {set(got) - want}"
    validate_events(evs)
    by_id = {e["id"]: e for e in evs}
    t1, t3, t4, t5, d1 = (by_id[f"twitter:{ids[r]}"] for r in ["t1", "t3", "t4", "t5", "d1"])
    assert t1["kind"] == "mention" and t1["author"]["handle"] == "jana_k"
    assert t1["author"]["followers"] == 312 and t1["lang"] == "de"
    assert t1["url"] == f"https://x.com/jana_k/status/{ids['t1']}"
    assert t3["kind"] == "reply" and t3["in_reply_to"] == f"twitter:{ids['t2']}"
    assert t3["conversation_id"] == ids["t1"]
    assert t4["kind"] == "keyword_match" and t4["signals"]["keywords"] == ["acme"]
    assert t4["signals"]["matched_query"] == "acme -from:acme"
    assert t5["kind"] == "keyword_match" and t5["signals"]["keywords"] == ["globex"]
    assert by_id[f"twitter:{ids['t7']}"]["kind"] == "reply"
    assert d1["kind"] == "direct_message" and d1["visibility"] == "private"
    assert d1["conversation_id"] == dm_conversation(USERS[1][0], BRAND)
    assert d.stop() == 0
    assert_no_secrets(d.logs())


def test_reply_dm_and_hide_are_performed_once(tmp, sim):
    port = free_port()
    d = Parleyd(config(tmp, port, sim, ["mentions", "dms"]), tmpdir=tmp).start(
        f"http://127.0.0.1:{port}")
    ids = sim.ids()
    wait_ids(tmp, {f"twitter:{ids['t1']}", f"twitter:{ids['d1']}"}, "the mention and the DM")

    reply = dict(idempotency_key="reply-t1", type="reply_public", target=f"twitter:{ids['t1']}",
                 conversation_id=ids["t1"], text="@jana_k Wir haben nachgesehen: morgen!")
    status, res = action(port, reply)
    assert status == 200 and res["status"] == "done", res
    reply_id = res["platform_id"]
    status, again = action(port, reply)  # the same key: not performed again
    assert status in (200, 409), again
    status, dm = action(port, dict(idempotency_key="dm-d1", type="direct_message",
                                   conversation_id=dm_conversation(USERS[1][0], BRAND),
                                   text="Thanks Tom, order 5512 ships today."))
    assert status == 200 and dm["status"] == "done", dm
    status, dm2 = action(port, dict(idempotency_key="dm-new", type="direct_message",
                                    recipient=USERS[3][0], text="Hi Bob, can we help?"))
    assert status == 200 and dm2["status"] == "done", dm2
    status, hide = action(port, dict(idempotency_key="hide-t7", type="hide",
                                     target=f"twitter:{ids['t7']}"))
    assert status == 200 and hide["status"] == "done", hide
    status, unhide = action(port, dict(idempotency_key="unhide-t7", type="unhide",
                                       target=f"twitter:{ids['t7']}"))
    assert status == 200 and unhide["status"] == "done", unhide
    status, refused = action(port, dict(idempotency_key="hide-t1", type="hide",
                                        target=f"twitter:{ids['t1']}"))
    assert status == 502 and refused["http_status"] == 403, refused  # not the brand's thread
    assert "conversations you authored" in refused["message"]
    status, bad = action(port, dict(idempotency_key="reply-bad", type="reply_public",
                                    target="twitter:not-a-number", text="hi"))
    assert status == 502 and bad["error"] == "PARLEY_EINVAL", bad

    sent = sim.get("/_sim/sent?platform=twitter")["sent"]
    replies = [s for s in sent if s["action"] == "reply"]
    assert [(r["id"], r["in_reply_to"]) for r in replies] == [(reply_id, ids["t1"])]
    dms = [s for s in sent if s["action"] == "dm"]
    assert len(dms) == 2
    hides = [s for s in sent if s["action"] == "hide"]
    assert [(h["id"], h["hidden"]) for h in hides] == [(ids["t7"], True), (ids["t7"], False)]

    # the answers appear in their conversations as outbound events
    outbound = {f"twitter:{reply_id}", f"twitter:{dm['platform_id']}", f"twitter:{dm2['platform_id']}"}
    wait_ids(tmp, outbound, "the outbound reply and DMs")
    evs = [e for e in events(tmp) if e["kind"] != "system"]
    out = {e["id"]: e for e in evs if e["id"] in outbound}
    assert all(e["kind"] == "outbound" for e in out.values())
    assert out[f"twitter:{reply_id}"]["in_reply_to"] == f"twitter:{ids['t1']}"
    assert out[f"twitter:{dm['platform_id']}"]["conversation_id"] == dm_conversation(USERS[1][0], BRAND)
    ids_seen = [e["id"] for e in evs]
    assert len(ids_seen) == len(set(ids_seen))
    validate_events(evs)
    assert d.stop() == 0


def test_expired_token_makes_the_instance_unhealthy_once(tmp, sim):
    port = free_port()
    d = Parleyd(config(tmp, port, sim, ["mentions", "search", "dms"]), tmpdir=tmp).start(
        f"http://127.0.0.1:{port}")
    ids = sim.ids()
    wait_ids(tmp, {f"twitter:{ids['t1']}"}, "the first mention")
    sim.post("/_sim/tokens/expire", {"platform": "twitter"})

    def system_events():
        return [e for e in events(tmp) if e["kind"] == "system"]
    wait_until(system_events, 60, what="a system event")
    wait_until(lambda: metric(port, "twitter_auth_failures_total") >= 5, 60,
               what="further refused polls")
    status, _, body = http("GET", f"http://127.0.0.1:{port}/v1/status")
    inst = [c for c in json.loads(body)["connectors"] if c["name"] == "tw"][0]
    assert inst["healthy"] is False and "re-authorize" in inst["health_reason"]
    assert http("GET", f"http://127.0.0.1:{port}/healthz")[0] == 200  # parleyd keeps running
    sys_evs = system_events()
    assert len(sys_evs) == 1, sys_evs
    assert "refused the" in sys_evs[0]["text"] and "re-authorize" in sys_evs[0]["text"]
    validate_events(sys_evs)
    errors = [l for l in d.logs().splitlines() if "refused the" in l and "ERROR" in l.upper()]
    assert len(errors) == 1, errors
    assert d.stop() == 0
    assert_no_secrets(d.logs(), json.dumps(sys_evs))


def test_a_refreshed_token_keeps_mentions_flowing(tmp, sim):
    port = free_port()
    extra = "      refresh_token: tw-refresh-token\n      client_id: sim-client-id\n"
    d = Parleyd(config(tmp, port, sim, ["mentions"], extra), tmpdir=tmp).start(
        f"http://127.0.0.1:{port}")
    ids = sim.ids()
    wait_ids(tmp, {f"twitter:{ids['t1']}"}, "the first mention")
    sim.post("/_sim/tokens/expire", {"platform": "twitter"})
    later = sim.post("/_sim/items", tweet("r1", "tom_b", "@acme hello again"))
    wait_ids(tmp, {f"twitter:{later['id']}"}, "a mention written after the expiry")
    assert metric(port, "twitter_token_refreshes_total") >= 1
    assert d.stop() == 0
    # the configured tokens are spent now (rotation): a restart must use the
    # refreshed pair kept in the checkpoint store
    d = Parleyd(config(tmp, port, sim, ["mentions"], extra), tmpdir=tmp).start(
        f"http://127.0.0.1:{port}")
    after = sim.post("/_sim/items", tweet("r2", "tom_b", "@acme and after the restart"))
    wait_ids(tmp, {f"twitter:{after['id']}"}, "a mention after the restart")
    assert metric(port, "twitter_token_refreshes_total") == 0
    assert not [e for e in events(tmp) if e["kind"] == "system"]
    assert d.stop() == 0
    assert_no_secrets(d.logs())


def test_account_activity_webhook_crc_signature_and_events(tmp, sim):
    port = free_port()
    d = Parleyd(config(tmp, port, sim, ["webhook"]), tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    hook = f"http://127.0.0.1:{port}/hooks/tw"
    sim.post("/_sim/webhook-target", {"platform": "twitter", "url": hook})
    wait_until(lambda: [w for w in sim.get("/_sim/webhooks?platform=twitter")["deliveries"]
                        if w.get("kind") == "crc"], 30, what="the CRC verdict")
    crc = [w for w in sim.get("/_sim/webhooks?platform=twitter")["deliveries"] if w.get("kind") == "crc"]
    assert crc[-1]["valid"] is True, crc
    m = sim.post("/_sim/items", tweet("w1", "jana_k", "@acme Paket ist da, aber kaputt", lang="de"))
    dm = sim.post("/_sim/items", dict(platform="twitter", type="dm", ref="w2", author="tom_b",
                                      recipient="acme", text="photo of the damage attached"))
    wait_ids(tmp, {f"twitter:{m['id']}", f"twitter:{dm['id']}"}, "webhook events")
    by_id = {e["id"]: e for e in events(tmp)}
    assert by_id[f"twitter:{m['id']}"]["kind"] == "mention"
    assert by_id[f"twitter:{m['id']}"]["author"]["handle"] == "jana_k"
    assert by_id[f"twitter:{dm['id']}"]["kind"] == "direct_message"
    validate_events(list(by_id.values()))
    # a forged signature is refused and counted
    body = json.dumps({"for_user_id": BRAND, "tweet_create_events": []})
    status, _, _ = http("POST", hook, body, {"Content-Type": "application/json",
                                             "x-twitter-webhooks-signature": "sha256=AAAA"})
    assert status == 401
    assert metric(port, "twitter_webhook_forged_total") == 1
    assert d.stop() == 0
    assert_no_secrets(d.logs())


def test_a_signed_delivery_with_bad_characters_keeps_every_tweet(tmp, sim):
    """One invalid UTF-8 byte or a lone \\ud800 in one tweet of a signed
    Account Activity delivery must not cost the delivery: the text is
    repaired (U+FFFD), every event of it carries "repaired", it is counted,
    and the log names a count, never the text."""
    port = free_port()
    d = Parleyd(config(tmp, port, sim, ["webhook"]), tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    hook = f"http://127.0.0.1:{port}/hooks/tw"
    sim.post("/_sim/webhook-target", {"platform": "twitter", "url": hook})
    m = sim.post("/_sim/items", tweet("rp", "jana_k", "@acme TEMPLATE-TWEET"))
    wait_ids(tmp, {f"twitter:{m['id']}"}, "the template tweet")
    body = next(w["body"] for w in sim.get("/_sim/webhooks?platform=twitter")["deliveries"]
                if "TEMPLATE-TWEET" in (w.get("body") or ""))
    env = json.loads(body)
    template = env["tweet_create_events"][0]
    tweets = []
    for n in range(1, 4):
        t = json.loads(json.dumps(template))
        t["id"] = int(m["id"]) + n
        t["id_str"] = str(int(m["id"]) + n)
        t["text"] = f"@acme MESSAGE-{n}"
        tweets.append(t)
    env["tweet_create_events"] = tweets
    raw = (json.dumps(env).encode().replace(b"MESSAGE-1", b"kapot \xff echt")
           .replace(b"MESSAGE-2", b"\\ud800 los").replace(b"MESSAGE-3", b"alles goed"))
    sig = "sha256=" + base64.b64encode(
        hmac.new(CONSUMER_SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    s, _, _ = http("POST", hook, raw, {"Content-Type": "application/json",
                                       "x-twitter-webhooks-signature": sig})
    assert s == 200
    want = {f"twitter:{int(m['id']) + n}" for n in range(1, 4)}
    wait_ids(tmp, want, "the repaired delivery's tweets")
    by_id = {e["id"]: e for e in events(tmp)}
    got = {n: by_id[f"twitter:{int(m['id']) + n}"] for n in range(1, 4)}
    assert [got[n]["text"] for n in range(1, 4)] == [
        "@acme kapot \ufffd echt", "@acme \ufffd los", "@acme alles goed"]
    assert all(got[n]["repaired"] == 2 for n in range(1, 4))
    assert "repaired" not in by_id[f"twitter:{m['id']}"]
    validate_events(list(by_id.values()))
    assert metric(port, "twitter_webhook_repaired_total") == 1
    assert d.stop() == 0
    logs = d.logs()
    assert "2 invalid characters replaced by U+FFFD" in logs
    assert "kapot" not in logs and "los" not in logs
    assert_no_secrets(logs)


def test_a_stream_line_with_a_bad_byte_is_repaired_and_marked(tmp, sim):
    """A tweet line of the filtered stream with an invalid UTF-8 byte in its
    text arrives repaired (U+FFFD), marked "repaired", counted; the log names
    no text."""
    # every answer under the stream path (the rules calls too) has a bad
    # byte: the rules are taken repaired after the SDK's retries, and every
    # tweet line of the stream carries one in its text
    sim.post("/_sim/faults", {"platform": "twitter", "path": "/2/tweets/search/stream",
                              "fault": "invalid_utf8", "always": True})
    port = free_port()
    d = Parleyd(config(tmp, port, sim, ["stream"]), tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    wait_until(lambda: metric(port, "twitter_stream_connects_total") >= 1, 60,
               what="the stream connection")
    t = sim.post("/_sim/items", tweet("sb", "jana_k", "@acme streamed broken"))
    wait_ids(tmp, {f"twitter:{t['id']}"}, "the streamed tweet")
    ev = next(e for e in events(tmp) if e["id"] == f"twitter:{t['id']}")
    assert ev["text"] == "\ufffd@acme streamed broken" and ev["repaired"] == 1, ev
    assert metric(port, "twitter_stream_repaired_lines_total") == 1
    validate_events(events(tmp))
    assert d.stop() == 0
    assert "streamed broken" not in d.logs()
    assert "stream: line accepted with invalid characters replaced by U+FFFD" in d.logs()


def test_stream_gaps_are_back_filled_through_search(tmp):
    """Without keep-alives a quiet connection looks dead after stream_timeout:
    the connector drops it and reconnects. A slow fault holds the reconnect
    for two seconds, and the tweets written meanwhile (no connection open)
    reach parleyd through the back-fill: recent search from the last id the
    stream saw. Nothing lost, nothing twice. The stream is the only source."""
    # the simulator notices a dropped connection a moment after the client
    # does; a second slot keeps that from turning into a 60 s 429 back-off
    sim = Sim(tmp, "--keepalive-ms", "0", stream_connections=2)
    try:
        port = free_port()
        d = Parleyd(config(tmp, port, sim, ["stream"], stream_timeout="1s"), tmpdir=tmp).start(
            f"http://127.0.0.1:{port}")
        ids = sim.ids()
        # the first connection back-fills the newest page of each rule
        want = {f"twitter:{ids[r]}" for r in ["t1", "t3", "t4", "t5", "t7"]}

        def write(ref, text, author="tom_b"):
            want.add("twitter:" + sim.post("/_sim/items", tweet(ref, author, text))["id"])

        def settle(tag):
            """Write until a tweet lands on a working connection, which back-fills
            every gap before it."""
            for i in range(60):
                if want <= set(customer_ids(tmp)):
                    return
                write(f"{tag}{i}", f"acme {tag} {i}")
                time.sleep(0.5)

        settle("warmup")
        assert metric(port, "twitter_stream_tweets_total") >= 1
        before = metric(port, "twitter_backfill_tweets_total")
        sim.post("/_sim/faults", {"platform": "twitter", "path": "/2/tweets/search/stream",
                                  "fault": "slow", "delay_ms": 2000, "count": 2})
        wait_until(lambda: metric(port, "twitter_stream_stalls_total") >= 1, 30,
                   what="the silent stream to be dropped")
        gap = 6
        for i in range(gap):  # while the reconnect is held
            write(f"g{i}", f"@acme written during the gap {i}", USERS[i % 4][1])
        settle("closer")
        got = customer_ids(tmp)
        assert want <= set(got), f"lost: {want - set(got)}"
        assert len(got) == len(set(got)) and set(got) == want, set(got) - want
        assert metric(port, "twitter_backfill_tweets_total") - before >= gap
        assert metric(port, "twitter_backfills_total") >= 2
        validate_events(events(tmp))
        assert d.stop() == 0
        assert_no_secrets(d.logs())
    finally:
        sim.stop()


def test_a_refused_instance_does_not_stop_the_others(tmp, sim):
    port = free_port()
    second = f"""  - name: tw2
    plugin: twitter
    options:
      base_url: {sim.base}/twitter
      account_id: "{BRAND}"
      user_access_token: not-a-valid-token
      poll_floor: 200ms
"""
    text = config(tmp, port, sim, ["mentions"]).replace("outputs:\n", second + "outputs:\n", 1)
    d = Parleyd(text, tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    ids = sim.ids()
    wait_until(lambda: [e for e in events(tmp) if e["kind"] == "system"], 60, what="tw2 unhealthy")
    wait_ids(tmp, {f"twitter:{ids['t1']}"}, "tw's mentions")
    later = sim.post("/_sim/items", tweet("o1", "bob_r", "@acme still there?"))
    wait_ids(tmp, {f"twitter:{later['id']}"}, "a later mention through tw")
    status = json.loads(http("GET", f"http://127.0.0.1:{port}/v1/status")[2])
    health = {c["name"]: c["healthy"] for c in status["connectors"]}
    assert health == {"tw": True, "tw2": False}
    sys_evs = [e for e in events(tmp) if e["kind"] == "system"]
    assert len(sys_evs) == 1 and sys_evs[0]["connector"] == "tw2"
    assert d.stop() == 0
    assert "not-a-valid-token" not in d.logs() + json.dumps(sys_evs)


@pytest.mark.parametrize("fault", ["status429", "status5xx", "timeout", "truncated",
                                   "invalid_utf8", "duplicate", "out_of_order", "oversized"])
def test_a_fault_in_the_middle_of_a_paged_walk_loses_nothing(tmp, fault):
    """25 new mentions take three pages; the fault hits the second page
    request (and the first of the re-walk): the walk restarts from the
    unmoved checkpoint and every mention arrives exactly once."""
    sim = Sim(tmp, "--rate-window-s", "2", "--timeout-hold-ms", "1000")
    try:
        port = free_port()
        d = Parleyd(config(tmp, port, sim, ["mentions"]), tmpdir=tmp).start(
            f"http://127.0.0.1:{port}")
        ids = sim.ids()
        first = {f"twitter:{ids[r]}" for r in ["t1", "t3", "t7"]}
        wait_ids(tmp, first, "the first page")
        assert d.stop() == 0
        burst = {"twitter:" + sim.post("/_sim/items", tweet(f"m{i}", USERS[i % 4][1],
                                                            f"@acme order {i}?"))["id"]
                 for i in range(25)}
        # the first request after the restart passes, the next two get the fault
        path = f"/2/users/{BRAND}/mentions"
        sim.post("/_sim/faults", {"platform": "twitter", "path": path, "fault": "slow",
                                  "delay_ms": 1})
        sim.post("/_sim/faults", {"platform": "twitter", "path": path, "fault": fault, "count": 2})
        d = Parleyd(config(tmp, port, sim, ["mentions"]), tmpdir=tmp).start(
            f"http://127.0.0.1:{port}")
        wait_ids(tmp, first | burst, f"all 25 mentions despite {fault}")
        assert not sim.get("/_sim/faults")["faults"], "the faults were not all served"
        got = customer_ids(tmp)
        assert len(got) == len(set(got)) and set(got) == first | burst
        validate_events(events(tmp))
        assert d.stop() == 0
    finally:
        sim.stop()
