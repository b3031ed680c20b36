#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the server-backed store tests
# (TokenDatabase.PostgreSql, tests/EncryptedStore.Tests/Support/TestServers.cs) and writes the connection string for it.
#
#   bash .ci/postgres-setup.sh         # installs postgresql if missing, starts it, creates the test role and database
#   source .ci/postgres.env            # export ENCRYPTEDSTORE_TEST_POSTGRES=...
#
# Idempotent and quick when already done: no apt-get when initdb exists, no start when the server answers.
# Runs as root in a container without systemd: the cluster is initialised and started as the 'postgres' user
# (initdb and postgres refuse root), with its data under /tmp. Environment overrides:
# ENCRYPTEDSTORE_POSTGRES_PORT (5432), ENCRYPTEDSTORE_POSTGRES_DIR (/tmp/encryptedstore-postgres).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${ENCRYPTEDSTORE_POSTGRES_PORT:-5432}"
base="${ENCRYPTEDSTORE_POSTGRES_DIR:-/tmp/encryptedstore-postgres}"
pgdata="$base/data"
socket_dir="$base/run"
env_file="${1:-$here/postgres.env}"
test_role="encryptedstore"
test_database="encryptedstore_test"

# The Debian binaries live in /usr/lib/postgresql/<version>/bin; anything of the same name on PATH
# (/usr/local/bin/initdb, for one) may be another build, so the newest Debian directory comes first.
find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

if ! find_bindir >/dev/null; then
    echo "postgres-setup: installing postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql postgresql-client >/dev/null
fi

bindir="$(find_bindir)"
as_postgres() { runuser -u postgres -- "$@"; }
admin_sql() { as_postgres "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$port" -U postgres -d postgres "$@"; }
answers() { admin_sql -tA -c 'SELECT 1' >/dev/null 2>&1; }

if ! answers; then
    mkdir -p "$base"
    chmod 755 "$base"
    install -d -o postgres -g postgres -m 700 "$pgdata"
    install -d -o postgres -g postgres -m 700 "$socket_dir"
    touch "$base/server.log" && chown postgres:postgres "$base/server.log"
    if [ ! -s "$pgdata/PG_VERSION" ]; then
        echo "postgres-setup: initialising $pgdata" >&2
        # The unix socket (its directory is postgres's, mode 700: only root and postgres reach it) trusts its
        # users; TCP on 127.0.0.1 asks for the test role's password.
        as_postgres "$bindir/initdb" -D "$pgdata" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --encoding=UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 \
            || { echo "postgres-setup: initdb failed; see $base/initdb.log" >&2; tail -n 20 "$base/initdb.log" >&2; exit 1; }
        echo "include_if_exists = 'encryptedstore.conf'" >>"$pgdata/postgresql.conf"
    fi
    # Rewritten on every start, so a changed port takes effect and .ci/db-control.sh starts the same server.
    cat >"$pgdata/encryptedstore.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$socket_dir'
max_connections = 300
CONF
    chown postgres:postgres "$pgdata/encryptedstore.conf"
    echo "$bindir" >"$base/bindir"
    echo "postgres-setup: starting PostgreSQL ($bindir) on 127.0.0.1:$port" >&2
    # setsid: the server outlives the shell that started it (a CI step, a test run).
    if ! as_postgres setsid "$bindir/pg_ctl" -D "$pgdata" -l "$base/server.log" -w -t 60 start >>"$base/pg_ctl.log" 2>&1; then
        echo "postgres-setup: PostgreSQL did not start within 60 s; see $base/server.log" >&2
        tail -n 20 "$base/pg_ctl.log" "$base/server.log" >&2 || true
        exit 1
    fi
    for _ in $(seq 1 60); do
        if answers; then break; fi
        sleep 0.5
    done
    if ! answers; then
        echo "postgres-setup: PostgreSQL does not answer on $socket_dir; see $base/server.log" >&2
        tail -n 20 "$base/server.log" >&2 || true
        exit 1
    fi
fi

# A random password for the test role, made once and kept with the data (the server is throwaway,
# bound to 127.0.0.1, and holds only test data).
password_file="$base/test-password"
if [ ! -s "$password_file" ]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$password_file")
fi
password="$(cat "$password_file")"

admin_sql <<SQL
SELECT format('CREATE ROLE %I LOGIN', '$test_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$test_role')\gexec
ALTER ROLE $test_role LOGIN PASSWORD '$password';
SELECT format('CREATE DATABASE %I OWNER %I', '$test_database', '$test_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$test_database')\gexec
ALTER DATABASE $test_database OWNER TO $test_role;
SQL
admin_sql -d "$test_database" -c "ALTER SCHEMA public OWNER TO $test_role;"

line="export ENCRYPTEDSTORE_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=$test_role;Password=$password;Database=$test_database'"
(umask 077 && echo "$line" >"$env_file")
echo "postgres-setup: PostgreSQL ready on 127.0.0.1:$port; wrote $env_file" >&2
echo "$line"
