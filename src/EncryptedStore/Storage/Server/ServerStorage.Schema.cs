using System.Data.Common;
using System.Globalization;
using EncryptedStore.Internal;

namespace EncryptedStore.Storage.Server;

/// <summary>The tables: their names (from the validated prefix only), their creation at open, their check and size.</summary>
internal abstract partial class ServerStorage
{
    /// <summary>The shortest wait for the schema lock at open: another instance may be creating the tables, which is quick but not instant.</summary>
    private static readonly TimeSpan MinimumSchemaLockTimeout = TimeSpan.FromSeconds(10);

    private string? _store;
    private string? _records;
    private string? _keys;
    private string? _keyRing;
    private string? _leases;

    /// <summary>The store's table names, unquoted, in the order they are created.</summary>
    protected IReadOnlyList<string> TableNames => [Prefix + "store", Prefix + "records", Prefix + "keys", Prefix + "keyring", Prefix + "leases"];

    /// <summary>The store row: schema version, change counters, metadata.</summary>
    protected string StoreTable => _store ??= Quote(Prefix + "store");

    protected string RecordsTable => _records ??= Quote(Prefix + "records");

    protected string KeysTable => _keys ??= Quote(Prefix + "keys");

    protected string KeyRingTable => _keyRing ??= Quote(Prefix + "keyring");

    protected string LeasesTable => _leases ??= Quote(Prefix + "leases");

    /// <summary>How long opening waits for another instance's schema creation.</summary>
    protected TimeSpan SchemaLockTimeout => LockTimeout > MinimumSchemaLockTimeout ? LockTimeout : MinimumSchemaLockTimeout;

    /// <summary><c>CREATE TABLE IF NOT EXISTS</c> of the store row's table.</summary>
    protected abstract string CreateStoreTableSql { get; }

    /// <summary>Inserts the store row (schema version 1, counters 0, metadata NULL) unless it is there.</summary>
    protected abstract string InsertStoreRowSql { get; }

    /// <summary><c>CREATE TABLE IF NOT EXISTS</c> (and indexes) of the other tables.</summary>
    protected abstract IEnumerable<string> CreateTablesSql { get; }

    /// <summary>The names of the tables among <c>@t0</c>..<c>@t4</c> that exist in the connection's database (schema).</summary>
    protected abstract string ListTablesSql { get; }

    /// <summary>The bytes of data and indexes of the tables <c>@t0</c>..<c>@t4</c>.</summary>
    protected abstract string SizeSql { get; }

    /// <summary>The identifier quoted for the server (the prefix holds only letters, digits and underscores).</summary>
    protected abstract string Quote(string identifier);

    /// <summary>Takes the server lock that serialises schema creation among instances, waiting up to <see cref="SchemaLockTimeout"/>.</summary>
    /// <exception cref="TokenStoreException"><c>STORE_LOCKED</c> when the wait times out.</exception>
    protected abstract void LockSchema(DbConnection connection);

    /// <summary>Releases the schema lock (and commits or rolls back what the dialect ran in a transaction).</summary>
    protected abstract void UnlockSchema(DbConnection connection, bool commit);

    /// <summary>Checks that every table of the store is there.</summary>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c> naming the missing table.</exception>
    public void CheckSchema()
    {
        var present = Read("opening the store", ListTables);
        foreach (var name in TableNames)
        {
            if (!present.Contains(name))
            {
                throw Errors.Integrity($"the store's tables ({name} is missing)");
            }
        }
    }

    /// <summary>
    /// Creates what is missing, under the schema lock: the store row's table and row first, whose schema version is then
    /// checked (a newer one is refused before anything else is created), then the other tables unless the store exists.
    /// </summary>
    private void EnsureSchema()
    {
        var version = Read("opening the store", connection =>
        {
            LockSchema(connection);
            var done = false;
            try
            {
                Execute(connection, CreateStoreTableSql);
                Execute(connection, InsertStoreRowSql);
                var (found, created) = ReadSchemaVersion(connection);
                if (found > SchemaVersion)
                {
                    throw Errors.UnsupportedVersion(Path, found, SchemaVersion);
                }

                // A store that exists keeps its tables: one found missing is damage that CheckSchema reports, not a
                // table to recreate empty (a store without its records would look empty).
                if (!created)
                {
                    foreach (var sql in CreateTablesSql)
                    {
                        Execute(connection, sql);
                    }
                }

                UnlockSchema(connection, commit: true);
                done = true;
                return found;
            }
            finally
            {
                if (!done)
                {
                    UnlockQuietly(connection);
                }
            }
        });
        ServerLog.SchemaEnsured(Logger, Path, version);
    }

    private (int Version, bool Created) ReadSchemaVersion(DbConnection connection)
    {
        using var command = Command(connection, $"SELECT schema_version, CASE WHEN metadata IS NULL THEN 0 ELSE 1 END FROM {StoreTable} WHERE id = 1");
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? (Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture) != 0)
            : throw Errors.Integrity($"the store's tables (the row of {StoreTable} is missing)");
    }

    private void UnlockQuietly(DbConnection connection)
    {
        try
        {
            UnlockSchema(connection, commit: false);
        }
        catch (Exception e) when (IsDriverFailure(e))
        {
            // The server releases the lock when the connection ends; the first failure is the one to report.
        }
    }

    private HashSet<string> ListTables(DbConnection connection)
    {
        using var command = Command(connection, ListTablesSql, TableParameters());
        using var reader = command.ExecuteReader();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private long MeasureSize(DbConnection connection) =>
        Scalar(connection, SizeSql, TableParameters()) is { } size ? Convert.ToInt64(size, CultureInfo.InvariantCulture) : 0;

    private DbParameter[] TableParameters() => [.. TableNames.Select((name, i) => Parameter($"t{i}", name))];
}
