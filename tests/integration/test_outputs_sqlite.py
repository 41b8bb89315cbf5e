"""The sqlite output, the conversation store: messages in and out land in
conversations with status, priority and SLA an agent tool can sort by;
authors are kept; a redelivered event changes nothing (exactly-once in the
store although delivery is at-least-once). Queried with Python's sqlite3,
as an agent tool would."""
import json
import os
import sqlite3

import pytest

from parley_it import Parleyd, free_port, http, wait_until, TEST_PLUGIN_DIR


def config(tmp, port, count=0):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {TEST_PLUGIN_DIR}
  journal: {tmp}/parley.journal
connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, count: {count}, batch: 100, interval: 1ms, token: s3cret-token,
               kinds: [mention, direct_message, comment]}}
outputs:
  - name: store
    type: sqlite
    options: {{path: {tmp}/store.db}}
routes:
  - outputs: store
"""


def event(n, kind="mention", conv=None, reply_to=None, priority=None, sla=None, author="42",
          followers=None, created="2026-11-23T09:20:06.000Z", text="Mijn pakket is kwijt"):
    ev = {"schema": "parley.event.v1", "id": f"test:m-{n}", "platform": "test",
          "connector": "x", "account": "acme", "kind": kind,
          "visibility": "private" if kind == "direct_message" else "public",
          "text": text, "created_at": created, "received_at": created}
    if kind not in ("outbound", "system"):
        ev["author"] = {"id": author, "handle": f"user{author}"}
        if followers is not None:
            ev["author"]["followers"] = followers
    if conv:
        ev["conversation_id"] = conv
    if reply_to:
        ev["in_reply_to"] = reply_to
    signals = {}
    if priority:
        signals["priority"] = priority
    if sla:
        signals["sla_due"] = sla
    if signals:
        ev["signals"] = signals
    return ev


def post(base, ev):
    s, _, body = http("POST", f"{base}/hooks/tc1", json.dumps(ev), {"X-Test-Token": "s3cret-token"})
    assert s == 200, body


def status(base):
    return json.loads(http("GET", f"{base}/v1/status")[2])


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


def t(minute):
    return f"2026-11-23T09:{minute:02d}:00.000Z"


SCENARIO = [
    # conversation A: two messages in, priority rises, earliest SLA kept
    event(1, conv="test:A", priority=2, sla=t(50), created=t(1)),
    event(2, conv="test:A", priority=4, sla=t(55), created=t(2), followers=1500),
    # conversation B: urgent, then answered by the brand
    event(3, conv="test:B", priority=5, sla=t(30), created=t(3), author="7"),
    event(4, kind="outbound", conv="test:B", created=t(9)),
    # a lone mention is its own conversation; a reply naming it answers it
    event(5, priority=3, created=t(4), author="8"),
    event(6, kind="outbound", reply_to="test:m-5", created=t(12)),
    # conversation D: a DM, low priority, still open
    event(7, kind="direct_message", conv="test:D", priority=1, created=t(5), author="9"),
    # account health: stored, belongs to no conversation
    event(8, kind="system", created=t(6)),
    # B is reopened by a new message: priority and SLA start again
    event(9, conv="test:B", priority=2, sla=t(59), created=t(20), author="7"),
]

OPEN_BY_PRIORITY = """
SELECT id, priority, sla_due, messages_in, messages_out
FROM conversations WHERE status = 'open'
ORDER BY priority DESC, sla_due
"""


def test_conversations_messages_and_authors_answer_an_agents_questions(tmp):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port), tmpdir=tmp).start(base)
    for ev in SCENARIO:
        post(base, ev)
    wait_until(lambda: status(base)["outputs"][0]["delivered"] >= len(SCENARIO),
               what="all events stored")
    assert d.stop() == 0
    db = sqlite3.connect(f"{tmp}/store.db")
    rows = db.execute(OPEN_BY_PRIORITY).fetchall()
    assert rows == [("test:A", 4, t(50), 2, 0), ("test:B", 2, t(59), 2, 1),
                    ("test:D", 1, None, 1, 0)]
    answered = db.execute("SELECT id, first_response_at FROM conversations "
                          "WHERE status = 'answered' ORDER BY id").fetchall()
    assert answered == [("test:m-5", t(12))]
    msgs = db.execute("SELECT id, conversation_id, direction FROM messages ORDER BY id").fetchall()
    assert ("test:m-6", "test:m-5", "out") in msgs and ("test:m-8", None, "in") in msgs
    assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == len(SCENARIO)
    authors = dict(db.execute("SELECT id, followers FROM authors"))
    assert authors == {"42": 1500, "7": None, "8": None, "9": None}
    # the full event is kept for the agent tool
    ev = json.loads(db.execute("SELECT event FROM messages WHERE id='test:m-2'").fetchone()[0])
    assert ev["signals"]["priority"] == 4 and ev["connector"] == "tc1"
    plan = " ".join(r[-1] for r in db.execute("EXPLAIN QUERY PLAN " + OPEN_BY_PRIORITY))
    assert "conversations_open" in plan


def test_a_redelivered_batch_changes_nothing_in_the_store(tmp):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    text = config(tmp, port, count=3000)
    d = Parleyd(text, tmpdir=tmp).start(base)
    for ev in SCENARIO:
        post(base, ev)
    wait_until(lambda: status(base)["outputs"][0]["cursor"] >= 3000 + len(SCENARIO),
               what="everything stored")
    assert d.stop() == 0
    snapshot = lambda: sqlite3.connect(f"{tmp}/store.db").execute(
        "SELECT id, status, priority, messages_in, messages_out, sla_due FROM conversations "
        "ORDER BY id").fetchall()
    before = snapshot()
    journal = sqlite3.connect(f"{tmp}/parley.journal")
    journal.execute("DELETE FROM cursors")  # the router must deliver everything again
    journal.commit()
    journal.close()
    d = Parleyd(text, tmpdir=tmp).start(base)
    wait_until(lambda: status(base)["outputs"][0]["delivered"] >= 3000 + len(SCENARIO),
               what="everything redelivered")
    assert d.stop() == 0
    assert snapshot() == before
    db = sqlite3.connect(f"{tmp}/store.db")
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM messages").fetchone() == (
        3000 + len(SCENARIO), 3000 + len(SCENARIO))


def test_an_unwritable_store_is_an_error_that_names_the_file(tmp):
    from parley_it import run_parleyd
    port = free_port()
    path = os.path.join(tmp, "bad.yaml")
    with open(path, "w") as f:
        f.write(config(tmp, port).replace(f"{tmp}/store.db", "/nonexistent/dir/store.db"))
    d = Parleyd(open(path).read(), tmpdir=tmp).start()
    wait_until(lambda: d.proc.poll() is not None, what="parleyd refusing to start")
    assert d.proc.returncode != 0
    assert "/nonexistent/dir/store.db" in d.logs() and "store" in d.logs()
    r = run_parleyd("--check-config", path)  # no I/O at check time
    assert r.returncode == 0, r.stderr
    with open(path, "w") as f:
        f.write(config(tmp, port).replace("path: ", "synchronous: sometimes, path: "))
    r = run_parleyd("--check-config", path)
    assert r.returncode != 0 and "synchronous" in r.stderr and "sometimes" in r.stderr
