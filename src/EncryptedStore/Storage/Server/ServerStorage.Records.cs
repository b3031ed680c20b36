using System.Data;
using System.Data.Common;
using System.Globalization;
using EncryptedStore.Crypto;

namespace EncryptedStore.Storage.Server;

/// <summary>The token records: lookups by id and blind index, keyset scans, upserts, and the checks <c>Verify</c> makes.</summary>
internal abstract partial class ServerStorage
{
    /// <summary>The records a scan reads per query (keyset pages by id).</summary>
    private const int PageSize = 1000;

    /// <summary>The statements one batch round trip carries at most.</summary>
    private const int BatchSize = 200;

    /// <summary>The record columns, in the order <see cref="ReadRecord"/> reads them.</summary>
    private const string RecordColumns = "id, data_key, index_key, payload, h_user, h_user_client, h_access, h_refresh, h_grant";

    /// <summary><see cref="RecordColumns"/> of the records table aliased <c>r</c>.</summary>
    private const string AliasedRecordColumns = "r.id, r.data_key, r.index_key, r.payload, r.h_user, r.h_user_client, r.h_access, r.h_refresh, r.h_grant";

    private static readonly string[] IndexSuffixes = ["user", "user_client", "access", "refresh", "grant"];

    private string? _update;

    /// <summary>
    /// The statements that upsert one record by id from <c>@id, @dataKey, @indexKey, @payload, @h0</c>..<c>@h4</c>,
    /// failing with a unique violation (and nothing written) when another record holds one of its unique index values.
    /// </summary>
    protected abstract IReadOnlyList<string> UpsertRecordStatements { get; }

    /// <summary>True when a failed statement aborts the whole transaction (PostgreSQL): an upsert then runs inside a savepoint.</summary>
    protected abstract bool NeedsSavepoints { get; }

    /// <summary>Replaces every column of the record <c>@id</c> from <see cref="RecordParameters"/>.</summary>
    protected string UpdateRecordSql => _update ??= $"UPDATE {RecordsTable} SET data_key = @dataKey, index_key = @indexKey, payload = @payload, "
        + string.Join(", ", IndexHashes.All.Select(i => $"{HashColumn(i)} = @h{(int)i}")) + " WHERE id = @id";

    /// <summary>The column of blind index <paramref name="index"/>.</summary>
    protected static string HashColumn(BlindIndex index) => "h_" + IndexSuffixes[(int)index];

    /// <summary>The name of the index on blind index <paramref name="index"/>'s column.</summary>
    protected string IndexName(BlindIndex index) => Prefix + "records_" + IndexSuffixes[(int)index];

    /// <summary>Every record id, read through the index of <paramref name="index"/> (rows without a value included); <paramref name="inTransaction"/> when a transaction is open.</summary>
    protected abstract string IdsByIndexSql(BlindIndex index, bool inTransaction);

    public StoredRecord? FindRecord(string id) => ReadRecordObserving("id", Parameter("id", id));

    public StoredRecord? FindRecord(BlindIndex index, byte[] hash) => ReadRecordObserving(HashColumn(index), Binary("hash", hash));

    public IReadOnlyList<StoredRecord> FindRecords(BlindIndex index, byte[] hash, int limit) => Read(
        "reading tokens",
        c => ReadRecords(c, $"SELECT {RecordColumns} FROM {RecordsTable} WHERE {HashColumn(index)} = @hash ORDER BY id LIMIT @limit", Binary("hash", hash), Parameter("limit", limit)),
        sessionFree: true);

    public string? FindHolderId(BlindIndex index, byte[] hash) =>
        Read("reading tokens", c => Scalar(c, $"SELECT id FROM {RecordsTable} WHERE {HashColumn(index)} = @hash LIMIT 1", Binary("hash", hash)) as string, sessionFree: true);

