"""parley-report end to end: parley-sim replays a generated week of customer
care (sdk/sim/scenarios/week.json) to parleyd with all five connectors and
a sqlite store; agents answer and resolve through parley; parley-report
turns the store into index.html + PNG charts; headless Chromium opens the
page and checks that every chart has data, the tables have rows and the
console is clean. A screenshot goes to the build directory (and, with
PARLEY_REPORT_SCREENSHOT=path, there too: docs/report-week.png is made so).
"""
import json
import os
import shutil
import sqlite3
import subprocess
import time

import pytest

from parley_it import SOURCE_DIR, FiveStack, browser, http, wait_until

REPORT = os.environ.get("PARLEY_REPORT", "parley-report")
BUILD_DIR = os.environ.get("PARLEY_BUILD_DIR", "")
WEEK = os.path.join(SOURCE_DIR, "sdk", "sim", "scenarios", "week.json")
TEXTS = os.path.join(SOURCE_DIR, "tests", "data", "care")
PLATFORMS = ("facebook", "instagram", "linkedin", "tiktok", "twitter")
AGENTS = ("mia", "jonas", "aylin")
STORE_SECTIONS = """outputs:
  - name: store
    type: sqlite
    options: {{path: {dir}/store.db}}
routes:
  - outputs: [store]
"""


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + "Z"


def query(db, sql, *args):
    """Read the store while parleyd writes it (read-only, like the report)."""
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return c.execute(sql, args).fetchall()
        finally:
            c.close()
    except sqlite3.OperationalError:
        return []  # not created yet


def run_report(*args):
    return subprocess.run([REPORT, *args], capture_output=True, text=True, timeout=60)


# ---- the command line, without a stack ----

def test_usage_and_errors(tmp_path):
    r = run_report("--help")
    assert r.returncode == 0 and "SYNOPSIS" in r.stdout and "gnuplot-nox" in r.stdout
    r = run_report("--store", str(tmp_path / "nope.db"), "--out", str(tmp_path / "o"))
    assert r.returncode == 1 and "nope.db" in r.stderr and "No such file" in r.stderr, r.stderr
    (tmp_path / "junk.db").write_bytes(b"not a database, just text " * 100)
    r = run_report("--store", str(tmp_path / "junk.db"), "--out", str(tmp_path / "o"))
    assert r.returncode == 1 and "junk.db" in r.stderr, r.stderr
    db = tmp_path / "empty.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.close()
    r = run_report("--store", str(db), "--out", str(tmp_path / "o"), "--since", "last week")
    assert r.returncode == 2 and "--since" in r.stderr and "last week" in r.stderr, r.stderr
    r = run_report("--store", str(db), "--out", str(tmp_path / "o"), "--since", "2026-11-23",
                   "--until", "2026-11-22")
    assert r.returncode == 2 and "not before" in r.stderr, r.stderr
    r = run_report("--store", str(db), "--out", str(tmp_path / "o"), "--sla", "soon")
    assert r.returncode == 2 and "--sla" in r.stderr, r.stderr
    r = run_report("--store", str(db), "--out", str(tmp_path / "o"))
    assert r.returncode == 1 and "not a parley conversation store" in r.stderr, r.stderr


