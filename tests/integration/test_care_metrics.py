"""Care metrics end to end: parleyd with two test connectors and a sqlite
store; customer messages and brand answers arrive by webhook, a reply and a
resolve go through /v1/actions; GET /v1/care reports the period from the
store (docs/care-metrics.md) and /metrics carries the live histograms and
gauges, the whole text accepted by `promtool check metrics`."""
import datetime
import json
import shutil
import subprocess

import pytest

from parley_it import Parleyd, free_port, http, router_yaml, wait_until

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def config(tmp, port, sqlite=True):
    store = f"""
  - name: store
    type: sqlite
    options: {{path: {tmp}/store.db}}""" if sqlite else ""
    return router_yaml(tmp, port) + f"""connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, token: s3cret-token}}
  - name: tc2
    plugin: testconn
    options: {{platform: chirp, account: acme, token: s3cret-token}}
outputs:
  - name: log
    type: ndjson
    options: {{path: {tmp}/log.ndjson}}{store}
routes:
  - outputs: [{"log, store" if sqlite else "log"}]
"""


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


# Three hours ago, to the second: every time below is relative to it.
BASE = int(datetime.datetime.now(datetime.timezone.utc).timestamp()) - 3 * 3600
M = 60


def event(platform, n, conv, minute, kind="mention", sla_minute=None):
    ev = {"schema": "parley.event.v1", "id": f"{platform}:{n}", "platform": platform,
          "connector": "x", "account": "acme", "kind": kind, "visibility": "public",
          "conversation_id": f"{platform}:{conv}", "text": "Waar blijft mijn pakket?",
          "created_at": iso(BASE + minute * M), "received_at": iso(BASE + minute * M)}
    if kind != "outbound":
        ev["author"] = {"id": "42"}
    if sla_minute is not None:
        ev["signals"] = {"sla_due": iso(BASE + sla_minute * M)}
    return ev


# test: A answered in 10 min (SLA 30: within), B in 45 (SLA 15: late),
#       C waiting since minute 60 (SLA 90);
# chirp: D waiting since minute 30 (SLA 240), E answered in 20 (no SLA).
SCENARIO = [
    ("tc1", event("test", "a1", "A", 0, sla_minute=30)),
    ("tc1", event("test", "a2", "A", 10, kind="outbound")),
    ("tc1", event("test", "b1", "B", 0, sla_minute=15)),
    ("tc1", event("test", "b2", "B", 45, kind="outbound")),
    ("tc1", event("test", "c1", "C", 60, sla_minute=90)),
    ("tc2", event("chirp", "d1", "D", 30, sla_minute=240)),
    ("tc2", event("chirp", "e1", "E", 0)),
    ("tc2", event("chirp", "e2", "E", 20, kind="outbound")),
    ("tc2", event("chirp", "e3", "E", 21, kind="reaction")),
    ("tc1", {**event("test", "s1", "S", 5, kind="system"), "conversation_id": None}),
]


def post(base, inst, ev):
    ev = {k: v for k, v in ev.items() if v is not None}
    s, _, body = http("POST", f"{base}/hooks/{inst}", json.dumps(ev), {"X-Test-Token": "s3cret-token"})
    assert s == 200, body


def delivered(base):
    st = json.loads(http("GET", f"{base}/v1/status")[2])
    return min(o["delivered"] for o in st["outputs"])


def care(base, query=""):
    s, h, body = http("GET", f"{base}/v1/care{query}")
    assert s == 200, body
    assert h["content-type"].startswith("application/json")
    return json.loads(body)


def metrics(base):
    s, _, body = http("GET", f"{base}/metrics")
    assert s == 200
    return body.decode()


def sample(text, name, labels=""):
    """The value of one sample line of the exposition text."""
    key = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(key + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no sample {key} in /metrics:\n{text}")


def promtool_check(text):
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), (
        f"promtool check metrics: {r.returncode}\n{r.stdout}{r.stderr}")


def submit(base, doc):
    s, _, body = http("POST", f"{base}/v1/actions", json.dumps(doc))
    assert s == 200, body
    return json.loads(body)


