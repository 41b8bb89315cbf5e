"""The agent console's reads of the conversation store: GET /v1/inbox (what
waits, in the order to answer it: SLA due, priority, longest waiting;
filters; keyset paging with an opaque cursor) and GET /v1/conversations/<id>
(the thread, its state changes and the same person's other conversations).
The real parleyd with two test connectors (platforms test and chirp)
writing a real SQLite store by webhook, and the five platform connectors
against parley-sim."""
import datetime
import json
import sqlite3
import urllib.parse

import pytest

from parley_it import FiveStack, StoreStack, http, wait_until

T0 = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=3)


def t(minute):
    return (T0 + datetime.timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def event(n, conv, minute, kind="mention", platform="test", author="42", handle=None,
          text="Hallo", lang=None, priority=None, sla=None, keywords=None, reply_to=None):
    ev = {"schema": "parley.event.v1", "id": f"{platform}:i-{n}", "platform": platform,
          "connector": "x", "account": "acme", "kind": kind,
          "visibility": "private" if kind == "direct_message" else "public",
          "text": text, "conversation_id": conv, "created_at": t(minute),
          "received_at": t(minute)}
    if kind != "outbound":
        ev["author"] = {"id": author, "handle": handle or f"user{author}", "followers": 10}
    if lang:
        ev["lang"] = lang
    if reply_to:
        ev["in_reply_to"] = reply_to
    signals = {k: v for k, v in (("priority", priority), ("sla_due", sla and t(sla)),
                                 ("keywords", keywords)) if v is not None}
    if signals:
        ev["signals"] = signals
    return ev


# The open conversations, in the inbox order they must come in:
# earliest SLA first, then higher priority, then the longest waiting,
# conversations without an SLA after those with one, without a priority last.
OPEN = [
    ("test:D", event(1, "test:D", 40, priority=10, sla=60, text="Waar blijft de factuur?")),
    ("chirp:G", event(2, "chirp:G", 41, platform="chirp", priority=30, sla=70)),
    ("test:C", event(3, "test:C", 1, priority=80, sla=90, keywords=["legal"])),
    ("test:B", event(4, "test:B", 5, priority=80, sla=90, lang="de")),
    ("test:A", event(5, "test:A", 0, priority=50, sla=90, lang="de-AT", author="43")),
    ("test:E", event(6, "test:E", 2, kind="direct_message", priority=90)),
    ("test:F", event(7, "test:F", 3, text="Waar is mijn PAKKET gebleven")),
]


@pytest.fixture
def stack(tmp_path):
    s = StoreStack(tmp_path)
    yield s
    s.stop()


def inbox(stack, **params):
    s, body = stack.get("/v1/inbox?" + urllib.parse.urlencode(params))
    assert s == 200, body
    return body


def ids(page):
    return [c["id"] for c in page["conversations"]]


@pytest.fixture
def scenario(stack):
    stack.post(*[ev for _, ev in OPEN])
    # H: the brand answered (pending); I: an agent resolved it
    stack.post(event(8, "test:H", 10), event(9, "test:H", 12, kind="outbound"),
               event(10, "test:I", 11))
    s, res = stack.act(idempotency_key="k-res-I", type="resolve", conversation_id="test:I",
                       agent="mia")
    assert s == 200 and res["status"] == "done", res
    s, res = stack.act(idempotency_key="k-asg-D", type="assign", conversation_id="test:D",
                       assign_to="alice", agent="mia")
    assert s == 200 and res["status"] == "done", res
    return stack


def test_open_conversations_come_by_sla_then_priority_then_longest_waiting(scenario):
    page = inbox(scenario)
    assert ids(page) == [c for c, _ in OPEN]
    assert page["total"] == len(OPEN) and page["next_cursor"] is None
    d = page["conversations"][0]
    assert d["status"] == "open" and d["platform"] == "test" and d["connector"] == "tc1"
    assert d["priority"] == 10 and d["sla_due"] == t(60) and d["assigned_to"] == "alice"
    assert d["last_inbound_at"] == t(40) and d["messages_in"] == 1 and d["messages_out"] == 0
    assert d["author"] == {"id": "42", "handle": "user42", "name": None, "followers": 10,
                           "verified": False}
    assert d["last_message"] == {"id": "test:i-1", "kind": "mention", "lang": None,
                                 "text": "Waar blijft de factuur?", "created_at": t(40),
                                 "keywords": []}
    assert page["conversations"][2]["last_message"]["keywords"] == ["legal"]
    assert page["conversations"][-1]["priority"] is None
    # the store has the index that serves this order
    db = sqlite3.connect(f"{scenario.tmp}/store.db")
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "conversations_inbox" in names
    db.close()


def test_status_filters_pending_resolved_and_all(scenario):
    pending = inbox(scenario, status="pending")
    assert ids(pending) == ["test:H"] and pending["conversations"][0]["status"] == "pending"
    assert pending["conversations"][0]["messages_out"] == 1
    resolved = inbox(scenario, status="resolved")
    assert ids(resolved) == ["test:I"] and resolved["conversations"][0]["status"] == "resolved"
    every = inbox(scenario, status="all")
    assert sorted(ids(every)) == sorted([c for c, _ in OPEN] + ["test:H", "test:I"])
    assert every["total"] == len(OPEN) + 2
    assert inbox(scenario, status="open") == inbox(scenario)


@pytest.mark.parametrize("params,want", [
    ({"platform": "chirp"}, ["chirp:G"]),
    ({"platform": "test"}, ["test:D", "test:C", "test:B", "test:A", "test:E", "test:F"]),
    ({"kind": "direct_message"}, ["test:E"]),
    ({"lang": "de"}, ["test:B", "test:A"]),
    ({"lang": "de-AT"}, ["test:A"]),
    ({"keyword": "legal"}, ["test:C"]),
    ({"assigned": "alice"}, ["test:D"]),
    ({"assigned": "none"}, ["chirp:G", "test:C", "test:B", "test:A", "test:E", "test:F"]),
    ({"assigned": "bob"}, []),
    ({"q": "pakket"}, ["test:F"]),
    ({"q": "waar", "platform": "test"}, ["test:D", "test:F"]),
    ({"status": "all", "q": "hallo", "platform": "test"},
     ["test:C", "test:B", "test:A", "test:E", "test:H", "test:I"]),
])
def test_each_filter_narrows_the_inbox_and_the_total(scenario, params, want):
    page = inbox(scenario, **params)
    got = ids(page)
    if params.get("status") == "all":
        got, want = sorted(got), sorted(want)
    assert got == want
    assert page["total"] == len(want)


def test_paging_with_the_cursor_visits_every_conversation_once_in_order(stack):
    # 25 conversations with ties on every key but the id
    evs = []
    for i in range(25):
        sla = [30, 60, None][i % 3]
        prio = [None, 20, 20, 70][i % 4]
        minute = [5, 5, 9][i % 3]
        evs.append(event(100 + i, f"test:p/{i:02d}", minute, priority=prio, sla=sla))
    stack.post(*evs)
    full = inbox(stack, limit=200)
    assert full["total"] == 25 and len(full["conversations"]) == 25
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = inbox(stack, **params)
        pages += 1
        assert page["total"] == (25 if pages <= 2 else 26)
        seen += ids(page)
        cursor = page["next_cursor"]
        if pages == 2:
            # a conversation that sorts before the cursor arrives meanwhile:
            # later pages neither repeat rows nor skip any
            stack.post(event(200, "test:p/early", 1, priority=99, sla=1))
        if cursor is None:
            break
        assert len(page["conversations"]) == 7
    assert pages == 4
    assert seen == ids(full)
    assert len(set(seen)) == 25
    # the order itself: by the keys, ties broken by id
    def key(c):
        return (c["sla_due"] or "~", -(c["priority"] if c["priority"] is not None else -1),
                c["last_inbound_at"] or "~", c["id"])
    assert [c["id"] for c in sorted(full["conversations"], key=key)] == ids(full)


@pytest.mark.parametrize("query,named", [
    ("status=closed", "status"),
    ("limit=0", "limit"),
    ("limit=201", "limit"),
    ("limit=ten", "limit"),
    ("cursor=bm90LWEtY3Vyc29y", "cursor"),
    ("cursor=%25%25", "cursor"),
    ("kind=tweet", "kind"),
    ("lang=d%27e", "lang"),
    ("q=", "q"),
    ("sort=priority", "sort"),
])
def test_a_bad_parameter_is_a_400_naming_it(stack, query, named):
    s, h, body = http("GET", f"{stack.base}/v1/inbox?{query}")
    assert s == 400, body
    assert h["content-type"].startswith("application/json")
    doc = json.loads(body)
    assert doc["error"] == "PARLEY_EINVAL"
    assert doc["message"].split(":")[0].strip("'").endswith(named) or named in doc["message"]
    assert named in doc["message"]


def test_store_parameter_and_a_missing_store(stack, tmp_path):
    assert stack.get("/v1/inbox?store=store")[0] == 200
    s, body = stack.get("/v1/inbox?store=nope")
    assert s == 404 and "nope" in body["message"]
    s, body = stack.get("/v1/conversations/x?store=nope")
    assert s == 404 and "nope" in body["message"]
    assert http("POST", f"{stack.base}/v1/inbox", "{}")[0] == 405


def test_a_conversation_shows_its_thread_events_and_the_same_persons_others(stack):
    conv = "test:thread/7"
    stack.post(event(1, conv, 0, text="Mijn pakket is kwijt", priority=40, sla=30),
               event(2, conv, 2, text="Ordernummer 1234"),
               # the customer edits their first message
               {**event(3, conv, 3, kind="edited", text="Mijn pakket is echt kwijt"),
                "in_reply_to": "test:i-1"},
               # the same author elsewhere, and a linked handle on another platform
               event(4, "test:other", 5, text="Nog een vraag"),
               event(5, "chirp:x9", 6, platform="chirp", author="c-77", handle="User42"),
               event(6, "test:stranger", 7, author="99"))
    s, res = stack.act(idempotency_key="k-reply", type="reply_public", connector="tc1",
                       conversation_id=conv, target="test:i-2", text="Sorry! We kijken ernaar.",
                       agent="mia")
    assert s == 200 and res["status"] == "done", res
    wait_until(lambda: stack.get("/v1/conversations/" + urllib.parse.quote(conv, safe=""))[1]
               ["conversation"]["messages_out"] == 1, what="the reply stored")
    s, res = stack.act(idempotency_key="k-asg", type="assign", conversation_id=conv,
                       assign_to="jonas", agent="mia")
    assert s == 200, res
    s, doc = stack.get("/v1/conversations/" + urllib.parse.quote(conv, safe=""))
    assert s == 200, doc
    c = doc["conversation"]
    assert c["id"] == conv and c["status"] == "pending" and c["assigned_to"] == "jonas"
    msgs = doc["messages"]
    assert [m["id"] for m in msgs] == ["test:i-1", "test:i-2", "test:out-k-reply"]
    first = msgs[0]
    assert first["edited"] is True and first["deleted"] is False
    assert first["text"] == "Mijn pakket is echt kwijt" and first["direction"] == "in"
    assert first["author"]["handle"] == "user42"
    out = msgs[2]
    assert out["direction"] == "out" and out["agent"] == "mia" and out["author"] is None
    assert out["text"] == "Sorry! We kijken ernaar."
    assert [e["type"] for e in doc["events"]] == ["opened", "answered", "assigned"]
    assert doc["events"][2]["detail"] == "jonas" and doc["events"][2]["agent"] == "mia"
    assert sorted(r["id"] for r in doc["related"]) == ["chirp:x9", "test:other"]


def test_an_unknown_conversation_is_a_404(stack):
    stack.post(event(1, "test:known", 0))
    s, doc = stack.get("/v1/conversations/" + urllib.parse.quote("test:unknown/1", safe=""))
    assert s == 404 and doc["error"] == "PARLEY_ENOENT"
    assert "test:unknown/1" in doc["message"]
    s, doc = stack.get("/v1/conversations/")
    assert s == 404
    s, doc = stack.get("/v1/conversations/bad%zz")
    assert s == 400 and doc["error"] == "PARLEY_EINVAL"
    assert stack.get("/v1/conversations/test%3Aknown")[0] == 200


def test_no_sqlite_store_is_a_503(tmp_path):
    from parley_it import Parleyd, free_port, router_yaml
    port = free_port()
    text = router_yaml(str(tmp_path), port) + f"""outputs:
  - name: log
    type: ndjson
    options: {{path: {tmp_path}/log.ndjson}}
"""
    d = Parleyd(text, tmpdir=str(tmp_path)).start(f"http://127.0.0.1:{port}")
    try:
        for path in ("/v1/inbox", "/v1/conversations/x"):
            s, _, body = http("GET", f"http://127.0.0.1:{port}{path}")
            assert s == 503, body
            assert "no sqlite output" in json.loads(body)["message"]
        s, _, body = http("GET", f"http://127.0.0.1:{port}/v1/inbox?store=log")
        assert s == 400 and "not a sqlite" in json.loads(body)["message"]
    finally:
        assert d.stop() == 0


SECTIONS = """outputs:
  - {{name: store, type: sqlite, options: {{path: {dir}/store.db}}}}
routes:
  - {{outputs: [store]}}
enrich:
  sla:
    policies:
      - {{name: dm, match: {{visibility: private}}, target: 2h}}
      - {{name: public, target: 1h}}
"""


def test_simulator_messages_reach_the_inbox_with_their_signals(tmp_path):
    stack = FiveStack(tmp_path, SECTIONS).start()
    try:
        stack.post_item({"platform": "twitter", "type": "tweet", "author": "pieterdevries",
                         "text": "@acme mijn bestelling is kapot aangekomen inbox-test-1"})
        stack.post_item({"platform": "facebook", "type": "comment", "author": "jana.krueger",
                         "parent_ref": "fb-post-1", "text": "Keine Antwort inbox-test-2"})

        def arrived():
            s, _, body = http("GET", f"{stack.base}/v1/inbox?q=inbox-test&limit=200")
            page = json.loads(body)
            return page if s == 200 and page["total"] == 2 else None
        page = wait_until(arrived, 60, what="both messages in the inbox")
        by_platform = {c["platform"]: c for c in page["conversations"]}
        assert set(by_platform) == {"twitter", "facebook"}
        for c in page["conversations"]:
            assert c["sla_due"] and c["status"] == "open"
            assert c["last_message"]["text"].endswith(("inbox-test-1", "inbox-test-2"))
        tw = by_platform["twitter"]
        assert tw["author"]["handle"] == "pieterdevries"
        s, _, body = http("GET", f"{stack.base}/v1/conversations/"
                          + urllib.parse.quote(tw["id"], safe=""))
        assert s == 200, body
        doc = json.loads(body)
        assert doc["messages"][0]["text"].endswith("inbox-test-1")
        assert [e["type"] for e in doc["events"]] == ["opened"]
    finally:
        stack.stop()


@pytest.mark.parametrize("path", ["/v1/inbox", "/v1/conversations/test%3Ax", "/v1/stream",
                                  "/v1/events"])
def test_every_console_endpoint_needs_the_admin_or_an_agent_token(stack, path):
    s, _, _ = http("GET", stack.base + path, admin=False)
    assert s == 401
    s, _, _ = http("GET", stack.base + path, admin=False,
                   headers={"Authorization": "Bearer wrong-token"})
    assert s == 401
