"""The fault-matrix rows the conformance kit cannot show (it runs no
webhook server and no stream): the webhook faults for every connector that
has webhooks, and the faults parley-sim injects on the X filtered stream.
Real parleyd, real .so connectors, real parley-sim over loopback.

Rows are recorded with parley_it.FaultRows into
$PARLEY_BUILD_DIR/fault-matrix/<plugin>-webhook.json and twitter-stream.json;
tools/fault_matrix.py renders them (docs/fault-matrix.md).

Webhook rows, per platform:
- webhook.duplicate: the simulator delivers every webhook twice
  (`webhook_duplicates: true` in the scenario, Meta, LinkedIn, TikTok);
  X's simulator has no such switch, so its logged delivery is posted again,
  signed. Both copies are answered 2xx, the event reaches the output once
  and the core counts a duplicate.
- webhook.challenge_wrong_token: a subscription check with a wrong
  verify_token is refused and the challenge is not echoed (Meta; X's CRC and
  LinkedIn's challengeCode carry no token, TikTok has no check: "—").
- webhook.handshake: the simulator's own check (Meta verify, X CRC,
  LinkedIn challengeCode) was answered right, as the simulator judged it.
- webhook.forged_signature: a real delivery with changed text and a
  signature from the wrong secret is refused (401/403) and never delivered.

Stream rows (twitter-stream): each fault parley-sim can inject on the
filtered stream is taken by the next connect (the simulator's disconnect
call forces one; a 1 ms slow rule on the rules path takes the rules read
that comes first); then two new tweets must reach the output exactly once
(stream or the connector's back-fill after a broken connection). The
stream's 429 announces the --rate-window-s window and the connector backs
off 60 s from a 429 (§4c), so that row takes a minute. expire_token is
last: the app bearer expires for good, so the instance must say so
(unhealthy), not retry silently.

The signing helpers are the platform tests' own (test_meta_common.sign,
test_linkedin.sign, test_tiktok.sign, parley_it.twitter_webhook_signature)."""
import json
import os

import pytest

import test_linkedin
import test_meta_common
import test_tiktok
from parley_it import (DEMO_SCENARIO, DEMO_SECRETS, FIVE_INSTANCES, PLUGIN_DIR, FaultRows,
                       FiveStack, Parleyd, free_port, http, metric_value, read_ndjson,
                       router_yaml, twitter_webhook_signature, wait_until)

WEBHOOK_PLATFORMS = ("twitter", "facebook", "instagram", "linkedin", "tiktok")
STREAM_FAULTS = ("duplicate", "out_of_order", "truncated", "invalid_utf8", "status5xx", "slow",
                 "timeout", "status429", "expire_token")
STREAM_PATH = "/2/tweets/search/stream"

# a customer's new item per platform (demo scenario), {text} the marker
ITEMS = {
    "twitter": {"type": "tweet", "author": "jana_k", "text": "@acme {text}"},
    "facebook": {"type": "comment", "author": "jana.krueger", "parent_ref": "fb-post-1",
                 "text": "{text}"},
    "instagram": {"type": "comment", "author": "lotte.bakes", "parent_ref": "ig-media-1",
                  "text": "{text}"},
    "linkedin": {"type": "comment", "author": "emily-chen", "parent_ref": "li-post-1",
                 "text": "{text}"},
    "tiktok": {"type": "comment", "author": "techdad42", "parent_ref": "tt-video-1",
               "text": "{text}"},
}


def signature_header(platform, body, secret):
    """(header, value) signing `body` (str) as the platform does."""
    if platform == "twitter":
        return "x-twitter-webhooks-signature", twitter_webhook_signature(body, secret)
    if platform in ("facebook", "instagram"):
        return "X-Hub-Signature-256", test_meta_common.sign(body, secret)
    if platform == "linkedin":
        return "X-LI-Signature", test_linkedin.sign(body, secret)
    return "TikTok-Signature", test_tiktok.sign(body, secret=secret)


SECRET_OF = {"twitter": "TW_CONSUMER_SECRET", "facebook": "META_APP_SECRET",
             "instagram": "META_APP_SECRET", "linkedin": "LI_CLIENT_SECRET",
             "tiktok": "TT_CLIENT_SECRET"}


