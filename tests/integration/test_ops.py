"""Operating parleyd: the installed systemd unit verifies, the sd_notify
protocol (READY, RELOADING, STOPPING, WATCHDOG) is spoken on NOTIFY_SOCKET,
log_format: json writes one complete JSON object per line, and the man pages
lint clean with mandoc and groff."""
import json
import os
import re
import shutil
import signal
import subprocess

import pytest

from parley_it import (PARLEYD, SOURCE_DIR, TEST_PLUGIN_DIR, NotifySocket, Parleyd, free_port,
                       read_ndjson, wait_until)

BUILD_DIR = os.environ.get("PARLEY_BUILD_DIR", "")
MAN_PAGES = [os.path.join(SOURCE_DIR, "docs", "man", p) for p in ("parleyd.8", "parley.yaml.5")]


def config(tmp, port, log_format="text", count=5, token="s3cret-token", careless="false"):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {TEST_PLUGIN_DIR}
  journal: {tmp}/parley.journal
  log_level: debug
  log_format: {log_format}
connectors:
  - name: tc1
    plugin: testconn
    options:
      account: acme
      count: {count}
      interval: 1ms
      token: {token}
      careless: {careless}
outputs:
  - name: all
    type: ndjson
    options:
      path: {tmp}/all.ndjson
routes:
  - outputs: all
