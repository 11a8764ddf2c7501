#!/usr/bin/env bash
# bench-sfu-peers.sh [VIEWERS] [DURATION] [extra `loadtest viewers` flags...]
#
# The SFU side by side (docs/PERFORMANCE.md, "SFU side by side"): one run of
# the same harness (`loadtest viewers`: one synthetic WHIP publisher of the
# 1.5 Mbit/s H.264 clip, VIEWERS Pion WHEP viewers) against Bidcast's bare
# SFU (`loadtest sfuserver`) and against MediaMTX, each in its own process on
# loopback, then `loadtest udpfloor` (the kernel's cost of the same number of
# datagrams with no SFU). Needs no Postgres or Redis.
#
# MediaMTX is built from its own repository OUTSIDE this one: set MEDIAMTX to
# a binary, or MEDIAMTX_SRC to a checkout (default $PEERS/mediamtx, cloned
# from github.com/bluenviron/mediamtx when absent); none of its code enters
# this repository. Reports land in artifacts/bench/peers-*.json; the last
# lines printed are the three summary lines.
#
#   make bench-sfu-peers                 # 200 viewers, 30 s steady phase
#   scripts/bench-sfu-peers.sh 200 60s -no-audio
#   PROFILE=1 make bench-sfu-peers       # also artifacts/bench/peers-bidcast.prof
#   SFU_FLAGS=-no-gso make bench-sfu-peers   # Bidcast without UDP GSO (sendmmsg only)
#   SFU_FLAGS=-no-direct make bench-sfu-peers   # every packet through Pion's write chain
#   PIN=1 make bench-sfu-peers           # each server on CPU 1, the generator on CPU 0 (taskset)
set -euo pipefail
cd "$(dirname "$0")/.."
viewers=${1:-200}
duration=${2:-30s}
shift $(( $# < 2 ? $# : 2 ))
extra=("$@")
peers=${PEERS:-/tmp/peers}
out=artifacts/bench; mkdir -p "$out" "$peers"
go build -o bin/loadtest ./cmd/loadtest

mtx=${MEDIAMTX:-}
if [ -z "$mtx" ]; then
  src=${MEDIAMTX_SRC:-$peers/mediamtx}
  mtx=$src/mediamtx
  if [ ! -x "$mtx" ]; then
    [ -f "$src/go.mod" ] || git clone --depth 1 https://github.com/bluenviron/mediamtx "$src"
    # Its go:generate steps download hls.js and a version string; WHIP/WHEP
    # need neither, so placeholders let it build offline.
    [ -f "$src/internal/core/VERSION" ] || echo v0.0.0-bench >"$src/internal/core/VERSION"
    [ -f "$src/internal/servers/hls/hls.min.js" ] || echo '/* not fetched */' >"$src/internal/servers/hls/hls.min.js"
    (cd "$src" && go build -o mediamtx .)
  fi
fi

hport=$(bin/loadtest freeport tcp); uport=$(bin/loadtest freeport udp)
mport=$(bin/loadtest freeport tcp); muport=$(bin/loadtest freeport udp)
cat >"$out/peers-mediamtx.yml" <<YML
logLevel: warn
api: no
metrics: no
pprof: no
playback: no
rtsp: no
rtmp: no
hls: no
srt: no
moq: no
webrtc: yes
webrtcAddress: 127.0.0.1:$mport
webrtcEncryption: no
webrtcLocalUDPAddress: 127.0.0.1:$muport
webrtcLocalTCPAddress: ''
webrtcIPsFromInterfaces: no
webrtcAdditionalHosts: [127.0.0.1]
webrtcICEServers2: []
authInternalUsers:
- user: any
  permissions:
  - action: publish
  - action: read
paths:
  all_others:
YML

# PIN=1 keeps the server under test and the generator off each other's core,
# a stand-in for a generator on another machine (the loopback's kernel work
# still lands on the sender).
srv=(); gen=()
if [ -n "${PIN:-}" ]; then srv=(taskset -c 1); gen=(taskset -c 0); fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
waitport() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

run_bidcast() {
  "${srv[@]}" bin/loadtest sfuserver -addr 127.0.0.1:$hport -ice-udp 127.0.0.1:$uport ${SFU_FLAGS:-} >"$out/peers-bidcast.log" 2>&1 & spid=$!; pids+=($spid)
  waitport "$hport"
  if [ -n "${PROFILE:-}" ]; then # a 20 s CPU profile of the server from 5 s into the steady phase
    (sleep $(( viewers / 20 + 7 )); curl -s -o "$out/peers-bidcast.prof" \
      "http://127.0.0.1:$hport/debug/pprof/profile?seconds=20") & pids+=($!)
  fi
  "${gen[@]}" bin/loadtest viewers -url http://127.0.0.1:$hport -room bench -viewers "$viewers" -duration "$duration" \
    -server-pid $spid -json "$out/peers-bidcast.json" "${extra[@]}" >"$out/peers-bidcast.txt"
  kill $spid; wait $spid 2>/dev/null || true
}

run_mediamtx() {
  "${srv[@]}" "$mtx" "$out/peers-mediamtx.yml" >"$out/peers-mediamtx.log" 2>&1 & mpid=$!; pids+=($mpid)
  waitport "$mport"
  "${gen[@]}" bin/loadtest viewers -url http://127.0.0.1:$mport -room bench -whip-path '/{room}/whip' -whep-path '/{room}/whep' \
    -viewers "$viewers" -duration "$duration" -server-pid $mpid -json "$out/peers-mediamtx.json" "${extra[@]}" >"$out/peers-mediamtx.txt"
  kill $mpid; wait $mpid 2>/dev/null || true
}

run_udpfloor() {
  # The floor sends what a viewer received from Bidcast: its datagrams per
  # second (video and, unless -no-audio, audio) at their mean size.
  read -r pps size < <(python3 - "$out/peers-bidcast.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["viewers"]
vid_pps = v["expected_packets"] / v["steady_s"] / v["connected"]
aud_pps = 50 if v.get("audio") else 0          # Opus, 20 ms frames
vid_b = v["bitrate_kbps"] * 1000 / 8 / vid_pps
aud_b = v.get("audio_kbps", 0) * 1000 / 8 / 50 if aud_pps else 0
pps = vid_pps + aud_pps
print(round(pps), round((vid_pps * vid_b + aud_pps * aud_b) / pps) + 28)  # + SRTP and RTP header
PY
  )
  bport=$(bin/loadtest freeport udp)
  bin/loadtest udpsink -sockets "$viewers" -base-port "$bport" & kpid=$!; pids+=($kpid)
  sleep 1
  bin/loadtest udpfloor -sockets "$viewers" -base-port "$bport" -pps "$pps" -size "$size" -duration 20s >"$out/peers-udpfloor.txt"
  kill $kpid; wait $kpid 2>/dev/null || true
}

echo "== $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg), nproc $(nproc)"
# ORDER="mediamtx bidcast" swaps the servers; the floor runs right after
# Bidcast (it sends what Bidcast's viewers received).
for s in ${ORDER:-bidcast mediamtx}; do
  for step in $s $([ "$s" = bidcast ] && echo udpfloor); do
    echo "-- $step from $(date -u +%T), load average $(cut -d' ' -f1 /proc/loadavg)"
    run_$step
  done
done
echo "== done $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bidcast  $(tail -1 "$out/peers-bidcast.txt")"
echo "mediamtx $(tail -1 "$out/peers-mediamtx.txt")"
echo "udpfloor $(tail -1 "$out/peers-udpfloor.txt")"
