"""parleyctl, the real binary, against a real parleyd: with the test
connector for the journal commands (status, journal stats, replay into an
ndjson output) and the exit codes, and with the five platform connectors
against parley-sim for tail and the action commands (reply, dm, hide,
assign, resolve), each with and without --json. Also the man page lint
and the bash completion script."""
import json
import os
import re
import sqlite3
import subprocess

import pytest

from parley_it import (ADMIN_TOKEN, FiveStack, HoldingReceiver, Parleyd, ParleyctlProcess, free_port, http, metric_value,
                       parleyctl, read_ndjson, router_yaml, wait_until, SOURCE_DIR)

TOKEN = ADMIN_TOKEN  # what router_yaml() configures
AUTH = {"Authorization": f"Bearer {TOKEN}"}
COMPLETION = os.path.join(SOURCE_DIR, "tools", "parleyctl", "parleyctl.bash")
MAN_PAGE = os.path.join(SOURCE_DIR, "docs", "man", "parleyctl.1")


def ctl(base, *args, token=TOKEN, **kw):
    """parleyctl against base with the token in the environment."""
    env = {"PARLEY_URL": base}
    if token:
        env["PARLEY_ADMIN_TOKEN"] = token
    return parleyctl(*args, env=env, **kw)


def ok_json(r):
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


# ---- the test connector: journal, replay, exit codes ----

def tc_config(tmp, port, options):
    """parleyd with the test connector tc1 (account acme and options) into
    the ndjson output nd at <tmp>/nd.ndjson."""
    return router_yaml(tmp, port) + f"""connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, {options}}}
outputs:
  - name: nd
    type: ndjson
    options: {{path: {tmp}/nd.ndjson}}
routes:
  - outputs: nd
"""


TC_COUNT = 20


