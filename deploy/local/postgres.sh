#!/usr/bin/env bash
# A throwaway local PostgreSQL cluster for development and the integration tests.
#
#   deploy/local/postgres.sh start    install the server when missing, init + start, print the DSN
#   deploy/local/postgres.sh stop     stop the cluster (data kept; `clean` removes it)
#   deploy/local/postgres.sh status   exit 0 and print the DSN when running, exit 3 when not
#   deploy/local/postgres.sh restart  restart the running cluster (used by the fault tests)
#   deploy/local/postgres.sh dsn      print the DSN
#   deploy/local/postgres.sh clean    stop and delete the cluster's directory
#
# PG_LOCAL_STOP_MODE=immediate makes stop/restart simulate a crash (pg_ctl -m immediate).
#
# The cluster lives in deploy/local/.state/postgres (gitignored; override with PG_LOCAL_STATE),
# listens on 127.0.0.1:${PG_LOCAL_PORT:-15432} and on a socket in that directory, and has a
# database and a login role (both "news" unless PG_LOCAL_DB / PG_LOCAL_USER say otherwise).
# The role's password is random, kept in a 0600 passfile next to the data directory; the printed
# DSN names that passfile, so it contains no secret and can be logged. Every command is idempotent.
# Run as root, the server runs as the system user "postgres" (initdb refuses to run as root).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${PG_LOCAL_STATE:-$ROOT/deploy/local/.state/postgres}"
PORT="${PG_LOCAL_PORT:-15432}"
DB="${PG_LOCAL_DB:-news}"
ROLE="${PG_LOCAL_USER:-news}"
DATA="$STATE/data"
SOCKET_DIR="$STATE/socket"
PASSFILE="$STATE/pgpass"
LOG="$STATE/server.log"
SERVER_USER="postgres"

log() { echo "postgres.sh: $*" >&2; }
die() { log "$*"; exit 1; }

case "$DB$ROLE" in *[!A-Za-z0-9_]*) die "PG_LOCAL_DB and PG_LOCAL_USER must be plain identifiers" ;; esac
case "$PORT" in '' | *[!0-9]*) die "PG_LOCAL_PORT must be a number" ;; esac

find_bindir() {
  local dir
  if command -v pg_config >/dev/null 2>&1 && dir="$(pg_config --bindir 2>/dev/null)" && [ -x "$dir/initdb" ]; then
    echo "$dir"; return 0
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  dir="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
  [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  return 1
}

install_server() {
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed and we are not root: install the 'postgresql' package"
  log "installing the Debian 'postgresql' package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
}

BIN="$(find_bindir || true)"

# Run a command as the cluster's owner: the "postgres" system user when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$SERVER_USER" -- "$@"
  else
    "$@"
  fi
}

ensure_server_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  getent passwd "$SERVER_USER" >/dev/null || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$SERVER_USER"
}

dsn() {
  echo "host=127.0.0.1 port=$PORT dbname=$DB user=$ROLE passfile=$PASSFILE"
}

running() {
  [ -n "$BIN" ] && [ -f "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

psql_admin() {
  as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PORT" -U postgres -d postgres "$@"
}

init_cluster() {
  mkdir -p "$STATE" "$SOCKET_DIR"
  chmod 700 "$STATE"
  if [ "$(id -u)" -eq 0 ]; then
    # The owner must reach the state directory: every parent must be traversable.
    chown "$SERVER_USER": "$STATE" "$SOCKET_DIR"
    runuser -u "$SERVER_USER" -- test -w "$STATE" || die "user $SERVER_USER cannot write $STATE (a parent directory is not traversable?)"
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    log "initialising a cluster in $DATA"
    rm -rf "$DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >"$STATE/initdb.log" 2>&1 \
      || { cat "$STATE/initdb.log" >&2; die "initdb failed"; }
    cat >>"$DATA/postgresql.conf" <<EOF

# deploy/local/postgres.sh
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = 50
shared_buffers = 64MB
timezone = 'UTC'
log_timezone = 'UTC'
EOF
  fi
  if [ ! -s "$PASSFILE" ]; then
    local password
    password="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    (umask 077; echo "127.0.0.1:$PORT:*:$ROLE:$password" >"$PASSFILE")
  fi
  # libpq refuses a passfile others can read; keep it 0600 and owned by whoever runs the clients.
  chmod 600 "$PASSFILE"
}

start() {
  if [ -z "$BIN" ]; then
    install_server
    BIN="$(find_bindir)" || die "no initdb after installing postgresql"
  fi
  ensure_server_user
  if running; then
    log "already running on 127.0.0.1:$PORT"
  else
    init_cluster
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; then
      die "another server already listens on 127.0.0.1:$PORT; set PG_LOCAL_PORT"
    fi
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null || { tail -n 20 "$LOG" >&2; die "pg_ctl start failed"; }
  fi
  provision
  dsn
}

# Create (or update) the role and the database. The password goes through stdin, never argv.
provision() {
  local password
  password="$(cut -d: -f5- "$PASSFILE")"
  case "$password" in '' | *[!0-9a-f]*) die "unexpected password format in $PASSFILE" ;; esac
  psql_admin -v role="$ROLE" -v db="$DB" -f - <<SQL
\\set pw '$password'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN CREATEDB PASSWORD %L', :'role', :'pw') \\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \\gexec
SQL
}

stop() {
  if running; then
    as_owner "$BIN/pg_ctl" -D "$DATA" -m "${PG_LOCAL_STOP_MODE:-fast}" -w -t 60 stop >/dev/null
    log "stopped"
  else
    log "not running"
  fi
}

restart() {
  running || die "not running"
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -m "${PG_LOCAL_STOP_MODE:-fast}" -w -t 60 restart >/dev/null
  log "restarted"
}

status() {
  if running; then
    dsn
  else
    log "not running"
    exit 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  status) status ;;
  dsn) dsn ;;
  clean) stop; rm -rf "$STATE"; log "removed $STATE" ;;
  *) echo "usage: $0 start|stop|status|restart|dsn|clean" >&2; exit 2 ;;
esac
