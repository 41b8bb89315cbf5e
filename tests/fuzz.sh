#!/usr/bin/env bash
# Run every libFuzzer target of a PARLEY_FUZZ build on its seed corpus
# (fuzz/corpus/<target>) and fail on any crash, leak, timeout or
# out-of-memory (docs/fuzzing.md).
#
#   tests/fuzz.sh [--long] [--build DIR] [--seconds N] [--jobs N] [--no-build] [target...]
#
#   (default)   the bounded run of CI (a stage of tests/run.sh): the targets
#               share a wall-clock budget of FUZZ_BUDGET seconds (180), each
#               gets budget*jobs/targets seconds, clamped to 10..30; the
#               grown corpora go to a temp dir that is removed on success
#   --long      the long run (not in CI): 600 s per target unless --seconds;
#               the corpora grow in DIR/fuzz-long/ and are kept between
#               runs; the results table is DIR/fuzz-long/report.md
#   --build DIR the PARLEY_FUZZ build (default build-fuzz). Configured with
#               clang when it has no cache; always brought up to date with
#               `cmake --build DIR --target fuzz` unless --no-build
#   --seconds N per target, instead of the budget
#   --jobs N    targets run at the same time (default: the number of CPUs, at
#               most 4; each may use up to 2 GiB)
#   target...   only these (names without fuzz_), default every fuzz_* built
#
# Environment: FUZZ_BUDGET (above), FUZZ_WORK (keep corpora, logs and
# reproducers there instead), FUZZ_REPORT (also write the Markdown results
# table there). The committed corpus is only read. A failing target's
# reproducer is kept and printed with the command that replays it.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LONG=0 BUILD=$ROOT/build-fuzz SECONDS_PER= JOBS= DO_BUILD=1
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --long) LONG=1 ;;
    --build) BUILD=$2; shift ;;
    --seconds) SECONDS_PER=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    -h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz: unknown option $1 (see $0 --help)" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
CORPUS=$ROOT/fuzz/corpus
DICTS=$ROOT/fuzz/dict
if [ -z "$JOBS" ]; then
  JOBS=$(nproc 2>/dev/null || echo 1)
  [ "$JOBS" -gt 4 ] && JOBS=4
fi

# The build: its own directory, clang, no test suite (the fuzz targets only).
if [ "$DO_BUILD" = 1 ]; then
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    echo "fuzz: configuring $BUILD (clang, PARLEY_FUZZ=ON)"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
      -DCMAKE_CXX_COMPILER=clang++ -DPARLEY_FUZZ=ON -DPARLEY_BUILD_TESTS=OFF >/dev/null || exit 2
  fi
  if ! grep -q '^PARLEY_FUZZ:BOOL=ON' "$BUILD/CMakeCache.txt"; then
    echo "fuzz: $BUILD is not a PARLEY_FUZZ build (configure it with -DPARLEY_FUZZ=ON)" >&2
    exit 2
  fi
  cmake --build "$BUILD" --target fuzz -j"$(nproc 2>/dev/null || echo 1)" >"$BUILD/fuzz-build.log" 2>&1 || {
    tail -40 "$BUILD/fuzz-build.log"
    echo "fuzz: building the targets failed ($BUILD/fuzz-build.log)" >&2
    exit 2
  }
fi
BUILD=$(cd "$BUILD" && pwd) || exit 2

if [ ${#targets[@]} -eq 0 ]; then
  for f in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$f" ] && targets+=("$(basename "$f" | sed 's/^fuzz_//')")
  done
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no targets in $BUILD/fuzz (configure with -DPARLEY_FUZZ=ON and build)" >&2
  exit 2
fi
n=${#targets[@]}
if [ -z "$SECONDS_PER" ]; then
  if [ "$LONG" = 1 ]; then
    SECONDS_PER=600
  else
    SECONDS_PER=$(( ${FUZZ_BUDGET:-180} * JOBS / n ))
    [ "$SECONDS_PER" -lt 10 ] && SECONDS_PER=10
    [ "$SECONDS_PER" -gt 30 ] && SECONDS_PER=30
  fi
fi

KEEP=1
if [ -n "${FUZZ_WORK:-}" ]; then
  WORK=$FUZZ_WORK
elif [ "$LONG" = 1 ]; then
  WORK=$BUILD/fuzz-long
  : "${FUZZ_REPORT:=$WORK/report.md}"
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/parley-fuzz.XXXXXX")
  KEEP=0
fi
mkdir -p "$WORK/corpus" "$WORK/logs" "$WORK/artifacts"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The dictionary of a target: fuzz/dict/<target>.dict, else the one of its
# kind (config_yaml -> yaml.dict, http* -> http.dict, the JSON-reading
# targets -> json.dict).
dict_of() {
  local t=$1
  if [ -f "$DICTS/$t.dict" ]; then echo "$DICTS/$t.dict"; return; fi
  case $t in
    config_yaml) [ -f "$DICTS/yaml.dict" ] && echo "$DICTS/yaml.dict" ;;
    http|http_head) [ -f "$DICTS/http.dict" ] && echo "$DICTS/http.dict" ;;
    sdk_text) ;;
    *) [ -f "$DICTS/json.dict" ] && echo "$DICTS/json.dict" ;;
  esac
}

