#!/usr/bin/env bash
# The whole test suite, from scratch: install dependencies, build with gcc
# and run every test, build again with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer and run every test again, run every libFuzzer
# target for a bounded time (tests/fuzz.sh), then check the
# plugin load/unload path under valgrind and an out-of-tree build against
# an installed prefix.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
bash tests/deps.sh
# Tools installed by pyenv or the like must not shadow Debian's python3 (pytest, jsonschema).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
JOBS=$(nproc)

echo "== gcc build and tests"
rm -rf build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ >/dev/null
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS"

echo "== clang + ASan/UBSan build and tests"
rm -rf build-asan
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DPARLEY_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$JOBS" -LE novalgrind-asan

echo "== fuzz: every libFuzzer target for a bounded time (docs/fuzzing.md)"
rm -rf build-fuzz
bash tests/fuzz.sh --build build-fuzz

echo "== valgrind: plugin load/unload"
bash tests/valgrind.sh build

echo "== install, then build out of tree against the installed prefix"
bash tests/install_check.sh build
echo "all test stages passed"
