"""Bad input end to end, for the rows of docs/security.md's table that no
other test shows: deeply nested JSON, path tricks on /hooks/, methods a
platform webhook does not take, a replayed Meta delivery, an action no
connector owns, a secret in a config error, and the suite-wide check that no
configured secret reaches parleyd's log (Parleyd.stop)."""
import hashlib
import hmac
import json
import os

import pytest

from parley_it import (ADMIN_TOKEN, DEMO_SECRETS, FIVE_INSTANCES, FiveStack, Parleyd, free_port, http, raw_http,
                       read_ndjson, router_yaml, run_parleyd, wait_until)

TOKEN = "it-bad-input-token-5f2e"


def tc_yaml(tmp, port, token=TOKEN, options=""):
    return router_yaml(tmp, port) + f"""connectors:
  - name: tc1
    plugin: testconn
    options:
      account: acme
      token: {token}
{options}outputs:
  - name: all
    type: ndjson
    options: {{path: {tmp}/all.ndjson}}
routes:
  - outputs: all
"""


def event(n):
    return json.dumps({"schema": "parley.event.v1", "id": f"test:bad-{n}", "platform": "test",
                       "connector": "tc1", "account": "acme", "kind": "mention",
                       "visibility": "public", "created_at": "2026-11-23T09:20:06.123Z",
                       "received_at": "2026-11-23T09:20:07.000Z"})