def duplicating_scenario(tmp):
    """demo.json with webhook_duplicates on every platform that has the switch."""
    with open(DEMO_SCENARIO, encoding="utf-8") as f:
        doc = json.load(f)
    for p in ("facebook", "instagram", "linkedin", "tiktok"):
        doc["platforms"][p]["webhook_duplicates"] = True
    path = os.path.join(str(tmp), "scenario.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return path


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fm")
    st = FiveStack(tmp, """outputs:
  - name: all
    type: ndjson
    options: {{path: {dir}/all.ndjson}}
routes:
  - outputs: all
""", scenario=duplicating_scenario(tmp),
        sim_args=("--rate-window-s", "3", "--timeout-hold-ms", "2000"),
        sources={"twitter": ["webhook"], "linkedin": ["comments", "mentions", "webhook"]}).start()
    for p in ("twitter", "linkedin", "tiktok"):
        body = json.dumps({"platform": p, "url": f"{st.base}/hooks/{FIVE_INSTANCES[p]}"})
        assert http("POST", st.sim.url + "/_sim/webhook-target", body)[0] < 300
    st.rows = {p: FaultRows(p, "webhook", "tests/integration/test_fault_matrix_webhooks.py")
               for p in WEBHOOK_PLATFORMS}
    yield st
    st.stop()


def deliveries(st, platform):
    return json.loads(http("GET", f"{st.sim.url}/_sim/webhooks?platform={platform}")[2])[
        "deliveries"]


def with_text(st, text):
    return [e for e in read_ndjson(os.path.join(st.dir, "all.ndjson"))
            if text in (e.get("text") or "")]


def duplicates_counted(base):
    text = http("GET", base + "/metrics")[2].decode()
    return sum(float(l.rpartition(" ")[2]) for l in text.splitlines()
               if l.startswith("parley_events_duplicate_total"))


def post_marker(st, platform, text):
    item = {k: v.format(text=text) for k, v in ITEMS[platform].items()}
    return st.post_item(dict(item, platform=platform))


def logged_delivery(st, platform, text):
    return wait_until(lambda: next((d for d in deliveries(st, platform)
                                    if d.get("kind") == "delivery" and d.get("ok")
                                    and text in (d.get("body") or "")), None),
                      30, what=f"the {platform} delivery of {text!r}")


@pytest.mark.parametrize("platform", WEBHOOK_PLATFORMS)
def test_a_webhook_delivered_twice_is_delivered_once(five, platform):
    with five.rows[platform].check("webhook.duplicate"):
        text = f"matrix duplicate {platform}"
        before = duplicates_counted(five.base)
        post_marker(five, platform, text)
        hook = f"{five.base}/hooks/{FIVE_INSTANCES[platform]}"
        if platform == "twitter":  # no duplicating switch: post the delivery again
            body = logged_delivery(five, platform, text)["body"]
            name, sig = signature_header(platform, body, DEMO_SECRETS[SECRET_OF[platform]])
            status = http("POST", hook, body.encode(), {name: sig,
                                                        "Content-Type": "application/json"})[0]
            assert status < 300, f"the second copy was answered {status}"
        else:
            wait_until(lambda: len([d for d in deliveries(five, platform)
                                    if d.get("kind") == "delivery" and d.get("ok")
                                    and text in (d.get("body") or "")]) >= 2,
                       30, what=f"both {platform} copies answered 2xx")
        wait_until(lambda: with_text(five, text), 30, what="the event downstream")
        wait_until(lambda: duplicates_counted(five.base) > before, 30,
                   what="the second copy counted as a duplicate")
        got = with_text(five, text)
        assert len(got) == 1, f"{len(got)} events downstream for one item"


@pytest.mark.parametrize("platform", WEBHOOK_PLATFORMS)
def test_a_subscription_check_with_a_wrong_token_is_refused(five, platform):
    rows = five.rows[platform]
    if platform not in ("facebook", "instagram"):
        why = {"twitter": "X's CRC carries no token (answered with an HMAC)",
               "linkedin": "LinkedIn's challengeCode carries no token (answered with an HMAC)",
               "tiktok": "TikTok sends no subscription check"}[platform]
        rows.add("webhook.challenge_wrong_token", "SKIP", "not applicable: " + why)
        return
    with rows.check("webhook.challenge_wrong_token"):
        hook = f"{five.base}/hooks/{FIVE_INSTANCES[platform]}"
        status, _, body = http("GET", hook + "?hub.mode=subscribe&hub.challenge=918273645"
                               "&hub.verify_token=not-the-verify-token")
        assert status in (401, 403), f"answered {status}"
        assert b"918273645" not in body, "the challenge was echoed"


@pytest.mark.parametrize("platform", WEBHOOK_PLATFORMS)
def test_the_simulators_own_subscription_check_passed(five, platform):
    rows = five.rows[platform]
    if platform == "tiktok":
        rows.add("webhook.handshake", "SKIP", "not applicable: TikTok sends no check")
        return
    with rows.check("webhook.handshake"):
        kind, key = ("crc", "valid") if platform == "twitter" else ("verify_result", "ok")
        verdicts = wait_until(lambda: [d for d in deliveries(five, platform)
                                       if d.get("kind") == kind], 30, what="the verdict")
        assert verdicts[-1][key] is True, verdicts[-1]


@pytest.mark.parametrize("platform", WEBHOOK_PLATFORMS)
def test_a_forged_signature_is_refused(five, platform):
    with five.rows[platform].check("webhook.forged_signature"):
        text = f"matrix genuine {platform}"
        post_marker(five, platform, text)
        body = logged_delivery(five, platform, text)["body"]
        forged = body.replace(text, f"matrix forged {platform}")
        name, sig = signature_header(platform, forged, "not-the-platform-secret")
        status = http("POST", f"{five.base}/hooks/{FIVE_INSTANCES[platform]}", forged.encode(),
                      {name: sig, "Content-Type": "application/json"})[0]
        assert status in (401, 403), f"answered {status}"
        wait_until(lambda: with_text(five, text), 30, what="the genuine event")
        assert not with_text(five, f"matrix forged {platform}"), "the forged event arrived"


# ---- the X filtered stream ----

@pytest.fixture(scope="module")
def stream(five):
    """A second parleyd with one twitter instance reading only the filtered
    stream, against the same simulator (whose twitter webhook goes to the
    first parleyd: outputs are separate)."""
    tmp = os.path.join(five.dir, "stream")
    os.makedirs(tmp)
    port = free_port()
    config = (router_yaml(tmp, port, PLUGIN_DIR) + f"""connectors:
  - name: tw-stream
    plugin: twitter
    options:
      base_url: {five.sim.url}/twitter
      account_id: "2244994945"
      account_handle: acme
      bearer_token: ${{TW_BEARER}}
      sources: [stream]
      stream_rules: ["@acme"]
outputs:
  - name: all
    type: ndjson
    options: {{path: {tmp}/all.ndjson}}
routes:
  - outputs: all
""")
    d = Parleyd(config, tmpdir=tmp, env=DEMO_SECRETS).start(wait_http=f"http://127.0.0.1:{port}")
    d.base, d.dir = f"http://127.0.0.1:{port}", tmp
    d.rows = FaultRows("twitter", "stream", "tests/integration/test_fault_matrix_webhooks.py")
    yield d
    d.stop()


def stream_events(d, text):
    return [e for e in read_ndjson(os.path.join(d.dir, "all.ndjson"))
            if text in (e.get("text") or "")]


def faults_left(five):
    return json.loads(http("GET", five.sim.url + "/_sim/faults")[2])


@pytest.mark.parametrize("fault", STREAM_FAULTS)
def test_a_stream_fault_loses_and_repeats_nothing(five, stream, fault):
    with stream.rows.check("fault." + fault):
        first = f"matrix stream before {fault}"
        five.post_item({"platform": "twitter", "type": "tweet", "author": "pieterdevries",
                        "text": "@acme " + first})
        wait_until(lambda: stream_events(stream, first), 200, what="the stream is up")
        # a reconnect first reads the rules (GET .../stream/rules, which the
        # stream's path prefix matches too): a harmless 1 ms delay takes
        # that call, so the connect itself takes the fault
        for rule in ({"platform": "twitter", "path": STREAM_PATH + "/rules", "fault": "slow",
                      "delay_ms": 1, "count": 1},
                     {"platform": "twitter", "path": STREAM_PATH, "fault": fault, "count": 1}):
            assert http("POST", five.sim.url + "/_sim/faults", json.dumps(rule))[0] == 201
        http("POST", five.sim.url + "/twitter/_sim/stream/disconnect", "{}")
        wait_until(lambda: not faults_left(five)["faults"], 60,
                   what="the reconnect took the fault")
        if fault == "expire_token":
            def unhealthy():
                doc = json.loads(http("GET", stream.base + "/v1/status")[2])
                c = next(c for c in doc["connectors"] if c["name"] == "tw-stream")
                return c["healthy"] is False
            wait_until(unhealthy, 60, what="the instance unhealthy on an expired token")
            return
        texts = [f"matrix stream {fault} {n}" for n in (1, 2)]
        for t in texts:
            five.post_item({"platform": "twitter", "type": "tweet", "author": "jana_k",
                            "text": "@acme " + t})
        for t in texts:
            wait_until(lambda: stream_events(stream, t), 150, what=f"{t!r} downstream")
        for t in texts:
            assert len(stream_events(stream, t)) == 1, f"{t!r} delivered more than once"
