#!/usr/bin/env bash
# services.sh starts (or reuses) the private Postgres and Redis that `make run`
# and `make test` talk to, and writes .data/env for a shell to source.
#
#   scripts/services.sh start   install what is missing, start, write .data/env
#   scripts/services.sh stop    stop both private instances
#   scripts/services.sh install PACKAGE...   apt-get install, waiting for the dpkg lock
#                               (`make interop` installs python3-aiortc this way)
#   scripts/services.sh with CMD...   start, run CMD, then stop what this start
#                               started (not what was up before); CMD's status
#   scripts/services.sh clean   stop both and delete their data (.data/ but
#                               .data/bin, and the cluster under /var/lib/bidcast)
#
# Data lives in .data/ (pg/, redis/, passwords, env). When root's checkout sits
# where the postgres user cannot enter, the cluster lives in
# /var/lib/bidcast/<hash>/pg (BIDCAST_VAR_DIR overrides the base) and .data/pg
# links to it; `stop` and `clean` also find clusters there whose checkout
# is gone: stop stops them, clean deletes them.
#
# A DATABASE_URL or REDIS_URL set in the environment names an external
# service: it is written to .data/env as it is and nothing is started for it.
# (URLs of this checkout's own instances, from a shell that sourced .data/env,
# do not count as external.) The private Redis requires a password, kept in
# .data/redis.pass and written into REDIS_URL.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data="$root/.data"
# Each checkout gets its own ports (derived from its path), so two clones on one
# machine never share or fight over an instance. Both can be overridden.
offset=$(( $(printf '%s' "$root" | cksum | cut -d' ' -f1) % 2000 ))
pg_port=${BIDCAST_PG_PORT:-$((54000 + offset))}
redis_port=${BIDCAST_REDIS_PORT:-$((57000 + offset))}
log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

# Package installs wait for the dpkg lock (a fresh cloud machine's automatic
# updates often hold it in its first minutes) up to BIDCAST_DPKG_LOCK_TIMEOUT
# seconds (default 300), saying who holds it. BIDCAST_DPKG_LOCKS (the lock
# files) and BIDCAST_APT_GET (the apt-get to run) exist for the tests.
dpkg_locks=${BIDCAST_DPKG_LOCKS:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock}
lock_timeout=${BIDCAST_DPKG_LOCK_TIMEOUT:-300}
apt_get=${BIDCAST_APT_GET:-apt-get}

# lock_holders prints "PID command line" for each process that has one of
# the dpkg lock files open (apt and dpkg keep it open while they hold it),
# found with fuser or lsof; without either, any running apt, dpkg or
# unattended-upgrade counts.
lock_holders() {
  local lock pids=""
  for lock in $dpkg_locks; do
    [ -e "$lock" ] || continue
    if command -v fuser >/dev/null 2>&1; then
      pids+=" $(fuser "$lock" 2>/dev/null || true)"
    elif command -v lsof >/dev/null 2>&1; then
      pids+=" $(lsof -t "$lock" 2>/dev/null || true)"
    else
      pids+=" $(pgrep -x 'apt|apt-get|dpkg|unattended-upgr' 2>/dev/null || true)"
    fi
  done
  local pid
  for pid in $(printf '%s\n' $pids | sort -u -n); do
    [ "$pid" = "$$" ] && continue
    printf '%s %s\n' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
  done
}

