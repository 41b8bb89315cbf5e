"""Scale-out: two parleyd instances, each owning its own connector
instance, publish to one JetStream stream; an action published on the work
queue subject parley.actions.<instance> is performed by the parleyd that
owns that instance (and by no other), once per idempotency key, and its
result comes back on parley.action_results.<instance>. The test connector
"performs" a reply by emitting the outbound message into its conversation,
so the reply shows up in the stream too (docs/scale-out.md)."""
import json
import os

from parley_it import Parleyd, free_port, http, wait_until, TEST_PLUGIN_DIR
from test_outputs_nats import JetStream, NatsServer


def config(tmp, port, nats_url, instance, account):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {TEST_PLUGIN_DIR}
  journal: {tmp}/{instance}.journal
connectors:
  - name: {instance}
    plugin: testconn
    options: {{account: {account}, count: 100, batch: 50, interval: 1ms}}
outputs:
  - name: cluster
    type: nats
    options: {{url: "{nats_url}", create_stream: true, actions: true}}
routes:
  - outputs: cluster
"""


def action(key, instance):
    return {"schema": "parley.action.v1", "idempotency_key": key, "type": "reply_public",
            "connector": instance, "conversation_id": "conv-1",
            "target": f"test:{instance}-1", "text": "Sorry! We sturen je een DM."}


def status(base):
    return json.loads(http("GET", f"{base}/v1/status")[2])


def test_two_instances_share_a_stream_and_each_performs_its_own_actions(tmp_path):
    tmp = str(tmp_path)
    nats = NatsServer(os.path.join(tmp, "js")).start()
    daemons = []
    try:
        ports = {"tc-a": free_port(), "tc-b": free_port()}
        for inst, account in (("tc-a", "acme-nl"), ("tc-b", "acme-de")):
            d = Parleyd(config(tmp, ports[inst], nats.url, inst, account), tmpdir=tmp,
                        name=f"{inst}.yaml")
            d.log_path = os.path.join(tmp, f"{inst}.log")
            daemons.append(d.start(f"http://127.0.0.1:{ports[inst]}"))
        bases = {i: f"http://127.0.0.1:{p}" for i, p in ports.items()}
        for base in bases.values():
            wait_until(lambda b=base: status(b)["outputs"][0]["cursor"] >= 100, what="100 published")

        js = JetStream(nats.url)
        js.subscribe("parley.action_results.>")
        ack = js.request("parley.actions.tc-b", action("k-77", "tc-b"))
        assert ack.get("stream") == "PARLEY_ACTIONS", ack
        subject, result = js.next_msg()
        assert subject == "parley.action_results.tc-b"
        assert result["status"] == "done" and result["platform_id"] == "out-k-77", result
        # the same key again (an agent retrying): the first result, no second reply
        js.request("parley.actions.tc-b", action("k-77", "tc-b"))
        subject, again = js.next_msg()
        assert again["platform_id"] == "out-k-77"
        # an action naming an instance nobody runs stays queued for its owner
        js.request("parley.actions.tc-c", action("k-78", "tc-c"))

        wait_until(lambda: status(bases["tc-b"])["outputs"][0]["cursor"] >= 101,
                   what="the reply published")
        wait_until(lambda: js.stream_info("PARLEY_ACTIONS")["state"]["messages"] == 1,
                   what="performed actions gone from the work queue")
        for d in daemons:
            assert d.stop() == 0
        msgs = js.messages("PARLEY_EVENTS")
        js.close()
    finally:
        for d in daemons:
            d.stop()
        nats.stop()
    by_connector = {}
    for _, hdrs, ev in msgs:
        by_connector.setdefault(ev["connector"], []).append(hdrs["Nats-Msg-Id"])
    assert len(by_connector["tc-a"]) == 100
    assert len(by_connector["tc-b"]) == 101 and "test:out-k-77" in by_connector["tc-b"]
    outbound = [ev for _, _, ev in msgs if ev["kind"] == "outbound"]
    assert [(e["id"], e["connector"]) for e in outbound] == [("test:out-k-77", "tc-b")]
    logs_a = open(os.path.join(tmp, "tc-a.log")).read()
    assert "k-77" not in logs_a
