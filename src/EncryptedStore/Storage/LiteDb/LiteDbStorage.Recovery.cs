namespace EncryptedStore.Storage.LiteDb;

/// <summary>
/// Self-healing: when a LiteDB call fails in a way that leaves its engine closed or unreliable (an I/O error, its
/// internal consistency failure), the storage replaces the engine with a fresh one over the same file before the
/// next call uses it. The file is safe: LiteDB writes a transaction's commit marker last, and a fresh engine rereads
/// the log's committed transactions only. Writes (and transactions) are counted, so an engine is never replaced
/// under one; reads are retried once on the fresh engine.
/// </summary>
internal abstract partial class LiteDbStorage
{
    // Whether this thread is inside a write of some storage: it must not wait for writes to end, its own among them.
    [ThreadStatic]
    private static int t_writeDepth;

    private readonly object _engineLock = new();
    private int _writers;
    private volatile Exception? _engineFailure;
    private long _reopens;
    private Exception? _unreportedReopen;

    /// <summary>How many times the engine was replaced after a failure (for tests).</summary>
    public long EngineReopens => Interlocked.Read(ref _reopens);

    /// <summary>True when a failure left the engine to replace before the next call.</summary>
    public bool EngineFailed => _engineFailure is not null;

    public Exception? TakeEngineReopen() => Interlocked.Exchange(ref _unreportedReopen, null);

    /// <summary>Replaces the failed engine by a fresh one over the same files; called with no write in flight.</summary>
    protected abstract void ReplaceFailedEngine();

    /// <summary>
    /// Notes a failure of a LiteDB call; one that leaves the engine unreliable marks it for replacement, unless the call
    /// began on an engine replaced since (<paramref name="engine"/>, the <see cref="EngineReopens"/> it began at): a read
    /// that the replacement cut short must not condemn the fresh engine, whose replacement would cut short the reads on
    /// it in turn.
    /// </summary>
    protected void NoteFailure(Exception e, long? engine = null)
    {
        if (!Disposed && LiteDbFailures.IsEngineFailure(e) && (engine is not { } began || began == EngineReopens))
        {
            _engineFailure ??= e;
        }
    }

    /// <summary>
    /// Replaces a failed engine, first waiting for the writes in flight on other threads (never when this thread is
    /// inside a write); true when the engine is sound now.
    /// </summary>
    protected bool ReopenIfFailed()
    {
        if (_engineFailure is null)
        {
            return true;
        }

        lock (_engineLock)
        {
            return ReopenLocked();
        }
    }

    /// <summary>Before a write or a transaction: replaces a failed engine (see <see cref="ReopenIfFailed"/>), then counts the write.</summary>
    protected void EnterWrite()
    {
        lock (_engineLock)
        {
            ReopenLocked();
            _writers++;
        }

        t_writeDepth++;
    }

    protected void ExitWrite()
    {
        t_writeDepth--;
        lock (_engineLock)
        {
            if (--_writers == 0)
            {
                Monitor.PulseAll(_engineLock);
            }
        }
    }

    /// <summary>
    /// A guarded LiteDB read: never on an engine known to have failed (it may still answer from the pages of the
    /// transaction that did not commit), and on a failure that leaves the engine unreliable, retried once on a fresh one.
    /// </summary>
    /// <param name="call">The read.</param>
    /// <param name="operation">Names the read in errors.</param>
    /// <param name="enumerationBegan">
    /// For a step of an enumeration, the <see cref="EngineReopens"/> it began at: it is not retried (on a fresh engine it
    /// cannot go on), and it condemns only that engine.
    /// </param>
    private T GuardedRead<T>(Func<T> call, string operation, long? enumerationBegan = null)
    {
        var retry = enumerationBegan is null;
        if (retry)
        {
            ReopenIfFailed();
        }

        var engine = enumerationBegan ?? EngineReopens;
        try
        {
            return call();
        }
        catch (Exception e) when (IsFailure(e))
        {
            NoteFailure(e, engine);

            // Retried when the engine failed, or was replaced while the call ran (which cut it short).
            if (!retry || t_writeDepth > 0 || !(EngineFailed || engine != EngineReopens) || !ReopenIfFailed())
            {
                throw LiteDbFailures.Translate(e, operation, writing: false, Path);
            }
        }

        engine = EngineReopens;
        try
        {
            return call();
        }
        catch (Exception e) when (IsFailure(e))
        {
            NoteFailure(e, engine);
            throw LiteDbFailures.Translate(e, operation, writing: false, Path);
        }
    }

    /// <summary>A guarded LiteDB write, counted (see <see cref="EnterWrite"/>).</summary>
    private T GuardedWrite<T>(Func<T> call, string operation)
    {
        EnterWrite();
        try
        {
            return call();
        }
        catch (Exception e) when (IsFailure(e))
        {
            NoteFailure(e);
            throw LiteDbFailures.Translate(e, operation, writing: true, Path);
        }
        finally
        {
            ExitWrite();
        }
    }

    private bool ReopenLocked()
    {
        if (t_writeDepth > 0)
        {
            return _engineFailure is null;
        }

        while (_engineFailure is not null && _writers > 0)
        {
            Monitor.Wait(_engineLock);
        }

        if (_engineFailure is not { } failure || Disposed)
        {
            return _engineFailure is null;
        }

        try
        {
            ReplaceFailedEngine();
        }
        catch (Exception e) when (LiteDbFailures.IsStorageFailure(e))
        {
            // The device is still failing: the next call tries again.
            throw LiteDbFailures.Translate(e, "reopening the store after a failure", writing: true, Path);
        }

        // The count first: a read that finds the engine sound from here on names the fresh one.
        Interlocked.Increment(ref _reopens);
        _engineFailure = null;
        Volatile.Write(ref _unreportedReopen, failure);
        Internal.StoreMetrics.Add(Internal.StoreMetrics.EngineReopened, 1, Path);
        return true;
    }
}