def test_gnuplot_missing_and_an_empty_store(tmp_path):
    # an empty store: just the tables and columns the report reads
    db = tmp_path / "store.db"
    c = sqlite3.connect(db)
    c.executescript("""
      CREATE TABLE messages (id TEXT PRIMARY KEY, conversation_id TEXT, direction TEXT, platform TEXT,
        kind TEXT, created_at TEXT, sla_due TEXT, agent TEXT);
      CREATE TABLE conversations (id TEXT PRIMARY KEY, platform TEXT, resolved_at TEXT, resolved_by TEXT);
      CREATE TABLE conversation_events (id INTEGER PRIMARY KEY, conversation_id TEXT, at TEXT, type TEXT,
        agent TEXT, detail TEXT, message_id TEXT);""")
    c.close()
    r = run_report("--store", str(db), "--out", str(tmp_path / "o"), "--gnuplot",
                   str(tmp_path / "no-gnuplot-here"))
    assert r.returncode == 1 and "gnuplot-nox" in r.stderr, r.stderr
    assert not (tmp_path / "o" / "index.html").exists()
    # with gnuplot, an empty period still gives a page: charts with a note
    r = run_report("--store", str(db), "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "o" / "index.html").read_text()
    assert "no customer messages in this period" in html and 'class="empty"' in html


# ---- the week, end to end ----

def week_scenario(tmp):
    with open(WEEK) as f:
        sc = json.load(f)
    sc["week"].update({"messages_per_day": 200, "replay_start": "request", "replay_rate": 400,
                       "texts": TEXTS, "end": "now"})
    path = os.path.join(tmp, "week.json")
    with open(path, "w") as f:
        json.dump(sc, f)
    return path


@pytest.fixture
def stack(tmp_path):
    st = FiveStack(tmp_path, STORE_SECTIONS, scenario=week_scenario(str(tmp_path)),
                   sim_args=("--rate-window-s", "60"),
                   # "from:acme": the brand's own reply tweets, written natively
                   twitter_queries=("acme -from:acme", "from:acme"))
    try:
        st.start()
        yield st
    finally:
        st.stop()


def replay_week(st, db):
    # the connectors' first polls find the scenario's primer items (a first
    # run reads only the newest page), then the week is replayed
    wait_until(lambda: {p for (p,) in query(db, "SELECT DISTINCT platform FROM messages")}
               >= set(PLATFORMS) and len(query(db, "SELECT id FROM messages")) >= 8,
               30, 0.1, "the primer items of every platform in the store")
    status, _, body = http("POST", st.sim.url + "/_sim/week/start", "{}")
    assert status == 200, body
    week = wait_until(lambda: (lambda w: w if w["state"] == "done" else None)(
        json.loads(http("GET", st.sim.url + "/_sim/week")[2])), 30, 0.2, "the replay")
    per = week["per_platform"]
    want_in = sum(v.get("messages", 0) + v.get("dm_messages", 0) for v in per.values())
    want_out = sum(v.get("replies", 0) + v.get("dm_replies", 0) for v in per.values())

    def arrived():
        rows = dict(query(db, "SELECT direction, COUNT(*) FROM messages WHERE created_at < ?"
                          " GROUP BY 1", iso(week["end_ms"])))
        return rows.get("in", 0) >= want_in and rows.get("out", 0) >= want_out
    wait_until(arrived, 40, 0.3, f"{want_in} customer messages and {want_out} brand replies "
                                 "of the week in the store")
    return week


def agents_work(st, db):
    """Three agents answer the newest waiting tweets and clear the oldest
    conversations from the backlog (resolve)."""
    waiting = query(db, "SELECT c.id, (SELECT m.id FROM messages m WHERE m.conversation_id = c.id"
                        " AND m.direction = 'in' ORDER BY m.created_at DESC LIMIT 1)"
                        " FROM conversations c WHERE c.status = 'open' AND c.platform = 'twitter'"
                        " AND c.id NOT LIKE '%-%' ORDER BY c.first_at DESC LIMIT 6")
    assert len(waiting) >= 3, waiting
    for n, (conv, target) in enumerate(waiting):
        status, res = st.action({"schema": "parley.action.v1", "idempotency_key": f"rep-{n}",
                                 "type": "reply_public", "connector": "acme-twitter",
                                 "target": target, "conversation_id": conv,
                                 "agent": AGENTS[n % 3],
                                 "text": f"Sorry for the wait! We are on it (case {n + 1})."})
        assert status == 200 and res["status"] == "done", res
    rest = query(db, "SELECT id FROM conversations WHERE status <> 'resolved' ORDER BY first_at"
                     " LIMIT 18")
    for n, (conv,) in enumerate(rest):
        status, res = st.action({"schema": "parley.action.v1", "idempotency_key": f"res-{n}",
                                 "type": "resolve", "conversation_id": conv,
                                 "agent": AGENTS[n % 3]})
        assert status == 200 and res["status"] == "done", res
    wait_until(lambda: len(query(db, "SELECT id FROM messages WHERE agent IS NOT NULL"))
               >= len(waiting), 20, 0.2, "the agents' replies in the store")


CHART_DATA_JS = """
const out = {};
for (const s of document.querySelectorAll('section.chart')) {
  const svg = s.querySelector('svg');
  let marks = 0;
  if (svg) for (const g of svg.querySelectorAll('g[id*="gnuplot_plot_"]'))
    for (const e of g.querySelectorAll('path, polyline, polygon')) {
      const d = e.getAttribute('d') || e.getAttribute('points') || '';
      // a mark with data: at least two coordinate pairs, and a visible box
      const b = e.getBBox();
      if ((d.match(/[0-9.]+[ ,][0-9.]+/g) || []).length >= 2 && (b.width > 0 || b.height > 0))
        marks++;
    }
  out[s.id] = {svg: !!svg, marks: marks,
               width: svg ? svg.getBoundingClientRect().width : 0};
}
return out;
"""


def test_week_report_in_a_browser(stack, tmp_path):
    st = stack
    db = os.path.join(st.dir, "store.db")
    t0 = time.monotonic()
    week = replay_week(st, db)
    agents_work(st, db)
    until = iso(time.time() * 1000 + 60000)
    out = tmp_path / "report"
    r = run_report("--store", db, "--since", week["start"], "--until", until, "--out", str(out),
                   "--title", "Acme customer care — one week", "--sla", "30m")
    assert r.returncode == 0, r.stderr
    for name in ("index.html", "demand-hour.png", "demand-day.png", "first-response.png",
                 "backlog.png"):
        assert (out / name).stat().st_size > 1000, name
        if name.endswith(".png"):
            assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "index.html").read_text()
    assert "<link" not in html and "<script" not in html and "src=" not in html  # self-contained

    # the report's figures are GET /v1/care's for the same period
    status, _, body = http("GET", f"{st.base}/v1/care?since={week['start']}&until={until}")
    assert status == 200, body
    care = json.loads(body)

    d = browser()
    try:
        d.get(out.as_uri() + "/index.html")
        charts = d.execute_script(CHART_DATA_JS)
        assert set(charts) == {"demand-hour", "demand-day", "first-response", "backlog"}, charts
        for name, c in charts.items():
            assert c["svg"] and c["width"] > 300, (name, c)
            assert c["marks"] >= (5 if name != "backlog" else 3), (name, c)
        rows = d.execute_script(
            "return [...document.querySelectorAll('#platform-table tbody tr')].map("
            "r => [...r.cells].map(c => c.textContent.trim()))")
        assert [r[0] for r in rows] == list(PLATFORMS), rows
        for row in rows:
            want = care["per_platform"][row[0]]["demand"]["messages"]
            assert int(row[1]) == want, (row, want)
        agents = d.execute_script(
            "return [...document.querySelectorAll('#agent-table tbody tr:not(.empty)')].map("
            "r => [...r.cells].map(c => c.textContent.trim()))")
        assert sorted(a[0] for a in agents) == sorted(AGENTS), agents
        assert all(int(a[3]) >= 1 for a in agents), agents  # each resolved some
        errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
        height = d.execute_script("return document.documentElement.scrollHeight")
        d.set_window_size(1200, height + 40)
        shot = tmp_path / "report-week.png"
        d.save_screenshot(str(shot))
    finally:
        d.quit()
    assert shot.stat().st_size > 20000
    if BUILD_DIR:
        shutil.copy(shot, os.path.join(BUILD_DIR, "report-week.png"))
    if os.environ.get("PARLEY_REPORT_SCREENSHOT"):
        shutil.copy(shot, os.environ["PARLEY_REPORT_SCREENSHOT"])
    assert time.monotonic() - t0 < 60
