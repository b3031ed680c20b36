using System.Data;
using System.Data.Common;
using EncryptedStore.Crypto;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace EncryptedStore.Storage.Server;

/// <summary>
/// The store in a MariaDB or MySQL database (InnoDB), through MySqlConnector. Differs from PostgreSQL in: backquoted
/// names, upsert by an update then an insert (<c>ON DUPLICATE KEY UPDATE</c> would update whichever row holds a clashing
/// unique value, not only the one with the id), <c>GET_LOCK</c> for the schema, <c>innodb_lock_wait_timeout</c> in whole seconds,
/// and two pools (see <see cref="CreateSessionFreeConnection"/>).
/// </summary>
internal sealed class MySqlStorage : ServerStorage
{
    private const string TableOptions = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
    private const string SchemaLockName = "CONCAT('encryptedstore/', SHA1(CONCAT(DATABASE(), '/', @prefix)))";

    private readonly string _connectionString;
    private readonly string _sessionFreeConnectionString;
    private IReadOnlyList<string>? _upsert;
    private string? _replace;

    public MySqlStorage(string path, string connectionString, string prefix, TimeSpan lockTimeout, TimeSpan maxStaleness, TimeProvider time, ILogger logger)
        : base(path, connectionString, prefix, lockTimeout, maxStaleness, time, logger)
    {
        CheckConnectionString(connectionString, text => new MySqlConnectionStringBuilder(text), "MySqlConnector");

        var builder = new MySqlConnectionStringBuilder(connectionString);
        _connectionString = builder.ConnectionString;
        builder.ConnectionReset = false;
        _sessionFreeConnectionString = builder.ConnectionString;
    }

    protected override string BeginSql =>
        "SET SESSION innodb_lock_wait_timeout = @timeout; SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; "
        + $"SELECT data_generation, state_generation, CASE WHEN metadata IS NULL THEN 0 ELSE 1 END FROM {StoreTable} WHERE id = 1 FOR UPDATE";

    /// <summary>Whole seconds, at least 1 (the server's minimum).</summary>
    protected override object LockTimeoutSetting => Seconds(LockTimeout);

    protected override string CreateStoreTableSql =>
        $"CREATE TABLE IF NOT EXISTS {StoreTable} (id INT NOT NULL, schema_version INT NOT NULL, data_generation BIGINT NOT NULL, "
        + $"state_generation BIGINT NOT NULL, metadata BLOB NULL, PRIMARY KEY (id)) {TableOptions}";

    protected override string InsertStoreRowSql =>
        $"INSERT IGNORE INTO {StoreTable} (id, schema_version, data_generation, state_generation, metadata) VALUES (1, {SchemaVersion}, 0, 0, NULL)";

    protected override IEnumerable<string> CreateTablesSql =>
    [
        $"CREATE TABLE IF NOT EXISTS {RecordsTable} (id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, data_key INT NOT NULL, "
            + "index_key INT NOT NULL, payload MEDIUMBLOB NOT NULL, "
            + string.Join(", ", IndexHashes.All.Select(i => $"{HashColumn(i)} VARBINARY(64) NULL"))
            + ", PRIMARY KEY (id), "
            + string.Join(", ", IndexHashes.All.Select(i => $"{(i == BlindIndex.User ? "KEY" : "UNIQUE KEY")} {Quote(IndexName(i))} ({HashColumn(i)})"))
            + $", KEY {Quote(Prefix + "records_data_key")} (data_key), KEY {Quote(Prefix + "records_index_key")} (index_key)) {TableOptions}",
        $"CREATE TABLE IF NOT EXISTS {KeysTable} (version INT NOT NULL, purpose VARCHAR(16) NOT NULL, state VARCHAR(16) NOT NULL, "
            + $"protection_key CHAR(36) NOT NULL, created DATETIME(6) NOT NULL, wrapped BLOB NULL, PRIMARY KEY (version)) {TableOptions}",
        $"CREATE TABLE IF NOT EXISTS {KeyRingTable} (id BIGINT NOT NULL AUTO_INCREMENT, name VARCHAR(255) NULL, xml MEDIUMTEXT NULL, PRIMARY KEY (id)) {TableOptions}",
        $"CREATE TABLE IF NOT EXISTS {LeasesTable} (name VARCHAR(64) NOT NULL, holder VARCHAR(255) NOT NULL, expires_at DATETIME(6) NOT NULL, PRIMARY KEY (name)) {TableOptions}",
    ];

    protected override string ListTablesSql =>
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (@t0, @t1, @t2, @t3, @t4)";

    protected override string SizeSql =>
        "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (@t0, @t1, @t2, @t3, @t4)";

    /// <summary>
    /// An update by id, then an insert when no row has the id. Either refuses a unique value another record holds
    /// (error 1062), and InnoDB undoes just that statement, so the transaction goes on.
    /// </summary>
    protected override IReadOnlyList<string> UpsertRecordStatements => _upsert ??=
    [
        UpdateRecordSql,
        $"INSERT INTO {RecordsTable} (id, data_key, index_key, payload, {string.Join(", ", IndexHashes.All.Select(HashColumn))}) "
            + $"SELECT @id, @dataKey, @indexKey, @payload, {string.Join(", ", IndexHashes.All.Select(i => $"@h{(int)i}"))} FROM DUAL "
            + $"WHERE NOT EXISTS (SELECT 1 FROM {RecordsTable} WHERE id = @id)",
    ];

    protected override bool NeedsSavepoints => false;

    /// <summary>MySqlConnector prepares only when asked, and then keeps the statement on the connection for the next time.</summary>
    protected override bool PreparesHotStatements => true;

