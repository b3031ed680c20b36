using System.Data.Common;

namespace EncryptedStore.Storage.Server;

/// <summary>
/// The hot path in one round trip: a record read that also observes the counters, and an update by id that commits
/// only while nothing changed since what the store keeps in memory.
/// </summary>
internal abstract partial class ServerStorage
{
    /// <summary>Observes with the first record read of a hold (see <see cref="ReadRecordObserving"/>).</summary>
    public bool ObservesWithReads => true;

    /// <summary>The counters the store is synchronized at.</summary>
    public Generations SynchronizedAt
    {
        get
        {
            lock (_syncLock)
            {
                return _synced;
            }
        }
    }

    /// <summary>
    /// True when the hot path's statements (the counters, a record with the counters) are prepared explicitly on each
    /// connection: a driver that does not prepare by itself (MySqlConnector) caches them per connection after the first.
    /// </summary>
    protected virtual bool PreparesHotStatements => false;

    /// <summary>The statement that reads the counters.</summary>
    private string GenerationsSql => $"SELECT data_generation, state_generation FROM {StoreTable} WHERE id = 1";

    /// <summary>
    /// In one round trip and one commit, on a connection of its own: bumps the data counter only when the store row
    /// still holds <paramref name="synchronizedAt"/>, and replaces the record by id only when it did; true when the
    /// record was replaced. Waits for the store row's lock up to the lock timeout, like a transaction. A unique value
    /// another record holds fails with the server's unique violation, and nothing is written.
    /// </summary>
    protected abstract bool ReplaceIfUnchanged(DbConnection connection, StoredRecord record, Generations synchronizedAt);

    /// <summary>
    /// A new, closed connection for <see cref="ReplaceIfUnchanged"/>, which ends its own transaction (or is rolled back
    /// on failure) and sets only what it sets again every time: by default a connection like any other.
    /// </summary>
    protected virtual DbConnection CreateReplaceConnection() => CreateConnection();

    /// <inheritdoc cref="ITokenStorage.TryReplaceIfUnchanged"/>
    public Generations? TryReplaceIfUnchanged(StoredRecord record, Generations synchronizedAt)
    {
        ArgumentNullException.ThrowIfNull(record);
        var thread = CurrentThread;
        if (synchronizedAt == Generations.None || thread.OpenTransaction is not null)
        {
            return null;
        }

        var connection = CreateReplaceConnection();
        try
        {
            try
            {
                connection.Open();
            }
            catch (Exception e) when (IsDriverFailure(e))
            {
                // Nothing was sent: the ordinary path reconnects (once) and reports the server if it is down.
                Lost(connection, "saving tokens", e);
                return null;
            }

            var at = _time.GetTimestamp();
            if (!ReplaceIfUnchanged(connection, record, synchronizedAt))
            {
                return null;
            }

            var committed = synchronizedAt with { Data = synchronizedAt.Data + 1 };
            Advance(synchronizedAt, committed, at);
            if (thread.Depth > 0)
            {
                thread.Observed = (committed, at);
            }

            return committed;
        }
        catch (Exception e) when (IsDriverFailure(e))
        {
            var failure = Classify(e, connection);
            if (failure == ServerFailure.ConnectionLost)
            {
                Lost(connection, "saving tokens", e);
                throw Translate(failure, e, "saving tokens", outcomeUnknown: true);
            }

            RollbackQuietly(connection);
            if (failure is ServerFailure.UniqueViolation or ServerFailure.Deadlock)
            {
                // The ordinary path meets the same clash inside its transaction and names it, or retries what the server broke off.
                return null;
            }

            // A lock held past the timeout is STORE_LOCKED now, not after a second wait on the ordinary path.
            throw Translate(failure, e, "saving tokens");
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>
    /// The record whose <paramref name="column"/> holds <paramref name="value"/> (the id, or a unique blind index). Inside a
    /// hold that has not observed the counters yet, outside a transaction, the counters come in the same statement (the
    /// store row joined to the record), so in the same snapshot: when they match what the store is synchronized at, the
    /// record belongs to that state; when they do not, the caller catches up and reads again (<see cref="ITokenStorage.ObservesWithReads"/>).
    /// </summary>
    private StoredRecord? ReadRecordObserving(string column, DbParameter value)
    {
        var thread = CurrentThread;
        if (thread.Depth == 0 || thread.OpenTransaction is not null || thread.Observed is not null)
        {
            return Read("reading tokens", c => ReadRecords(c, $"SELECT {RecordColumns} FROM {RecordsTable} WHERE {column} = @{value.ParameterName} LIMIT 1", value), sessionFree: true) is [var found, ..]
                ? found
                : null;
        }

        var at = _time.GetTimestamp();
        var sql = $"SELECT {AliasedRecordColumns}, s.data_generation, s.state_generation FROM {StoreTable} s "
            + $"LEFT JOIN {RecordsTable} r ON r.{column} = @{value.ParameterName} WHERE s.id = 1 LIMIT 1";
        var (record, generations) = Read("reading tokens", c => ReadRecordAndGenerations(c, sql, value), sessionFree: true);
        thread.Observed = (generations, at);
        return record;
    }

    private void PrepareHot(DbCommand command)
    {
        if (PreparesHotStatements)
        {
            command.Prepare();
        }
    }

    private (StoredRecord? Record, Generations Generations) ReadRecordAndGenerations(DbConnection connection, string sql, DbParameter value)
    {
        using var command = Command(connection, sql, value);
        PrepareHot(command);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw Internal.Errors.Integrity($"the store's tables (the row of {StoreTable} is missing)");
        }

        var record = reader.IsDBNull(0) ? null : ReadRecord(reader);
        return (record, new Generations(reader.GetInt64(9), reader.GetInt64(10)));
    }
}