"""


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


@pytest.fixture
def notify():
    n = NotifySocket()
    yield n
    n.close()


def test_the_installed_unit_passes_systemd_analyze_verify(tmp):
    unit = os.path.join(BUILD_DIR, "dist", "parleyd.service")
    assert os.path.exists(unit), "the configured unit is missing: " + unit
    text = open(unit).read()
    for want in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=",
                 "DynamicUser=yes", "StateDirectory=parley", "ConfigurationDirectory=parley",
                 "ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
                 "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                 "SystemCallFilter=@system-service", "/etc/parley/parley.yaml"):
        assert want in text, want
    # verify wants ExecStart's binary to exist: a copy points at the built one,
    # and the man pages of Documentation= are found through MANPATH
    copy = os.path.join(tmp, "parleyd.service")
    installed = [l.split("=", 1)[1].split()[0] for l in text.splitlines()
                 if l.startswith("ExecStart=")][0]
    with open(copy, "w") as f:
        f.write(text.replace(installed, os.path.abspath(PARLEYD)))
    man = os.path.join(tmp, "man")
    for page in MAN_PAGES:
        section = os.path.join(man, "man" + page.rsplit(".", 1)[1])
        os.makedirs(section, exist_ok=True)
        shutil.copy(page, section)
    r = subprocess.run(["systemd-analyze", "verify", copy], capture_output=True, text=True,
                       env=dict(os.environ, MANPATH=man))
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr + r.stdout


def test_sd_notify_ready_reloading_stopping(tmp, notify):
    port = free_port()
    d = Parleyd(config(tmp, port), tmpdir=tmp, env=notify.env()).start()
    try:
        got = notify.wait_for("READY=1")
        assert "running" in got[-1].get("STATUS", ""), got
        # READY comes once the admin listener is up
        from parley_it import http
        assert http("GET", f"http://127.0.0.1:{port}/healthz")[0] == 200
        d.proc.send_signal(signal.SIGHUP)
        got = notify.wait_for("RELOADING=1")
        assert int(got[-1]["MONOTONIC_USEC"]) > 0
        assert "READY" not in got[-1]
        got = notify.wait_for("READY=1")
        assert "reloaded" in got[-1].get("STATUS", ""), got
        # a refused reload still ends in READY=1: the old config goes on
        with open(d.config, "a") as f:
            f.write("  - bogus: [\n")
        d.proc.send_signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1")
        got = notify.wait_for("READY=1")
        assert "refused" in got[-1].get("STATUS", ""), got
        d.proc.send_signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1")
        assert d.stop() == 0
    finally:
        d.stop()
    states = [k for m in notify.seen for k in m if k in ("READY", "RELOADING", "STOPPING")]
    assert states == ["READY", "RELOADING", "READY", "RELOADING", "READY", "STOPPING"], states
    assert not any("WATCHDOG" in m for m in notify.seen), "no watchdog was asked for"


def test_watchdog_usec_gives_watchdog_pings(tmp, notify):
    port = free_port()
    d = Parleyd(config(tmp, port), tmpdir=tmp, env=notify.env(WATCHDOG_USEC="400000")).start()
    try:
        notify.wait_for("READY=1")
        for _ in range(3):  # a timer, not a single ping at start
            notify.wait_for("WATCHDOG=1", timeout=10)
    finally:
        assert d.stop() == 0
    assert "watchdog on: a ping every 200 ms" in d.logs()


def test_without_notify_socket_nothing_is_sent(tmp):
    port = free_port()
    d = Parleyd(config(tmp, port), tmpdir=tmp, env={"WATCHDOG_USEC": "100000"})
    d.env.pop("NOTIFY_SOCKET", None)
    d.start(f"http://127.0.0.1:{port}")
    assert d.stop() == 0
    assert "watchdog" not in d.logs() and "sd_notify" not in d.logs()


def test_json_log_lines_parse_with_instance_and_fields(tmp):
    port = free_port()
    # careless: the test connector logs its own token, which the core masks
    d = Parleyd(config(tmp, port, log_format="json", careless="true"),
                tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    wait_until(lambda: len(read_ndjson(os.path.join(tmp, "all.ndjson"))) >= 5, what="5 events")
    assert d.stop() == 0
    lines = [l for l in d.logs().splitlines() if l.strip()]
    assert len(lines) >= 5
    records = []
    for line in lines:
        rec = json.loads(line)  # every line, not only some
        assert set(rec) == {"time", "level", "component", "instance", "message", "fields"}, rec
        assert rec["level"] in ("error", "warn", "info", "debug", "trace")
        assert rec["time"].endswith("Z") and isinstance(rec["fields"], dict)
        records.append(rec)
    conn = [r for r in records if r["component"] == "connector"]
    assert conn and all(r["instance"] == "tc1" for r in conn), conn
    started = [r for r in conn if r["message"].startswith("started")]
    assert started and started[0]["fields"]["plugin"] == "testconn", started
    assert any(r["component"] == "router" and r["instance"] is None for r in records)
    assert any(r["message"] == "careless: my token is ***" for r in conn), conn
    assert "s3cret-token" not in d.logs()


def test_text_log_lines_keep_their_format(tmp):
    port = free_port()
    d = Parleyd(config(tmp, port), tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    assert d.stop() == 0
    logs = d.logs()
    assert re.search(r"^\S+Z info  \[tc1\] started \(testconn \S*\)$", logs, re.M), logs
    assert re.search(r"^\S+Z info  \[router\] running: 1 connectors", logs, re.M), logs


@pytest.mark.parametrize("page", MAN_PAGES, ids=os.path.basename)
def test_man_page_lints_clean(page):
    r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", page], capture_output=True,
                       text=True)
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
    r = subprocess.run(["groff", "-wall", "-mdoc", "-Tutf8", page], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    text = re.sub(".\b", "", r.stdout)  # groff's overstrike bold
    sections = (["SIGNALS", "ENVIRONMENT", "FILES", "EXIT STATUS", "--check-config"]
                if page.endswith(".8") else ["router", "connectors", "outputs", "routes", "enrich"])
    for s in sections:
        assert s in text, f"{os.path.basename(page)} has no {s}"


def test_config_man_page_names_every_key_of_the_reference():
    """parley.yaml.5 is kept in sync by hand with docs/config-reference.md:
    every key of the reference's tables is on the page."""
    ref = open(os.path.join(SOURCE_DIR, "docs", "config-reference.md")).read()
    page = open(MAN_PAGES[1]).read()
    keys = set(re.findall(r"^\| `([a-z_]+)` \|", ref, re.M))
    assert {"listen", "log_format", "max_backlog", "plugin", "min_priority"} <= keys
    missing = sorted(k for k in keys if not re.search(rf"^\.It (Ic|Li) {k}\b", page, re.M))
    assert not missing, f"keys of config-reference.md missing from parley.yaml.5: {missing}"
