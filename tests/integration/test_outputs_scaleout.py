"""Scale-out against the simulator: two parleyd share one JetStream stream.
Parleyd A owns the Twitter instance acme-nl-twitter (twitter.so), parleyd B
the Facebook instance acme-de-facebook (facebook.so), both against one real
parley-sim; both publish to PARLEY_EVENTS on one real nats-server. A reply
published on the work queue subject parley.actions.acme-nl-twitter is
performed on the simulator by A, once (the simulator's record of what the
brand sent shows it), its result comes back on
parley.action_results.acme-nl-twitter, the same idempotency key again gets
that result and no second reply, and B performs nothing (docs/scale-out.md).
Every wait is for a condition, never for a time."""
import json
import os
import subprocess

import pytest

from parley_it import Parleyd, PLUGIN_DIR, free_port, http, wait_until
from test_meta_common import APP_SECRET, FB_TOKEN, JANA, PAGE1
from test_meta_common import SECRETS as META_SECRETS
from test_meta_common import Sim as MetaSim
from test_meta_common import scenario as meta_scenario
from test_outputs_nats import JetStream, NatsServer
from test_twitter import BRAND, CONSUMER_SECRET
from test_twitter import SECRETS as TWITTER_SECRETS
from test_twitter import SIM
from test_twitter import scenario as twitter_scenario

TW, FB = "acme-nl-twitter", "acme-de-facebook"
KEY = "ticket-4711-reply-1"


