using Microsoft.Extensions.Logging;

namespace EncryptedStore.Storage.Server;

/// <summary>
/// The storage seam on a database server (fleet mode): the store's records, keys, key ring and metadata in five tables
/// of a MariaDB/MySQL or PostgreSQL database, which any number of instances on any number of machines use at once.
/// This class holds what both servers do alike, in ADO.NET with parameters only (table names come from the validated
/// prefix); <see cref="MySqlStorage"/> and <see cref="PostgreSqlStorage"/> hold what differs (DDL, upsert and lease
/// syntax, error codes, locks).
/// </summary>
/// <remarks>
/// <para>Consistency across instances: the store row counts changes (<see cref="Generations"/>). Every transaction
/// begins by locking that row (<c>SELECT ... FOR UPDATE</c>), so the writers of the whole fleet queue on it and a
/// transaction reads, checks and writes against the latest commit; its commit bumps the counters. A read
/// (<see cref="Enter"/>, <see cref="IsStale"/>) costs one query of the counters, after which what the store keeps in
/// memory is known to be current or is reloaded.</para>
/// <para>Threads: a transaction belongs to the thread that began it; every call that thread makes while it is open
/// runs on its connection. Other threads use their own pooled connections and never see it. No lock of this process
/// is taken: reads run concurrently, writers wait for each other on the server.</para>
/// <para>Failures: a driver failure leaves as <c>UNAVAILABLE</c> naming the server (never the password), except a
/// refused unique value, a lock wait past the timeout (<c>STORE_LOCKED</c>) and a missing table (<c>INTEGRITY</c>).
/// A lost connection clears its pool, so the next call reconnects; a read it broke is retried once.</para>
/// </remarks>
internal abstract partial class ServerStorage : ITokenStorage
{
    /// <summary>The version of the tables' layout this code reads and writes; a newer one in the store row is refused.</summary>
    public const int SchemaVersion = 1;

    private const long NeverMatched = long.MinValue;

    private readonly ThreadLocal<ServerThreadState> _threads = new(() => new ServerThreadState());
    private readonly Lock _syncLock = new();
    private readonly Action _exit;
    private readonly TimeSpan _maxStaleness;
    private readonly TimeProvider _time;
    private Generations _synced = Generations.None;
    private long _matchedAt = NeverMatched;
    private volatile bool _disposed;

    // Set when the last look at the store row found no metadata: a creation is expected, and metadata found by a
    // transaction then means another instance created the store meanwhile.
    private volatile bool _expectingCreation;

    protected ServerStorage(string path, string connectionString, string prefix, TimeSpan lockTimeout, TimeSpan maxStaleness, TimeProvider time, ILogger logger)
    {
        Path = path;
        ConnectionString = connectionString;
        Password = PasswordOf(connectionString);
        Prefix = prefix;
        LockTimeout = lockTimeout;
        _maxStaleness = maxStaleness;
        _time = time;
        Logger = logger;
        _exit = Exit;
    }

    /// <summary>The store as messages name it: <c>Kind(host:port/database, tables prefix*)</c>, never the password.</summary>
    public string Path { get; }

    /// <summary>A server store has no file of its own: no journal, no wrapped key file beside it.</summary>
    public bool HasFile => false;

    public bool IsShared => true;

    public bool SupportsJournal => false;

    /// <summary>Data and indexes of the store's five tables, as the server reports them.</summary>
    public long SizeInBytes => Read("measuring the store", MeasureSize);

    /// <summary>
    /// With bounded staleness, true while the last observation that matched what the store keeps was taken less than
    /// the maximum staleness ago: a cached token may then be served without asking the server. Always false by default
    /// (every call asks, so no call returns what another instance changed before it began).
    /// </summary>
    public bool IsSynchronized
    {
        get
        {
            if (_maxStaleness <= TimeSpan.Zero)
            {
                return false;
            }

            var matchedAt = Interlocked.Read(ref _matchedAt);
            return matchedAt != NeverMatched && _time.GetElapsedTime(matchedAt) < _maxStaleness;
        }
    }

    /// <summary>
    /// Inside <see cref="Enter"/>: the thread's observation of the counters (one query at the outermost hold, or those
    /// its transaction read at begin) differs from those the store is synchronized at.
    /// </summary>
    public bool IsStale
    {
        get
        {
            var observed = Observe(CurrentThread);
            lock (_syncLock)
            {
                if (observed.Generations != _synced)
                {
                    return true;
                }

                NoteMatch(observed.At);
                return false;
            }
        }
    }

    /// <summary>Whether the metadata, key list or key ring changed since the synchronized counters, not only records.</summary>
    public bool IsStateStale
    {
        get
        {
            var observed = Observe(CurrentThread);
            lock (_syncLock)
            {
                return observed.Generations.State != _synced.State;
            }
        }
    }

    protected string Prefix { get; }

