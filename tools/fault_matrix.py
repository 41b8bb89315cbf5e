#!/usr/bin/env python3
"""Render parley's fault matrix from the rows the integration tests record.

The conformance tests (tests/integration/test_conformance_<p>.py, through
conformance_sim.py) and tests/integration/test_fault_matrix_webhooks.py
write one JSON file per connector and source into
$PARLEY_BUILD_DIR/fault-matrix/ (<plugin>-<source>.json, written by
parley_it.FaultRows). This tool turns them into a Markdown grid: a row per
fault, a column per connector x source, cells PASS, FAIL or "—" (the fault
does not apply to that source, or the test says why it cannot happen
there). A fault that applies but has no row is "missing".

    fault_matrix.py --dir build/fault-matrix [--out FILE] [--check DOC] [--write DOC]

--out writes the grid, --write replaces the grid in DOC (between the
markers), --check compares DOC's grid with the rendered one. The exit
status is 1 when a cell is FAIL or missing, or the grids differ."""
import argparse
import json
import os
import sys

BEGIN, END = "<!-- fault-matrix:begin -->", "<!-- fault-matrix:end -->"
REGENERATE = ("ctest --test-dir build -R integration.fault_matrix; "
              "python3 tools/fault_matrix.py --dir build/fault-matrix "
              "--write docs/fault-matrix.md")

# (source, what it is): the columns of each connector
SOURCES = {"api": "API poll / back-fill (conformance kit)",
           "webhook": "webhook endpoint", "stream": "X filtered stream"}
COLUMNS = [("twitter", "api"), ("twitter", "webhook"), ("twitter", "stream"),
           ("facebook", "api"), ("facebook", "webhook"),
           ("instagram", "api"), ("instagram", "webhook"),
           ("linkedin", "api"), ("linkedin", "webhook"),
           ("tiktok", "api"), ("tiktok", "webhook")]

# (check, label, sources it applies to)
FAULTS = [
    ("fault.status429", "429 with the platform's headers", ("api", "stream")),
    ("fault.status5xx", "5xx", ("api", "stream")),
    ("fault.slow", "slow answer", ("api", "stream")),
    ("fault.timeout", "timeout (held, then 504)", ("api", "stream")),
    ("fault.truncated", "truncated JSON", ("api", "stream")),
    ("fault.invalid_utf8", "invalid UTF-8", ("api", "stream")),
    ("fault.duplicate", "duplicate items", ("api", "stream")),
    ("fault.out_of_order", "out-of-order page / lines", ("api", "stream")),
    ("fault.oversized", "oversized body (21 MiB)", ("api",)),
    ("fault.expire_token", "expired / revoked token", ("api", "stream")),
    ("webhook.duplicate", "webhook delivered twice", ("webhook",)),
    ("webhook.challenge_wrong_token", "subscription check, wrong token", ("webhook",)),
    ("webhook.handshake", "the platform's subscription check", ("webhook",)),
    ("webhook.forged_signature", "forged signature", ("webhook",)),
]


def load(directory):
    """{(plugin, source): {check: (result, detail)}} of the files present."""
    got = {}
    for plugin, source in COLUMNS:
        path = os.path.join(directory, f"{plugin}-{source}.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            got[(plugin, source)] = {r["check"]: (r["result"], r["detail"]) for r in doc["rows"]}
    return got


def cell(got, column, check, applies):
    if column[1] not in applies:
        return "—"
    rows = got.get(column)
    if rows is None or check not in rows:
        return "missing"
    result = rows[check][0]
    return "—" if result == "SKIP" else result


def render(got):
    """The grid (Markdown) and the list of problems (FAIL / missing cells,
    rows outside the grid that failed)."""
    head = "| fault | " + " | ".join(f"{p} {s}" for p, s in COLUMNS) + " |"
    lines = [head, "|---|" + "---|" * len(COLUMNS)]
    problems = []
    for check, label, applies in FAULTS:
        cells = [cell(got, c, check, applies) for c in COLUMNS]
        lines.append(f"| {label} (`{check}`) | " + " | ".join(cells) + " |")
        for c, v in zip(COLUMNS, cells):
            if v in ("FAIL", "missing"):
                detail = got.get(c, {}).get(check, ("", "no row recorded"))[1]
                problems.append(f"{c[0]} {c[1]} {check}: {v}: {detail}")
    known = {f[0] for f in FAULTS}
    for c, rows in sorted(got.items()):  # e.g. the kit's other rows
        for check, (result, detail) in rows.items():
            if result == "FAIL" and check not in known:
                problems.append(f"{c[0]} {c[1]} {check}: FAIL: {detail}")
    return "\n".join(lines) + "\n", problems


def doc_grid(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        return None, text
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n", text


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, help="the fault-matrix directory of a build")
    ap.add_argument("--out", help="write the rendered grid to this file")
    ap.add_argument("--check", help="fail unless this document's grid equals the rendered one")
    ap.add_argument("--write", help="replace the grid in this document")
    a = ap.parse_args(argv)
    grid, problems = render(load(a.dir))
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(grid)
    sys.stdout.write(grid)
    status = 0
    for p in problems:
        print("fault matrix:", p, file=sys.stderr)
        status = 1
    if a.write:
        old, text = doc_grid(a.write)
        if old is None:
            print(f"{a.write}: no {BEGIN} ... {END} markers", file=sys.stderr)
            return 1
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        with open(a.write, "w", encoding="utf-8") as f:
            f.write(before + BEGIN + "\n" + grid + END + after)
    if a.check:
        old, _ = doc_grid(a.check)
        if old != grid:
            print(f"{a.check}: its grid differs from this build's run; regenerate it with:\n"
                  f"  {REGENERATE}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
