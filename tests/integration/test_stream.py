"""Live streams as Server-Sent Events: GET /v1/events?match=<expr> (every
event the router accepts, filtered with the routes' match syntax) and
GET /v1/stream (what the sqlite store committed: messages and conversation
changes). The real parleyd with the test connector and a real SQLite store,
and the five platform connectors against parley-sim; streams are read with
http.client (parley_it.SseStream)."""
import datetime
import json
import signal
import socket
import struct
import urllib.parse

import pytest

from parley_it import (ADMIN_TOKEN, FIVE_INSTANCES, FiveStack, SseStream, StoreStack, http,
                       metric_value, wait_until)

NOW = datetime.datetime.now(datetime.timezone.utc)


def t(minute):
    return (NOW - datetime.timedelta(minutes=120 - minute)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def event(n, conv, kind="mention", platform="test", author="42", text="Mijn pakket is kwijt"):
    ev = {"schema": "parley.event.v1", "id": f"{platform}:s-{n}", "platform": platform,
          "connector": "x", "account": "acme", "kind": kind,
          "visibility": "private" if kind == "direct_message" else "public",
          "text": text, "conversation_id": conv, "created_at": t(n), "received_at": t(n)}
    if kind != "outbound":
        ev["author"] = {"id": author, "handle": f"user{author}"}
    return ev


@pytest.fixture
def stack(tmp_path):
    s = StoreStack(tmp_path, extra_router="  http: {stream_keepalive: 1s}\n")
    yield s
    s.stop()


def streams(base, channel):
    s, _, body = http("GET", base + "/metrics")
    assert s == 200
    return metric_value(body.decode(), "parley_event_streams", f'channel="{channel}"')


def q(expr):
    return urllib.parse.quote(expr, safe="")


# ---- /v1/events ----

def test_events_arrive_filtered_by_the_match_expression(stack):
    every = SseStream(stack.base, "/v1/events")
    dms = SseStream(stack.base, "/v1/events?match=" + q("kind=direct_message"))
    both = SseStream(stack.base, "/v1/events?match=" + q("kind=mention,kind=direct_message,"
                                                         "keywords=pakket"))
    for s in (every, dms, both):
        assert s.status == 200
        assert s.headers["content-type"].startswith("text/event-stream")
        assert s.headers["cache-control"] == "no-cache"
    stack.post(event(1, "test:c1"), event(2, "test:c2", kind="direct_message"),
               event(3, "test:c3", text="nothing to see"))
    got = [every.wait_for(lambda m: m.get("event") == "event") for _ in range(3)]
    assert [json.loads(m["data"])["id"] for m in got] == ["test:s-1", "test:s-2", "test:s-3"]
    seqs = [int(m["id"]) for m in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    for m in got:  # the whole event on one data line
        assert "\n" not in m["data"]
        assert json.loads(m["data"])["schema"] == "parley.event.v1"
    dm = dms.wait_for(lambda m: m.get("event") == "event")
    assert json.loads(dm["data"])["id"] == "test:s-2" and dm["id"] == got[1]["id"]
    kw = [json.loads(both.wait_for(lambda m: m.get("event") == "event")["data"])["id"]
          for _ in range(2)]
    assert kw == ["test:s-1", "test:s-2"]
    # nothing else came to the filtered streams: the next thing is a keepalive
    assert dms.next(timeout=5) == {"comment": "keepalive"}
    for s in (every, dms, both):
        s.close()


@pytest.mark.parametrize("expr,named", [
    ("colour=red", "colour"),
    ("kind=tweet", "kind"),
    ("min_priority=high", "min_priority"),
    ("platform", "platform"),
    ("visibility=secret", "visibility"),
])
def test_a_bad_match_expression_is_a_400_naming_it(stack, expr, named):
    s, h, body = http("GET", f"{stack.base}/v1/events?match={q(expr)}")
    assert s == 400, body
    assert h["content-type"].startswith("application/json")
    doc = json.loads(body)
    assert doc["error"] == "PARLEY_EINVAL"
    assert doc["message"].startswith("match: ") and named in doc["message"], doc


def test_keepalive_comments_keep_an_idle_stream_open(stack):
    s = SseStream(stack.base, "/v1/events")
    assert s.next() == {"retry": 3000}
    assert s.next(timeout=5) == {"comment": "keepalive"}
    assert s.next(timeout=5) == {"comment": "keepalive"}
    s.close()


def test_a_client_that_disconnects_is_dropped_and_others_keep_receiving(stack):
    gone = SseStream(stack.base, "/v1/events")
    stay = SseStream(stack.base, "/v1/events")
    wait_until(lambda: streams(stack.base, "events") == 2, what="two subscribers")
    gone.close()
    wait_until(lambda: streams(stack.base, "events") == 1, what="the closed one dropped")
    stack.post(event(10, "test:c10"))
    m = stay.wait_for(lambda m: m.get("event") == "event")
    assert json.loads(m["data"])["id"] == "test:s-10"
    # clients that reset the connection without reading, while events keep coming
    for i in range(5):
        rude = socket.create_connection(("127.0.0.1", stack.port))
        rude.sendall(f"GET /v1/events HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {ADMIN_TOKEN}\r\n\r\n".encode())
        wait_until(lambda: streams(stack.base, "events") == 2, what="the rude one subscribed")
        rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        rude.close()
    stack.post(*[event(20 + i, f"test:c{20 + i}") for i in range(5)])
    wait_until(lambda: streams(stack.base, "events") == 1, what="the rude clients dropped")
    ids = {json.loads(stay.wait_for(lambda m: m.get("event") == "event")["data"])["id"]
           for _ in range(5)}
    assert ids == {f"test:s-{20 + i}" for i in range(5)}
    stay.close()


def test_a_client_that_stops_reading_is_dropped_once_too_far_behind(stack):
    # it asks for the stream with a tiny receive window and never reads
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", stack.port))
    slow.sendall(f"GET /v1/events HTTP/1.1\r\nHost: x\r\n"
                 f"Authorization: Bearer {ADMIN_TOKEN}\r\n\r\n".encode())
    fast = SseStream(stack.base, "/v1/events")
    wait_until(lambda: streams(stack.base, "events") == 2, what="both subscribed")
    big = "x" * (900 * 1024)  # 24 events: far more than the 8 MiB a stream may queue
    n = 24
    for i in range(n):
        stack.post(event(300 + i, f"test:big{i}", text=big), wait=False)
        m = fast.wait_for(lambda m: m.get("event") == "event", 60, "a big event")
        assert json.loads(m["data"])["id"] == f"test:s-{300 + i}"
    wait_until(lambda: streams(stack.base, "events") == 1, what="the slow client dropped")
    slow.close()
    fast.close()


def test_a_client_that_says_where_it_stopped_first_gets_what_it_missed(stack):
    first = SseStream(stack.base, "/v1/events")
    stack.post(event(40, "test:c40"), event(41, "test:c41"))
    seen = [first.wait_for(lambda m: m.get("event") == "event") for _ in range(2)]
    first.close()
    # while it is away: one it wants, one its match leaves out, one more it wants
    stack.post(event(42, "test:c42", kind="direct_message"), event(43, "test:c43"),
               event(44, "test:c44", kind="direct_message"))
    dms = "/v1/events?match=" + q("kind=direct_message")
    # EventSource's way back: the id of the last message it had
    back = SseStream(stack.base, dms, headers={"Last-Event-ID": seen[1]["id"]})
    assert back.next() == {"retry": 3000}
    missed = [back.wait_for(lambda m: m.get("event") == "event") for _ in range(2)]
    assert [json.loads(m["data"])["id"] for m in missed] == ["test:s-42", "test:s-44"]
    assert int(seen[1]["id"]) < int(missed[0]["id"]) < int(missed[1]["id"])
    # then live, nothing twice
    stack.post(event(45, "test:c45", kind="direct_message"))
    live = back.wait_for(lambda m: m.get("event") == "event")
    assert json.loads(live["data"])["id"] == "test:s-45"
    assert back.next(timeout=5) == {"comment": "keepalive"}
    back.close()
    # a tool's way: ?after=<seq>, every kind
    tool = SseStream(stack.base, f"/v1/events?after={seen[0]['id']}")
    ids = [json.loads(tool.wait_for(lambda m: m.get("event") == "event")["data"])["id"]
           for _ in range(5)]
    assert ids == ["test:s-41", "test:s-42", "test:s-43", "test:s-44", "test:s-45"]
    tool.close()
    # a client that is up to date gets only what comes next
    now = SseStream(stack.base, "/v1/events", headers={"Last-Event-ID": live["id"]})
    assert now.next() == {"retry": 3000}
    assert now.next(timeout=5) == {"comment": "keepalive"}
    now.close()


@pytest.mark.parametrize("headers,path,named", [
    ({"Last-Event-ID": "abc"}, "/v1/events", "Last-Event-ID"),
    ({"Last-Event-ID": "-3"}, "/v1/events", "Last-Event-ID"),
    ({}, "/v1/events?after=12x", "after"),
    ({}, "/v1/events?after=99999999999999999999999", "after"),
])
def test_a_resume_point_that_is_not_a_seq_is_a_400_naming_it(stack, headers, path, named):
    s, h, body = http("GET", stack.base + path, headers=headers)
    assert s == 400, body
    doc = json.loads(body)
    assert doc["error"] == "PARLEY_EINVAL" and doc["message"].startswith(named + ": "), doc
    assert streams(stack.base, "events") == 0


def start_testconn_parleyd(tmp_path, count, extra_router=""):
    """parleyd whose test connector emits count events at start into an
    ndjson output; returns it and its base URL once all are delivered."""
    from parley_it import Parleyd, free_port, router_yaml
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    text = router_yaml(str(tmp_path), port, extra=extra_router) + f"""connectors:
  - name: tc
    plugin: testconn
    options: {{account: acme, count: {count}}}
outputs:
  - name: out
    type: ndjson
    options: {{path: {tmp_path}/out.ndjson}}
routes:
  - outputs: out
"""
    d = Parleyd(text, tmpdir=str(tmp_path)).start(base)
    wait_until(lambda: json.loads(http("GET", base + "/v1/status")[2])["outputs"][0]
               ["delivered"] >= count, what=f"{count} events delivered")
    return d, base


def test_more_missed_than_a_replay_holds_is_named_in_a_gap_message(tmp_path):
    # 5 200 events: more than the 5 000 a resuming client is replayed
    d, base = start_testconn_parleyd(tmp_path, 5200)
    try:
        s = SseStream(base, "/v1/events?after=10")
        assert s.next() == {"retry": 3000}
        gap = s.next()
        assert gap["event"] == "gap" and "id" not in gap
        assert json.loads(gap["data"]) == {"from": 11, "to": 200, "reason": "too_many"}
        seqs = [int(s.wait_for(lambda m: m.get("event") == "event")["id"]) for _ in range(5000)]
        assert seqs == list(range(201, 5201))
        s.close()
    finally:
        d.stop()


def test_events_whose_bodies_were_pruned_are_named_in_a_gap_message(tmp_path):
    d, base = start_testconn_parleyd(tmp_path, 20, "  retention: 1s\n")
    try:
        wait_until(lambda: metric_value(http("GET", base + "/metrics")[2].decode(),
                                        "parley_journal_pruned_total") == 20,
                   timeout=60, what="the delivered events' bodies pruned")
        s = SseStream(base, "/v1/events", headers={"Last-Event-ID": "5"})
        assert s.next() == {"retry": 3000}
        gap = s.next()
        assert gap["event"] == "gap"
        assert json.loads(gap["data"]) == {"from": 6, "to": 20, "reason": "pruned"}
        s.close()
    finally:
        d.stop()


def test_events_needs_get_and_head_opens_no_stream(stack):
    s, h, _ = http("POST", f"{stack.base}/v1/events", "{}")
    assert s == 405
    s, h, body = http("HEAD", f"{stack.base}/v1/events")
    assert s == 200 and h["content-type"].startswith("text/event-stream") and body == b""
    assert streams(stack.base, "events") == 0


def test_open_streams_end_cleanly_when_parleyd_stops(tmp_path):
    st = StoreStack(tmp_path)
    s = SseStream(st.base, "/v1/events")
    assert s.next() == {"retry": 3000}
    st.d.proc.send_signal(signal.SIGTERM)
    assert s.next(timeout=20, allow_end=True) is None
    assert st.d.proc.wait(30) == 0, st.d.logs()
    st.d.log.close()


# ---- real connectors against the simulator ----

SECTIONS = """outputs:
  - {{name: store, type: sqlite, options: {{path: {dir}/store.db}}}}
routes:
  - {{outputs: [store]}}
"""


def test_events_from_the_simulator_reach_a_tail_filtered_by_platform(tmp_path):
    stack = FiveStack(tmp_path, SECTIONS).start()
    try:
        tw = SseStream(stack.base, "/v1/events?match=" + q("platform=twitter,kind=mention"))
        fb = SseStream(stack.base, "/v1/events?match=" + q("platform=facebook"))
        stack.post_item({"platform": "twitter", "type": "tweet", "author": "pieterdevries",
                         "text": "@acme waar blijft mijn pakket? stream-test-1"})
        stack.post_item({"platform": "facebook", "type": "comment", "author": "jana.krueger",
                         "parent_ref": "fb-post-1", "text": "Keine Antwort stream-test-2"})
        m = tw.wait_for(lambda m: "stream-test-1" in m.get("data", ""), 60, "the tweet")
        ev = json.loads(m["data"])
        assert ev["platform"] == "twitter" and ev["kind"] == "mention"
        assert ev["connector"] == FIVE_INSTANCES["twitter"]
        m = fb.wait_for(lambda m: "stream-test-2" in m.get("data", ""), 60, "the comment")
        assert json.loads(m["data"])["platform"] == "facebook"
        tw.close()
        fb.close()
    finally:
        stack.stop()


# ---- /v1/stream ----

def next_change(s):
    m = s.wait_for(lambda m: m.get("event") in ("message", "conversation"), what="a change")
    return m["event"], json.loads(m["data"])


def test_the_stream_tells_what_the_store_committed_and_a_read_then_sees_it(stack):
    s = SseStream(stack.base, "/v1/stream")
    assert s.status == 200 and s.headers["content-type"].startswith("text/event-stream")
    conv = "test:thread/1"
    stack.post(event(1, conv), wait=False)
    assert next_change(s) == ("message", {"conversation_id": conv, "message_id": "test:s-1",
                                          "platform": "test", "direction": "in"})
    # pushed after the commit: the store already shows it
    st, doc = stack.get("/v1/conversations/" + q(conv))
    assert st == 200 and [m["id"] for m in doc["messages"]] == ["test:s-1"]
    assert next_change(s) == ("conversation", {"id": conv, "status": "open",
                                               "assigned_to": None})
    # the brand answers through parley: its outbound message, then pending
    st, res = stack.act(idempotency_key="k-r1", type="reply_public", connector="tc1",
                        conversation_id=conv, target="test:s-1", text="Sorry!", agent="mia")
    assert st == 200 and res["status"] == "done", res
    assert next_change(s) == ("message", {"conversation_id": conv,
                                          "message_id": "test:out-k-r1", "platform": "test",
                                          "direction": "out"})
    assert next_change(s) == ("conversation", {"id": conv, "status": "pending",
                                               "assigned_to": None})
    # assign and resolve are conversation changes of their own
    st, res = stack.act(idempotency_key="k-a1", type="assign", conversation_id=conv,
                        assign_to="alice", agent="mia")
    assert st == 200 and res["status"] == "done", res
    assert next_change(s) == ("conversation", {"id": conv, "status": "pending",
                                               "assigned_to": "alice"})
    st, res = stack.act(idempotency_key="k-z1", type="resolve", conversation_id=conv)
    assert st == 200 and res["status"] == "done", res
    assert next_change(s) == ("conversation", {"id": conv, "status": "resolved",
                                               "assigned_to": "alice"})
    assert inbox_status(stack, conv) == "resolved"
    # the same action again changes nothing and tells nothing; a reaction is
    # a message that moves no conversation
    st, res = stack.act(idempotency_key="k-z2", type="resolve", conversation_id=conv)
    assert st == 200
    stack.post({**event(2, conv, kind="reaction"), "in_reply_to": "test:out-k-r1"}, wait=False)
    assert next_change(s) == ("message", {"conversation_id": conv, "message_id": "test:s-2",
                                          "platform": "test", "direction": "in"})
    stack.post(event(3, "test:other"), wait=False)
    assert next_change(s)[1]["conversation_id"] == "test:other"
    s.close()


def inbox_status(stack, conv):
    st, doc = stack.get("/v1/conversations/" + q(conv))
    assert st == 200
    return doc["conversation"]["status"]


def test_a_redelivered_event_is_not_told_twice(stack):
    s = SseStream(stack.base, "/v1/stream")
    stack.post(event(1, "test:c1"))
    assert next_change(s)[0] == "message"
    assert next_change(s)[0] == "conversation"
    # the same id again is a duplicate: the journal drops it, nothing new is stored
    stack.post(event(1, "test:c1"), wait=False)
    stack.post(event(2, "test:c2"), wait=False)
    assert next_change(s)[1]["message_id"] == "test:s-2"
    s.close()


def test_stream_clients_come_and_go(stack):
    a = SseStream(stack.base, "/v1/stream")
    b = SseStream(stack.base, "/v1/stream")
    wait_until(lambda: streams(stack.base, "stream") == 2, what="two stream subscribers")
    a.close()
    wait_until(lambda: streams(stack.base, "stream") == 1, what="one left")
    stack.post(event(5, "test:c5"), wait=False)
    assert next_change(b)[1]["message_id"] == "test:s-5"
    b.close()
    wait_until(lambda: streams(stack.base, "stream") == 0, what="none left")
    stack.post(event(6, "test:c6"))  # nobody listens: nothing breaks
    c = SseStream(stack.base, "/v1/stream?store=store")
    stack.post(event(7, "test:c7"), wait=False)
    assert next_change(c)[1]["message_id"] == "test:s-7"
    c.close()


def test_stream_store_errors(stack, tmp_path):
    s, h, body = http("GET", f"{stack.base}/v1/stream?store=nope")
    assert s == 404 and "nope" in json.loads(body)["message"]
    assert http("POST", f"{stack.base}/v1/stream", "{}")[0] == 405


def test_stream_without_a_sqlite_store_is_a_503(tmp_path):
    from parley_it import Parleyd, free_port, router_yaml
    port = free_port()
    text = router_yaml(str(tmp_path), port) + f"""outputs:
  - name: log
    type: ndjson
    options: {{path: {tmp_path}/log.ndjson}}
"""
    d = Parleyd(text, tmpdir=str(tmp_path)).start(f"http://127.0.0.1:{port}")
    try:
        s, _, body = http("GET", f"http://127.0.0.1:{port}/v1/stream")
        assert s == 503 and "no sqlite output" in json.loads(body)["message"]
    finally:
        assert d.stop() == 0
