#!/usr/bin/env bash
# loadtest.sh is `make loadtest`: a short standard run against a local
# server. It starts bin/auctiond on free loopback ports and a database of
# its own (guests may bid, no rate limits or per-client caps for one-address load), creates
# rooms, runs 20 WHEP viewers for 15 s, 20 bidders + 40 watchers bidding
# 10/s for 15 s (audited against Postgres) and a hot-lot storm of a
# soft-close and a sudden-death lot (10 bidders, 20 watchers, 10 bids/s per
# room from 5 s before the deadline; deadline audit), then stops the server
# and drops the database. Reports: artifacts/loadtest/{viewers,bids,hotlot}.{json,html}
# and hotlot.xml (JUnit).
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; . ./.data/env; set +a
out=artifacts/loadtest
mkdir -p "$out"
. scripts/tempdb.sh
tempdb_create loadtest

port=$(bin/loadtest freeport tcp); udp=$(bin/loadtest freeport udp); url=http://127.0.0.1:$port
export HTTP_ADDR=127.0.0.1:$port PUBLIC_URL=$url ADMIN_ADDR=off SFU_UDP_ADDR=127.0.0.1:$udp SFU_TCP_ADDR=off \
  SFU_LOOPBACK_CANDIDATES=true AUTH_RATE_LIMIT_DISABLED=true API_RATE_LIMIT_DISABLED=true CLIENT_LIMITS_DISABLED=true \
  DEMO=false LOG_LEVEL=warn
bin/auctiond serve >"$out/server.log" 2>&1 & pid=$!
cleanup() {
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  tempdb_drop
}
trap cleanup EXIT
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$out/server.log"; exit 1; }
  sleep 0.2
done

room() {
  bin/auctiond room create --title "$1" --seller "lt-seller-$2" --live --lots 3 --duration 120s --guests-may-bid --json \
    2>"$out/room-create.log" || { cat "$out/room-create.log" >&2; return 1; }
}
room "Load test video" v >"$out/rooms-viewers.json"
: >"$out/rooms-bids.json"
for r in 1 2; do room "Load test bids $r" "b$r" >>"$out/rooms-bids.json"; done
: >"$out/rooms-hotlot.json"
for p in soft-close sudden-death; do
  bin/auctiond room create --title "Hot lot $p" --seller "lt-hot-$p" --live --lots 1 --policy "$p" --duration 15s \
    --guests-may-bid --json >>"$out/rooms-hotlot.json" 2>"$out/room-create.log" || { cat "$out/room-create.log" >&2; exit 1; }
done

echo "== viewers: 20 WHEP viewers, 15 s, against $url (pid $pid)"
bin/loadtest viewers -url "$url" -rooms "$out/rooms-viewers.json" -viewers 20 -ramp 10 -duration 15s \
  -server-pid "$pid" -json "$out/viewers.json" -html "$out/viewers.html"
echo "== bids: 20 bidders, 40 watchers, 2 rooms, 10 bids/s, 15 s"
bin/loadtest bids -url "$url" -rooms "$out/rooms-bids.json" -bidders 20 -watchers 40 -rate 10 -chat-rate 2 \
  -duration 15s -server-pid "$pid" -audit-db "$DATABASE_URL" -json "$out/bids.json" -html "$out/bids.html"
echo "== hotlot: a soft-close and a sudden-death lot stormed from 5 s before the deadline, 10 bidders, 20 watchers"
bin/loadtest hotlot -url "$url" -rooms "$out/rooms-hotlot.json" -bidders 10 -watchers 20 -rate 10 -storm 5s -max-storm 6s \
  -server-pid "$pid" -audit-db "$DATABASE_URL" -json "$out/hotlot.json" -html "$out/hotlot.html" -junit "$out/hotlot.xml" \
  -slo 'hot_lot_violations=0,audit_violations=0,errors=0'
