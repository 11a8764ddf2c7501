#!/usr/bin/env bash
# bench-relay.sh MODE [VIEWERS] [DURATION]
#
# Measures the media relay between two nodes (docs/PERFORMANCE.md, "Relay
# between nodes"): node A and node B on one fresh database and a private
# redis-server (the cluster registry is per Redis), one synthetic publisher
# on A, and `loadtest viewers` posting WHEP to A. MODE edge sets
# CLUSTER_SECRET, so A redirects every viewer (307) to B, which relays the
# room from A; MODE origin sets none, so the viewers stay on A. Prints the
# CPU seconds each node used during the run; the loadtest report goes to
# artifacts/bench/relay-MODE.json.
#
#   scripts/bench-relay.sh edge 200 20s; scripts/bench-relay.sh origin 200 20s
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: bench-relay.sh edge|origin [VIEWERS] [DURATION]}
viewers=${2:-200}
duration=${3:-20s}
set -a; . ./.data/env; set +a
out=artifacts/bench; mkdir -p "$out"
. scripts/tempdb.sh
tempdb_create relay

rport=$(bin/loadtest freeport tcp)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no >"$out/relay-$mode.redis.log" 2>&1 & rpid=$!
for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
pa=$(bin/loadtest freeport tcp); pb=$(bin/loadtest freeport tcp)
ua=$(bin/loadtest freeport udp); ub=$(bin/loadtest freeport udp)
secret=""; [ "$mode" = edge ] && secret=bench-relay-secret-0123456789
export REDIS_URL=redis://127.0.0.1:$rport/0 PUBLIC_URL=http://127.0.0.1:$pa ADMIN_ADDR= SFU_TCP_ADDR=off \
  SFU_LOOPBACK_CANDIDATES=true AUTH_RATE_LIMIT_DISABLED=true API_RATE_LIMIT_DISABLED=true \
  CLIENT_LIMITS_DISABLED=true DEMO=false LOG_LEVEL=${LOG_LEVEL:-warn} CLUSTER_SECRET=$secret
HTTP_ADDR=127.0.0.1:$pa SFU_UDP_ADDR=127.0.0.1:$ua NODE_ID=bench-a bin/auctiond serve >"$out/relay-$mode.a.log" 2>&1 & apid=$!
HTTP_ADDR=127.0.0.1:$pb SFU_UDP_ADDR=127.0.0.1:$ub NODE_ID=bench-b NODE_URL=http://127.0.0.1:$pb \
  bin/auctiond serve >"$out/relay-$mode.b.log" 2>&1 & bpid=$!
cleanup() {
  kill "$apid" "$bpid" 2>/dev/null; wait "$apid" "$bpid" 2>/dev/null || true
  kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null || true
  tempdb_drop
}
trap cleanup EXIT
for p in "$pa" "$pb"; do
  for _ in $(seq 150); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.2; done
done

HTTP_ADDR=127.0.0.1:$pa bin/auctiond room create --title "Relay bench" --seller bench-relay --live --lots 1 \
  --duration 600s --json >"$out/relay-$mode.rooms.json"
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)
a0=$(cpu "$apid"); b0=$(cpu "$bpid"); t0=$(date +%s.%N)
bin/loadtest viewers -url "http://127.0.0.1:$pa" -rooms "$out/relay-$mode.rooms.json" -viewers "$viewers" \
  -ramp 50 -duration "$duration" -server-pid "$apid" -json "$out/relay-$mode.json"
a1=$(cpu "$apid"); b1=$(cpu "$bpid"); t1=$(date +%s.%N)
awk -v m="$mode" -v a="$((a1 - a0))" -v b="$((b1 - b0))" -v t="$tck" -v w0="$t0" -v w1="$t1" \
  'BEGIN { printf "relay mode=%s wall_s=%.1f origin_cpu_s=%.2f edge_cpu_s=%.2f\n", m, w1 - w0, a / t, b / t }'
