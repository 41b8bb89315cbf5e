"""parleyd with the test connector: events flow from a connector through
routes into outputs, webhooks are answered only after the journal has their
events, actions reach their connector once, and every event validates
against docs/event.schema.json."""
import json
import os
import signal

import pytest

from parley_it import (Parleyd, free_port, http, read_ndjson, validate_events, wait_until,
                       TEST_PLUGIN_DIR)


def config(tmp, port, count=0, extra_outputs="", routes=None, queue_size=10000,
           testconn_opts="", router_opts=""):
    routes = routes or """
  - match: {kind: [mention, outbound]}
    outputs: all
"""
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {TEST_PLUGIN_DIR}
  journal: {tmp}/parley.journal
  log_level: info
  queue_size: {queue_size}
{router_opts}
connectors:
  - name: tc1
    plugin: testconn
    options:
      account: acme
      count: {count}
      batch: 50
      interval: 1ms
      token: s3cret-token
{testconn_opts}
outputs:
  - name: all
    type: ndjson
    options:
      path: {tmp}/all.ndjson
{extra_outputs}
routes:{routes}
"""


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


def test_events_from_a_connector_reach_the_output_once_and_validate(tmp):
    port = free_port()
    d = Parleyd(config(tmp, port, count=2000), tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    out = os.path.join(tmp, "all.ndjson")
    wait_until(lambda: len(read_ndjson(out)) >= 2000, what="2000 events in the ndjson file")
    assert d.stop() == 0
    events = read_ndjson(out)
    ids = [e["id"] for e in events]
    assert len(ids) == 2000 and len(set(ids)) == 2000
    assert ids[0] == "test:tc1-0" and ids[-1] == "test:tc1-1999"
    validate_events(events)
    assert all(e["connector"] == "tc1" and e["account"] == "acme" for e in events)


def test_routes_send_each_event_only_to_the_outputs_that_match(tmp):
    port = free_port()
    extra = f"""  - name: german
    type: ndjson
    options: {{path: {tmp}/de.ndjson}}
  - name: dms
    type: ndjson
    options: {{path: {tmp}/dm.ndjson}}
"""
    routes = """
  - name: everything
    outputs: all
  - name: german-big
    match: {lang: de, min_followers: 1000}
    outputs: german
  - name: private
    match: {visibility: private}
    outputs: [dms]
