# tempdb.sh is sourced by the load-test scripts: `tempdb_create NAME` makes
# a database of its own on the cluster of DATABASE_URL and points
# DATABASE_URL at it; `tempdb_drop` removes it. A run on its own database
# neither sees rooms left live by earlier runs nor leaves any behind for
# `make run` to claim. Without psql (an external Postgres and no client) the
# run keeps DATABASE_URL as it is.
tempdb_create() {
  command -v psql >/dev/null 2>&1 || { TEMPDB=""; return 0; }
  TEMPDB="bidcast_${1}_$(date +%s)_$$"
  TEMPDB_ADMIN_URL=$DATABASE_URL
  psql -q "$DATABASE_URL" -c "CREATE DATABASE $TEMPDB" >/dev/null
  local base=${DATABASE_URL%%\?*} query=""
  [[ "$DATABASE_URL" == *\?* ]] && query="?${DATABASE_URL#*\?}"
  export DATABASE_URL="${base%/*}/$TEMPDB$query"
}

tempdb_drop() {
  [ -n "${TEMPDB:-}" ] || return 0
  psql -q "$TEMPDB_ADMIN_URL" -c "DROP DATABASE IF EXISTS $TEMPDB WITH (FORCE)" >/dev/null 2>&1 || true
}
