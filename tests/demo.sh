#!/usr/bin/env bash
# The main job: install, build, start the platform simulator (parley-sim,
# loopback only) and parleyd with all five connectors (Twitter/X, Facebook,
# Instagram, LinkedIn, TikTok) against it; customers write new messages on
# each platform, they arrive as unified events, the agent answers the tweet
# and the TikTok comment through parley, and the simulator records the replies.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
WORK=$(mktemp -d)
SIM_PORT=${PARLEY_DEMO_SIM_PORT:-18787}
PORT=${PARLEY_DEMO_PORT:-18080}
SIM=http://127.0.0.1:$SIM_PORT
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT

build/sdk/sim/parley-sim --listen 127.0.0.1:$SIM_PORT --scenario sdk/sim/scenarios/demo.json \
  --rate-window-s 60 > "$WORK/sim.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "$SIM/_sim/health" >/dev/null && break; sleep 0.1; done

cat > "$WORK/parley.yaml" <<YAML
router:
  listen: 127.0.0.1:$PORT
  plugin_dir: $PWD/build/plugins
  journal: $WORK/parley.journal
connectors:
  - name: acme-twitter
    plugin: twitter
    options:
      base_url: $SIM/twitter
      account_id: "2244994945"
      account_handle: acme
      bearer_token: \${TW_BEARER}
      user_access_token: \${TW_USER_TOKEN}
      sources: [mentions, search, dms]
      search_queries: ["acme -from:acme"]
      poll_floor: 1s
      poll_interval: 1s
  - name: acme-facebook
    plugin: facebook
    options:
      base_url: $SIM/facebook
      app_secret: \${META_APP_SECRET}
      verify_token: \${META_VERIFY_TOKEN}
      pages: ["104000000000001"]
      page_access_token: \${FB_PAGE_TOKEN}
  - name: acme-instagram
    plugin: instagram
    options:
      base_url: $SIM/instagram
      app_secret: \${META_APP_SECRET}
      verify_token: \${META_VERIFY_TOKEN}
      accounts: ["17841400000000001"]
      access_token: \${IG_TOKEN}
  - name: acme-linkedin
    plugin: linkedin
    options:
      base_url: $SIM/linkedin
      organization: urn:li:organization:5515715
      access_token: \${LI_TOKEN}
      client_secret: \${LI_CLIENT_SECRET}
      poll_interval: 1s
  - name: acme-tiktok
    plugin: tiktok
    options:
      base_url: $SIM/tiktok
      business_id: "-000acmebusiness"
      account_handle: acme
      access_token: \${TT_TOKEN}
      client_secret: \${TT_CLIENT_SECRET}
      poll_interval: 1s
outputs:
  - name: inbox
    type: ndjson
    options: {path: $WORK/events.ndjson}
  - name: store
    type: sqlite
    options: {path: $WORK/conversations.db}
routes:
  - outputs: [inbox, store]
enrich:                      # care signals: docs/enrichment.md
  keywords:
    broken: [kapot, kaputt, broken, defekt]
    competitor: [northwind, contoso]
    churn: [cancel, kündigen, opzeggen, "switch to"]
  sla:
    policies:
      - {name: urgent, match: {min_priority: 50}, target: 30m}
      - {name: dm, match: {visibility: private}, target: 2h}
      - {name: public, target: 1h}
YAML
# secrets come from the environment, as an operator would provide them
export TW_BEARER=tw-app-bearer TW_USER_TOKEN=tw-user-token FB_PAGE_TOKEN=fb-page-token \
       IG_TOKEN=ig-page-token META_APP_SECRET=sim-meta-app-secret META_VERIFY_TOKEN=sim-verify-token \
       LI_TOKEN=li-member-token LI_CLIENT_SECRET=sim-linkedin-client-secret \
       TT_TOKEN=act.sim-tiktok-token TT_CLIENT_SECRET=sim-tiktok-client-secret

echo "== parleyd --check-config"
build/core/parleyd --check-config "$WORK/parley.yaml"
build/core/parleyd --config "$WORK/parley.yaml" 2> "$WORK/parleyd.log" &
PIDS+=($!)
PARLEYD=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
# no router.admin_token configured: parleyd made one next to its journal
AUTH="Authorization: Bearer $(cat "$WORK/admin_token")"
echo "== the admin API takes the token parleyd wrote to $WORK/admin_token"
for p in facebook instagram; do
  curl -s -o /dev/null -X POST "$SIM/_sim/webhook-target" \
    -d "{\"platform\":\"$p\",\"url\":\"http://127.0.0.1:$PORT/hooks/acme-$p\"}"
done