"""
    opts = "      kinds: [mention, direct_message, comment]\n"
    d = Parleyd(config(tmp, port, count=300, extra_outputs=extra, routes=routes,
                       testconn_opts=opts), tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    wait_until(lambda: len(read_ndjson(f"{tmp}/all.ndjson")) >= 300, what="300 events")
    assert d.stop() == 0
    all_ev = read_ndjson(f"{tmp}/all.ndjson")
    de = read_ndjson(f"{tmp}/de.ndjson")
    dm = read_ndjson(f"{tmp}/dm.ndjson")
    want_de = [e["id"] for e in all_ev
               if e.get("lang") == "de" and e["author"].get("followers", -1) >= 1000]
    assert [e["id"] for e in de] == want_de and want_de
    assert [e["id"] for e in dm] == [e["id"] for e in all_ev if e["visibility"] == "private"]
    assert all(e["kind"] == "direct_message" for e in dm) and dm


def test_a_restart_after_kill_9_neither_loses_nor_repeats_ingest(tmp):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    text = config(tmp, port, count=20000)
    d = Parleyd(text, tmpdir=tmp).start(base)
    wait_until(lambda: len(read_ndjson(f"{tmp}/all.ndjson")) >= 3000, what="3000 events")
    d.kill9()
    d = Parleyd(text, tmpdir=tmp).start(base)
    wait_until(lambda: len({e["id"] for e in read_ndjson(f"{tmp}/all.ndjson")}) >= 20000,
               timeout=60, what="all 20000 ids")
    assert d.stop() == 0
    ids = [e["id"] for e in read_ndjson(f"{tmp}/all.ndjson")]
    assert set(ids) == {f"test:tc1-{n}" for n in range(20000)}
    # at-least-once to outputs: a few may repeat (delivered, cursor not yet saved)
    assert len(ids) - len(set(ids)) < 1000


def webhook_event(n, text="Mijn pakket is kwijt"):
    return json.dumps({
        "schema": "parley.event.v1", "id": f"test:hook-{n}", "platform": "test",
        "connector": "x", "account": "acme", "kind": "mention", "visibility": "public",
        "author": {"id": "42", "handle": "klant"}, "text": text,
        "created_at": "2026-11-23T09:20:06.000Z", "received_at": "2026-11-23T09:20:06.000Z"})


def test_a_webhook_is_answered_200_only_with_its_event_in_the_journal(tmp):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port), tmpdir=tmp).start(base)
    hdr = {"X-Test-Token": "s3cret-token", "Content-Type": "application/json"}
    status, _, body = http("POST", f"{base}/hooks/tc1", webhook_event(1), hdr)
    assert status == 200, body
    d.kill9()  # nothing may be lost once 200 was sent
    d = Parleyd(config(tmp, port), tmpdir=tmp).start(base)
    wait_until(lambda: read_ndjson(f"{tmp}/all.ndjson"), what="the webhook event")
    # the platform retries the same delivery: accepted again, delivered once
    assert http("POST", f"{base}/hooks/tc1", webhook_event(1), hdr)[0] == 200
    assert d.stop() == 0
    assert [e["id"] for e in read_ndjson(f"{tmp}/all.ndjson")] == ["test:hook-1"]


def oversized_post_status(port, path, size=2 << 20):
    """Announce a body over max_body and send its start: the server answers
    413 from the headers alone (it may close before the rest would arrive)."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n"
                  f"X-Test-Token: s3cret-token\r\n\r\n".encode() + b"x" * 65536)
        status_line = s.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_webhook_refusals_are_clear_and_affect_nothing_else(tmp):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port), tmpdir=tmp).start(base)
    good = {"X-Test-Token": "s3cret-token"}
    assert http("POST", f"{base}/hooks/tc1", webhook_event(2), {"X-Test-Token": "forged"})[0] == 401
    assert http("POST", f"{base}/hooks/nosuch", webhook_event(3), good)[0] == 404
    assert http("POST", f"{base}/hooks/tc1", "{not json", good)[0] == 400
    assert oversized_post_status(port, "/hooks/tc1") == 413
    assert http("POST", f"{base}/hooks/tc1", webhook_event(4), good)[0] == 200
    _, _, metrics = http("GET", f"{base}/metrics")
    assert b'testconn_webhook_forged_total{instance="tc1"} 1' in metrics
    assert d.stop() == 0
    assert [e["id"] for e in read_ndjson(f"{tmp}/all.ndjson")] == ["test:hook-4"]
    assert "s3cret-token" not in d.logs() and "forged" not in d.logs()


def action(key):
    return json.dumps({"schema": "parley.action.v1", "idempotency_key": key,
                       "type": "reply_public", "connector": "tc1",
                       "conversation_id": "conv-1", "target": "test:tc1-1",
                       "text": "Sorry! We sturen je een DM."})


def test_an_action_is_performed_once_per_idempotency_key(tmp):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port), tmpdir=tmp).start(base)
    s1, _, b1 = http("POST", f"{base}/v1/actions", action("k-1"))
    s2, _, b2 = http("POST", f"{base}/v1/actions", action("k-1"))
    assert s1 == 200 and json.loads(b1)["platform_id"] == "out-k-1"
    assert s2 == 200 and json.loads(b2)["platform_id"] == "out-k-1"
    wait_until(lambda: read_ndjson(f"{tmp}/all.ndjson"), what="the outbound event")
    assert d.stop() == 0
    out = read_ndjson(f"{tmp}/all.ndjson")
    assert [(e["id"], e["kind"]) for e in out] == [("test:out-k-1", "outbound")]
    # unknown connector and malformed action: clear refusals
    d = Parleyd(config(tmp, port), tmpdir=tmp).start(base)
    bad = json.loads(action("k-2"))
    bad["connector"] = "nosuch"
    s, _, b = http("POST", f"{base}/v1/actions", json.dumps(bad))
    assert s == 404 and b"nosuch" in b
    s, _, b = http("POST", f"{base}/v1/actions", '{"schema":"parley.action.v1"}')
    assert s == 400 and b"idempotency_key" in b
    assert d.stop() == 0


