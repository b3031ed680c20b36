using EncryptedStore.Caching;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Engine;

/// <summary>
/// The one way the store reads and changes its storage. A write (<see cref="Write"/>) does, in order: take
/// the write lock; check the store is open; hold the storage and catch up with another process's writes
/// (shared mode); start a cache generation; apply the pending journal saves; run the work in one
/// transaction; commit durably (fsync); checkpoint a long log; retire what the write touched from the
/// cache. Failures leave as <see cref="TokenStoreException"/>s (the storage translates its own). Reads hold
/// the storage and catch up the same way (<see cref="Hold"/>); a read that must see every acknowledged
/// save applies the journal first (<see cref="ApplyPending"/>, <see cref="BeginScan"/>).
/// </summary>
/// <remarks>
/// The lock order of the whole store, outermost first:
/// <list type="number">
/// <item>the write lock (here): saves, deletes and key changes, one at a time;</item>
/// <item>the storage's hold (<see cref="ITokenStorage.Enter"/>): in shared mode its gate and the lock file;</item>
/// <item>the journal's apply lock, then its journal lock (<see cref="JournaledWriter"/>);</item>
/// <item>the cache's lock and the unique-value filter's lock, never held while taking another.</item>
/// </list>
/// Lookups take none of these on a cache hit, and only the storage's hold on a miss. The journal's
/// applier takes the apply lock without the write lock, so saves continue while it commits.
/// </remarks>
internal sealed class WritePipeline(object owner, ITokenStorage storage, TokenCache? cache, JournaledWriter? journal, Action reload, ILogger? logger = null)
{
    private readonly FairLock _writeLock = new();
    private readonly Lock _catchUpLock = new();
    private volatile bool _disposed;

    public ITokenStorage Storage => storage;

    public bool IsDisposed => _disposed;

