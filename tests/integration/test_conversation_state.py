"""Conversation state in the sqlite store (schema v2): a customer message
opens a conversation, the brand's answer makes it answered, an agent's
resolve action resolves it and the next customer message reopens it; every
change is a row in conversation_events. assign and resolve are actions the
core performs on the store (POST /v1/actions), exactly once per
idempotency key; a reply's agent is named on the outbound message it
created; a v1 store is migrated in place. The real parleyd, the test
connector and a real SQLite file, read with Python's sqlite3."""
import datetime
import json
import os
import sqlite3

import pytest

from parley_it import Parleyd, free_port, http, router_yaml, wait_until

TOKEN = {"X-Test-Token": "s3cret-token"}


def config(tmp, port, store=True):
    output = (f"  - name: store\n    type: sqlite\n    options: {{path: {tmp}/store.db}}\n"
              if store else
              f"  - name: file\n    type: ndjson\n    options: {{path: {tmp}/all.ndjson}}\n")
    return router_yaml(tmp, port) + f"""connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, count: 0, token: s3cret-token}}
outputs:
{output}routes:
  - outputs: {"store" if store else "file"}
"""


# Times relative to now: the test connector stamps the replies it performs
# with the wall clock, and they must come after the customer's messages.
T0 = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)


def t(minute):
    return (T0 + datetime.timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def event(n, conv, kind="mention", created=None, author="42"):
    ev = {"schema": "parley.event.v1", "id": f"test:m-{n}", "platform": "test",
          "connector": "x", "account": "acme", "kind": kind,
          "visibility": "private" if kind == "direct_message" else "public",
          "text": "Mijn pakket is kwijt", "conversation_id": conv,
          "created_at": created or t(n), "received_at": created or t(n)}
    if kind != "outbound":
        ev["author"] = {"id": author, "handle": f"user{author}"}
    return ev


class Stack:
    def __init__(self, tmp, store=True):
        self.tmp = tmp
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.text = config(tmp, self.port, store)
        self.d = Parleyd(self.text, tmpdir=tmp).start(self.base)
        self.posted = 0

    def status(self):
        return json.loads(http("GET", f"{self.base}/v1/status")[2])

    def delivered(self):
        return self.status()["outputs"][0]["delivered"]

    def post(self, ev):
        before = self.delivered()
        s, _, body = http("POST", f"{self.base}/hooks/tc1", json.dumps(ev), TOKEN)
        assert s == 200, body
        wait_until(lambda: self.delivered() > before, what=f"{ev['id']} stored")

    def act(self, **fields):
        doc = {"schema": "parley.action.v1", **fields}
        s, _, body = http("POST", f"{self.base}/v1/actions", json.dumps(doc))
        return s, json.loads(body)

    def reply(self, key, conv, target, agent=None):
        before = self.delivered()
        fields = dict(idempotency_key=key, type="reply_public", connector="tc1",
                      conversation_id=conv, target=target, text="Sorry! We kijken ernaar.")
        if agent:
            fields["agent"] = agent
        s, res = self.act(**fields)
        assert s == 200 and res["status"] == "done", res
        wait_until(lambda: self.delivered() > before, what=f"the outbound reply {key} stored")
        return res

    def db(self):
        return sqlite3.connect(f"{self.tmp}/store.db")

    def stop(self):
        assert self.d.stop() == 0, self.d.logs()


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


def conversation(db, conv):
    db.row_factory = sqlite3.Row
    row = db.execute("SELECT * FROM conversations WHERE id = ?", (conv,)).fetchone()
    db.row_factory = None
    return dict(row) if row else None


def events(db, conv):
    return db.execute("SELECT type, agent, detail, message_id, at FROM conversation_events"
                      " WHERE conversation_id = ? ORDER BY at, id", (conv,)).fetchall()


def test_open_answer_assign_resolve_reopen_are_recorded_once(tmp):
    st = Stack(tmp)
    st.post(event(1, "test:A"))
    st.post(event(2, "test:A"))
    db = st.db()
    c = conversation(db, "test:A")
    assert c["status"] == "open" and c["first_inbound_at"] == t(1) and c["reopened"] == 0
    assert [e[:4] for e in events(db, "test:A")] == [("opened", None, None, "test:m-1")]

    # the brand answers through parley, naming the agent
    res = st.reply("k-reply", "test:A", "test:m-2", agent="mia")
    assert res["platform_id"] == "out-k-reply"
    c = conversation(db, "test:A")
    assert c["status"] == "answered" and c["messages_out"] == 1
    assert db.execute("SELECT direction, agent FROM messages WHERE id = 'test:out-k-reply'"
                      ).fetchone() == ("out", "mia")
    assert db.execute("SELECT agent FROM messages WHERE id = 'test:m-1'").fetchone() == (None,)

    # assign, performed by the core on the store
    before = now_iso()
    s, res = st.act(idempotency_key="k-assign", type="assign", conversation_id="test:A",
                    assign_to="jonas", agent="mia")
    assert s == 200 and res["status"] == "done", res
    assert res["message"] == "conversation test:A assigned to jonas"
    c = conversation(db, "test:A")
    assert c["assigned_to"] == "jonas" and before <= c["assigned_at"] <= now_iso()
    assert c["status"] == "answered"

    # resolve; the same key again gives the first result and changes nothing
    before = now_iso()
    s, res = st.act(idempotency_key="k-resolve", type="resolve", conversation_id="test:A",
                    agent="jonas")
    assert s == 200 and res == {"schema": "parley.action_result.v1",
                                "idempotency_key": "k-resolve", "status": "done",
                                "message": "conversation test:A resolved"}
    c = conversation(db, "test:A")
    assert c["status"] == "resolved" and c["resolved_by"] == "jonas"
    assert before <= c["resolved_at"] <= now_iso() and c["sla_due"] is None
    n_events = len(events(db, "test:A"))
    s2, res2 = st.act(idempotency_key="k-resolve", type="resolve", conversation_id="test:A",
                      agent="someone-else")
    assert s2 == 200 and res2 == res
    s3, res3 = st.act(idempotency_key="k-resolve-2", type="resolve", conversation_id="test:A")
    assert s3 == 200 and res3["message"] == "conversation test:A was already resolved"
    assert len(events(db, "test:A")) == n_events
    assert conversation(db, "test:A")["resolved_by"] == "jonas"

    # the brand writing again leaves it resolved; the customer writing reopens it
    st.reply("k-reply-2", "test:A", "test:m-2")
    c = conversation(db, "test:A")
    assert c["status"] == "resolved" and c["messages_out"] == 2
    assert db.execute("SELECT agent FROM messages WHERE id = 'test:out-k-reply-2'"
                      ).fetchone() == (None,)
    st.post(event(3, "test:A", created=now_iso()))
    c = conversation(db, "test:A")
    assert c["status"] == "open" and c["reopened"] == 1
    assert c["resolved_at"] is None and c["resolved_by"] is None
    assert c["assigned_to"] == "jonas" and c["first_inbound_at"] == t(1)

    ev = events(db, "test:A")
    assert [e[:4] for e in ev] == [
        ("opened", None, None, "test:m-1"),
        ("answered", "mia", None, "test:out-k-reply"),
        ("assigned", "mia", "jonas", None),
        ("resolved", "jonas", "answered", None),
        ("reopened", None, "resolved", "test:m-3"),
    ]
    assert [e[4] for e in ev] == sorted(e[4] for e in ev)
    assert all(len(e[4]) == 24 and e[4].endswith("Z") for e in ev)
    assert c["status_at"] == ev[-1][4]

    # a customer message answered, then another: reopened from answered
    st.reply("k-reply-3", "test:A", "test:m-3")
    st.post(event(4, "test:A", created=now_iso()))
    c = conversation(db, "test:A")
    assert c["reopened"] == 2
    assert [e[:3] for e in events(db, "test:A")[-2:]] == [("answered", None, None),
                                                         ("reopened", None, "answered")]
    metrics = http("GET", f"{st.base}/metrics")[2].decode()
    assert 'parley_store_actions_total{type="resolve"} 2' in metrics
    st.stop()

    # every event delivered again (cursor reset): nothing changes
    snapshot = lambda d: (d.execute("SELECT * FROM conversations ORDER BY id").fetchall(),
                          d.execute("SELECT * FROM conversation_events ORDER BY id").fetchall(),
                          d.execute("SELECT id, agent FROM messages ORDER BY id").fetchall())
    before = snapshot(st.db())
    journal = sqlite3.connect(f"{tmp}/parley.journal")
    journal.execute("DELETE FROM cursors")
    journal.commit()
    journal.close()
    st2 = Stack(tmp)
    wait_until(lambda: st2.delivered() >= 7, what="everything redelivered")
    st2.stop()
    assert snapshot(st.db()) == before


def test_refusals_name_what_is_wrong_and_keep_the_key(tmp):
    st = Stack(tmp)
    s, res = st.act(idempotency_key="k-early", type="resolve", conversation_id="test:Z")
    assert s == 404 and res["error"] == "PARLEY_ENOENT", res
    assert "test:Z" in res["message"]
    s, res = st.act(idempotency_key="k-bad", type="assign", conversation_id="test:Z")
    assert s == 400 and res["message"] == "action.assign_to: required for type assign"
    s, res = st.act(idempotency_key="k-bad", type="resolve")
    assert s == 400 and "action.conversation_id" in res["message"]
    # the conversation arrives: the key refused before still works
    st.post(event(1, "test:Z"))
    s, res = st.act(idempotency_key="k-early", type="resolve", conversation_id="test:Z",
                    agent="mia")
    assert s == 200 and res["status"] == "done", res
    assert conversation(st.db(), "test:Z")["status"] == "resolved"
    st.stop()

    os.makedirs(f"{tmp}/nostore")
    nostore = Stack(f"{tmp}/nostore", store=False)
    s, res = nostore.act(idempotency_key="k-1", type="resolve", conversation_id="test:Z")
    assert s == 400 and res["error"] == "PARLEY_ENOTSUP"
    assert res["message"] == "assign/resolve need a sqlite store output"
    nostore.stop()


def test_the_agent_is_named_when_the_outbound_event_came_first(tmp):
    st = Stack(tmp)
    st.post(event(1, "test:B"))
    # the platform reported the brand's message before parley's action result
    out = event(9, "test:B", kind="outbound", created=now_iso())
    out["id"] = "test:out-k-late"
    st.post(out)
    db = st.db()
    assert db.execute("SELECT agent FROM messages WHERE id = 'test:out-k-late'"
                      ).fetchone() == (None,)
    s, res = st.act(idempotency_key="k-late", type="reply_public", connector="tc1",
                    conversation_id="test:B", target="test:m-1", text="Hoi!", agent="ravi")
    assert s == 200 and res["platform_id"] == "out-k-late"
    assert db.execute("SELECT agent FROM messages WHERE id = 'test:out-k-late'"
                      ).fetchone() == ("ravi",)
    assert [e[:2] for e in events(db, "test:B")] == [("opened", None), ("answered", "ravi")]
    assert db.execute("SELECT agent, idempotency_key FROM sent_by").fetchall() == [
        ("ravi", "k-late")]
    st.stop()


# The v1 schema, as parleyd 0.1 created it.
V1_SCHEMA = """
CREATE TABLE authors (platform TEXT NOT NULL, id TEXT NOT NULL, handle TEXT, name TEXT,
  followers INTEGER, verified INTEGER NOT NULL DEFAULT 0, first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL, PRIMARY KEY (platform, id)) WITHOUT ROWID;
CREATE TABLE conversations (id TEXT PRIMARY KEY, platform TEXT NOT NULL,
  connector TEXT NOT NULL, account TEXT NOT NULL, visibility TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
  priority INTEGER, sentiment REAL, sla_due TEXT, first_at TEXT NOT NULL, last_at TEXT NOT NULL,
  last_inbound_at TEXT, last_outbound_at TEXT, first_response_at TEXT,
  messages_in INTEGER NOT NULL DEFAULT 0, messages_out INTEGER NOT NULL DEFAULT 0,
  last_message_id TEXT);
CREATE TABLE messages (id TEXT PRIMARY KEY, conversation_id TEXT, direction TEXT NOT NULL
  CHECK (direction IN ('in', 'out')), platform TEXT NOT NULL, connector TEXT NOT NULL,
  account TEXT NOT NULL, kind TEXT NOT NULL, visibility TEXT NOT NULL,
  author_id TEXT, in_reply_to TEXT, text TEXT, lang TEXT,
  created_at TEXT NOT NULL, received_at TEXT NOT NULL, url TEXT,
  sentiment REAL, priority INTEGER, sla_due TEXT, keywords TEXT,
  event TEXT NOT NULL, stored_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_by_author ON messages (platform, author_id);
CREATE INDEX messages_by_received ON messages (received_at);
CREATE INDEX conversations_open ON conversations (status, priority DESC, sla_due);
CREATE INDEX conversations_by_account ON conversations (account, last_at);
CREATE VIEW open_by_priority AS SELECT id, priority FROM conversations WHERE status = 'open';
PRAGMA user_version = 1;
"""


def v1_store(path):
    """Three conversations as v1 left them: A open (two messages in), B
    answered, C answered, reopened, answered again and closed by a tool."""
    db = sqlite3.connect(path)
    db.executescript(V1_SCHEMA)
    msgs = [("m-1", "A", "in", 1), ("m-2", "A", "in", 2),
            ("m-3", "B", "in", 3), ("m-4", "B", "out", 4),
            ("m-5", "C", "in", 5), ("m-6", "C", "out", 6), ("m-7", "C", "in", 7),
            ("m-8", "C", "out", 8)]
    for mid, conv, d, minute in msgs:
        db.execute("INSERT INTO messages (id, conversation_id, direction, platform, connector,"
                   " account, kind, visibility, created_at, received_at, event)"
                   " VALUES (?, ?, ?, 'test', 'tc1', 'acme', ?, 'public', ?, ?, '{}')",
                   (f"test:{mid}", f"test:{conv}", d, "mention" if d == "in" else "outbound",
                    t(minute), t(minute)))
    db.execute("INSERT INTO messages (id, conversation_id, direction, platform, connector,"
               " account, kind, visibility, created_at, received_at, event) VALUES"
               " ('test:m-9', 'test:C', 'in', 'test', 'tc1', 'acme', 'reaction', 'public', ?, ?,"
               " '{}')", (t(9), t(9)))
    for conv, status, n_in, n_out, last in [("A", "open", 2, 0, 2), ("B", "answered", 1, 1, 4),
                                            ("C", "closed", 2, 2, 9)]:
        db.execute("INSERT INTO conversations (id, platform, connector, account, visibility,"
                   " status, priority, first_at, last_at, messages_in, messages_out)"
                   " VALUES (?, 'test', 'tc1', 'acme', 'public', ?, 3, ?, ?, ?, ?)",
                   (f"test:{conv}", status, t(1), t(last), n_in, n_out))
    db.commit()
    db.close()


def test_a_v1_store_is_migrated_in_place(tmp):
    v1_store(f"{tmp}/store.db")
    st = Stack(tmp)
    assert "migrated from schema v1 to v2" in st.d.logs()
    db = st.db()
    assert db.execute("PRAGMA user_version").fetchone() == (2,)
    assert db.execute("SELECT id, status, reopened, first_inbound_at, priority FROM conversations"
                      " ORDER BY id").fetchall() == [
        ("test:A", "open", 0, t(1), 3), ("test:B", "answered", 0, t(3), 3),
        ("test:C", "resolved", 1, t(5), 3)]
    # the history is rebuilt from the messages; C's close time was not
    # recorded, its last message's time stands in
    assert [e[:4] for e in events(db, "test:C")] == [
        ("opened", None, None, "test:m-5"), ("answered", None, None, "test:m-6"),
        ("reopened", None, "answered", "test:m-7"), ("answered", None, None, "test:m-8"),
        ("resolved", None, "closed", None)]
    assert events(db, "test:C")[-1][4] == t(9)
    assert conversation(db, "test:C")["resolved_at"] == t(9)
    assert [e[0] for e in events(db, "test:B")] == ["opened", "answered"]
    assert [e[0] for e in events(db, "test:A")] == ["opened"]
    assert db.execute("SELECT count(*) FROM messages WHERE agent IS NULL").fetchone() == (9,)
    # an agent tool's view still works; 'closed' is no longer a status
    assert db.execute("SELECT id FROM open_by_priority").fetchall() == [("test:A",)]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE conversations SET status = 'closed' WHERE id = 'test:A'")
    db.rollback()  # Python's sqlite3 opened a write transaction: it would block parleyd
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"conversations_open", "conversations_by_account", "conversation_events_by_at",
            "conversation_events_by_conversation"} <= indexes
    # and the migrated store lives on
    st.post(event(20, "test:C", created=now_iso()))
    c = conversation(db, "test:C")
    assert c["status"] == "open" and c["reopened"] == 2 and c["resolved_at"] is None
    s, res = st.act(idempotency_key="k-1", type="resolve", conversation_id="test:B", agent="mia")
    assert s == 200 and conversation(db, "test:B")["status"] == "resolved"
    st.stop()
    # opening it again changes nothing
    before = db.execute("SELECT count(*) FROM conversation_events").fetchone()
    st = Stack(tmp)
    st.stop()
    assert db.execute("SELECT count(*) FROM conversation_events").fetchone() == before