    protected TimeSpan LockTimeout { get; }

    protected ILogger Logger { get; }

    private ServerThreadState CurrentThread
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _threads.Value!;
        }
    }

    /// <summary>Opens (and on first use creates the tables of) the store <paramref name="database"/> names.</summary>
    /// <exception cref="TokenStoreException">
    /// <c>UNAVAILABLE</c> when the server cannot be reached, <c>UNSUPPORTED_VERSION</c> when its tables are of a newer
    /// layout, <c>STORE_LOCKED</c> when another instance held the schema lock past the timeout.
    /// </exception>
    public static ITokenStorage Open(TokenDatabase database, TimeSpan lockTimeout, TimeSpan maxStaleness, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(database);
        ServerStorage storage = database.Kind == TokenDatabaseKind.PostgreSql
            ? new PostgreSqlStorage(database.ToString(), database.ConnectionString, database.TablePrefix, lockTimeout, maxStaleness, time, logger)
            : new MySqlStorage(database.ToString(), database.ConnectionString, database.TablePrefix, lockTimeout, maxStaleness, time, logger);
        try
        {
            storage.EnsureSchema();
            return storage;
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    public Exception? TakeEngineReopen() => null;

    /// <summary>Counts this thread's holds; the outermost starts a new observation. No lock: the server orders writers.</summary>
    public StorageLease Enter()
    {
        var thread = CurrentThread;
        if (thread.Depth++ == 0 && thread.OpenTransaction is null)
        {
            thread.Observed = null;
            thread.Snapshot = null;
        }

        return new StorageLease(_exit);
    }

    /// <summary>The store is synchronized at this thread's observation from now on, unless it already is at a later one.</summary>
    public void MarkSynchronized()
    {
        var observed = Observe(CurrentThread);
        lock (_syncLock)
        {
            if (_synced == Generations.None || observed.Generations.Data >= _synced.Data)
            {
                _synced = observed.Generations;
                NoteMatch(observed.At);
            }
        }
    }

    /// <summary>The server checkpoints on its own.</summary>
    public StorageLease BeginScan() => default;

    /// <summary>The server checkpoints on its own.</summary>
    public void CheckpointAfterWrite()
    {
    }

    /// <summary>The server checkpoints on its own.</summary>
    public void TakeOverCheckpoints()
    {
    }

    /// <summary>The server checkpoints on its own.</summary>
    public void HandBackCheckpoints()
    {
    }

    /// <summary>The server checkpoints on its own.</summary>
    public void Checkpoint()
    {
    }

    /// <summary>Nothing to check: the tables live on a server, whose access control (users and grants) guards them, not file modes.</summary>
    public void CheckPrivate()
    {
    }

    /// <summary>Only the save journal uses it, which a server store never has.</summary>
    public byte[] SerializeRecord(StoredRecord record) =>
        throw new InvalidOperationException("A database store has no save journal: its records are never serialized for one.");

    /// <summary>Only the save journal uses it, which a server store never has.</summary>
    public StoredRecord? DeserializeRecord(byte[] bytes) =>
        throw new InvalidOperationException("A database store has no save journal: its records are never deserialized from one.");

    /// <summary>Forgets the thread states; the pooled connections stay with the driver (other stores of this process may use them).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _threads.Dispose();
        DisposeDialect();
    }

    /// <summary>Releases what the dialect holds.</summary>
    protected virtual void DisposeDialect()
    {
    }

    /// <summary>This thread's observation of the counters: its transaction's, or one query at its outermost hold.</summary>
    private (Generations Generations, long At) Observe(ServerThreadState thread)
    {
        if (thread.OpenTransaction is { } transaction)
        {
            return (transaction.Begin, transaction.BeganAt);
        }

        if (thread.Observed is { } observed && thread.Depth > 0)
        {
            return observed;
        }

        var at = _time.GetTimestamp();
        var generations = Read("reading the store", ReadGenerations, sessionFree: true);
        var observation = (generations, at);
        if (thread.Depth > 0)
        {
            thread.Observed = observation;
        }

        return observation;
    }

    /// <summary>Under the sync lock: an observation taken at <paramref name="at"/> matched; bounded staleness counts from the latest.</summary>
    private void NoteMatch(long at)
    {
        if (at > _matchedAt || _matchedAt == NeverMatched)
        {
            Interlocked.Exchange(ref _matchedAt, at);
        }
    }

    /// <summary>After a commit: synchronized at the new counters if it was at those the transaction began with.</summary>
    private void Advance(Generations begin, Generations committed, long at)
    {
        lock (_syncLock)
        {
            if (_synced == begin)
            {
                _synced = committed;
                NoteMatch(at);
            }
        }
    }

    private void Exit()
    {
        // A hold that ends after the storage closed has nothing left to count.
        try
        {
            if (!_disposed)
            {
                _threads.Value!.Depth--;
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
