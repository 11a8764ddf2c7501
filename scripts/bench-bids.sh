#!/usr/bin/env bash
# bench-bids.sh NAME ROOMS [loadtest bids flags...]
#
# Runs one `loadtest bids` measurement against a fresh auctiond: a new
# database (created on the cluster of DATABASE_URL and dropped afterwards,
# so rooms left live by earlier runs are not claimed too), ROOMS live rooms
# of one ten-minute lot each, then the given loadtest flags. The report
# goes to artifacts/bench/NAME.json and the server log next to it. With
# psql, the Postgres commits of the run's database during the load
# (pg_stat_database.xact_commit, which counts every transaction, read-only
# ones too) go to NAME.pg.json with commits/s and decided bids per commit.
#
#   scripts/bench-bids.sh one-room-500 1 -bidders 200 -watchers 20 -rate 500 -duration 30s
#   BENCH_REDIS_URL=redis://127.0.0.1:6390/0 scripts/bench-bids.sh ...
#
# The server's admin listener (a free loopback port) serves /metrics: after
# the load, the per-stage histograms of the bid pipeline
# (bidcast_bid_stage_seconds) go to NAME.stages.txt, with each stage's
# count, mean and p50/p90/p99 (bucket upper bounds), and the gateway's
# totals (bidcast_ws_*) to NAME.ws.txt, and the CPU Postgres and Redis used
# during the run (cores), with how many append-only rewrites Redis ran
# meanwhile, to NAME.services.txt. At the end the run's rooms' keys are
# removed from Redis. BENCH_COMPACT_AOF=1 compacts Redis's append-only file
# first (see below). BENCH_CPUPROFILE=N
# also takes an N-second CPU profile of the server, from 5 s into the
# load, to NAME.cpu.pprof.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: bench-bids.sh NAME ROOMS [loadtest flags]}
rooms=${2:?usage: bench-bids.sh NAME ROOMS [loadtest flags]}
shift 2
bench_redis=${BENCH_REDIS_URL:-}
set -a; . ./.data/env; set +a
# BENCH_REDIS_URL runs the server on a Redis of the caller's instead (a
# private one, so other users of the shared Redis do not skew the run).
[ -z "$bench_redis" ] || REDIS_URL=$bench_redis
out=artifacts/bench; mkdir -p "$out"

. scripts/tempdb.sh
tempdb_create bench

port=$(bin/loadtest freeport tcp); udp=$(bin/loadtest freeport udp)
ADMIN_ADDR=${ADMIN_ADDR:-127.0.0.1:$(bin/loadtest freeport tcp)}
export HTTP_ADDR=127.0.0.1:$port PUBLIC_URL=http://127.0.0.1:$port ADMIN_ADDR \
  SFU_UDP_ADDR=127.0.0.1:$udp SFU_TCP_ADDR=off AUTH_RATE_LIMIT_DISABLED=true \
  API_RATE_LIMIT_DISABLED=true CLIENT_LIMITS_DISABLED=true DEMO=false LOG_LEVEL=${LOG_LEVEL:-warn}