def test_messages_out_of_order_keep_the_status_their_times_give(tmp):
    """A webhook and a poll, or two connectors, can deliver a conversation's
    messages in any order: created_at decides what a late one changes."""
    st = Stack(tmp)
    # the brand's answer (minute 10) arrives before the message it answers (5)
    st.post(event(10, "test:L", kind="outbound"))
    st.post(event(5, "test:L"))
    db = st.db()
    c = conversation(db, "test:L")
    assert c["status"] == "answered" and c["reopened"] == 0, c
    assert c["first_inbound_at"] == t(5) and c["last_inbound_at"] == t(5)
    assert c["messages_in"] == 1 and c["messages_out"] == 1
    assert [e[:4] for e in events(db, "test:L")] == [("answered", None, None, "test:m-10")]
    # the customer writes again (20); an older answer (15) arriving after it
    # does not answer that message
    st.post(event(20, "test:L"))
    st.post(event(15, "test:L", kind="outbound"))
    c = conversation(db, "test:L")
    assert c["status"] == "open" and c["reopened"] == 1, c
    assert c["last_outbound_at"] == t(15) and c["messages_out"] == 2
    assert [e[0] for e in events(db, "test:L")] == ["answered", "reopened"]
    st.stop()


def test_a_v1_history_out_of_order_replays_as_the_live_store_takes_it(tmp):
    db = sqlite3.connect(f"{tmp}/store.db")
    db.executescript(V1_SCHEMA)
    # received: the answer (minute 10), then the older message it answers (5)
    for mid, d, minute in [("m-1", "out", 10), ("m-2", "in", 5)]:
        db.execute("INSERT INTO messages (id, conversation_id, direction, platform, connector,"
                   " account, kind, visibility, created_at, received_at, event)"
                   " VALUES (?, 'test:D', ?, 'test', 'tc1', 'acme', ?, 'public', ?, ?, '{}')",
                   (f"test:{mid}", d, "mention" if d == "in" else "outbound", t(minute),
                    t(minute)))
    db.execute("INSERT INTO conversations (id, platform, connector, account, visibility, status,"
               " first_at, last_at, messages_in, messages_out) VALUES ('test:D', 'test', 'tc1',"
               " 'acme', 'public', 'answered', ?, ?, 1, 1)", (t(5), t(10)))
    db.commit()
    db.close()
    st = Stack(tmp)
    db = st.db()
    c = conversation(db, "test:D")
    assert c["status"] == "answered" and c["reopened"] == 0 and c["first_inbound_at"] == t(5)
    assert [e[:4] for e in events(db, "test:D")] == [("answered", None, None, "test:m-1")]
    st.stop()


def test_a_newer_store_schema_is_refused(tmp):
    db = sqlite3.connect(f"{tmp}/store.db")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    port = free_port()
    d = Parleyd(config(tmp, port), tmpdir=tmp).start()
    wait_until(lambda: d.proc.poll() is not None, what="parleyd refusing the store")
    assert d.proc.returncode != 0
    assert "store schema version 3 is newer" in d.logs() and f"{tmp}/store.db" in d.logs()