# wait_dpkg_lock waits until no process holds the dpkg lock, telling the
# user who does, or gives up after lock_timeout seconds.
wait_dpkg_lock() {
  local start=$SECONDS holders said=""
  while holders=$(lock_holders) && [ -n "$holders" ]; do
    if [ $((SECONDS - start)) -ge "$lock_timeout" ]; then
      die "the dpkg lock is still held after ${lock_timeout}s by:
$(printf '%s\n' "$holders" | sed 's/^/    /')
  another package manager is running (often the machine's automatic updates).
  Wait for it to finish and run the command again, or wait longer with
  BIDCAST_DPKG_LOCK_TIMEOUT=900; stop it only if you know it is stuck."
    fi
    if [ "$holders" != "$said" ]; then
      log "waiting for the dpkg lock (up to ${lock_timeout}s), held by:"
      printf '%s\n' "$holders" | sed 's/^/services:     /' >&2
      said=$holders
    fi
    sleep 1
  done
  [ -z "$said" ] || log "the dpkg lock is free after $((SECONDS - start))s"
}

# apt_run runs apt-get with its output in .data/apt.log, printing a
# progress line (the last thing apt did) every 10 seconds.
apt_run() {
  local start=$SECONDS pid last=""
  "$apt_get" -o DPkg::Lock::Timeout=60 "$@" >>"$data/apt.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ $(( (SECONDS - start) % 10 )) -eq 0 ]; then
      last=$(grep -E '^(Get:|Unpacking|Setting up|Selecting|Preparing)' "$data/apt.log" 2>/dev/null | tail -n 1 | cut -c1-100)
      log "  ... $((SECONDS - start))s${last:+: $last}"
    fi
  done
  wait "$pid"
}

# apt_install installs Debian packages when running as root; otherwise it says
# what is missing and stops.
apt_install() {
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ] && [ -z "${BIDCAST_APT_GET:-}" ]; then
    die "missing packages: $* (install them with: sudo apt-get install -y $*)"
  fi
  local start=$SECONDS
  log "installing $* from Debian's packages (apt's output: $data/apt.log)"
  export DEBIAN_FRONTEND=noninteractive
  : >"$data/apt.log"
  wait_dpkg_lock
  if ! apt_run install -y -q --no-install-recommends "$@"; then
    log "install failed; updating the package lists and trying again"
    wait_dpkg_lock
    apt_run update -q || true
    wait_dpkg_lock
    if ! apt_run install -y -q --no-install-recommends "$@"; then
      tail -n 5 "$data/apt.log" | sed 's/^/services:     /' >&2
      die "apt-get install $* failed after $((SECONDS - start))s; the whole output is in $data/apt.log.
  Fix what it says (no network? another package manager?) and run the command
  again, or install them yourself: apt-get install -y $*"
    fi
  fi
  log "installed $* in $((SECONDS - start))s"
}

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}

install_missing() {
  local want=()
  if [ -z "${REDIS_URL:-}" ]; then
    command -v redis-server >/dev/null 2>&1 || want+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || want+=(redis-tools)
  fi
  if [ -z "${DATABASE_URL:-}" ] && [ -z "$(pg_bindir)" ]; then want+=(postgresql); fi
  # ffmpeg makes the synthetic test clips for media and load tests.
  command -v ffmpeg >/dev/null 2>&1 || want+=(ffmpeg)
  # Headless Chromium runs the browser tests and the browser load test.
  command -v chromium >/dev/null 2>&1 || want+=(chromium)
  # coturn relays the SFU tests' relay-only peers (sfu TestHardNetworks).
  command -v turnserver >/dev/null 2>&1 || want+=(coturn)
  apt_install "${want[@]}"
}

# as_pg runs a command as the cluster's owner: Postgres refuses to run as root,
# so root hands the cluster to the `postgres` system user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_home picks the cluster directory. It is .data/pg unless root's checkout sits
# where the postgres user cannot reach (under /root, say); then the cluster
# lives under /var/lib/bidcast and .data/pg links to it.
var_dir=${BIDCAST_VAR_DIR:-/var/lib/bidcast}

pg_home() {
  if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$data" 2>/dev/null; then
    echo "$data/pg"; return
  fi
  local key
  key=$(printf '%s' "$root" | sha256sum | cut -c1-12)
  echo "$var_dir/$key/pg"
}

