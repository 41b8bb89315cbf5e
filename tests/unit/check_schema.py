#!/usr/bin/env python3
"""Validate NDJSON documents (one JSON value per line) against a JSON Schema.

    check_schema.py SCHEMA [FILE] [--def NAME] [--min-lines N] [--expect-invalid]

FILE defaults to standard input. --def validates against SCHEMA's
#/$defs/NAME instead of the whole schema (e.g. action_result in
docs/action.schema.json). Every invalid line is reported as
"FILE:LINE: PATH: MESSAGE"; the exit status is 0 when all lines are valid
and at least --min-lines (default 1) were read, 1 otherwise, 2 on usage or
schema errors. Blank lines are skipped. --expect-invalid turns the check
around, to prove the schema refuses known-bad documents: the exit status is
0 only when every line is invalid, and each line the schema accepts is named.

Needs python3-jsonschema (Debian) 4.x; formats such as date-time are checked
when the optional format packages are installed, and the event schema also
pins its times with a pattern so the check does not depend on them.
"""
import argparse
import json
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:  # pragma: no cover - depends on the machine
    sys.stderr.write("check_schema.py: python3-jsonschema is not installed "
                     "(apt-get install python3-jsonschema)\n")
    sys.exit(2)


def load_validator(schema_path, def_name):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    if def_name:
        if def_name not in schema.get("$defs", {}):
            raise KeyError("%s has no $defs/%s" % (schema_path, def_name))
        # A root that only points at the definition, keeping $defs reachable.
        schema = {"$schema": schema.get("$schema"), "$defs": schema["$defs"],
                  "$ref": "#/$defs/" + def_name}
    checker = getattr(Draft202012Validator, "FORMAT_CHECKER", None) or jsonschema.FormatChecker()
    return Draft202012Validator(schema, format_checker=checker)


def check_lines(validator, lines, name, expect_invalid):
    count = bad = 0
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        count += 1
        try:
            doc = json.loads(line)
        except ValueError as e:
            print("%s:%d: not JSON: %s" % (name, lineno, e))
            bad += 1
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if expect_invalid:
            if not errors:
                print("%s:%d: accepted, but should have been refused" % (name, lineno))
            bad += bool(errors)
            continue
        for e in errors:
            path = "/".join(str(p) for p in e.absolute_path) or "(root)"
            print("%s:%d: %s: %s" % (name, lineno, path, e.message))
        bad += bool(errors)
    return count, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("schema")
    ap.add_argument("file", nargs="?", default="-")
    ap.add_argument("--def", dest="def_name")
    ap.add_argument("--min-lines", type=int, default=1)
    ap.add_argument("--expect-invalid", action="store_true")
    args = ap.parse_args()
    try:
        validator = load_validator(args.schema, args.def_name)
    except (OSError, ValueError, KeyError, jsonschema.SchemaError) as e:
        print("check_schema.py: %s: %s" % (args.schema, e), file=sys.stderr)
        return 2
    if args.file == "-":
        count, bad = check_lines(validator, sys.stdin, "<stdin>", args.expect_invalid)
    else:
        with open(args.file, encoding="utf-8") as f:
            count, bad = check_lines(validator, f, args.file, args.expect_invalid)
    if count < args.min_lines:
        print("check_schema.py: %d line(s) read, expected at least %d" % (count, args.min_lines))
        return 1
    if args.expect_invalid:
        print("check_schema.py: %d of %d document(s) refused by %s" % (bad, count, args.schema))
        return 0 if bad == count else 1
    print("check_schema.py: %d of %d document(s) valid against %s"
          % (count - bad, count, args.schema))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
