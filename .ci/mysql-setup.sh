#!/usr/bin/env bash
# Starts a throwaway MariaDB server on 127.0.0.1 for the CLI's MySQL import test
# (tests/EncryptedStore.Tests/Cli/MySqlImportTests.cs) and the server-backed store tests (TokenDatabase.MySql,
# tests/EncryptedStore.Tests/Support/TestServers.cs), and writes the connection strings for them.
#
#   bash .ci/mysql-setup.sh            # installs mariadb-server if missing, starts it, creates the test user
#   source .ci/mysql.env               # export ENCRYPTEDSTORE_TEST_MYSQL=... (no database: the import test's own)
#                                      # and ENCRYPTEDSTORE_TEST_MYSQL_STORE=... (Database=encryptedstore_test)
#
# Idempotent and quick when already done: no apt-get when the server binary exists, no start when it answers.
# Runs as root in a container without systemd: mariadbd is started directly, in the background, with its
# data under /tmp. Environment overrides: ENCRYPTEDSTORE_MYSQL_PORT (3306), ENCRYPTEDSTORE_MYSQL_DATADIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${ENCRYPTEDSTORE_MYSQL_PORT:-3306}"
datadir="${ENCRYPTEDSTORE_MYSQL_DATADIR:-/tmp/encryptedstore-mariadb}"
socket="$datadir/mysqld.sock"
env_file="${1:-$here/mysql.env}"
test_user="encryptedstore"
store_database="encryptedstore_test"

find_tool() {
    for name in "$@"; do
        for dir in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
            if [ -x "$dir/$name" ]; then echo "$dir/$name"; return 0; fi
        done
        if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    done
    return 1
}

if ! find_tool mariadbd mysqld >/dev/null; then
    echo "mysql-setup: installing mariadb-server" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
fi

server="$(find_tool mariadbd mysqld)"
client="$(find_tool mariadb mysql)"
install_db="$(find_tool mariadb-install-db mysql_install_db)"

root_sql() { "$client" --no-defaults --protocol=socket --socket="$socket" -uroot "$@"; }

if ! root_sql -e 'SELECT 1' >/dev/null 2>&1; then
    mkdir -p "$datadir"
    if [ ! -d "$datadir/mysql" ]; then
        echo "mysql-setup: initialising $datadir" >&2
        "$install_db" --no-defaults --datadir="$datadir" --user=root \
            --auth-root-authentication-method=socket --skip-test-db >"$datadir/install.log" 2>&1
    fi
    echo "mysql-setup: starting $server on 127.0.0.1:$port" >&2
    nohup "$server" --no-defaults --datadir="$datadir" --socket="$socket" --port="$port" \
        --bind-address=127.0.0.1 --user=root --pid-file="$datadir/mysqld.pid" \
        --log-error="$datadir/error.log" >/dev/null 2>&1 &
    for _ in $(seq 1 120); do
        if root_sql -e 'SELECT 1' >/dev/null 2>&1; then break; fi
        sleep 0.5
    done
    if ! root_sql -e 'SELECT 1' >/dev/null 2>&1; then
        echo "mysql-setup: MariaDB did not answer within 60 s; see $datadir/error.log" >&2
        tail -n 20 "$datadir/error.log" >&2 || true
        exit 1
    fi
fi

# A random password for the test user, made once and kept with the data (the server is throwaway,
# bound to 127.0.0.1, and holds only test data).
password_file="$datadir/test-password"
if [ ! -s "$password_file" ]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$password_file")
fi
password="$(cat "$password_file")"

root_sql <<SQL
CREATE USER IF NOT EXISTS '$test_user'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$test_user'@'localhost' IDENTIFIED BY '$password';
ALTER USER '$test_user'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER '$test_user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`zohooauth\`.* TO '$test_user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`zohooauth\`.* TO '$test_user'@'localhost';
CREATE DATABASE IF NOT EXISTS \`$store_database\` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON \`$store_database\`.* TO '$test_user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$store_database\`.* TO '$test_user'@'localhost';
FLUSH PRIVILEGES;
SQL

lines="export ENCRYPTEDSTORE_TEST_MYSQL='Server=127.0.0.1;Port=$port;User ID=$test_user;Password=$password;'
export ENCRYPTEDSTORE_TEST_MYSQL_STORE='Server=127.0.0.1;Port=$port;User ID=$test_user;Password=$password;Database=$store_database'"
(umask 077 && echo "$lines" >"$env_file")
echo "mysql-setup: MariaDB ready on 127.0.0.1:$port; wrote $env_file" >&2
echo "$lines"