start_postgres() {
  local bin home pass
  bin=$(pg_bindir)
  [ -n "$bin" ] || die "PostgreSQL's initdb was not found"
  home=$(pg_home)
  if [ "$home" != "$data/pg" ] && [ ! -e "$data/pg" ]; then
    mkdir -p "$home"; ln -s "$home" "$data/pg"
  fi
  # A cluster outside the checkout names its checkout, so `stop` and
  # `clean` of any checkout can tell when that checkout is gone.
  [ "$home" = "$data/pg" ] || printf '%s\n' "$root" >"${home%/pg}/checkout"
  mkdir -p "$home"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$home" && chmod 700 "$home"
  if [ ! -s "$data/pg.pass" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$data/pg.pass")
  fi
  pass=$(cat "$data/pg.pass")
  if [ ! -f "$home/data/PG_VERSION" ]; then
    log "creating a private PostgreSQL cluster in $home/data"
    local pwfile="$home/.pw"
    printf '%s\n' "$pass" >"$pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres "$pwfile"
    as_pg "$bin/initdb" -D "$home/data" -U bidcast --pwfile="$pwfile" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
      >"$data/initdb.log" 2>&1 || die "initdb failed; see $data/initdb.log"
    rm -f "$pwfile"
  fi
  mkdir -p "$home/run"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$home/run"
  if [ -f "$home/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$home/data" status >/dev/null 2>&1; then
    log "PostgreSQL already up on 127.0.0.1:$pg_port"
  elif "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" 2>/dev/null; then
    die "port $pg_port is held by another PostgreSQL; set BIDCAST_PG_PORT to a free port"
  else
    log "starting PostgreSQL on 127.0.0.1:$pg_port (data in $home)"
    # The port lies in the kernel's range for outgoing connections, so a
    # client's socket can hold it for a while: until it closes, and then in
    # TIME_WAIT for 60 s. Wait that out (up to ~80 s); a port another server
    # listens on fails at once.
    local try seen
    for try in $(seq 40); do
      seen=$(line_count "$home/postgres.log")
      as_pg "$bin/pg_ctl" -D "$home/data" -l "$home/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $home/run -c max_connections=300 -c fsync=on" \
        start >/dev/null && break
      port_taken_for_now "$home/postgres.log" "$seen" "$pg_port" && [ "$try" -lt 40 ] \
        || die "PostgreSQL did not start; see $home/postgres.log$(port_holder "$pg_port")"
      log "port $pg_port is in use for now$(port_holder "$pg_port"); trying again in 2 s"
      sleep 2
    done
    echo postgres >>"$data/started"
  fi
  if ! PGPASSWORD=$pass "$bin/psql" -qtA -h 127.0.0.1 -p "$pg_port" -U bidcast -d postgres \
      -c "SELECT 1 FROM pg_database WHERE datname='bidcast'" | grep -q 1; then
    PGPASSWORD=$pass "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U bidcast bidcast
  fi
  echo "postgres://bidcast:$pass@127.0.0.1:$pg_port/bidcast?sslmode=disable"
}

# line_count prints how many lines file $1 has (0 if it does not exist).
line_count() {
  if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# log_says reports whether file $1, past its first $2 lines, says $3.
log_says() {
  [ -f "$1" ] && [ "$(tail -n "+$(($2 + 1))" "$1" | grep -c -- "$3" || true)" -gt 0 ]
}

# port_taken_for_now reports whether log $1 (past line $2) says the bind to
# port $3 failed while no listening socket holds that port: an outgoing
# connection's socket that will go away, not another server.
port_taken_for_now() {
  log_says "$1" "$2" "Address already in use" && [ -z "$(ss -Hltn "( sport = :$3 )" 2>/dev/null)" ]
}

# port_holder names what holds TCP port $1 on loopback, if ss can tell.
port_holder() {
  local who
  who=$(ss -Htanp "( sport = :$1 )" 2>/dev/null | awk '{print $1, $4, $5, $6}' | head -n 3 | tr '\n' ';')
  if [ -n "$who" ]; then printf ' (held by: %s)' "$who"; fi
}

# start_redis_once starts redis-server (config file $1) on $redis_port and
# waits until it answers, or its log (past line $2) says the port is taken.
# A large append-only file takes a while to load; Redis answers LOADING
# until it has, so it waits as long as it says that (up to ten minutes), and
# up to 5 s for any other answer (the port not open yet, say).
start_redis_once() {
  # The append-only file is compacted by a forked child that writes the
  # whole dataset; under a bid storm Redis's default (every 64 MB of
  # growth) ran it every few seconds, and on two cores each run stalled
  # bids for seconds. Compacting after 1 GB of growth keeps the same
  # durability (fsync every second) with a rewrite every few minutes.
  redis-server "$1" --bind 127.0.0.1 --port "$redis_port" --dir "$data/redis" \
    --appendonly yes --appendfsync everysec --save '' --auto-aof-rewrite-min-size 1gb --daemonize yes \
    --pidfile "$data/redis/redis.pid" --logfile "$data/redis/redis.log" \
    || die "Redis did not start; see $data/redis/redis.log"
  local started=$SECONDS reply
  for _ in $(seq 6000); do
    reply=$(rcli ping 2>&1 || true)
    case "$reply" in
      *PONG*) return 0 ;;
      *LOADING*) ;;
      *)
        [ "$SECONDS" -lt "$((started + 5))" ] || return 1
        ! log_says "$data/redis/redis.log" "$2" "Address already in use" || return 1
        ;;
    esac
    sleep 0.1
  done
  return 1
}

