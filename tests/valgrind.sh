#!/usr/bin/env bash
# valgrind over the plugin load/unload path: --list-plugins loads and
# unloads every plugin (and refuses the bad ones); a full start/stop of
# parleyd with every plugin loaded. Any definite or indirect leak, or any
# memory error, fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# absolute: the config's relative paths would resolve from its own directory
BUILD=$(cd "${1:-build}" && pwd)
PARLEYD=$BUILD/core/parleyd
VG=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "valgrind: $1"; tail -30 "$WORK/run.err" 2>/dev/null; exit 1; }
cp "$BUILD"/tests/plugins/*.so "$WORK/"
cp "$(ls /lib/*/libz.so.1 /usr/lib/*/libz.so.1 2>/dev/null | head -1)" "$WORK/libz.so"
head -c 2000 "$BUILD/tests/plugins/testconn.so" > "$WORK/truncated.so"

echo "valgrind: parleyd --list-plugins (good and bad plugins)"
"${VG[@]}" "$PARLEYD" --list-plugins --plugin-dir "$WORK" --plugin-dir "$BUILD/plugins" >/dev/null 2>"$WORK/list.err" \
  || { cat "$WORK/list.err"; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
{
  echo "router: {listen: 127.0.0.1:$PORT, plugin_dir: [$BUILD/plugins, $BUILD/tests/plugins], journal: $WORK/j}"
  echo "connectors:"
  echo "  - {name: a, plugin: testconn, options: {account: acme, count: 300, interval: 1ms}}"
  echo "  - {name: b, plugin: testconn, options: {account: other, count: 300, interval: 1ms, stop_delay: 50ms, lang: false}}"
  echo "outputs: [{name: out, type: ndjson, options: {path: $WORK/out.ndjson}}]"
  echo "routes: [{outputs: out}]"
  # the enrichment stage too: CLD2, lexicons, ICU time zones, keyword sets
  echo "enrich:"
  echo "  keywords: {late: [aangekomen, arrived]}"
  echo "  sla: {business_hours: {office: {time_zone: Europe/Amsterdam}}, policies: [{target: 1h, business_hours: office}]}"
} > "$WORK/parley.yaml"

echo "valgrind: parleyd start, events, webhook, stop"
"${VG[@]}" "$PARLEYD" --config "$WORK/parley.yaml" 2>"$WORK/run.err" &
PID=$!
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
for _ in $(seq 300); do
  [ -f "$WORK/out.ndjson" ] && [ "$(wc -l < "$WORK/out.ndjson")" -ge 600 ] && break
  sleep 0.1
done
# no admin_token in the config: parleyd made one in the journal's directory
[ "$(stat -c %a "$WORK/admin_token")" = 600 ] || fail "no admin token file with mode 600"
curl -sf -o /dev/null -H "Authorization: Bearer $(cat "$WORK/admin_token")" \
  "http://127.0.0.1:$PORT/metrics" || fail "parleyd did not serve /metrics"
kill -TERM $PID
rc=0; wait $PID || rc=$?
[ $rc -eq 0 ] || fail "parleyd exited $rc"
lines=$(wc -l < "$WORK/out.ndjson")
[ "$lines" -ge 600 ] || fail "only $lines events"
echo "valgrind: clean ($lines events delivered)"
