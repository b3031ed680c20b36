#!/usr/bin/env bash
# Creates the fleet benchmarks' database, encryptedstore_bench, on the local MariaDB/MySQL and PostgreSQL that
# .ci/mysql-setup.sh and .ci/postgres-setup.sh started, and gives it to their test user/role (encryptedstore).
# Run as root after those scripts; idempotent. The benchmarks then find the servers through .ci/mysql.env and
# .ci/postgres.env (or ENCRYPTEDSTORE_BENCH_MYSQL / ENCRYPTEDSTORE_BENCH_POSTGRES), with the database changed to
# encryptedstore_bench. Skips a server that is not running.
set -euo pipefail

database="encryptedstore_bench"
user="encryptedstore"
mysql_socket="${ENCRYPTEDSTORE_MYSQL_DATADIR:-/tmp/encryptedstore-mariadb}/mysqld.sock"
postgres_base="${ENCRYPTEDSTORE_POSTGRES_DIR:-/tmp/encryptedstore-postgres}"
postgres_port="${ENCRYPTEDSTORE_POSTGRES_PORT:-5432}"

client="$(command -v mariadb || command -v mysql || true)"
if [ -n "$client" ] && "$client" --no-defaults --protocol=socket --socket="$mysql_socket" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
    "$client" --no-defaults --protocol=socket --socket="$mysql_socket" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`$database\`;
GRANT ALL PRIVILEGES ON \`$database\`.* TO '$user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$database\`.* TO '$user'@'localhost';
FLUSH PRIVILEGES;
SQL
    echo "fleet-setup: MariaDB/MySQL database $database ready" >&2
else
    echo "fleet-setup: no MariaDB/MySQL on $mysql_socket (run .ci/mysql-setup.sh first); skipped" >&2
fi

bindir="$(cat "$postgres_base/bindir" 2>/dev/null || true)"
psql_bin="${bindir:+$bindir/}psql"
admin_sql() { runuser -u postgres -- "$psql_bin" -X -q -v ON_ERROR_STOP=1 -h "$postgres_base/run" -p "$postgres_port" -U postgres -d postgres "$@"; }
if admin_sql -tA -c 'SELECT 1' >/dev/null 2>&1; then
    admin_sql <<SQL
SELECT format('CREATE DATABASE %I OWNER %I', '$database', '$user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$database')\gexec
ALTER DATABASE $database OWNER TO $user;
SQL
    admin_sql -d "$database" -c "ALTER SCHEMA public OWNER TO $user;"
    echo "fleet-setup: PostgreSQL database $database ready" >&2
else
    echo "fleet-setup: no PostgreSQL on $postgres_base/run:$postgres_port (run .ci/postgres-setup.sh first); skipped" >&2
fi
