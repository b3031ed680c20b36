using Microsoft.Data.Sqlite;

namespace EncryptedStore.Cli.Import;

/// <summary>
/// The Kaizen article's SQLite store: table <c>oauthtoken</c> (same columns as the SDK's DBStore) in
/// <c>zohooauth.db</c>. Read read-only; <see cref="Wipe"/> deletes the imported rows with
/// <c>secure_delete</c> on and the rollback journal in memory, then VACUUMs, so the file keeps its other
/// tables but no token, and no plaintext journal is written.
/// </summary>
internal sealed class SqliteSource(string path, string table) : ITokenSource
{
    public string Description => $"SQLite table '{table}' in '{path}'";

    public bool CanWipe => true;

    public IReadOnlyList<SourceRow> ReadRows()
    {
        if (!File.Exists(path))
        {
            throw CliException.NotFound($"no SQLite database at '{path}'.");
        }

        using var connection = Connect(SqliteOpenMode.ReadOnly);
        EnsureTable(connection);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\"";
        using var reader = command.ExecuteReader();
        return DbRows.Read(reader, Description);
    }

    public string Wipe(IReadOnlyCollection<string?> ids)
    {
        using var connection = Connect(SqliteOpenMode.ReadWrite);
        Execute(connection, "PRAGMA secure_delete = ON");
        Execute(connection, "PRAGMA temp_store = MEMORY");
        Execute(connection, "PRAGMA journal_mode = MEMORY");
        using (var transaction = connection.BeginTransaction())
        {
            using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = $"DELETE FROM \"{table}\" WHERE id = $id OR ($id IS NULL AND (id IS NULL OR id = ''))";
            var parameter = delete.Parameters.Add("$id", SqliteType.Text);
            foreach (var id in ids.Distinct())
            {
                parameter.Value = (object?)id ?? DBNull.Value;
                delete.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        using var count = connection.CreateCommand();
        count.CommandText = $"SELECT count(*) FROM \"{table}\"";
        var remaining = Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        Execute(connection, "VACUUM");
        return $"deleted the imported rows from {Description} (secure_delete, VACUUM)"
            + (remaining > 0 ? $"; {remaining} row(s) added after the import read the table were left there" : string.Empty);
    }

    private SqliteConnection Connect(SqliteOpenMode mode)
    {
        // No pooling: the file must be closed when we are done (it may be wiped, or its folder deleted).
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private void EnsureTable(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            throw CliException.NotFound($"'{path}' has no table '{table}' (the SDK's token table; see --table).");
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
