#!/bin/sh
# expect_fail.sh PATTERN COMMAND...: run COMMAND, show its output, and
# succeed only when it exits 1 (checks failed, not a crash or usage error)
# and its output has a line matching the extended regex PATTERN.
pattern=$1
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 1 ]; then
  echo "expect_fail: exit status $rc, expected 1" >&2
  exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq "$pattern"; then
  echo "expect_fail: no line matches: $pattern" >&2
  exit 1
fi
echo "expect_fail: refused as expected"
