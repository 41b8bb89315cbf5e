"""The conformance kit on a platform connector against a real parley-sim.

Entry point, one call per test file (tests/integration/test_conformance_<p>.py,
one file per platform so ctest runs the platforms in parallel):

    from conformance_sim import assert_conformant, run_conformance

    def test_twitter_so_passes_every_row_against_parley_sim(tmp_path):
        report = run_conformance(
            "twitter",                          # plugin: $PARLEY_PLUGIN_DIR/twitter.so
            config="twitter.yaml",              # in sdk/conformance/testdata/
            scenario="twitter.scenario.json",   # in sdk/conformance/testdata/
            probe_type="tweet", probe={"text": "@acme"},
            sim_args=["--rate-window-s", "3"],
            tmp=str(tmp_path))
        assert_conformant(report)

run_conformance() starts parley-sim on 127.0.0.1 (port 0: any free port)
with the scenario, runs parley-conformance on the connector with --config,
--schema docs/event.schema.json and --sim-url (so every fault row runs),
with PARLEY_SIM_URL set to the simulator's address for ${PARLEY_SIM_URL} in
the config, stops the simulator and returns the parsed Report.
assert_conformant() fails naming every failed row with its detail, and also
when a row is missing or skipped (a fault never served is not a pass; only
options.empty_refused may skip, for a connector without required options).

A row that fails because of a known connector bug is passed in `known_bugs`
({check: diagnosis}): the test then ends as XFAIL naming the rows and the
diagnosis (visible in pytest's summary, never a silent skip), and fails as
soon as such a row passes, so the entry is removed with the fix.

Binaries come from the environment ctest sets (tests/integration/CMakeLists.txt):
PARLEY_SIM, PARLEY_PLUGIN_DIR, PARLEY_BUILD_DIR (the kit is
sdk/conformance/parley-conformance there; PARLEY_CONFORMANCE overrides).
The kit's full table is written to <tmp>/kit.out, shown on failure and with
`pytest -s` (that is where the docs' tables come from);
it never contains a secret (the kit's own rule), the simulator's log is in
<tmp>/sim.log.
"""
import json
import os
import re
import subprocess
import time

import pytest

from parley_it import PLUGIN_DIR, SCHEMA, SOURCE_DIR, SimProcess, configured_secrets, secrets_in

TESTDATA = os.path.join(SOURCE_DIR, "sdk", "conformance", "testdata")

# Every row a complete run decides; a missing one means the kit stopped early.
ROWS = ("load", "descriptor.names", "descriptor.capabilities", "descriptor.options",
        "options.bind", "options.empty_refused", "options.unknown_refused", "options.secrets",
        "lifecycle.cycles", "lifecycle.stop_deadline", "events.emitted", "events.valid",
        "events.schema", "ids.unique", "ids.stable", "checkpoint.resume")
FAULTS = ("status429", "status5xx", "slow", "timeout", "truncated", "invalid_utf8",
          "duplicate", "out_of_order", "oversized", "expire_token")

ROW_RE = re.compile(r"^(\S+)\s+(PASS|FAIL|SKIP)\s+(.*)$")


def kit_path():
    if os.environ.get("PARLEY_CONFORMANCE"):
        return os.environ["PARLEY_CONFORMANCE"]
    build = os.environ.get("PARLEY_BUILD_DIR")
    return os.path.join(build, "sdk", "conformance", "parley-conformance") if build \
        else "parley-conformance"


def testdata(name):
    """A file of sdk/conformance/testdata/ (absolute paths pass through)."""
    return name if os.path.isabs(name) else os.path.join(TESTDATA, name)


class Report:
    """A parsed kit run: rows as (check, result, detail) in the order decided."""

    def __init__(self, text, returncode, seconds, command):
        self.text = text
        self.returncode = returncode
        self.seconds = seconds
        self.command = command
        self.rows = [m.groups() for m in map(ROW_RE.match, text.splitlines()) if m]
        self.summary = next((l for l in text.splitlines()
                             if re.match(r"^\d+ passed, \d+ failed, \d+ skipped", l)), None)

    def row(self, check):
        """(result, detail) of the row, or None when the kit did not decide it."""
        return next(((r, d) for c, r, d in self.rows if c == check), None)

    def failed(self):
        return [(c, d) for c, r, d in self.rows if r == "FAIL"]

    def detail(self, check):
        got = self.row(check)
        return got[1] if got else None


def _kit_command(plugin, config, probe_type, probe, kit_args, sim_url):
    cmd = [kit_path(), os.path.join(PLUGIN_DIR, plugin + ".so"), "--config", testdata(config),
           "--schema", SCHEMA, "--sim-url", sim_url]
    if probe_type:
        cmd += ["--probe-type", probe_type]
    if probe:
        cmd += ["--probe", json.dumps(probe)]
    return cmd + list(kit_args)


