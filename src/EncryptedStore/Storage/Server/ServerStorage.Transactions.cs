using System.Data.Common;
using EncryptedStore.Internal;

namespace EncryptedStore.Storage.Server;

/// <summary>Transactions: begin by locking the store row, commit by bumping its counters, one per thread.</summary>
internal abstract partial class ServerStorage
{
    /// <summary>
    /// Begins a READ COMMITTED transaction with the lock wait bounded by <c>@timeout</c> (<see cref="LockTimeoutSetting"/>),
    /// and ends with <c>SELECT data_generation, state_generation, (metadata present: 1 or 0) FROM store WHERE id = 1 FOR UPDATE</c>.
    /// </summary>
    protected abstract string BeginSql { get; }

    /// <summary>The value of <c>@timeout</c> in <see cref="BeginSql"/> (and the schema lock).</summary>
    protected abstract object LockTimeoutSetting { get; }

    private string CommitSql => $"UPDATE {StoreTable} SET data_generation = data_generation + @data, state_generation = state_generation + @state WHERE id = 1; COMMIT";

    /// <summary>
    /// Takes a pooled connection, begins, and locks the store row: every writer of every instance queues here, so what
    /// the transaction reads is the latest commit until it ends. Waits up to the lock timeout (<c>STORE_LOCKED</c>).
    /// </summary>
    public IStorageTransaction BeginTransaction()
    {
        var thread = CurrentThread;
        if (thread.OpenTransaction is not null)
        {
            throw new InvalidOperationException("A transaction is already open on this thread.");
        }

        thread.Snapshot = null;
        for (var attempt = 0; ; attempt++)
        {
            DbConnection? connection = null;
            try
            {
                connection = CreateConnection();
                connection.Open();
                var at = _time.GetTimestamp();
                var (generations, metadataPresent) = LockStoreRow(connection);
                var transaction = new ServerTransaction(this, connection, generations, at, metadataPresent);
                if (metadataPresent && _expectingCreation)
                {
                    Execute(connection, "ROLLBACK");
                    connection.Dispose();
                    _expectingCreation = false;
                    throw new StoreCreatedConcurrentlyException();
                }

                thread.OpenTransaction = transaction;
                return transaction;
            }
            catch (Exception e) when (IsDriverFailure(e))
            {
                var failure = Classify(e, connection);
                if (failure == ServerFailure.ConnectionLost)
                {
                    Lost(connection, "beginning a change", e);
                    connection?.Dispose();
                    if (attempt == 0)
                    {
                        continue;
                    }
                }
                else
                {
                    RollbackQuietly(connection);
                }

                throw Translate(failure, e, "beginning a change");
            }
            catch
            {
                RollbackQuietly(connection);
                throw;
            }
        }
    }

    /// <summary>Bumps the counters (when anything was written) and commits, in one round trip.</summary>
    /// <exception cref="TokenStoreException"><c>UNAVAILABLE</c>; with the outcome unknown when the connection was lost during the commit.</exception>
    internal void Commit(ServerTransaction transaction)
    {
        if (transaction.Done)
        {
            throw new InvalidOperationException("The transaction has ended.");
        }

        transaction.ThrowIfBroken();
        transaction.Done = true;
        var data = transaction.DataChanged ? 1 : 0;
        var state = transaction.StateChanged ? 1 : 0;
        var at = _time.GetTimestamp();
        try
        {
            if (data == 0)
            {
                Execute(transaction.Connection, "COMMIT");
            }
            else
            {
                Execute(transaction.Connection, CommitSql, Parameter("data", data), Parameter("state", state));
            }
        }
        catch (Exception e) when (IsDriverFailure(e))
        {
            var failure = Classify(e, transaction.Connection);
            var lost = failure == ServerFailure.ConnectionLost;
            if (lost)
            {
                Lost(transaction.Connection, "committing a change", e);
            }
            else
            {
                RollbackQuietly(transaction.Connection);
            }

            Release(transaction);
            throw Translate(failure, e, "committing a change", outcomeUnknown: lost);
        }

        var committed = new Generations(transaction.Begin.Data + data, transaction.Begin.State + state);
        Advance(transaction.Begin, committed, at);
        if (transaction.MetadataWritten)
        {
            _expectingCreation = false;
        }

        var thread = CurrentThread;
        thread.Observed = (committed, at);
        Release(transaction);
    }

    /// <summary>Rolls back a transaction that was not committed, and returns its connection.</summary>
    internal void End(ServerTransaction transaction)
    {
        if (transaction.Done)
        {
            return;
        }

        transaction.Done = true;
        if (!transaction.Broken)
        {
            RollbackQuietly(transaction.Connection);
        }

        Release(transaction);
    }

    /// <summary>
    /// A write: on this thread's transaction, or (for a caller without one, such as the key ring repository) in a
    /// transaction of its own, committed before returning. <paramref name="state"/>: it writes the metadata, a key or the
    /// key ring. <paramref name="changed"/> tells from the result whether anything was written (default: yes).
    /// </summary>
    protected T Write<T>(string operation, bool state, Func<DbConnection, T> call, Func<T, bool>? changed = null)
    {
        var thread = CurrentThread;
        thread.Snapshot = null;
        if (thread.OpenTransaction is { } open)
        {
            return Run(open);
        }

        using var own = (ServerTransaction)BeginTransaction();
        var result = Run(own);
        own.Commit();
        return result;

        T Run(ServerTransaction transaction)
        {
            var result = OnTransaction(transaction, operation, call);
            if (changed?.Invoke(result) != false)
            {
                transaction.DataChanged = true;
                transaction.StateChanged |= state;
            }

            return result;
        }
    }

    /// <summary>The open transaction of this thread (for checks that only make sense inside one).</summary>
    protected ServerTransaction RequireTransaction(string what) =>
        CurrentThread.OpenTransaction ?? throw new InvalidOperationException($"{what} happens inside a transaction.");

    private (Generations Generations, bool MetadataPresent) LockStoreRow(DbConnection connection)
    {
        using var command = Command(connection, BeginSql, Parameter("timeout", LockTimeoutSetting));
        using var reader = command.ExecuteReader();
        do
        {
            if (reader.FieldCount == 3 && reader.Read())
            {
                return (new Generations(reader.GetInt64(0), reader.GetInt64(1)), Convert.ToInt64(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture) != 0);
            }
        }
        while (reader.NextResult());

        throw Errors.Integrity($"the store's tables (the row of {StoreTable} is missing)");
    }

    private Generations ReadGenerations(DbConnection connection)
    {
        using var command = Command(connection, GenerationsSql);
        PrepareHot(command);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new Generations(reader.GetInt64(0), reader.GetInt64(1))
            : throw Errors.Integrity($"the store's tables (the row of {StoreTable} is missing)");
    }

    private void RollbackQuietly(DbConnection? connection)
    {
        if (connection is null)
        {
            return;
        }

        try
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                Execute(connection, "ROLLBACK");
            }
        }
        catch (Exception e) when (IsDriverFailure(e))
        {
            // The server rolls back a transaction whose connection ends; the pool must not hand this one out again.
            Lost(connection, "rolling back a change", e);
        }
        finally
        {
            connection.Dispose();
        }
    }

    private void Release(ServerTransaction transaction)
    {
        var thread = CurrentThread;
        if (ReferenceEquals(thread.OpenTransaction, transaction))
        {
            thread.OpenTransaction = null;
        }

        transaction.Connection.Dispose();
    }
}