@pytest.fixture(scope="module")
def tc(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("ctl-tc"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(tc_config(tmp, port, f"count: {TC_COUNT}, batch: 5, interval: 1ms"),
                tmpdir=tmp).start(base)
    wait_until(lambda: len(read_ndjson(f"{tmp}/nd.ndjson")) >= TC_COUNT, what="the test events")
    d.base, d.nd = base, f"{tmp}/nd.ndjson"
    yield d
    assert d.stop() == 0, d.logs()


def test_status_prints_tables_and_json_is_the_status_document(tc):
    r = ctl(tc.base, "status")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^CONNECTOR\s+PLATFORM\s+STATE", r.stdout, re.M), r.stdout
    assert re.search(r"^tc1\s+test\s+running\s+ok\s+20\s+0$", r.stdout, re.M), r.stdout
    assert re.search(r"^nd\s+ndjson\s+ok\s+20\s+0\s+20\s+-$", r.stdout, re.M), r.stdout
    assert re.search(r"^JOURNAL\s+last seq 20,", r.stdout, re.M), r.stdout
    st = ok_json(ctl(tc.base, "--json", "status"))
    assert st == json.loads(http("GET", tc.base + "/v1/status", headers=AUTH)[2]) | {
        "metrics": st["metrics"]}
    assert [c["name"] for c in st["connectors"]] == ["tc1"]
    # global options after the command work as well
    assert ok_json(ctl(tc.base, "status", "--json"))["last_seq"] == TC_COUNT


def test_journal_stats_names_the_range_size_and_each_outputs_position(tc):
    j = ok_json(ctl(tc.base, "journal", "stats", "--json"))
    assert j["first_seq"] == 1 and j["last_seq"] >= TC_COUNT and j["events"] >= TC_COUNT
    assert j["bytes"] > 0 and j["pruned_seq"] == 0 and j["path"].endswith("parley.journal")
    assert [(o["name"], o["type"]) for o in j["outputs"]] == [("nd", "ndjson")]
    r = ctl(tc.base, "journal", "stats")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^seq\s+1 \.\. \d+ \(\d+ events", r.stdout, re.M), r.stdout
    assert re.search(r"^nd\s+ndjson\s+ok\s+\d+\s+\d+\s+0$", r.stdout, re.M), r.stdout


def test_replay_delivers_the_events_from_a_seq_again_to_the_ndjson_output(tc):
    before = read_ndjson(tc.nd)
    assert [e["id"] for e in before[-TC_COUNT:]] == [f"test:tc1-{i}" for i in range(TC_COUNT)]
    res = ok_json(ctl(tc.base, "--json", "replay", "nd", "--from", "16"))
    assert res == {"output": "nd", "from": 16, "cursor": 15, "events": TC_COUNT - 15}
    wait_until(lambda: len(read_ndjson(tc.nd)) >= len(before) + 5, what="the replayed events")
    after = read_ndjson(tc.nd)
    assert [e["id"] for e in after[len(before):]] == [f"test:tc1-{i}" for i in range(15, 20)]
    assert after[len(before):] == before[-5:]  # the same documents, byte for byte as JSON
    r = ctl(tc.base, "replay", "nd", "--from", "19")
    assert r.returncode == 0 and "delivering again from seq 19 (2 journal" in r.stdout, r
    wait_until(lambda: len(read_ndjson(tc.nd)) >= len(after) + 2, what="seq 19 and 20 again")
    wait_until(lambda: ok_json(ctl(tc.base, "--json", "journal", "stats"))["outputs"][0]
               ["backlog"] == 0, what="the output caught up")
    assert len(read_ndjson(tc.nd)) == len(after) + 2


def test_replay_through_a_failing_webhook_output_resumes_from_the_seq(tmp_path):
    """A replay while the output's deliveries fail: the failed batch is let
    go, and once the receiver answers again it gets every event from the
    seq on. The token is found in the state directory (the journal's
    directory), where parleyd writes the one it generates."""
    from test_outputs_webhook import Receiver, config as webhook_config
    tmp, port = str(tmp_path), free_port()
    base = f"http://127.0.0.1:{port}"
    rec = Receiver().start()
    # no admin_token in this config: parleyd generates one into its state dir
    d = Parleyd(webhook_config(tmp, port, rec.url, count=10), tmpdir=tmp).start(base)
    try:
        args = ("--url", base, "--state-dir", tmp, "--json")
        wait_until(lambda: rec.count() >= 10, what="the first delivery")
        rec.mode = "fail"
        res = ok_json(parleyctl(*args, "replay", "hook", "--from", "4"))
        assert res["cursor"] == 3 and res["events"] == 7, res
        wait_until(lambda: ok_json(parleyctl(*args, "status"))["outputs"][0]["state"]
                   == "failing", what="the output failing")
        rec.mode = "ok"
        wait_until(lambda: rec.count() >= 17, what="the replayed events")
        assert rec.ids[10:] == [f"test:tc1-{i}" for i in range(3, 10)]
        out = ok_json(parleyctl(*args, "journal", "stats"))["outputs"][0]
        assert out["cursor"] == out["saved_cursor"] == 10 and out["state"] == "ok", out
    finally:
        assert d.stop() == 0, d.logs()
        rec.stop()


def test_replay_while_a_batch_is_in_flight_waits_for_it_then_starts_over(tmp_path):
    """The output's batch is held by the receiver when the replay comes: the
    batch is let finish, its outcome ignored, and everything from the seq
    is delivered again after it."""
    from test_outputs_webhook import config as webhook_config
    tmp, port = str(tmp_path), free_port()
    base = f"http://127.0.0.1:{port}"
    rec = HoldingReceiver()
    # no admin_token in this config: parleyd generates one into its state dir
    d = Parleyd(webhook_config(tmp, port, rec.url, count=10), tmpdir=tmp).start(base)
    try:
        args = ("--url", base, "--state-dir", tmp, "--json")
        wait_until(lambda: rec.waiting == 1, what="the first POST held")
        assert ok_json(parleyctl(*args, "journal", "stats"))["outputs"][0]["cursor"] == 0
        res = ok_json(parleyctl(*args, "replay", "hook", "--from", "1"))
        assert res == {"output": "hook", "from": 1, "cursor": 0, "events": 10}, res
        rec.release()
        every = [f"test:tc1-{i}" for i in range(10)]
        wait_until(lambda: rec.ids[-10:] == every and len(rec.ids) > 10, what="the replay")
        first = rec.ids[:-10]  # the batch that was in flight, delivered once before
        assert first == every[:len(first)], rec.ids
        wait_until(lambda: ok_json(parleyctl(*args, "journal", "stats"))["outputs"][0]
                   ["saved_cursor"] == 10, what="the cursor at the end")
        assert len(rec.ids) == len(first) + 10
    finally:
        assert d.stop() == 0, d.logs()
        rec.stop()


def test_replay_refusals_name_the_http_status_and_the_servers_error(tc):
    r = ctl(tc.base, "replay", "nd", "--from", "999")
    assert r.returncode == 1 and "HTTP 400" in r.stderr and "after the last event" in r.stderr, r
    r = ctl(tc.base, "replay", "nowhere", "--from", "1")
    assert r.returncode == 1 and "HTTP 404" in r.stderr and "no output" in r.stderr, r
    for args in (["replay", "nd"], ["replay", "nd", "--from", "x1"], ["replay", "--from", "1"]):
        r = ctl(tc.base, *args)
        assert r.returncode == 2 and "usage: parleyctl replay OUTPUT --from SEQ" in r.stderr or \
            "--from" in r.stderr, (args, r)
        assert r.returncode == 2


def test_a_wrong_or_missing_token_is_exit_1_naming_401_and_never_the_token(tc, tmp_path):
    wrong = "wrong-token-value-771"
    r = ctl(tc.base, "status", token=wrong)
    assert r.returncode == 1 and "HTTP 401" in r.stderr, r
    assert wrong not in r.stderr + r.stdout and TOKEN not in r.stderr + r.stdout
    assert "PARLEY_ADMIN_TOKEN" in r.stderr  # where the refused token came from
    r = ctl(tc.base, "status", token=None)
    assert r.returncode == 1 and "HTTP 401" in r.stderr, r
    # --token-file and the state directory's admin_token
    f = tmp_path / "tok"
    f.write_text(TOKEN + "\n")
    assert ctl(tc.base, "--token-file", str(f), "status", token=None).returncode == 0
    (tmp_path / "admin_token").write_text(TOKEN)
    r = ctl(tc.base, "--state-dir", str(tmp_path), "--json", "status", token=None)
    assert r.returncode == 0, r.stderr
    r = ctl(tc.base, "--token-file", str(tmp_path / "missing"), "status")
    assert r.returncode == 2 and "missing" in r.stderr, r


def test_an_unreachable_url_is_exit_3_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    for args in (["status"], ["journal", "stats"], ["tail"], ["resolve", "test:x"]):
        r = parleyctl("--url", url, *args, env={"PARLEY_ADMIN_TOKEN": TOKEN})
        assert r.returncode == 3 and f"cannot connect to parleyd at {url}" in r.stderr, (args, r)
    r = parleyctl("status", env={"PARLEY_URL": url})
    assert r.returncode == 3 and url in r.stderr


@pytest.mark.parametrize("args,message", [
    ([], "no command given"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["status", "--colour"], "unknown option --colour"),
    (["status", "extra"], "too many arguments"),
    (["reply", "twitter:1"], "missing arguments"),
    (["reply", "nocolon", "hi", "--connector", "x"], "is not an event id"),
    (["dm", "hi", "--connector", "x"], "--conversation or --recipient"),
    (["journal", "size"], "unknown subcommand 'size'"),
    (["--url", "ftp://x", "status"], "bad URL"),
    (["status", "--url"], "--url needs a value"),
    (["hide", "twitter:1", "--private"], "unknown option --private"),
])
def test_usage_errors_are_exit_2_with_a_message(args, message):
    r = parleyctl(*args, env={"PARLEY_URL": f"http://127.0.0.1:{free_port()}"})
    assert r.returncode == 2 and message in r.stderr, r
    assert r.stdout == ""


def test_help_and_version():
    r = parleyctl("--help")
    assert r.returncode == 0 and "replay OUTPUT --from SEQ" in r.stdout
    r = parleyctl("--version")
    assert r.returncode == 0 and re.match(r"parleyctl \d+\.\d+\.\d+$", r.stdout.strip())


# ---- the five connectors against parley-sim: tail and actions ----

SECTIONS = """outputs:
  - {{name: store, type: sqlite, options: {{path: {dir}/store.db}}}}
  - {{name: nd, type: ndjson, options: {{path: {dir}/nd.ndjson}}}}
routes:
  - {{outputs: [store, nd]}}
"""


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    st = FiveStack(tmp_path_factory.mktemp("ctl-five"), SECTIONS).start()
    st.nd = os.path.join(st.dir, "nd.ndjson")
    yield st
    st.stop()


def event_streams(base):
    return metric_value(http("GET", base + "/metrics", headers=AUTH)[2].decode(),
                        "parley_event_streams", 'channel="events"')


def sent(st, platform):
    return json.loads(http("GET", f"{st.sim.url}/_sim/sent?platform={platform}")[2])["sent"]


def nd_event(st, pred, what):
    return wait_until(lambda: next((e for e in read_ndjson(st.nd) if pred(e)), None), 60,
                      0.1, what)


def test_tail_prints_an_event_created_in_the_simulator(five):
    streams = event_streams(five.base)
    env = {"PARLEY_URL": five.base, "PARLEY_ADMIN_TOKEN": TOKEN}
    js = ParleyctlProcess("--json", "tail", "--match", "platform=twitter,kind=mention", env=env)
    human = ParleyctlProcess("tail", env=env)
    try:
        wait_until(lambda: event_streams(five.base) >= streams + 2, what="both tails connected")
        five.post_item({"platform": "facebook", "type": "comment", "author": "jana.krueger",
                        "parent_ref": "fb-post-1", "text": "ctl-tail-fb Keine Antwort?"})
        five.post_item({"platform": "twitter", "type": "tweet", "author": "pieterdevries",
                        "text": "@acme ctl-tail-1 waar blijft mijn pakket?"})
        line = js.wait_line(lambda l: "ctl-tail" in l, 60, "the tweet on the JSON tail")
        ev = json.loads(line)  # the first one is the tweet: the facebook comment is filtered out
        assert ev["schema"] == "parley.event.v1" and ev["platform"] == "twitter"
        assert ev["kind"] == "mention" and "ctl-tail-1" in ev["text"]
        line = human.wait_line(lambda l: "ctl-tail-1" in l, 60, "the tweet on the human tail")
        assert re.match(r"^\d+  \S+Z  twitter mention  @pieterdevries: @acme ctl-tail-1 ", line)
        assert line.endswith(f"({ev['id']})"), line
        human.wait_line(lambda l: "ctl-tail-fb" in l and " facebook " in l, 60, "the comment")
    finally:
        assert js.stop()[0] == 0
        assert human.stop()[0] == 0


def test_tail_after_replays_from_the_journal_then_follows(tc):
    env = {"PARLEY_URL": tc.base, "PARLEY_ADMIN_TOKEN": TOKEN}
    tail = ParleyctlProcess("tail", "--after", str(TC_COUNT - 3), env=env)
    try:
        tail.wait_line(lambda l: len(tail.seen) >= 3, 30, "three replayed events")
        assert [int(l.split()[0]) for l in tail.seen] == [TC_COUNT - 2, TC_COUNT - 1, TC_COUNT]
    finally:
        assert tail.stop()[0] == 0
    r = ctl(tc.base, "tail", "--after", "x")
    assert r.returncode == 2 and "--after 'x' is not a journal seq" in r.stderr, r


def webhook_tc_config(tmp, port):
    return tc_config(tmp, port, "count: 0, token: s3cret-token")


def hook_event(n):
    return json.dumps({"schema": "parley.event.v1", "id": f"test:rc-{n}", "platform": "test",
                       "connector": "tc1", "account": "acme", "kind": "mention",
                       "visibility": "public", "text": f"reconnect {n}",
                       "created_at": "2026-12-04T05:00:00.000Z",
                       "received_at": "2026-12-04T05:00:00.000Z"})


def test_tail_reconnects_when_parleyd_restarts_and_misses_nothing(tmp_path):
    tmp, port = str(tmp_path), free_port()
    base = f"http://127.0.0.1:{port}"
    post = lambda n: http("POST", f"{base}/hooks/tc1", hook_event(n), {"X-Test-Token": "s3cret-token"})
    d = Parleyd(webhook_tc_config(tmp, port), tmpdir=tmp).start(base)
    env = {"PARLEY_URL": base, "PARLEY_ADMIN_TOKEN": TOKEN}
    js = ParleyctlProcess("--json", "tail", env=env)
    try:
        wait_until(lambda: event_streams(base) == 1, what="the tail connected")
        assert post(1)[0] == 200
        js.wait_line(lambda l: "test:rc-1" in l, 30, "the first event")
        d.stop()
        d = Parleyd(webhook_tc_config(tmp, port), tmpdir=tmp).start(base)
        # committed while the tail waits to reconnect: replayed from the journal
        assert post(2)[0] == 200 and post(3)[0] == 200
        js.wait_line(lambda l: "test:rc-3" in l, 60, "the events after the restart")
        assert post(4)[0] == 200
        js.wait_line(lambda l: "test:rc-4" in l, 30, "a live event")
        ids = [json.loads(l)["id"] for l in js.seen]
        assert ids == [f"test:rc-{n}" for n in (1, 2, 3, 4)]
    finally:
        status, err = js.stop()
        d.stop()
    assert status == 0 and "tail: reconnecting in " in err, err


def test_tail_no_reconnect_ends_with_the_stream(tmp_path):
    tmp, port = str(tmp_path), free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(webhook_tc_config(tmp, port), tmpdir=tmp).start(base)
    tail = ParleyctlProcess("tail", "--no-reconnect",
                            env={"PARLEY_URL": base, "PARLEY_ADMIN_TOKEN": TOKEN})
    try:
        wait_until(lambda: event_streams(base) == 1, what="the tail connected")
    finally:
        d.stop()
    assert tail.proc.wait(15) == 1
    assert "the server closed the event stream" in tail.stop()[1]


def test_a_bad_match_expression_is_exit_1_naming_it(five):
    r = ctl(five.base, "tail", "--match", "colour=red")
    assert r.returncode == 1 and "HTTP 400" in r.stderr and "colour" in r.stderr, r


def test_reply_finds_the_connector_and_is_performed_once_per_key(five):
    five.post_item({"platform": "twitter", "type": "tweet", "author": "jana_k",
                    "text": "@acme ctl-reply-1 Wo ist meine Bestellung?"})
    ev = nd_event(five, lambda e: "ctl-reply-1" in e.get("text", ""), "the tweet")
    args = ("reply", ev["id"], "Sorry Jana, we are on it!", "--conversation",
            ev["conversation_id"], "--agent", "alice", "--key", "ctl-reply-key-1")
    r = ctl(five.base, *args)
    assert r.returncode == 0 and r.stdout.startswith("done: platform id "), r
    assert "(key ctl-reply-key-1)" in r.stdout
    res = ok_json(ctl(five.base, "--json", *args))  # the same key: the first result again
    assert res["status"] == "done" and res["idempotency_key"] == "ctl-reply-key-1"
    replies = [s for s in sent(five, "twitter")
               if s["action"] == "reply" and s.get("text") == "Sorry Jana, we are on it!"]
    assert len(replies) == 1, replies
    # a generated key: printed, and a second run is a second reply
    r = ctl(five.base, "reply", ev["id"], "One more thing.", "--connector", "acme-twitter")
    assert r.returncode == 0 and re.search(r"\(key ctl-[0-9a-f]{32}\)$", r.stdout.strip()), r


def test_dm_hide_and_a_platform_failure(five):
    five.post_item({"platform": "facebook", "type": "message", "author": "pieter.devries",
                    "recipient": "acme", "text": "ctl-dm-1 mijn code werkt niet"})
    ev = nd_event(five, lambda e: "ctl-dm-1" in e.get("text", ""), "the facebook message")
    res = ok_json(ctl(five.base, "--json", "dm", "We sturen je een nieuwe code.",
                      "--conversation", ev["conversation_id"], "--connector", "acme-facebook"))
    assert res["status"] == "done", res
    assert [s["action"] for s in sent(five, "facebook")].count("dm") == 1
    comment = nd_event(five, lambda e: e.get("text", "").startswith("Gilt der Rabatt"),
                       "the demo comment")
    r = ctl(five.base, "hide", comment["id"])  # the connector from the platform: facebook
    assert r.returncode == 0 and r.stdout.startswith("done"), r
    assert [s["action"] for s in sent(five, "facebook")].count("hide") == 1
    # a target the platform does not know: exit 1 with the platform's error
    r = ctl(five.base, "hide", "facebook:104000000000001_999999999")
    assert r.returncode == 1 and "action failed: PARLEY_E" in r.stderr, r


def test_assign_and_resolve_change_the_conversation_in_the_store(five):
    five.post_item({"platform": "twitter", "type": "tweet", "author": "emily_writes",
                    "text": "@acme ctl-store-1 refund please"})
    ev = nd_event(five, lambda e: "ctl-store-1" in e.get("text", ""), "the tweet")
    conv = ev["conversation_id"]
    db = os.path.join(five.dir, "store.db")

    def row():
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            return c.execute("SELECT status, assigned_to FROM conversations WHERE id = ?",
                             (conv,)).fetchone()
    wait_until(row, 30, what="the conversation in the store")
    r = ctl(five.base, "assign", conv, "bob", "--agent", "lead")
    assert r.returncode == 0 and r.stdout.startswith("done"), r
    assert row()[1] == "bob"
    res = ok_json(ctl(five.base, "resolve", conv, "--agent", "bob", "--json"))
    assert res["status"] == "done", res
    assert row()[0] == "resolved"
    r = ctl(five.base, "resolve", "twitter:no-such-conversation")
    assert r.returncode == 1 and ("HTTP 404" in r.stderr or "action failed" in r.stderr), r


def test_status_lists_the_five_connectors(five):
    st = ok_json(ctl(five.base, "status", "--json"))
    assert sorted(c["platform"] for c in st["connectors"]) == sorted(
        ["twitter", "facebook", "instagram", "linkedin", "tiktok"])
    r = ctl(five.base, "status")
    for name in ("acme-twitter", "acme-facebook", "acme-instagram", "acme-linkedin",
                 "acme-tiktok", "store", "nd"):
        assert re.search(rf"^{name}\s", r.stdout, re.M), r.stdout


# ---- the man page and the completion script ----

def test_man_page_lints_clean():
    r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", MAN_PAGE], capture_output=True,
                       text=True)
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
    r = subprocess.run(["groff", "-wall", "-mdoc", "-Tutf8", MAN_PAGE], capture_output=True,
                       text=True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    text = re.sub(".\b", "", r.stdout)
    for s in ("COMMANDS", "EXIT STATUS", "PARLEY_ADMIN_TOKEN", "replay", "journal stats"):
        assert s in text


def complete(*words):
    """What the completion offers for the last of words (the one being typed)."""
    script = (f"source {COMPLETION}; COMP_WORDS=(parleyctl {' '.join(repr(w) for w in words)});"
              f" COMP_CWORD={len(words)}; _parleyctl; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return sorted(x for x in r.stdout.split("\n") if x)


def test_completion_script_parses_and_completes():
    r = subprocess.run(["bash", "-n", COMPLETION], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["bash", "-c", f"source {COMPLETION}; complete -p parleyctl"],
                       capture_output=True, text=True)
    assert "-F _parleyctl parleyctl" in r.stdout, r.stderr
    assert complete("re") == ["replay", "reply", "resolve"]
    assert complete("") == sorted("status tail reply dm hide resolve assign replay journal "
                                  "help".split())
    assert complete("--j") == ["--json"]
    assert complete("journal", "") == ["stats"]
    assert complete("replay", "x", "--f") == ["--from"]
    assert complete("--url", "http://h:1", "reply", "--pr") == ["--private"]
    assert "--undo" in complete("hide", "--")
