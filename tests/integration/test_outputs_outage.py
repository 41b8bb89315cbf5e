"""Output outages: the webhook receiver, then nats-server, is down for a
while during a run and comes back. Meanwhile the output is reported
failing (status and metrics) and its backlog stays in the journal; after
it returns the backlog drains and nothing is lost (the webhook receiver
sees every id at least once, the stream holds each exactly once)."""
import json
import os

import pytest

from parley_it import Parleyd, free_port, http, wait_until, TEST_PLUGIN_DIR
from test_outputs_nats import JetStream, NatsServer
from test_outputs_webhook import SECRET, Receiver

N = 5000


# About 1000 events/s: ingest is not throttled by the output (the journal
# absorbs the backlog up to router.max_backlog), so the connector must still
# be emitting when the outage starts for "ingest goes on" to be seen.
def config(tmp, port, output):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {TEST_PLUGIN_DIR}
  journal: {tmp}/parley.journal
  queue_size: 1000
connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, count: {N}, batch: 10, interval: 10ms}}
outputs:
{output}
routes:
  - outputs: out
"""


def status(base):
    return json.loads(http("GET", f"{base}/v1/status")[2])


def metric(base, name):
    text = http("GET", f"{base}/metrics")[2].decode()
    for line in text.splitlines():
        if line.startswith(name):
            return float(line.split()[-1])
    return None


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


def run_outage(tmp, output, take_down, bring_back):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port, output), tmpdir=tmp).start(base)
    wait_until(lambda: status(base)["outputs"][0]["cursor"] >= 500, what="first 500 delivered")
    take_down()
    wait_until(lambda: status(base)["outputs"][0]["state"] == "failing", what="output failing")
    during = status(base)
    out = during["outputs"][0]
    assert out["last_error"] and out["cursor"] < N
    assert metric(base, 'parley_output_failures_total{output="out"}') >= 1
    # events keep being journaled while the output is down
    wait_until(lambda: status(base)["last_seq"] > during["last_seq"] or status(base)["paused"],
               what="ingest going on or paused")
    bring_back()
    wait_until(lambda: status(base)["outputs"][0]["cursor"] >= N, timeout=120,
               what=f"backlog drained to {N}")
    after = status(base)
    assert after["outputs"][0]["state"] == "ok" and after["outputs"][0]["backlog"] == 0
    assert d.stop() == 0
    return during, after


def test_webhook_receiver_down_then_back_loses_nothing(tmp):
    rec = Receiver().start()
    output = f"""  - name: out
    type: webhook
    options: {{url: "{rec.url}", secret: {SECRET}, batch_size: 20, timeout: 2s}}
"""
    try:
        during, _ = run_outage(tmp, output, rec.stop, rec.start)
    finally:
        rec.stop()
    print(f"\nwebhook outage: failing with '{during['outputs'][0]['last_error']}', "
          f"backlog {during['outputs'][0]['backlog']}")
    assert set(rec.ids) == {f"test:tc1-{n}" for n in range(N)}
    print(f"webhook outage: {len(rec.ids)} deliveries for {N} ids "
          f"({len(rec.ids) - len(set(rec.ids))} repeats, deduplicated by id)")


def test_nats_server_down_then_back_loses_nothing_and_stores_once(tmp):
    nats = NatsServer(os.path.join(tmp, "js")).start()
    output = f"""  - name: out
    type: nats
    options: {{url: "{nats.url}", create_stream: true, stream: OUTAGE, ack_timeout: 1s}}
"""
    try:
        during, _ = run_outage(tmp, output, nats.stop, nats.start)
        js = JetStream(nats.url)
        ids = [h["Nats-Msg-Id"] for _, h, _ in js.messages("OUTAGE")]
        js.close()
    finally:
        nats.stop()
    print(f"\nnats outage: failing with '{during['outputs'][0]['last_error']}', "
          f"backlog {during['outputs'][0]['backlog']}")
    assert sorted(ids, key=lambda i: int(i.rsplit("-", 1)[1])) == [f"test:tc1-{n}"
                                                                  for n in range(N)]
    assert len(ids) == N