# Redis asks for a password, generated once and kept in .data/redis.pass
# (mode 600) like Postgres's: anyone who can write to the bid pipeline's Redis
# can forge bids and events. The password reaches redis-server through a
# config file and redis-cli through REDISCLI_AUTH, never a command line that
# `ps` shows.
redis_pass() {
  if [ ! -s "$data/redis.pass" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$data/redis.pass")
  fi
  cat "$data/redis.pass"
}

# rcli talks to the private Redis with its password; rcli_open without one.
rcli() { REDISCLI_AUTH=$(cat "$data/redis.pass") redis-cli -h 127.0.0.1 -p "$redis_port" "$@" 2>/dev/null; }
rcli_open() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@" 2>/dev/null; }

# ours reports whether the Redis that answered keeps its data in .data/redis.
ours() { [ "$(tail -n 1)" = "$data/redis" ]; }

start_redis() {
  local pass conf
  mkdir -p "$data/redis"
  pass=$(redis_pass)
  conf="$data/redis/redis.conf"
  (umask 077; printf '# written by scripts/services.sh\nrequirepass %s\n' "$pass" >"$conf")
  if rcli_open ping | grep -q PONG; then
    # Started by an older services.sh, without a password: protect it in
    # place (no restart, so nothing in the append-only file is at risk);
    # later starts read the password from redis.conf.
    rcli_open config get dir | ours \
      || die "port $redis_port is held by another Redis; set BIDCAST_REDIS_PORT to a free port"
    printf 'CONFIG SET requirepass %s\n' "$pass" | rcli_open | grep -q OK \
      || die "could not set a password on the Redis at 127.0.0.1:$redis_port"
    log "Redis on 127.0.0.1:$redis_port ran without a password; it has one now (kept in $data/redis.pass)"
  elif rcli ping | grep -q PONG; then
    rcli config get dir | ours \
      || die "port $redis_port is held by another Redis; set BIDCAST_REDIS_PORT to a free port"
    log "Redis already up on 127.0.0.1:$redis_port"
  elif redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    die "port $redis_port is held by a Redis with another password; set BIDCAST_REDIS_PORT to a free port"
  else
    log "starting Redis on 127.0.0.1:$redis_port (append-only file on, password required)"
    # As with Postgres, a client's socket may hold the port for a while.
    local try seen
    for try in $(seq 40); do
      seen=$(line_count "$data/redis/redis.log")
      start_redis_once "$conf" "$seen" && break
      port_taken_for_now "$data/redis/redis.log" "$seen" "$redis_port" \
        && [ "$try" -lt 40 ] || die "Redis is not answering; see $data/redis/redis.log$(port_holder "$redis_port")"
      log "port $redis_port is in use for now$(port_holder "$redis_port"); trying again in 2 s"
      sleep 2
    done
    echo redis >>"$data/started"
  fi
  echo "redis://:$pass@127.0.0.1:$redis_port/0"
}

cmd_start() {
  mkdir -p "$data"
  # A URL that names this checkout's own instance came from .data/env (a shell
  # that sourced it, as the README says): it is not external, and the
  # instance is started if it is down.
  case "${DATABASE_URL:-}" in *@127.0.0.1:"$pg_port"/*) unset DATABASE_URL ;; esac
  case "${REDIS_URL:-}" in redis://127.0.0.1:"$redis_port"/* | redis://*@127.0.0.1:"$redis_port"/*) unset REDIS_URL ;; esac
  install_missing
  # .data/started lists what this start started (for `with`).
  : >"$data/started"
  local db=${DATABASE_URL:-} rd=${REDIS_URL:-}
  [ -n "$db" ] || db=$(start_postgres)
  [ -n "$rd" ] || rd=$(start_redis)
  (umask 077; { printf 'DATABASE_URL=%s\nREDIS_URL=%s\n' "$db" "$rd"; auth_keys; } >"$data/env.new")
  mv "$data/env.new" "$data/env"
  log "wrote $data/env"
}

# auth_keys prints the sign-in keys of this checkout, made once and kept in
# .data/auth.keys, so sessions survive a second `make run`. A key the
# environment sets to another value is the operator's own and is left out
# (.data/env would override it); the same value came from .data/env itself
# and is kept, or the next server would sign with a random key.
auth_keys() {
  local keys="$data/auth.keys"
  if [ ! -s "$keys" ]; then
    (umask 077; for k in AUTH_JWT_KEY AUTH_COOKIE_HASH_KEY AUTH_COOKIE_BLOCK_KEY; do
      printf '%s=%s\n' "$k" "$(head -c 32 /dev/urandom | base64 -w0)"
    done >"$keys")
  fi
  local line name
  while IFS= read -r line; do
    name=${line%%=*}
    case "${!name:-}" in "" | "${line#*=}") printf '%s\n' "$line" ;; esac
  done <"$keys"
}

# cmd_stop stops this checkout's instances (both, or those named:
# postgres, redis), then the clusters of checkouts that are gone.
cmd_stop() {
  local home bin which=" ${*:-postgres redis} "
  bin=$(pg_bindir)
  home=$(pg_home)
  if [[ $which == *" postgres "* ]] && [ -n "$bin" ] && [ -f "$home/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$home/data" -m fast -w stop >/dev/null && log "PostgreSQL stopped"
  fi
  if [[ $which == *" redis "* ]]; then
    if [ -s "$data/redis.pass" ] && rcli config get dir | ours; then
      rcli shutdown >/dev/null || true
      log "Redis stopped"
    elif rcli_open config get dir | ours; then
      rcli_open shutdown >/dev/null || true
      log "Redis stopped"
    fi
  fi
  orphans stop
}

# orphans finds the clusters under $var_dir whose checkout is gone (deleted
# clones) and stops their PostgreSQL; with "remove" it deletes them too.
orphans() {
  local dir checkout bin
  bin=$(pg_bindir)
  for dir in "$var_dir"/*/; do
    dir=${dir%/}
    [ -d "$dir/pg" ] || continue
    checkout=$(cat "$dir/checkout" 2>/dev/null || true)
    if [ -n "$checkout" ] && [ -e "$checkout/.data/pg" ]; then continue; fi
    if [ -n "$bin" ] && [ -f "$dir/pg/data/postmaster.pid" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 \
        && log "stopped the PostgreSQL of ${checkout:-a checkout} that is gone ($dir)"
    fi
    if [ "$1" = remove ]; then
      rm -rf "$dir" && log "deleted $dir (${checkout:-unknown checkout}, gone)"
    else
      log "$dir holds the cluster of ${checkout:-a checkout} that is gone ($(du -sh "$dir" 2>/dev/null | cut -f1)); \`make clean-data\` deletes it"
    fi
  done
}

# cmd_clean stops this checkout's instances and deletes their data (the
# tools in .data/bin stay), then deletes the clusters of checkouts that are
# gone.
cmd_clean() {
  local home
  home=$(pg_home)
  cmd_stop >/dev/null
  if [ "$home" != "$data/pg" ]; then
    rm -rf "${home%/pg}" && log "deleted ${home%/pg}"
  fi
  if [ -d "$data" ]; then
    find "$data" -mindepth 1 -maxdepth 1 ! -name bin -exec rm -rf {} +
    log "deleted the data in $data (kept $data/bin)"
  fi
  orphans remove
}

# cmd_with starts the services, runs "$@", and then stops what this start
# started, also when "$@" fails or is interrupted, and when the start itself
# fails halfway (Postgres up, then Redis refused); it exits with "$@"'s
# status.
cmd_with() {
  [ $# -gt 0 ] || die "usage: $0 with COMMAND..."
  mkdir -p "$data"
  : >"$data/started"
  # Globals: the EXIT trap reads them. Until the start has ended the trap
  # reads .data/started itself; after, the list as the start left it ("$@"
  # may run a start of its own, which rewrites the file).
  started="" start_ended=""
  trap stop_started EXIT
  trap 'exit 130' INT TERM
  bash "${BASH_SOURCE[0]}" start || exit
  started=$(tr '\n' ' ' <"$data/started")
  start_ended=1
  local rc=0
  "$@" || rc=$?
  exit "$rc"
}

# stop_started stops what cmd_with's start started (its EXIT trap).
stop_started() {
  local list=$started
  [ -n "$start_ended" ] || list=$(tr '\n' ' ' <"$data/started" 2>/dev/null || true)
  if [ -n "${list// /}" ]; then
    log "stopping what this run started: $list"
    bash "${BASH_SOURCE[0]}" stop $list
  fi
}

case "${1:-start}" in
  start) cmd_start ;;
  stop) shift; cmd_stop "$@" ;;
  install) mkdir -p "$data"; shift; apt_install "$@" ;;
  with) shift; cmd_with "$@" ;;
  clean) cmd_clean ;;
  *) die "usage: $0 start|stop [postgres|redis]|install PACKAGE...|with COMMAND...|clean" ;;
esac