def test_a_failing_output_pauses_sources_and_webhooks_get_503(tmp):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    text = config(tmp, port, count=500, router_opts="  max_backlog: 20KiB").replace(
        f"path: {tmp}/all.ndjson", "path: /dev/full")
    d = Parleyd(text, tmpdir=tmp).start(base)
    status = lambda: json.loads(http("GET", f"{base}/v1/status")[2])
    wait_until(lambda: status()["paused"], what="sources paused")
    st = status()
    assert st["pause_reason"] == "max_backlog" and st["backlog"]["bytes"] > 20 * 1024
    assert st["outputs"][0]["state"] == "failing" and "No space" in st["outputs"][0]["last_error"]
    s, h, _ = http("POST", f"{base}/hooks/tc1", webhook_event(9), {"X-Test-Token": "s3cret-token"})
    assert s == 503 and h.get("retry-after") == "5"
    assert d.stop() == 0  # stops within the deadline although the output never recovers


def test_sighup_reloads_a_valid_config_and_keeps_the_old_one_when_invalid(tmp):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port, count=200000), tmpdir=tmp).start(base)
    wait_until(lambda: len(read_ndjson(f"{tmp}/all.ndjson")) >= 1000, what="first events")
    # an invalid config is refused; the running one goes on
    with open(d.config, "w") as f:
        f.write(config(tmp, port, count=200000).replace("interval: 1ms", "interval: soon"))
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "reload refused" in d.logs(), what="reload refused")
    assert "interval" in d.logs().split("reload refused")[1]
    n = len(read_ndjson(f"{tmp}/all.ndjson"))
    wait_until(lambda: len(read_ndjson(f"{tmp}/all.ndjson")) > n, what="events after refusal")
    # a valid one with a second output takes over, continuing from the checkpoint
    extra = f"""  - name: second
    type: ndjson
    options: {{path: {tmp}/second.ndjson}}
"""
    routes = """
  - outputs: [all, second]
"""
    with open(d.config, "w") as f:
        f.write(config(tmp, port, count=20000, extra_outputs=extra, routes=routes))
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "configuration reloaded" in d.logs(), what="reload")
    wait_until(lambda: len({e["id"] for e in read_ndjson(f"{tmp}/all.ndjson")}) >= 20000,
               timeout=60, what="all 20000 ids")
    assert d.stop() == 0
    ids = [e["id"] for e in read_ndjson(f"{tmp}/all.ndjson")]
    assert set(ids) == {f"test:tc1-{n}" for n in range(20000)} and len(ids) == 20000
    second = read_ndjson(f"{tmp}/second.ndjson")
    assert second and len(second) == len({e["id"] for e in second})


@pytest.mark.parametrize("path, method", [("/v1/status", "GET"), ("/metrics", "GET"),
                                          ("/healthz", "GET"), ("/v1/care", "GET"),
                                          ("/v1/actions", "POST")])
def test_admin_endpoints_answer_only_their_method(tmp, path, method):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port, router_opts="  admin_token: adm1n-t0ken"), tmpdir=tmp).start(base)
    for wrong in ("DELETE", "PUT", "PATCH", "POST" if method == "GET" else "GET"):
        s, h, body = http(wrong, base + path, "{}" if wrong != "GET" else None,
                          {"Authorization": "Bearer adm1n-t0ken"})
        assert s == 405, (wrong, path, s, body)
        assert h.get("allow") == ("GET, HEAD" if method == "GET" else "POST")
    # a wrong method is refused before the token is looked at: no token needed to learn it
    assert http("DELETE", base + path, admin=False)[0] == 405
    if method == "GET" and path != "/healthz":
        assert http("GET", base + path, admin=False)[0] == 401
        assert http("HEAD", base + path, headers={"Authorization": "Bearer adm1n-t0ken"})[0] in (200, 404)
    assert d.stop() == 0
    assert "adm1n-t0ken" not in d.logs()
