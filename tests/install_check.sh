#!/usr/bin/env bash
# install_check.sh BUILD_DIR — what a third-party connector author does,
# from an installed parley and nothing else:
#   1. cmake --install BUILD_DIR --prefix $TMP/prefix (binaries, libraries,
#      headers, the systemd unit, the man pages)
#   2. copy sdk/template out of the tree, build it with CMake
#      (find_package(parley), -DCMAKE_PREFIX_PATH) and with make (pkg-config)
#   3. run the installed parley-conformance on both builds against the fake
#      chirp server (tests/integration/chirp_server.py), faults included once
#   4. parleyd --check-config with a config loading the plugin, then run
#      parleyd with it until the server's mentions arrive on stdout
# Prints every step; exits non-zero on the first failure. KEEP=1 keeps $TMP.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 BUILD_DIR   (a configured and built parley build directory)" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/parley-install-check.XXXXXX")
PREFIX=$TMP/prefix
SERVER_PID=
PARLEYD_PID=

step() { printf '\n== install_check: %s\n' "$*"; }
fail() { printf 'install_check: FAIL: %s\n' "$*" >&2; exit 1; }
run() { printf '+ %s\n' "$*" >&2; "$@"; }

cleanup() {
  local rc=$?
  for pid in $PARLEYD_PID $SERVER_PID; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  if [ "$rc" -eq 0 ] && [ -z "${KEEP:-}" ]; then
    rm -rf "$TMP"
  else
    echo "install_check: files kept in $TMP" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT

step "install $BUILD into $PREFIX"
run cmake --install "$BUILD" --prefix "$PREFIX" >"$TMP/install.log" ||
  { cat "$TMP/install.log"; fail "cmake --install"; }
LIBPARLEY=$(find "$PREFIX" -name 'libparley.so' | head -n 1)
[ -n "$LIBPARLEY" ] || fail "no libparley.so under $PREFIX"
LIBDIR=$(dirname "$LIBPARLEY")
for f in bin/parleyd bin/parley-conformance share/parley/conformance/event.schema.json \
         lib/systemd/system/parleyd.service share/man/man8/parleyd.8 share/man/man5/parley.yaml.5 \
         bin/parleyctl share/man/man1/parleyctl.1 share/bash-completion/completions/parleyctl; do
  [ -e "$PREFIX/$f" ] || fail "$PREFIX/$f was not installed"
done
[ -f "$LIBDIR/pkgconfig/parley.pc" ] || fail "$LIBDIR/pkgconfig/parley.pc was not installed"
[ -f "$LIBDIR/cmake/parley/parleyConfig.cmake" ] || fail "parleyConfig.cmake was not installed"
echo "installed: libparley in $LIBDIR"

step "copy sdk/template out of the tree to $TMP/chirp"
run cp -R "$ROOT/sdk/template" "$TMP/chirp"
run cp -R "$ROOT/sdk/template" "$TMP/chirp-make"

step "build the template with CMake: find_package(parley), CMAKE_PREFIX_PATH=$PREFIX"
run cmake -S "$TMP/chirp" -B "$TMP/chirp/build" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$TMP/chirp-cmake.log" 2>&1 ||
  { cat "$TMP/chirp-cmake.log"; fail "cmake configure of the template"; }
run cmake --build "$TMP/chirp/build" >>"$TMP/chirp-cmake.log" 2>&1 ||
  { cat "$TMP/chirp-cmake.log"; fail "cmake build of the template"; }
CMAKE_SO=$TMP/chirp/build/chirp.so
[ -f "$CMAKE_SO" ] || fail "the CMake build made no chirp.so"

step "build the template with make: PKG_CONFIG_PATH=$LIBDIR/pkgconfig"
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
pc_prefix=$(pkg-config --variable=prefix parley)
# compare directories, not spellings (a relocatable .pc says .../pkgconfig/../..)
if [ "$(cd "$pc_prefix" 2>/dev/null && pwd -P)" != "$(cd "$PREFIX" && pwd -P)" ]; then
  fail "the installed parley.pc says prefix=$pc_prefix, but parley was installed to $PREFIX:
  the .pc files must not hard-code the configure-time CMAKE_INSTALL_PREFIX
  (core/cmake/parley.pc.in, sdk/lib/parley-sdk.pc.in: prefix from \${pcfiledir})"
fi
run make -C "$TMP/chirp-make" >"$TMP/chirp-make.log" 2>&1 ||
  { cat "$TMP/chirp-make.log"; fail "make build of the template"; }
MAKE_SO=$TMP/chirp-make/chirp.so
[ -f "$MAKE_SO" ] || fail "make made no chirp.so"

# A fresh server per use: the fault rows leave its token expired.
start_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -f "$TMP/chirp.port"
  python3 "$ROOT/tests/integration/chirp_server.py" --seed-items 12 \
    --port-file "$TMP/chirp.port" 2>"$TMP/chirp-server.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do
    [ -s "$TMP/chirp.port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/chirp-server.log"; fail "chirp_server.py exited"; }
    sleep 0.1
  done
  [ -s "$TMP/chirp.port" ] || fail "chirp_server.py did not write its port"
  CHIRP_URL=http://127.0.0.1:$(cat "$TMP/chirp.port")
  export CHIRP_URL
  echo "fake chirp server at $CHIRP_URL"
}
export CHIRP_TOKEN=chirp-test-token
KIT=$PREFIX/bin/parley-conformance
SCHEMA=$PREFIX/share/parley/conformance/event.schema.json

