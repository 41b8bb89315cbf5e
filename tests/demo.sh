#!/usr/bin/env bash
# The main job: install, build, run parleyd with a connector and the ndjson
# output on loopback, push a customer message through a webhook, answer it
# with an action, show the stream, stop cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
WORK=$(mktemp -d)
PORT=${PARLEY_DEMO_PORT:-18080}
cat > "$WORK/parley.yaml" <<YAML
router:
  listen: 127.0.0.1:$PORT
  plugin_dir: [$PWD/build/plugins, $PWD/build/tests/plugins]
  journal: $WORK/parley.journal
connectors:
  - name: acme-test
    plugin: testconn
    options:
      account: acme
      count: 12
      interval: 200ms
      batch: 3
      kinds: [mention, comment, direct_message]
outputs:
  - name: stream
    type: ndjson
    options: {path: $WORK/events.ndjson}
routes:
  - outputs: stream
YAML
echo "== parleyd --check-config"
build/core/parleyd --check-config "$WORK/parley.yaml"
build/core/parleyd --config "$WORK/parley.yaml" 2> "$WORK/parleyd.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
echo "== a customer message arrives by webhook"
curl -s -X POST "http://127.0.0.1:$PORT/hooks/acme-test" -H 'Content-Type: application/json' -d '{
  "schema":"parley.event.v1","id":"test:webhook-1","platform":"test","connector":"x",
  "account":"acme","kind":"mention","visibility":"public","conversation_id":"conv-9",
  "author":{"id":"7","handle":"petra_nl","followers":1200},"lang":"nl",
  "text":"@acme mijn bestelling is al twee weken onderweg!",
  "created_at":"2026-11-23T09:20:06Z","received_at":"2026-11-23T09:20:06Z"}'
echo "== the agent answers it (parley.action.v1)"
curl -s -X POST "http://127.0.0.1:$PORT/v1/actions" -d '{
  "schema":"parley.action.v1","idempotency_key":"demo-reply-1","type":"reply_public",
  "connector":"acme-test","conversation_id":"conv-9","target":"test:webhook-1",
  "text":"Sorry Petra! We zoeken het uit, check je DM."}'
echo
sleep 3
kill -TERM $PID; wait $PID; trap - EXIT
echo "== the unified stream ($WORK/events.ndjson)"
cat "$WORK/events.ndjson"
echo "== parleyd log"
cat "$WORK/parleyd.log"