bin/auctiond serve >"$out/$name.server.log" 2>&1 & pid=$!
# rcli runs redis-cli on REDIS_URL. Its -u sends an empty user name with
# the password, which Redis refuses, so the URL
# (redis://[:password@]host:port[/db]) is taken apart.
rcli() {
  local rest=${REDIS_URL#redis://} pass="" hostport db=0
  case $rest in *@*) pass=${rest%%@*}; pass=${pass#*:}; rest=${rest#*@} ;; esac
  hostport=${rest%%/*}; case $rest in */?*) db=${rest#*/} ;; esac
  REDISCLI_AUTH="$pass" redis-cli -h "${hostport%:*}" -p "${hostport##*:}" -n "$db" "$@"
}
# aof_rewrites is how many append-only rewrites Redis has run since it
# started (empty without redis-cli): a rewrite during a storm stalls it on
# a small machine, so the report says when one happened.
aof_rewrites() {
  command -v redis-cli >/dev/null 2>&1 || return 0
  rcli info persistence 2>/dev/null | awk -F: '/^aof_rewrites:/ { print $2 + 0 }'
}
# forget_rooms removes the run's rooms' keys from Redis (event logs, bid
# logs, queues), which would otherwise stay there for good: the rooms never
# end, and every later append-only rewrite would copy them again.
forget_rooms() {
  command -v redis-cli >/dev/null 2>&1 && command -v jq >/dev/null 2>&1 || return 0
  [ -s "$out/$name.rooms.json" ] || return 0
  { rcli --scan --pattern 'bidcast:{*'; rcli --scan --pattern 'asynq:{room:*'; } |
    awk 'NR == FNR { keep[$1] = 1; next }
         match($0, /\{(room:)?[0-9a-f-]+\}/) { id = substr($0, RSTART + 1, RLENGTH - 2); sub(/^room:/, "", id)
                                                if (id in keep) print }' \
      <(jq -r .room_id "$out/$name.rooms.json") - |
    while mapfile -t -n 500 keys && [ ${#keys[@]} -gt 0 ]; do rcli unlink "${keys[@]}" >/dev/null || true; done
}
cleanup() {
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  forget_rooms
  tempdb_drop
}
trap cleanup EXIT
for _ in $(seq 150); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.2; done

: >"$out/$name.rooms.json"
for r in $(seq "$rooms"); do
  bin/auctiond room create --title "Bench $r" --seller "bench-$r" --live --lots 1 --duration 600s --guests-may-bid --json \
    >>"$out/$name.rooms.json" 2>/dev/null
done
# Transaction counts reach pg_stat_database when a backend goes idle, within
# 10 s (PostgreSQL 15), so each reading waits that long first.
xact_commits() {
  command -v psql >/dev/null 2>&1 || return 0
  sleep 11
  psql -Atq "$DATABASE_URL" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
}
# BENCH_COMPACT_AOF=1 compacts Redis's append-only file before the load,
# so a rewrite Redis would start mid-run (when the file passes its
# threshold) does not fall into the window: for figures of the steady state.
if [ "${BENCH_COMPACT_AOF:-}" = 1 ] && command -v redis-cli >/dev/null 2>&1; then
  rcli bgrewriteaof >/dev/null
  for _ in $(seq 600); do
    rcli info persistence | grep -Eq '^aof_rewrite_(in_progress|scheduled):1' || break
    sleep 0.5
  done
fi
c0=$(xact_commits)
prof=""
if [ -n "${BENCH_CPUPROFILE:-}" ]; then
  (sleep 5; curl -sf -o "$out/$name.cpu.pprof" "http://$ADMIN_ADDR/debug/pprof/profile?seconds=$BENCH_CPUPROFILE") &
  prof=$!
fi
# CPU seconds (user + system) of every process named $1, for the services'
# share of the machine during the load (all Postgres backends, Redis).
cpu_of() {
  local total=0 p t
  for p in $(pgrep -x "$1"); do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || continue
    total=$((total + t))
  done
  echo "$total"
}
pg0=$(cpu_of postgres); rd0=$(cpu_of redis-server); t0=$(date +%s.%N); aw0=$(aof_rewrites)
status=0
bin/loadtest bids -url "http://127.0.0.1:$port" -rooms "$out/$name.rooms.json" -server-pid "$pid" \
  -json "$out/$name.json" "$@" || status=$?
pg1=$(cpu_of postgres); rd1=$(cpu_of redis-server); t1=$(date +%s.%N); aw1=$(aof_rewrites)
# Over the whole loadtest run (joins and the audit included), so a little
# under the load's own rate; a backend that exited during it is not counted.
awk -v pg=$((pg1 - pg0)) -v rd=$((rd1 - rd0)) -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" \
  'BEGIN { printf "services cpu over the run (%.0f s): postgres_cpu_cores=%.2f redis_cpu_cores=%.2f\n",
           t1 - t0, pg / hz / (t1 - t0), rd / hz / (t1 - t0) }' | tee "$out/$name.services.txt"
if [ -n "$aw0" ] && [ -n "$aw1" ]; then
  echo "redis append-only rewrites during the run: $((aw1 - aw0))" | tee -a "$out/$name.services.txt"
fi
[ -z "$prof" ] || wait "$prof" || true
# The stage histograms, and per stage: count, mean, p50/p90/p99 (the upper
# bound of the bucket the quantile falls in).
metrics=$(curl -sf "http://$ADMIN_ADDR/metrics" || true)
grep '^bidcast_bid_stage_seconds' <<<"$metrics" >"$out/$name.stages.txt" || true
# The gateway's totals (messages written to clients, slow consumers).
grep '^bidcast_ws_' <<<"$metrics" | tee "$out/$name.ws.txt" | grep -E '_(messages_(in|out)|slow_consumers)_total' || true
# Rooms' batches per Postgres transaction (the node's commit group).
grep '^bidcast_bid_commit_group' <<<"$metrics" || true
awk -F'[{}" ]+' '
  /_bucket/ { split($0, a, "le=\""); split(a[2], b, "\""); le = b[1]; st = $3
              n[st]++; ub[st, n[st]] = le; cum[st, n[st]] = $NF; order[st] = 1 }
  /_sum/    { sum[$3] = $NF }
  /_count/  { cnt[$3] = $NF }
  END {
    printf "%-16s %8s %9s %9s %9s %9s\n", "stage", "count", "mean_ms", "p50_ms", "p90_ms", "p99_ms"
    for (st in order) {
      if (cnt[st] == 0) continue
      line = sprintf("%-16s %8d %9.2f", st, cnt[st], 1000 * sum[st] / cnt[st])
      split("0.5 0.9 0.99", qs, " ")
      for (q = 1; q <= 3; q++) {
        v = "inf"
        for (i = 1; i <= n[st]; i++) if (cum[st, i] >= qs[q] * cnt[st]) { v = ub[st, i]; break }
        line = line sprintf(" %9s", v == "+Inf" ? "inf" : sprintf("%.1f", 1000 * v))
      }
      print line
    }
  }' "$out/$name.stages.txt" | tee "$out/$name.stages.summary.txt" || true
c1=$(xact_commits)
if [ -n "$c0" ] && [ -n "$c1" ] && command -v jq >/dev/null 2>&1; then
  jq --argjson c "$((c1 - c0))" '.bids | {commits: $c, bid_s: .bid_s, decided: (.accepted + .rejected),
      commits_per_s: (if .bid_s > 0 then $c / .bid_s else null end),
      bids_per_commit: (if $c > 0 then (.accepted + .rejected) / $c else null end)}' \
    "$out/$name.json" | tee "$out/$name.pg.json"
fi
exit "$status"