@pytest.fixture
def tc(tmp_path):
    tmp = str(tmp_path)
    port = free_port()
    d = Parleyd(tc_yaml(tmp, port), tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    d.port, d.base, d.tmp = port, f"http://127.0.0.1:{port}", tmp
    yield d
    assert d.stop() == 0


def test_deeply_nested_json_is_refused_alone(tc):
    """100 000 nested arrays (a stack-exhaustion attempt on a recursive
    parser) and 10 000 nested objects: 400, the depth named in the log,
    and the next delivery is accepted."""
    hdr = {"X-Test-Token": TOKEN}
    for body in ("[" * 100000 + "]" * 100000, '{"a":' * 10000 + "1" + "}" * 10000):
        assert http("POST", tc.base + "/hooks/tc1", body, hdr)[0] == 400
    assert http("POST", tc.base + "/hooks/tc1", event(1), hdr)[0] == 200
    wait_until(lambda: read_ndjson(os.path.join(tc.tmp, "all.ndjson")), what="the good event")
    assert tc.logs().count("maximum parsing depth reached") == 2
    assert [e["id"] for e in read_ndjson(os.path.join(tc.tmp, "all.ndjson"))] == ["test:bad-1"]


@pytest.mark.parametrize("path,status", [
    ("/hooks/../v1/status", 404), ("/hooks/%2e%2e/v1/status", 404), ("/hooks//tc1", 404),
    ("/hooks/TC1", 404), ("/hooks/tc1%00", 404), ("/hooks/%74c1", 404), ("/hooks/", 404),
    ("//hooks/tc1", 404), ("/hooks/tc1\x00x", 400)])
def test_path_tricks_on_hooks_reach_no_handler(tc, path, status):
    """Paths are matched as sent, never decoded or normalised: a trick
    reaches neither the instance nor an admin endpoint."""
    s, _, body = raw_http(tc.port, "POST", path, event(2), {"X-Test-Token": TOKEN})
    assert s == status, (path, s, body)
    assert b"connectors" not in body  # not /v1/status
    assert "test:bad-2" not in tc.logs()
    assert not read_ndjson(os.path.join(tc.tmp, "all.ndjson"))


def test_an_action_no_connector_owns_is_refused_by_name(tc):
    base = {"schema": "parley.action.v1", "type": "reply_public", "text": "hello",
            "conversation_id": "nobody:1", "target": "nobody:1"}
    s, _, b = http("POST", tc.base + "/v1/actions", json.dumps(dict(base, idempotency_key="a1")))
    assert s == 400 and b"action.connector: missing" in b, b
    s, _, b = http("POST", tc.base + "/v1/actions",
                   json.dumps(dict(base, idempotency_key="a2", connector="nosuch")))
    assert s == 404 and b"nosuch" in b, b
    # invalid UTF-8 in an action's text: refused, nothing performed
    raw = json.dumps(dict(base, idempotency_key="a3", connector="tc1")).encode().replace(
        b"hello", b"he\xffllo")
    s, _, b = http("POST", tc.base + "/v1/actions", raw)
    assert s == 400, b
    assert not read_ndjson(os.path.join(tc.tmp, "all.ndjson"))


def test_a_secret_from_substitution_is_never_repeated_in_a_config_error(tmp_path, monkeypatch):
    tmp = str(tmp_path)
    monkeypatch.setenv("TC_TOKEN", TOKEN)
    path = os.path.join(tmp, "p.yaml")
    with open(path, "w") as f:
        f.write(tc_yaml(tmp, free_port(), token="${TC_TOKEN}",
                              options="      interval: ${TC_TOKEN}\n"))
    r = run_parleyd("--check-config", path)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert ("connectors[0].options.interval: the value from ${...} substitution is not a "
            "duration") in out, out
    assert TOKEN not in out


def test_the_fixture_fails_a_test_whose_log_holds_a_configured_secret(tmp_path):
    """Parleyd.stop() greps the log for every value under a credential key
    (after ${...} substitution) and names the key, never the value."""
    tmp = str(tmp_path)
    cfg = tc_yaml(tmp, free_port(), token="${TC_TOKEN}") + (
        "# a flow map too\nx: {app_secret: 'flow-secret-9', note: plain}\n")
    d = Parleyd(cfg, tmpdir=tmp, env={"TC_TOKEN": TOKEN}, secrets=["extra-secret-1"])
    assert set(d.secrets) == {TOKEN, "flow-secret-9", "extra-secret-1", ADMIN_TOKEN}
    with open(d.log_path, "w") as f:
        f.write(f"line one\nGET /x?token={TOKEN}\nflow-secret-9\n")
    with pytest.raises(AssertionError) as e:
        d.stop()
    msg = str(e.value)
    assert "the value of token (line 2)" in msg and "the value of app_secret (line 3)" in msg
    assert TOKEN not in msg and "flow-secret-9" not in msg
    with open(d.log_path, "w") as f:
        f.write("nothing here but ***\n")
    d.stop()


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    st = FiveStack(tmp_path_factory.mktemp("five"), """outputs:
  - name: all
    type: ndjson
    options: {{path: {dir}/all.ndjson}}
routes:
  - outputs: all
""").start()
    yield st
    st.stop()


@pytest.mark.parametrize("platform,method", [
    ("facebook", "PUT"), ("facebook", "DELETE"), ("instagram", "PATCH"), ("tiktok", "GET"),
    ("tiktok", "PUT")])
def test_platform_webhooks_answer_405_to_other_methods(five, platform, method):
    s, _, body = raw_http(five.port, method, "/hooks/" + FIVE_INSTANCES[platform])
    assert s == 405, (platform, method, s, body)


def test_a_replayed_meta_delivery_is_accepted_and_delivered_once(five):
    """Meta's signatures carry no timestamp, so a replay cannot be told from
    the platform's own retry: it is answered 200 (a retry must be) and the
    journal's dedup keeps each event once."""
    text = "replay me once"
    five.post_item({"platform": "facebook", "type": "comment", "author": "jana.krueger",
                    "parent_ref": "fb-post-1", "text": text})
    path = os.path.join(five.dir, "all.ndjson")
    wait_until(lambda: [e for e in read_ndjson(path) if e.get("text") == text], 30,
               what="the comment by webhook")
    _, _, b = http("GET", five.sim.url + "/_sim/webhooks?platform=facebook")
    d = next(d for d in json.loads(b)["deliveries"] if text in (d.get("body") or ""))
    sig = "sha256=" + hmac.new(DEMO_SECRETS["META_APP_SECRET"].encode(), d["body"].encode(),
                               hashlib.sha256).hexdigest()
    for _ in range(3):
        s, _, _ = http("POST", f"{five.base}/hooks/{FIVE_INSTANCES['facebook']}",
                       d["body"].encode(), {"X-Hub-Signature-256": sig,
                                            "Content-Type": "application/json"})
        assert s == 200
    _, _, m = http("GET", five.base + "/metrics")
    assert b"parley_events_duplicate_total" in m
    assert len([e for e in read_ndjson(path) if e.get("text") == text]) == 1
