"""The journal's backlog bound and retention, with the real parleyd, the
test connector and a webhook output whose receiver fails on demand.

- Past router.max_backlog (bytes) or router.max_backlog_age, sources pause:
  the poller stops emitting, webhooks are answered 503 with Retry-After;
  once the output recovers everything is delivered and nothing is lost.
- Delivered events older than router.retention lose their body in the
  journal file (and their row after router.dedup_window) while undelivered
  ones stay whole; a pruned event sent again is still a duplicate."""
import json
import sqlite3
import time

import pytest

from parley_it import Parleyd, free_port, http, wait_until, TEST_PLUGIN_DIR
from test_outputs_webhook import SECRET, Receiver

TOKEN = {"X-Test-Token": "s3cret-token"}


def config(tmp, port, url, router="", count=0, batch=20, interval="2ms"):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {TEST_PLUGIN_DIR}
  journal: {tmp}/parley.journal
{router}
connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, count: {count}, batch: {batch}, interval: {interval},
               token: s3cret-token}}
outputs:
  - name: hook
    type: webhook
    options: {{url: "{url}", secret: {SECRET}, batch_size: 20, timeout: 2s}}
routes:
  - outputs: hook
"""


def hook_event(n):
    return json.dumps({
        "schema": "parley.event.v1", "id": f"test:hook-{n}", "platform": "test",
        "connector": "x", "account": "acme", "kind": "mention", "visibility": "public",
        "author": {"id": "42", "handle": "klant"}, "text": f"bericht {n}",
        "created_at": "2026-11-23T09:20:06.000Z", "received_at": "2026-11-23T09:20:06.000Z"})


def post(base, n):
    return http("POST", f"{base}/hooks/tc1", hook_event(n), TOKEN)


def status(base):
    return json.loads(http("GET", f"{base}/v1/status")[2])


def metric(base, name):
    for line in http("GET", f"{base}/metrics")[2].decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def journal_rows(tmp, where="1"):
    """(id, has body) of the events in the journal file, read as an operator
    would with the sqlite3 CLI, in a separate read-only connection."""
    db = sqlite3.connect(f"file:{tmp}/parley.journal?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(f"SELECT id, json IS NOT NULL FROM events WHERE {where} "
                          "ORDER BY seq").fetchall()
    finally:
        db.close()


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


@pytest.fixture
def rec():
    r = Receiver().start()
    yield r
    r.stop()


def run_until_paused(tmp, rec, router, reason, count, batch, interval):
    """Start parleyd, let some events through, fail the receiver, wait for
    the pause; then check that sources really stopped."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port, rec.url, router, count, batch, interval), tmpdir=tmp)
    d.start(base)
    wait_until(lambda: status(base)["outputs"][0]["cursor"] >= 40, what="first events delivered")
    rec.mode = "fail"
    wait_until(lambda: status(base)["paused"], timeout=60, what=f"pause over {reason}")
    st = status(base)
    assert st["pause_reason"] == reason, st
    assert st["outputs"][0]["state"] == "failing"
    assert metric(base, f'parley_sources_paused{{reason="{reason}"}}') == 1
    assert metric(base, "parley_backlog_bytes") > 0
    # the webhook is refused so the platform retries later
    s, h, body = post(base, 1)
    assert s == 503 and h.get("retry-after") == "5" and b"backlog" in body
    # the poller stopped: nothing new is journaled while paused (the
    # receiver still fails, so the pause holds)
    seen = st["last_seq"]
    time.sleep(1.0)
    assert status(base)["paused"] and status(base)["last_seq"] == seen
    return d, base, st


def recover_and_check(d, base, rec, count):
    rec.mode = "ok"
    wait_until(lambda: not status(base)["paused"], timeout=60, what="sources resumed")
    assert post(base, 1)[0] == 200  # the platform's retry is accepted now
    want = {f"test:tc1-{n}" for n in range(count)} | {"test:hook-1"}
    wait_until(lambda: want <= set(rec.ids), timeout=120, what="every event delivered")
    st = status(base)
    assert st["backlog"]["bytes"] == 0 and st["outputs"][0]["backlog"] == 0
    assert d.stop() == 0
    assert set(rec.ids) == want  # nothing lost, nothing invented


def test_past_max_backlog_bytes_sources_pause_and_resume_when_the_output_recovers(tmp, rec):
    n = 3000
    d, base, st = run_until_paused(tmp, rec, "  max_backlog: 64KiB", "max_backlog", n, 20, "2ms")
    assert st["backlog"]["bytes"] > 64 * 1024 and st["backlog"]["max_bytes"] == 64 * 1024
    assert st["last_seq"] < n  # paused before the connector was done
    recover_and_check(d, base, rec, n)


def test_past_max_backlog_age_sources_pause_and_resume_when_the_output_recovers(tmp, rec):
    n = 400
    # a trickle: the bytes stay far below max_backlog, only the age grows
    d, base, st = run_until_paused(tmp, rec, "  max_backlog_age: 2s", "max_backlog_age",
                                   n, 1, "20ms")
    assert st["backlog"]["oldest_age_ms"] > 2000 and st["backlog"]["bytes"] < 1 << 20
    recover_and_check(d, base, rec, n)


def start_and_deliver(tmp, rec, router, n):
    """parleyd with webhook events 0..n-1 posted and delivered."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port, rec.url, router), tmpdir=tmp).start(base)
    for i in range(n):
        assert post(base, i)[0] == 200
    wait_until(lambda: len(rec.ids) == n, what=f"{n} events delivered")
    return d, base


def test_delivered_events_lose_their_body_after_retention_undelivered_ones_stay(tmp, rec):
    d, base = start_and_deliver(tmp, rec, "  retention: 1s\n  dedup_window: 1h", 10)
    rec.mode = "fail"
    for n in range(10, 20):
        assert post(base, n)[0] == 200
    wait_until(lambda: status(base)["outputs"][0]["state"] == "failing", what="output failing")
    delivered = [f"test:hook-{n}" for n in range(10)]
    undelivered = [f"test:hook-{n}" for n in range(10, 20)]
    wait_until(lambda: journal_rows(tmp, "json IS NULL") and
               [i for i, _ in journal_rows(tmp, "json IS NULL")] == delivered,
               timeout=60, what="the delivered events' bodies pruned")
    rows = journal_rows(tmp)
    assert rows == [(i, 0) for i in delivered] + [(i, 1) for i in undelivered]
    assert metric(base, "parley_journal_pruned_total") == 10
    # inside the dedup window a pruned event sent again is still a duplicate
    assert post(base, 3)[0] == 200
    rec.mode = "ok"
    wait_until(lambda: set(undelivered) <= set(rec.ids), timeout=60, what="backlog delivered")
    wait_until(lambda: all(not body for _, body in journal_rows(tmp)), timeout=60,
               what="the rest pruned once delivered")
    assert d.stop() == 0
    assert sorted(rec.ids) == sorted(delivered + undelivered)  # hook-3 not twice
    assert len(journal_rows(tmp)) == 20  # ids kept for the dedup window


def test_past_the_dedup_window_pruned_rows_leave_the_journal(tmp, rec):
    d, base = start_and_deliver(tmp, rec, "  retention: 1s\n  dedup_window: 2s", 5)
    wait_until(lambda: not journal_rows(tmp), timeout=60, what="the rows forgotten")
    assert metric(base, "parley_journal_forgotten_total") == 5
    st = status(base)
    assert st["retention"]["pruned"] == 5 and st["retention"]["pruned_seq"] == 5
    assert d.stop() == 0