# One target: its own corpus grows in WORK; the committed seeds are a
# second, read-only corpus dir. Writes its exit status to WORK/logs/<t>.rc.
run_one() {
  local t=$1 bin=$BUILD/fuzz/fuzz_$1 seeds=$CORPUS/$1
  local log=$WORK/logs/$t.log dict
  dict=$(dict_of "$t")
  mkdir -p "$WORK/corpus/$t"
  if [ ! -x "$bin" ]; then
    echo "missing" >"$WORK/logs/$t.rc"
    return
  fi
  [ -d "$seeds" ] || { echo "fuzz: $t has no seed corpus $seeds" >&2; seeds=; }
  timeout --kill-after=30 $((SECONDS_PER + 120)) "$bin" -max_total_time="$SECONDS_PER" \
    -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
    -artifact_prefix="$WORK/artifacts/$t-" ${dict:+-dict="$dict"} \
    "$WORK/corpus/$t" ${seeds:+"$seeds"} </dev/null >"$log" 2>&1
  echo $? >"$WORK/logs/$t.rc"
}

echo "fuzz: $n targets x ${SECONDS_PER}s, ${JOBS} at a time (work dir $WORK)"
start=$(date +%s)
running=0
for t in "${targets[@]}"; do
  rm -f "$WORK/logs/$t.rc" "$WORK/artifacts/$t-"*
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

# The summary: one line per target from libFuzzer's last status line and stats.
fail=0
rows=()
for t in "${targets[@]}"; do
  log=$WORK/logs/$t.log
  rc=$(cat "$WORK/logs/$t.rc" 2>/dev/null || echo "?")
  last=$(grep -E '^#[0-9]+' "$log" 2>/dev/null | tail -1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" 2>/dev/null | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  rate=$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<<"$last")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" 2>/dev/null | tail -1)
  if [ "$rc" = 0 ]; then
    verdict=ok
  else
    verdict="FAILED (exit $rc)"
    grep -qE 'ERROR: libFuzzer: timeout' "$log" && verdict="FAILED (timeout)"
    grep -qE 'ERROR: LeakSanitizer' "$log" && verdict="FAILED (leak)"
    grep -qE 'ERROR: libFuzzer: out-of-memory' "$log" && verdict="FAILED (out of memory)"
    grep -qE 'ERROR: AddressSanitizer|runtime error:|deadly signal|broken promise' "$log" &&
      verdict="FAILED (crash)"
    [ "$rc" = 124 ] || [ "$rc" = 137 ] && verdict="FAILED (hung past its time)"
    [ "$rc" = missing ] && verdict="FAILED (not built)"
    fail=1
  fi
  printf '%-18s %-22s execs %-10s exec/s %-6s cov %-5s ft %-6s corpus %-10s rss %s MB\n' \
    "$t" "$verdict" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}"
  rows+=("| $t | $verdict | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | ${rss:-?} |")
  if [ "$verdict" != ok ]; then
    echo "---- $t: the report in $log"
    awk '/ERROR:|runtime error:|broken promise|deadly signal|^==[0-9]+==/ {on = 1}
         on && n < 30 && !/^#[0-9]+/ {print; n++}' "$log"
    grep -E '^SUMMARY:' "$log" | head -3
    grep -E "^Base64: " "$log" | head -1 | sed "s/^/     input as /"
    for a in "$WORK/artifacts/$t-"*; do
      [ -e "$a" ] || continue
      echo "---- reproduce: $BUILD/fuzz/fuzz_$t $a"
      echo "     (once fixed, commit it as fuzz/corpus/$t/crash-<what>: the bounded run replays it)"
    done
  fi
done
elapsed=$(($(date +%s) - start))
if [ -n "${FUZZ_REPORT:-}" ]; then
  {
    echo "$n targets x ${SECONDS_PER}s, ${JOBS} at a time, $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
    echo
    echo "| target | result | executions | exec/s | coverage (edges) | features | corpus | peak RSS MB |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
  } >"$FUZZ_REPORT"
fi
echo "fuzz: $n targets x ${SECONDS_PER}s (${JOBS} at a time) in ${elapsed}s"
if [ "$fail" -ne 0 ]; then
  echo "fuzz: FAILED; logs, corpora and reproducers in $WORK"
  exit 1
fi
[ "$KEEP" = 1 ] || rm -rf "$WORK"
if [ "$LONG" = 1 ]; then
  echo "fuzz: grown corpora in $WORK/corpus; to add the new coverage to the seeds:"
  echo "  $BUILD/fuzz/fuzz_<target> -merge=1 $CORPUS/<target> $WORK/corpus/<target>"
fi
echo "fuzz: all targets clean"
