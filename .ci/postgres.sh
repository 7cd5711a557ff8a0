#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for the test suite; the system's own clusters
# are never touched. Installs Debian's postgresql package when no server binaries exist.
#
#   eval "$(.ci/postgres.sh start)"   # prints SKILL_TEST_POSTGRES_URL=... (reuses a running one)
#   .ci/postgres.sh stop
#
# The cluster lives in $SKILL_TEST_PGROOT (default: a fixed folder under /tmp) so a second run
# reuses it: start is a no-op when it is already up, ~0.5 s when it only needs starting.
set -euo pipefail

ROOT="${SKILL_TEST_PGROOT:-${TMPDIR:-/tmp}/back-twitch-helper-postgres}"
DATA="$ROOT/data"
DATABASE=skill_test

log() { echo "postgres.sh: $*" >&2; }

server_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

install_server() {
    log "no PostgreSQL server binaries: installing Debian's postgresql package"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

# initdb and postgres refuse to run as root: run them as the postgres user when we are root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# With SO_REUSEADDR, as PostgreSQL binds: a port whose old connections linger in TIME_WAIT
# after a stop is free to the server, and a restart must get the same URL back.
port_is_free() {
    python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

init_cluster() {
    local bin="$1" major="$2"
    if [ -f "$DATA/PG_VERSION" ] && [ "$(cat "$DATA/PG_VERSION")" = "$major" ]; then
        return
    fi
    rm -rf "$ROOT"
    mkdir -p "$ROOT"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$ROOT"; fi
    log "creating a throwaway cluster in $DATA"
    as_owner "$bin/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
    # Loopback only; durability is pointless for a test server, speed is not.
    as_owner tee -a "$DATA/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$ROOT'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
CONF
}

start() {
    if [ -z "$(server_bin)" ]; then install_server; fi
    local bin major port started=0
    bin="$(server_bin)"
    major="$(basename "$(dirname "$bin")")"
    init_cluster "$bin" "$major"
    if ! as_owner "$bin/pg_ctl" status -D "$DATA" >/dev/null 2>&1; then
        # The last port again if it is still free (a restart keeps its URL), else a fresh one.
        if ! [ -s "$ROOT/port" ] || ! port_is_free "$(cat "$ROOT/port")"; then
            free_port >"$ROOT/port"
        fi
        as_owner "$bin/pg_ctl" start -D "$DATA" -l "$ROOT/server.log" -o "-p $(cat "$ROOT/port")" -w -t 30 \
            >/dev/null || { cat "$ROOT/server.log" >&2; exit 1; }
        started=1
    fi
    port="$(cat "$ROOT/port")"
    if [ "$("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
        "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE $DATABASE" >/dev/null
    fi
    echo "SKILL_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/$DATABASE"
    echo "SKILL_TEST_POSTGRES_STARTED=$started"
}

stop() {
    local bin
    bin="$(server_bin)"
    if [ -n "$bin" ] && [ -f "$DATA/PG_VERSION" ]; then
        as_owner "$bin/pg_ctl" stop -D "$DATA" -m fast >/dev/null 2>&1 || true
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