echo "== customers write (through the simulator's control API)"
post() { curl -s -X POST "$SIM/_sim/items" -d "$1" | python3 -c 'import json,sys; i=json.load(sys.stdin); print("  created", i["platform"], i["type"], i["id"])'; }
post '{"platform":"twitter","type":"tweet","author":"pieterdevries","lang":"nl","text":"@acme mijn Rocket Skates zijn na een week al kapot. Wie helpt me?"}'
post '{"platform":"facebook","type":"comment","author":"jana.krueger","parent_ref":"fb-post-1","lang":"de","text":"Seit zwei Wochen keine Antwort vom Support. Sehr enttäuscht."}'
post '{"platform":"instagram","type":"comment","author":"lotte.bakes","parent_ref":"ig-media-1","lang":"nl","text":"Prachtig! Wanneer komen ze in het roze?"}'
post '{"platform":"linkedin","type":"comment","author":"emily-chen","parent_ref":"li-post-1","lang":"en","text":"Is the Rocket Skates recall covered by the warranty?"}'
post '{"platform":"tiktok","type":"comment","author":"techdad42","parent_ref":"tt-video-1","lang":"en","text":"My order never arrived, who do I talk to?"}'
sleep 4

# the id and conversation of the newest event of a platform whose text has a word
find() { python3 - "$WORK/events.ndjson" "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["platform"] == sys.argv[2] and sys.argv[3] in e.get("text", ""):
        print(e["id"], e.get("conversation_id", ""))
PY
}
reply() { # connector target conversation key text
  curl -s -X POST -H "$AUTH" "http://127.0.0.1:$PORT/v1/actions" -d "{
    \"schema\":\"parley.action.v1\",\"idempotency_key\":\"$4\",\"type\":\"reply_public\",
    \"connector\":\"$1\",\"target\":\"$2\",\"conversation_id\":\"$3\",\"text\":\"$5\"}"
  echo
}
read -r TWEET TWEET_CONV < <(find twitter kapot | tail -1)
echo "== the agent answers the tweet $TWEET (parley.action.v1 to POST /v1/actions)"
reply acme-twitter "$TWEET" "$TWEET_CONV" demo-reply-1 \
  "Dat is vervelend, Pieter! We sturen je een DM om het op te lossen."
read -r TT TT_CONV < <(find tiktok arrived | tail -1)
echo "== the agent answers the TikTok comment $TT"
reply acme-tiktok "$TT" "$TT_CONV" demo-reply-2 "Sorry Tom! Send us your order number by DM."
echo "== what the simulator recorded as sent by the brand"
curl -s "$SIM/_sim/sent?platform=twitter"; echo
curl -s "$SIM/_sim/sent?platform=tiktok"; echo
sleep 2
curl -s -H "$AUTH" "http://127.0.0.1:$PORT/v1/care" > "$WORK/care.json"
kill -TERM "$PARLEYD"; wait "$PARLEYD" || true
echo "== the unified stream: $(wc -l < "$WORK/events.ndjson") events from $WORK/events.ndjson, by platform and kind"
python3 - "$WORK/events.ndjson" <<'PY'
import collections, json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
for (p, k), n in sorted(collections.Counter((e["platform"], e["kind"]) for e in evs).items()):
    print(f"  {p:10} {k:15} {n}")
print("== the newest customer messages, most urgent first (care signals from enrichment)")
print(f"  {'platform':10} {'lang':4} {'sentiment':>9} {'priority':>8} {'SLA due':24} text")
newest = [e for e in evs if e["kind"] not in ("outbound", "reaction")][-8:]
for e in sorted(newest, key=lambda e: -e.get("signals", {}).get("priority", 0)):
    s = e.get("signals", {})
    print(f"  {e['platform']:10} {e.get('lang', '?'):4} {s.get('sentiment', 0):9.2f} "
          f"{s.get('priority', 0):8} {s.get('sla_due', '-'):24} {e.get('text', '')[:50]}")
print("== one of them in full")
print(json.dumps(newest[-1], ensure_ascii=False))
print("== the brand's answer")
for e in [e for e in evs if e["kind"] == "outbound"][-1:]:
    print(json.dumps(e, ensure_ascii=False))
PY
echo "== open conversations in the SQLite store"
sqlite3 "$WORK/conversations.db" "SELECT platform, COUNT(*) FROM conversations GROUP BY platform;" 2>/dev/null || true
echo "== care metrics (GET /v1/care: are we on time?)"
python3 - "$WORK/care.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
def t(x): return "-" if x is None else f"{x / 60:.1f} min"
o = c["overall"]
print(f"  customer messages {o['demand']['messages']}, open conversations {o['open']['count']}")
fr = o["first_response"]
print(f"  first response: {fr['count']} answered, mean {t(fr.get('mean'))}, median {t(fr.get('median'))}, p90 {t(fr.get('p90'))}")
sla = o["sla"]
share = sla.get("share_within")
print(f"  answered within SLA: {'-' if share is None else f'{share:.0%}'} ({sla['within']} on time, {sla['late']} late, {sla['breached_unanswered']} overdue)")
for p, f in sorted(c["per_platform"].items()):
    print(f"  {p:10} messages {f['demand']['messages']:3}  open {f['open']['count']:3}  first response mean {t(f['first_response'].get('mean'))}")
PY
echo "== parleyd log (tail)"
tail -15 "$WORK/parleyd.log"