def run_conformance(plugin, *, config, scenario, tmp, probe_type=None, probe=None,
                    sim_args=(), kit_args=(), timeout=330):
    """Run the kit on PARLEY_PLUGIN_DIR/<plugin>.so against a fresh parley-sim
    started with `scenario` and `sim_args`; returns the Report (also when the
    kit failed or timed out: then its rows so far)."""
    for path, what in ((kit_path(), "parley-conformance"),
                       (os.path.join(PLUGIN_DIR, plugin + ".so"), plugin + ".so")):
        assert os.path.sep not in path or os.path.exists(path), \
            f"{what} not built: {path} is missing"
    sim = SimProcess(testdata(scenario), sim_args, tmp)
    out_path = os.path.join(tmp, "kit.out")
    cmd = _kit_command(plugin, config, probe_type, probe, kit_args, sim.url)
    env = dict(os.environ, PARLEY_SIM_URL=sim.url, TMPDIR=tmp)
    started = time.monotonic()
    try:
        with open(out_path, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
            try:
                rc = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                rc = None
    finally:
        sim_rc = sim.stop()
    with open(out_path, "rb") as f:
        text = f.read().decode(errors="replace")
    report = Report(text, rc, time.monotonic() - started, cmd)
    assert sim_rc == 0, f"parley-sim exited with {sim_rc} (see {tmp}/sim.log)"
    # the connector's log lines are in the kit's output: no secret of its config may be
    with open(testdata(config), encoding="utf-8") as f:
        hits = secrets_in(text, configured_secrets(f.read(), env))
    assert not hits, "secrets reached the conformance kit's output: " + ", ".join(
        f"the value of {key} (line {line})" for key, line in hits)
    return report


def _problems(report, known_bugs):
    """(problems, known failures seen, known bugs that passed)."""
    problems, known, fixed = [], [], []
    if report.returncode is None:
        problems.append(f"the kit did not finish within its time limit "
                        f"({report.seconds:.0f} s); rows so far are below")
    expected = ROWS + tuple("fault." + k for k in FAULTS)
    for check in expected:
        got = report.row(check)
        if got is None:
            problems.append(f"{check}: no row (the kit stopped before deciding it)")
        elif got[0] == "FAIL" and check in known_bugs:
            known.append(f"{check}: {got[1]} -- {known_bugs[check]}")
        elif got[0] == "FAIL":
            problems.append(f"{check}: {got[1]}")
        elif check in known_bugs:
            fixed.append(check)
        elif got[0] == "SKIP" and check not in ("options.empty_refused",):
            problems.append(f"{check}: skipped: {got[1]}")
    # rows beyond the expected ones ("fault.*", "fault.stop") only come as failures
    problems += [f"{c}: {d}" for c, d in report.failed() if c not in expected]
    if report.summary is None and report.returncode is not None:
        problems.append(f"no summary line: the kit exited with {report.returncode}")
    return problems, known, fixed


def assert_conformant(report, known_bugs=None):
    """Fail naming each failed, missing or skipped row; XFAIL when the only
    failures are the rows in known_bugs ({check: diagnosis})."""
    known_bugs = known_bugs or {}
    # the table, for `pytest -s` (the docs' figures come from it)
    print(f"{' '.join(report.command)}\n{report.text}\n({report.seconds:.0f} s)")
    problems, known, fixed = _problems(report, known_bugs)
    where = f"\n\ncommand: {' '.join(report.command)}\n\n{report.text}"
    if fixed:
        problems.append("listed as known bugs but passed now (remove them from known_bugs): "
                        + ", ".join(fixed))
    assert not problems, "not conformant:\n  " + "\n  ".join(problems) + where
    if known:
        pytest.xfail("known connector bugs:\n  " + "\n  ".join(known))


def assert_meta_conformant(plugin, probe, tmp):
    """facebook.so / instagram.so against meta.scenario.json: every row passes.

    The kit runs no webhook server, so events come from the back-fill (every
    second, <plugin>.yaml); `probe` places the probe comments (parent_ref,
    author_id, account_id of the scenario). The status429 fault's answer
    announces estimated_time_to_regain_access = 1 (Meta counts in minutes),
    the connector sits that minute out, and the kit must have extended that
    phase by the 60 s the simulator reported (announced_wait_s). The timeout
    hold is shortened so the timeout fault is answered within its phase."""
    report = run_conformance(plugin, config=plugin + ".yaml", scenario="meta.scenario.json",
                             probe_type="comment", probe=probe,
                             sim_args=["--timeout-hold-ms", "2000"], tmp=tmp)
    assert_conformant(report)
    assert "+ the 60 s wait the platform announced" in report.detail("fault.status429")
    return report