class Sim(MetaSim):
    """One parley-sim serving both platforms: the Twitter scenario of
    test_twitter.py plus the Facebook Pages of test_meta_common.py."""

    def __init__(self, tmp):
        path = os.path.join(tmp, "scenario.json")
        twitter_scenario(path)
        with open(path) as f:
            s = json.load(f)
        meta = meta_scenario()
        s["platforms"]["facebook"] = meta["platforms"]["facebook"]
        s["users"] += [u for u in meta["users"] if u["platform"] == "facebook"]
        s["items"] += [i for i in meta["items"] if i["platform"] == "facebook"]
        with open(path, "w") as f:
            json.dump(s, f)
        self.err = open(os.path.join(tmp, "sim.log"), "w")
        self.proc = subprocess.Popen([SIM, "--listen", "127.0.0.1:0", "--scenario", path,
                                      "--rate-limit-scale", "100"],
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("parley-sim listening on 127.0.0.1:"), line
        self.base = "http://127.0.0.1:%d" % int(line.rsplit(":", 1)[1])


def connector_yaml(sim, instance):
    """The instance's entry; options as a JSON flow mapping (valid YAML)."""
    if instance == TW:
        plugin, options = "twitter", dict(
            base_url=f"{sim.base}/twitter", account_id=BRAND, account_handle="acme",
            bearer_token="tw-app-bearer", user_access_token="tw-user-token",
            consumer_secret=CONSUMER_SECRET, sources=["mentions"], poll_floor="200ms",
            poll_interval="500ms")
    else:
        plugin, options = "facebook", dict(
            base_url=f"{sim.base}/facebook", app_secret=APP_SECRET, pages=[PAGE1],
            page_access_token=FB_TOKEN, backfill_interval="1s")
    return f"""
  - name: {instance}
    plugin: {plugin}
    options: {json.dumps(options)}
"""


def config(tmp, port, nats_url, sim, instance):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {PLUGIN_DIR}
  journal: {tmp}/{instance}.journal
connectors:{connector_yaml(sim, instance)}
outputs:
  - name: cluster
    type: nats
    options: {{url: "{nats_url}", create_stream: true, actions: true}}
routes:
  - outputs: cluster
"""


def reply(instance, target, text):
    return {"schema": "parley.action.v1", "idempotency_key": KEY, "type": "reply_public",
            "connector": instance, "conversation_id": target, "target": f"twitter:{target}",
            "text": text}


def status(base):
    return json.loads(http("GET", f"{base}/v1/status")[2])


def next_result(conn):
    """The next action result. Every JetStream connection also subscribes
    the shared reply inbox (_parley_it.>), so this one sees the API answers
    meant for the other: skip them."""
    while True:
        subject, doc = conn.next_msg()
        if not subject.startswith("_parley_it."):
            return subject, doc


def stream_ids(js):
    return {hdrs["Nats-Msg-Id"] for _, hdrs, _ in js.messages("PARLEY_EVENTS")}


@pytest.fixture
def stack(tmp_path):
    """nats-server, parley-sim, and parleyd A (Twitter) and B (Facebook)."""
    tmp = str(tmp_path)
    nats = NatsServer(os.path.join(tmp, "js")).start()
    sim = Sim(tmp)
    daemons = {}
    try:
        for inst in (TW, FB):
            port = free_port()
            d = Parleyd(config(tmp, port, nats.url, sim, inst), tmpdir=tmp, name=f"{inst}.yaml")
            d.log_path = os.path.join(tmp, f"{inst}.log")
            d.base = f"http://127.0.0.1:{port}"
            daemons[inst] = d.start(d.base)
        yield sim, nats, daemons
    finally:
        for d in daemons.values():
            d.stop()
        sim.stop()
        nats.stop()


def test_a_reply_through_the_work_queue_is_performed_once_by_the_owning_instance(stack):
    sim, nats, daemons = stack
    t1 = sim.find("twitter", "t1")["id"]
    c1 = sim.item(platform="facebook", type="comment", author_id=JANA, account_id=PAGE1,
                  parent_id=sim.find("facebook", "p1")["id"], text="Geldt de korting ook in NL?")
    js, results = JetStream(nats.url), JetStream(nats.url)
    try:
        # both publish into the one stream: A the mention, B the comment
        wait_until(lambda: {f"twitter:{t1}", f"facebook:{c1['id']}"} <= stream_ids(js), 60,
                   what="the mention and the comment in PARLEY_EVENTS")

        results.subscribe("parley.action_results.>")
        ack = js.request(f"parley.actions.{TW}", reply(TW, t1, "@jana_k Morgen is het er!"))
        assert ack.get("stream") == "PARLEY_ACTIONS", ack
        subject, result = next_result(results)
        assert subject == f"parley.action_results.{TW}"
        assert result["schema"] == "parley.action_result.v1" and result["status"] == "done", result
        assert result["idempotency_key"] == KEY
        sent = [s for s in sim.sent("twitter") if s["action"] == "reply"]
        assert [(s["id"], s["in_reply_to"], s["text"]) for s in sent] == \
            [(result["platform_id"], t1, "@jana_k Morgen is het er!")]

        # an agent retrying with the same key: the first result, no second reply
        js.request(f"parley.actions.{TW}", reply(TW, t1, "@jana_k Morgen is het er!"))
        subject, again = next_result(results)
        assert subject == f"parley.action_results.{TW}"
        assert again["status"] == "done" and again["platform_id"] == result["platform_id"]
        # an action naming an instance nobody runs stays queued for its owner
        js.request("parley.actions.acme-fr-twitter", reply("acme-fr-twitter", t1, "Bonjour"))

        # the reply comes back as A's outbound event; the queue keeps only the orphan
        out_id = f"twitter:{result['platform_id']}"
        wait_until(lambda: out_id in stream_ids(js), 60, what="the reply in PARLEY_EVENTS")
        wait_until(lambda: js.stream_info("PARLEY_ACTIONS")["state"]["messages"] == 1,
                   what="performed actions gone from the work queue")
        for d in daemons.values():
            assert d.stop() == 0
        msgs = js.messages("PARLEY_EVENTS")
    finally:
        js.close()
        results.close()

    # exactly one reply on the platform, made by A; B sent nothing at all
    assert len([s for s in sim.sent("twitter") if s["action"] == "reply"]) == 1
    assert sim.sent("facebook") == []
    logs = {i: d.logs() for i, d in daemons.items()}
    assert KEY not in logs[FB] and TW not in logs[FB]

    ids = [hdrs["Nats-Msg-Id"] for _, hdrs, _ in msgs]
    assert len(ids) == len(set(ids)), "an event twice in the stream"
    by_id = {hdrs["Nats-Msg-Id"]: (subject, ev) for subject, hdrs, ev in msgs}
    for subject, ev in by_id.values():
        platform = {TW: "twitter", FB: "facebook"}[ev["connector"]]
        assert subject == f"parley.events.{platform}.{ev['kind']}", (subject, ev["id"])
    subject, out = by_id[out_id]
    assert out["kind"] == "outbound" and out["connector"] == TW
    assert out["in_reply_to"] == f"twitter:{t1}"
    assert [e["id"] for _, e in by_id.values() if e["kind"] == "outbound"] == [out_id]
    assert by_id[f"twitter:{t1}"][0] == "parley.events.twitter.mention"
    assert by_id[f"twitter:{t1}"][1]["connector"] == TW
    assert by_id[f"facebook:{c1['id']}"][0] == "parley.events.facebook.comment"
    assert by_id[f"facebook:{c1['id']}"][1]["connector"] == FB
    for text in logs.values():
        for secret in TWITTER_SECRETS + META_SECRETS:
            assert secret not in text