    /// <summary>One query over every unique index: the first (in <see cref="IndexHashes.Unique"/> order) another record holds.</summary>
    public BlindIndex? FindConflict(string id, IndexHashes hashes)
    {
        var wanted = IndexHashes.Unique.Where(i => hashes[i] is { Length: > 0 }).ToList();
        if (wanted.Count == 0)
        {
            return null;
        }

        var columns = string.Join(", ", wanted.Select(HashColumn));
        var conditions = string.Join(" OR ", wanted.Select(i => $"{HashColumn(i)} = @h{(int)i}"));
        var sql = $"SELECT {columns} FROM {RecordsTable} WHERE id <> @id AND ({conditions}) LIMIT {IndexHashes.Unique.Length}";
        var parameters = wanted.Select(i => Binary($"h{(int)i}", hashes[i])).Append(Parameter("id", id)).ToArray();
        return Read("reading tokens", connection =>
        {
            var taken = new HashSet<BlindIndex>();
            using var command = Command(connection, sql, parameters);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                for (var column = 0; column < wanted.Count; column++)
                {
                    if (!reader.IsDBNull(column) && reader.GetFieldValue<byte[]>(column).AsSpan().SequenceEqual(hashes[wanted[column]]))
                    {
                        taken.Add(wanted[column]);
                    }
                }
            }

            return wanted.Cast<BlindIndex?>().FirstOrDefault(i => taken.Contains(i!.Value));
        });
    }

    /// <summary>Every record in id order, read in keyset pages (no query stays open while the caller works).</summary>
    public IEnumerable<StoredRecord> ReadAllRecords()
    {
        string? cursor = null;
        while (true)
        {
            var page = ReadRecordsAfter(cursor, PageSize);
            foreach (var record in page)
            {
                yield return record;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            cursor = page[^1].Id;
        }
    }

    public IReadOnlyList<StoredRecord> ReadRecordsAfter(string? cursor, int limit) => Read(
        "reading tokens",
        c => cursor is null
            ? ReadRecords(c, $"SELECT {RecordColumns} FROM {RecordsTable} ORDER BY id LIMIT @limit", Parameter("limit", limit))
            : ReadRecords(c, $"SELECT {RecordColumns} FROM {RecordsTable} WHERE id > @cursor ORDER BY id LIMIT @limit", Parameter("cursor", cursor), Parameter("limit", limit)));

    public int CountRecords() => Read("counting tokens", c => Count(c, $"SELECT COUNT(*) FROM {RecordsTable}"));

    public int CountRecordsUnderKey(StoreKeyPurpose purpose, int version) =>
        Read("counting tokens", c => Count(c, $"SELECT COUNT(*) FROM {RecordsTable} WHERE {(purpose == StoreKeyPurpose.Data ? "data_key" : "index_key")} = @version", Parameter("version", version)));

    public bool TryUpsertRecord(StoredRecord record) => Write(
        "saving tokens",
        state: false,
        connection =>
        {
            var statements = string.Join("; ", UpsertRecordStatements);
            try
            {
                Execute(connection, NeedsSavepoints ? $"SAVEPOINT es_upsert; {statements}; RELEASE SAVEPOINT es_upsert" : statements, RecordParameters(record));
                return true;
            }
            catch (Exception e) when (IsDriverFailure(e) && Classify(e, connection) == ServerFailure.UniqueViolation)
            {
                if (NeedsSavepoints)
                {
                    Execute(connection, "ROLLBACK TO SAVEPOINT es_upsert; RELEASE SAVEPOINT es_upsert");
                }

                return false;
            }
        },
        changed: written => written);

    public void UpdateRecords(IReadOnlyList<StoredRecord> records)
    {
        if (records.Count == 0)
        {
            return;
        }

        Write("rewriting tokens", state: false, c => RunBatches(c, records, _ => [UpdateRecordSql]));
    }

    public void UpsertRecords(IReadOnlyList<StoredRecord> records)
    {
        if (records.Count > 0)
        {
            Write("applying saved tokens", state: false, c => RunBatches(c, records, _ => UpsertRecordStatements));
        }
    }

    public bool DeleteRecord(string id) =>
        Write("deleting a token", state: false, c => Execute(c, $"DELETE FROM {RecordsTable} WHERE id = @id", Parameter("id", id)) > 0, changed: deleted => deleted);

    public int DeleteAllRecords() => Write("deleting tokens", state: false, c => Execute(c, $"DELETE FROM {RecordsTable}"), changed: deleted => deleted > 0);

    /// <summary>One query per record: each index looked up by the record's own stored value, which must lead back to it.</summary>
    public IReadOnlyList<BlindIndex> UnreachableIndexes(StoredRecord record)
    {
        var unreachable = IndexHashes.All.Where(i => ReferenceEquals(record.Hashes[i], IndexHashes.Invalid)).ToList();
        var looked = IndexHashes.All.Where(i => record.Hashes[i] is { Length: > 0 }).ToList();
        if (looked.Count == 0)
        {
            return unreachable;
        }

        var sql = string.Join(" UNION ALL ", looked.Select(i => $"SELECT {(int)i} AS kind, id FROM {RecordsTable} WHERE {HashColumn(i)} = @h{(int)i}"));
        var parameters = looked.Select(i => Binary($"h{(int)i}", record.Hashes[i])).ToArray();
        var reached = Read("verifying tokens", connection =>
        {
            var found = new HashSet<BlindIndex>();
            using var command = Command(connection, sql, parameters);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (string.Equals(reader.GetString(1), record.Id, StringComparison.Ordinal))
                {
                    found.Add((BlindIndex)Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture));
                }
            }

            return found;
        });
        unreachable.AddRange(looked.Where(i => !reached.Contains(i)));
        return unreachable;
    }

    public HashSet<string> IdsListedBy(BlindIndex index) => Read("verifying tokens", connection =>
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        using var command = Command(connection, IdsByIndexSql(index, CurrentThread.OpenTransaction is not null));
        using var reader = command.ExecuteReader();
        do
        {
            while (reader.FieldCount > 0 && reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
        }
        while (reader.NextResult());

        return ids;
    });

    /// <summary>A record from a row of <see cref="RecordColumns"/>; a value no writer makes maps to a record that fails every check.</summary>
    private static StoredRecord ReadRecord(DbDataReader reader)
    {
        var hashes = new IndexHashes();
        foreach (var index in IndexHashes.All)
        {
            var column = 4 + (int)index;
            hashes[index] = reader.IsDBNull(column) ? null : reader.GetFieldValue<byte[]>(column) is { Length: > 0 } hash ? hash : IndexHashes.Invalid;
        }

        return new StoredRecord(
            reader.GetString(0),
            reader.GetInt32(1),
            reader.GetInt32(2),
            reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3),
            hashes);
    }

    private static List<StoredRecord> ReadRecords(DbConnection connection, string sql, params DbParameter[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var records = new List<StoredRecord>();
        while (reader.Read())
        {
            records.Add(ReadRecord(reader));
        }

        return records;
    }

    private static int Count(DbConnection connection, string sql, params DbParameter[] parameters) =>
        Convert.ToInt32(Scalar(connection, sql, parameters), CultureInfo.InvariantCulture);

    private DbParameter Binary(string name, byte[]? value) => Parameter(name, value, DbType.Binary);

    /// <summary><c>@id, @dataKey, @indexKey, @payload, @h0</c>..<c>@h4</c> of <paramref name="record"/>.</summary>
    protected DbParameter[] RecordParameters(StoredRecord record) =>
    [
        Parameter("id", record.Id),
        Parameter("dataKey", record.DataKeyVersion),
        Parameter("indexKey", record.IndexKeyVersion),
        Binary("payload", record.Payload),
        .. IndexHashes.All.Select(i => Binary($"h{(int)i}", record.Hashes[i])),
    ];

    /// <summary>Runs <paramref name="statements"/> of each record, in order, <see cref="BatchSize"/> statements per round trip.</summary>
    private int RunBatches(DbConnection connection, IReadOnlyList<StoredRecord> records, Func<StoredRecord, IReadOnlyList<string>> statements)
    {
        DbBatch? batch = null;
        try
        {
            foreach (var record in records)
            {
                foreach (var sql in statements(record))
                {
                    batch ??= connection.CreateBatch();
                    var command = batch.CreateBatchCommand();
                    command.CommandText = sql;
                    command.Parameters.AddRange(RecordParameters(record));
                    batch.BatchCommands.Add(command);
                    if (batch.BatchCommands.Count >= BatchSize)
                    {
                        batch.ExecuteNonQuery();
                        batch.Dispose();
                        batch = null;
                    }
                }
            }

            batch?.ExecuteNonQuery();
            return records.Count;
        }
        finally
        {
            batch?.Dispose();
        }
    }
}