    /// <summary>Whether the storage is unchanged by other processes since the last catch-up; when true, a cache hit may be served without holding it.</summary>
    public bool IsSynchronized => storage.IsSynchronized;

    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, owner);

    /// <summary>
    /// Holds the storage for one read and, when another process wrote since the last look (or the storage
    /// replaced its failed engine), first reloads the metadata and keys and empties the cache. Nested holds are free.
    /// </summary>
    public StorageLease Hold()
    {
        var lease = storage.Enter();
        try
        {
            if (storage.IsStale)
            {
                CatchUp();
            }

            return lease;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Holds the storage for a read that checks after reading (see <see cref="ITokenStorage.ObservesWithReads"/>): on a
    /// database server the first record read asks, in its own round trip, whether another instance wrote, and the caller
    /// then calls <see cref="CaughtUp"/>. Elsewhere the same as <see cref="Hold"/>.
    /// </summary>
    public StorageLease HoldForRead() => storage.ObservesWithReads ? storage.Enter() : Hold();

    /// <summary>
    /// Inside <see cref="HoldForRead"/>, after a read (or before trusting the cache): catches up when another process
    /// wrote since the last look. True when it did: what was read before may be out of date and is read again.
    /// </summary>
    public bool CaughtUp()
    {
        if (!storage.ObservesWithReads || !storage.IsStale)
        {
            return false;
        }

        CatchUp();
        return true;
    }

    /// <summary>
    /// Reloads what another process (or a replaced engine) may have changed, once: on a database store several threads
    /// may find the storage stale at once, and the first reloads for all of them.
    /// </summary>
    private void CatchUp()
    {
        lock (_catchUpLock)
        {
            if (!storage.IsStale)
            {
                return;
            }

            cache?.BeginWrite();
            try
            {
                if (storage.IsStateStale)
                {
                    reload();
                }
            }
            finally
            {
                cache?.EndWrite(touchedIds: null);
            }

            storage.MarkSynchronized();
            if (storage.TakeEngineReopen() is { } failure && logger is not null)
            {
                Log.EngineReopened(logger, storage.Path, failure);
            }
        }
    }

    /// <summary>Before a read of the storage that must see every acknowledged save (anything but a read by id).</summary>
    public void ApplyPending() => journal?.ApplyPendingOrThrow();

    /// <summary>Marks a read of every record, after applying what is pending (see <see cref="ITokenStorage.BeginScan"/>).</summary>
    public StorageLease BeginScan()
    {
        ApplyPending();
        return storage.BeginScan();
    }

    /// <summary>
    /// Runs <paramref name="work"/> serialised with every write, holding the storage, without a transaction of
    /// its own: for a journaled save, and for an operation of several writes that must see one state.
    /// </summary>
    /// <param name="work">What to run.</param>
    /// <param name="checkFirst">
    /// False for work whose reads check for themselves (a save: <see cref="TryReplace"/> and <see cref="Write{T}"/> do): on
    /// a database server the hold then asks nothing before the work begins.
    /// </param>
    public T Serialized<T>(Func<T> work, bool checkFirst = true)
    {
        using (_writeLock.Enter())
        {
            ThrowIfDisposed();
            using var lease = checkFirst ? Hold() : HoldForRead();
            return work();
        }
    }

    /// <summary>As <see cref="Serialized{T}(Func{T}, bool)"/>, for work with no result.</summary>
    public void Serialized(Action work) => Serialized(() =>
    {
        work();
        return true;
    });

    /// <summary>
    /// Under the write lock, outside a transaction: replaces <paramref name="record"/> by id in one durable commit when the
    /// storage is still at <paramref name="synchronizedAt"/> (see <see cref="ITokenStorage.TryReplaceIfUnchanged"/>). The
    /// cache then holds <paramref name="written"/>, unless a reader caught up with a later change of another instance
    /// meanwhile (it forgets the token then). False when nothing was replaced: take <see cref="Write{T}"/>.
    /// </summary>
    public bool TryReplace(StoredRecord record, Generations synchronizedAt, CachedToken written)
    {
        cache?.BeginWrite();
        Generations? committed = null;
        try
        {
            committed = storage.TryReplaceIfUnchanged(record, synchronizedAt);
            return committed is not null;
        }
        finally
        {
            if (cache is not null)
            {
                // Against a catch-up (which empties the cache, then moves the storage's mark): the token is current
                // only while the storage is still at the commit's counters.
                lock (_catchUpLock)
                {
                    if (committed is { } at && storage.SynchronizedAt == at)
                    {
                        cache.EndWrite(written);
                    }
                    else
                    {
                        cache.EndWrite([record.Id]);
                    }
                }
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> as one durable transaction (see the class remarks); <paramref name="operation"/> names it in errors.</summary>
    /// <param name="operation">Names the write in errors.</param>
    /// <param name="work">What to run inside the transaction.</param>
    /// <param name="deferCheckpoint">
    /// True for an app's call (a save, a delete): with a save journal, the checkpoint LiteDB's log may need after it runs
    /// on the journal's thread, not in the call. Rotation batches and key changes checkpoint at once.
    /// </param>
    public T Write<T>(string operation, Func<WriteScope, T> work, bool deferCheckpoint = false)
    {
        using (_writeLock.Enter())
        {
            ThrowIfDisposed();

            // Where the transaction observes when it begins (a database server), it catches up below, so the hold asks nothing first.
            using var lease = HoldForRead();
            var scope = new WriteScope();
            cache?.BeginWrite();
            try
            {
                ApplyPending();
                T result;
                using (var transaction = storage.BeginTransaction())
                {
                    // A database server: another instance may have committed between the hold above and this transaction,
                    // which now keeps every other writer out; catch up inside it, so the work sees the current keys.
                    if (storage.IsShared && storage.IsStale)
                    {
                        CatchUp();
                        scope.TouchAll();
                    }

                    result = work(scope);
                    transaction.Commit();
                }

                if (deferCheckpoint && journal is not null)
                {
                    journal.RequestCheckpoint();
                }
                else
                {
                    storage.CheckpointAfterWrite();
                }

                return result;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Errors.Io(operation, e, storage.Path);
            }
            finally
            {
                cache?.EndWrite(scope.TouchedAll ? null : scope.Touched);
            }
        }
    }

    /// <summary>Marks the store disposed, once: true for the call that did. Later calls fail with <see cref="ObjectDisposedException"/>.</summary>
    public bool TryClose()
    {
        using (_writeLock.Enter())
        {
            if (_disposed)
            {
                return false;
            }

            _disposed = true;
            return true;
        }
    }
}