    /// <summary>Takes the lease when free, expired or the holder's own (the holder is assigned first, so the expiry follows it), then reads who holds it.</summary>
    protected override string TakeLeaseSql =>
        $"INSERT INTO {LeasesTable} (name, holder, expires_at) VALUES (@name, @holder, UTC_TIMESTAMP(6) + INTERVAL @duration MICROSECOND) "
        + "ON DUPLICATE KEY UPDATE holder = IF(expires_at <= UTC_TIMESTAMP(6) OR holder = VALUES(holder), VALUES(holder), holder), "
        + "expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at); "
        + $"SELECT holder FROM {LeasesTable} WHERE name = @name";

    protected override string SnapshotSql =>
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY; "
        + $"SELECT metadata, data_generation, state_generation FROM {StoreTable} WHERE id = 1; SELECT version, purpose, state, protection_key, created, wrapped FROM {KeysTable} ORDER BY version; "
        + $"SELECT id, name, xml FROM {KeyRingTable} ORDER BY id; COMMIT";

    protected override object LeaseDuration(TimeSpan duration) => duration.Ticks / TimeSpan.TicksPerMicrosecond;

    protected override string IdsByIndexSql(BlindIndex index, bool inTransaction) =>
        $"SELECT id FROM {RecordsTable} FORCE INDEX ({Quote(IndexName(index))}) ORDER BY {HashColumn(index)}";

    /// <summary>
    /// One round trip: inside a transaction, the store row's counters bumped only when they still are
    /// <c>@generation, @stateGeneration</c>, then the record updated only when that bump happened (<c>ROW_COUNT()</c> of
    /// the statement before), then the commit. Both updates applied is 2 rows affected in all. A refused unique value
    /// stops the statements before the commit (the caller rolls back).
    /// </summary>
    private string ReplaceSql => _replace ??=
        "SET SESSION innodb_lock_wait_timeout = @timeout; START TRANSACTION; "
        + $"UPDATE {StoreTable} SET data_generation = data_generation + 1 WHERE id = 1 AND data_generation = @generation AND state_generation = @stateGeneration; "
        + $"{UpdateRecordSql} AND ROW_COUNT() = 1; COMMIT";

    protected override bool ReplaceIfUnchanged(DbConnection connection, StoredRecord record, Generations synchronizedAt)
    {
        using var command = Command(
            connection,
            ReplaceSql,
            [Parameter("timeout", LockTimeoutSetting), Parameter("generation", synchronizedAt.Data), Parameter("stateGeneration", synchronizedAt.State), .. RecordParameters(record)]);
        return command.ExecuteNonQuery() == 2;
    }

    protected override DbConnection CreateConnection() => new MySqlConnection(_connectionString);

    /// <summary>
    /// A second pool, without MySqlConnector's connection reset (a round trip each time a connection leaves the pool):
    /// its connections only run single SELECTs outside transactions, and the conditional replace (see
    /// <see cref="CreateReplaceConnection"/>), so none carries anything from its last use that the next one relies on.
    /// </summary>
    protected override DbConnection CreateSessionFreeConnection() => new MySqlConnection(_sessionFreeConnectionString);

    /// <summary>
    /// From the pool without reset: the replace sets the lock wait before it waits, and ends its transaction by a commit,
    /// or by the rollback its failure leads to (a lost connection clears both pools).
    /// </summary>
    protected override DbConnection CreateReplaceConnection() => CreateSessionFreeConnection();

    protected override DbParameter CreateParameter() => new MySqlParameter();

    /// <summary>Clears both pools: a lost server took the connections of each.</summary>
    protected override void ClearPool(DbConnection connection)
    {
        foreach (var pool in new[] { _connectionString, _sessionFreeConnectionString })
        {
            using var member = new MySqlConnection(pool);
            MySqlConnection.ClearPool(member);
        }
    }

    protected override string Quote(string identifier) => $"`{identifier}`";

    protected override void LockSchema(DbConnection connection)
    {
        if (Convert.ToInt64(Scalar(connection, $"SELECT GET_LOCK({SchemaLockName}, @timeout)", Parameter("prefix", Prefix), Parameter("timeout", Seconds(SchemaLockTimeout))), System.Globalization.CultureInfo.InvariantCulture) != 1)
        {
            throw Internal.Errors.Locked(Path, new TimeoutException("Another instance held the schema lock for longer than the lock timeout."));
        }
    }

    protected override void UnlockSchema(DbConnection connection, bool commit) =>
        Scalar(connection, $"SELECT RELEASE_LOCK({SchemaLockName})", Parameter("prefix", Prefix));

    protected override ServerFailure Classify(Exception e, DbConnection? connection) => e switch
    {
        _ when connection is null || connection.State != ConnectionState.Open => ServerFailure.ConnectionLost,
        MySqlException { ErrorCode: MySqlErrorCode.DuplicateKeyEntry } => ServerFailure.UniqueViolation,
        MySqlException { ErrorCode: MySqlErrorCode.LockWaitTimeout } => ServerFailure.LockTimeout,
        MySqlException { ErrorCode: MySqlErrorCode.LockDeadlock } => ServerFailure.Deadlock,
        MySqlException { ErrorCode: MySqlErrorCode.NoSuchTable } => ServerFailure.MissingTable,
        MySqlException { ErrorCode: MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.CommandTimeoutExpired } => ServerFailure.ConnectionLost,
        MySqlException => ServerFailure.Other,
        _ => ServerFailure.ConnectionLost,
    };

    private static int Seconds(TimeSpan timeout) => Math.Max(1, (int)Math.Ceiling(Math.Min(timeout.TotalSeconds, int.MaxValue)));
}