step "installed parley-conformance on the make build"
start_server
run "$KIT" "$MAKE_SO" --config "$TMP/chirp-make/chirp.yaml" --schema "$SCHEMA" ||
  fail "the make-built template is not conformant"
step "installed parley-conformance on the CMake build, with the fault rows"
start_server
run "$KIT" "$CMAKE_SO" --config "$TMP/chirp/chirp.yaml" --schema "$SCHEMA" \
  --sim-url "$CHIRP_URL" || fail "the CMake-built template is not conformant"

step "parleyd --check-config with a config loading the plugin"
start_server
cat >"$TMP/parley.yaml" <<EOF
router:
  listen: ""
  plugin_dir: $TMP/chirp/build
  journal: $TMP/parley.journal
connectors:
  - name: chirp_acme
    plugin: chirp
    options:
      base_url: \${CHIRP_URL}
      token: \${CHIRP_TOKEN}
      account: acme_support
      poll_interval: 500ms
outputs:
  - name: stdout
    type: ndjson
routes:
  - outputs: stdout
EOF
export LD_LIBRARY_PATH=$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
run "$PREFIX/bin/parleyd" --check-config "$TMP/parley.yaml" >"$TMP/check.out" 2>&1 ||
  { cat "$TMP/check.out"; fail "parleyd --check-config refused the config"; }
cat "$TMP/check.out"
if grep -q "$CHIRP_TOKEN" "$TMP/check.out"; then fail "--check-config printed the token"; fi

step "parleyd runs the plugin: the server's 12 mentions arrive on stdout"
"$PREFIX/bin/parleyd" --config "$TMP/parley.yaml" >"$TMP/events.ndjson" 2>"$TMP/parleyd.log" &
PARLEYD_PID=$!
for _ in $(seq 300); do
  [ "$(grep -c '"chirp:' "$TMP/events.ndjson" || true)" -ge 12 ] && break
  kill -0 "$PARLEYD_PID" 2>/dev/null || break
  sleep 0.1
done
got=$(grep -c '"chirp:' "$TMP/events.ndjson" || true)
kill -TERM "$PARLEYD_PID" 2>/dev/null || true
rc=0
wait "$PARLEYD_PID" || rc=$?
PARLEYD_PID=
[ "$got" -ge 12 ] || { cat "$TMP/parleyd.log"; fail "parleyd delivered $got of 12 chirp events"; }
[ "$rc" -eq 0 ] || { cat "$TMP/parleyd.log"; fail "parleyd exited with $rc after SIGTERM"; }
if grep -q "$CHIRP_TOKEN" "$TMP/parleyd.log" "$TMP/events.ndjson"; then
  fail "the token appears in parleyd's log or output"
fi
head -n 1 "$TMP/events.ndjson"
echo "parleyd delivered $got chirp events and stopped cleanly"

step "all install checks passed"
