#!/usr/bin/env bash
# Stops or starts the throwaway database server that .ci/mysql-setup.sh or .ci/postgres-setup.sh started,
# for the tests that take the server away in the middle of a run.
#
#   bash .ci/db-control.sh mysql stop        # returns once the server process has exited
#   bash .ci/db-control.sh postgres start    # returns once the server answers again (exit 1 if it does not in 60 s)
#
# 'stop' is a clean, fast shutdown: open sessions are cut, committed data stays. 'start' runs the setup script
# again (quick when the data exists: no install, no initdb), which starts the same server on the same port with the
# same password, and waits until it answers; it writes no .env file. The same environment overrides as the setup
# scripts apply (ENCRYPTEDSTORE_MYSQL_PORT/_DATADIR, ENCRYPTEDSTORE_POSTGRES_PORT/_DIR), so a test can control a
# private server of its own rather than the shared one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { echo "usage: $0 mysql|postgres stop|start" >&2; exit 2; }
[ $# -eq 2 ] || usage
server="$1"
action="$2"

# Waits up to 60 s for a process to exit.
wait_gone() {
    local pid="$1"
    for _ in $(seq 1 240); do
        if ! kill -0 "$pid" 2>/dev/null; then return 0; fi
        sleep 0.25
    done
    echo "db-control: process $pid did not exit within 60 s" >&2
    return 1
}

mysql_stop() {
    local datadir="${ENCRYPTEDSTORE_MYSQL_DATADIR:-/tmp/encryptedstore-mariadb}"
    local pid_file="$datadir/mysqld.pid"
    if [ ! -s "$pid_file" ]; then echo "db-control: MariaDB is not running (no $pid_file)" >&2; return 0; fi
    local pid
    pid="$(cat "$pid_file")"
    if ! kill -0 "$pid" 2>/dev/null; then echo "db-control: MariaDB is not running" >&2; return 0; fi
    kill -TERM "$pid"
    wait_gone "$pid"
    echo "db-control: MariaDB stopped" >&2
}

postgres_stop() {
    local base="${ENCRYPTEDSTORE_POSTGRES_DIR:-/tmp/encryptedstore-postgres}"
    if [ ! -s "$base/bindir" ] || [ ! -d "$base/data" ]; then
        echo "db-control: no PostgreSQL cluster under $base (run .ci/postgres-setup.sh)" >&2
        return 1
    fi
    local bindir
    bindir="$(cat "$base/bindir")"
    if ! runuser -u postgres -- "$bindir/pg_ctl" -D "$base/data" status >/dev/null 2>&1; then
        echo "db-control: PostgreSQL is not running" >&2
        return 0
    fi
    runuser -u postgres -- "$bindir/pg_ctl" -D "$base/data" -m fast -w -t 60 stop >/dev/null
    echo "db-control: PostgreSQL stopped" >&2
}

case "$server:$action" in
    mysql:stop) mysql_stop ;;
    postgres:stop) postgres_stop ;;
    # The setup script prints the connection string (with its password) on stdout: not echoed here.
    mysql:start) bash "$here/mysql-setup.sh" /dev/null >/dev/null ;;
    postgres:start) bash "$here/postgres-setup.sh" /dev/null >/dev/null ;;
    *) usage ;;
esac