def test_care_report_and_live_metrics(tmp):
    if not shutil.which(PROMTOOL):
        pytest.skip("promtool (Debian package prometheus) is not installed")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port), tmpdir=tmp).start(base)
    for inst, ev in SCENARIO:
        post(base, inst, ev)
    wait_until(lambda: delivered(base) >= len(SCENARIO), what="all events stored")

    # the period [BASE - 1h, BASE + 150 min): the store as it was then
    r = care(base, f"?since={iso(BASE - 3600)}&until={iso(BASE + 150 * M)}")
    assert r["schema"] == "parley.care.v1"
    assert r["period"]["hours"] == pytest.approx(3.5)
    o = r["overall"]
    assert o["demand"]["messages"] == 5  # the reaction and the system event are not demand
    assert r["per_platform"]["test"]["demand"]["messages"] == 3
    assert sum(o["demand"]["by_hour_of_day"]) == 5
    # first responses 600, 1200, 2700: median 1200, p90 at h = 1.8: 1200 + 0.8 * 1500
    fr = o["first_response"]
    assert (fr["count"], fr["mean"], fr["median"], fr["p90"], fr["max"]) == (3, 1500, 1200, 2400, 2700)
    assert (fr["conversations"], fr["unanswered"], fr["closed_unanswered"]) == (5, 2, 0)
    assert r["per_platform"]["chirp"]["first_response"]["median"] == 1200
    assert o["response"]["count"] == 3
    sla = o["sla"]
    assert (sla["within"], sla["late"], sla["breached_unanswered"], sla["pending"],
            sla["without_sla"]) == (1, 1, 1, 1, 1)
    assert sla["share_within"] == pytest.approx(1 / 3)
    # open at BASE + 150 min: C for 90 min (SLA passed), D for 120 min
    assert o["open"] == {"count": 2, "oldest_seconds": 7200, "median_age_seconds": 6300,
                         "sla_breached": 1}

    # an agent resolves A; bob answers C through parley
    res = submit(base, {"schema": "parley.action.v1", "idempotency_key": "care-resolve-a",
                        "type": "resolve", "conversation_id": "test:A", "agent": "alice"})
    assert res["status"] == "done"
    submit(base, {"schema": "parley.action.v1", "idempotency_key": "care-reply-c",
                  "type": "reply_public", "connector": "tc1", "conversation_id": "test:C",
                  "target": "test:c1", "text": "Sorry, we kijken het na.", "agent": "bob"})
    wait_until(lambda: delivered(base) >= len(SCENARIO) + 1, what="the reply stored")
    wait_until(lambda: care(base, f"?since={iso(BASE - 3600)}")["per_agent"].get("bob"),
               what="bob's reply named in the store")
    r = care(base, f"?since={iso(BASE - 3600)}")  # until now
    o = r["overall"]
    assert o["resolved"] == 1 and o["open"]["count"] == 1
    alice = r["per_agent"]["alice"]
    assert alice["resolved"] == 1
    assert 3 * 3600 - 5 <= alice["median_handling_seconds"] <= 3 * 3600 + 120
    bob = r["per_agent"]["bob"]
    assert bob["responses"] == 1 and 2 * 3600 - 5 <= bob["median_response_seconds"] <= 2 * 3600 + 120
    assert o["first_response"]["count"] == 4 and o["sla"]["late"] == 2

    text = metrics(base)
    promtool_check(text)
    assert "# TYPE parley_first_response_seconds histogram" in text
    assert sample(text, "parley_first_response_seconds_count", 'platform="test"') == 3
    assert sample(text, "parley_first_response_seconds_bucket", 'platform="test",le="900"') == 1
    assert sample(text, "parley_first_response_seconds_bucket", 'platform="test",le="3600"') == 2
    assert sample(text, "parley_first_response_seconds_count", 'platform="chirp"') == 1
    assert sample(text, "parley_response_seconds_count", 'platform="test"') == 3
    assert sample(text, "parley_handling_seconds_count", 'platform="test"') == 1
    assert sample(text, "parley_answered_within_sla_total", 'platform="test"') == 1
    assert sample(text, "parley_answered_after_sla_total", 'platform="test"') == 2
    assert sample(text, "parley_customer_messages_total", 'platform="test"') == 3
    assert sample(text, "parley_customer_messages_total", 'platform="chirp"') == 2
    assert sample(text, "parley_open_conversations", 'platform="test"') == 0
    assert sample(text, "parley_open_conversations", 'platform="chirp"') == 1
    oldest = sample(text, "parley_oldest_open_conversation_seconds", 'platform="chirp"')
    assert 150 * M - 5 <= oldest <= 150 * M + 120
    assert sample(text, "parley_resolved_total", 'agent="alice"') == 1
    assert d.stop() == 0


def test_care_refuses_bad_requests_clearly(tmp):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port), tmpdir=tmp).start(base)
    s, h, body = http("POST", f"{base}/v1/care", "{}")
    assert s == 405 and h.get("allow") == "GET, HEAD"
    for query, name in [("?since=yesterday", "since"), ("?until=2026-13-45T00:00:00Z", "until"),
                        ("?since=2026-11-24T00:00:00Z&until=2026-11-23T00:00:00Z", "since")]:
        s, _, body = http("GET", f"{base}/v1/care{query}")
        assert s == 400, (query, body)
        err = json.loads(body)
        assert err["error"] == "PARLEY_EINVAL" and err["message"].startswith(name + ":"), err
    s, _, body = http("GET", f"{base}/v1/care?store=nosuch")
    assert s == 404 and b"nosuch" in body
    s, _, body = http("GET", f"{base}/v1/care?store=log")
    assert s == 400 and b"not a sqlite" in body
    assert care(base, "?store=store")["overall"]["demand"]["messages"] == 0
    assert d.stop() == 0
    # without a sqlite output there is nothing to report from
    d = Parleyd(config(tmp, port, sqlite=False), tmpdir=tmp).start(base)
    s, _, body = http("GET", f"{base}/v1/care")
    assert s == 404 and b"no sqlite output" in body
    promtool_check(metrics(base))
    assert d.stop() == 0
