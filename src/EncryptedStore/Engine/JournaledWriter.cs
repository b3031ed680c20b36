using System.Security.Cryptography;
using System.Collections.Concurrent;
using EncryptedStore.Caching;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Engine;

/// <summary>
/// Saves through the journal: a save of an existing token appends its new record to the
/// <see cref="SaveJournal"/> (one fdatasync) and returns; a background thread applies the journal to the
/// storage in batches. Until then the record is pending: reads by id are served from <see cref="FindPending"/>,
/// and every other read or write of the storage first applies what is pending (<see cref="ApplyPendingOrThrow"/>),
/// so nothing ever reads a storage state older than an acknowledged save.
/// </summary>
/// <remarks>
/// Owns the journal file, the pending saves, the applier thread (<see cref="ApplierThread"/>), its stored failure and
/// the filter of unique values (see <see cref="UniqueValueFilter"/>). <see cref="TrySave"/> runs under
/// the store's write lock. Applying holds <c>_applyLock</c> and never the write lock, so saves go on while
/// the storage commits a batch; it takes <c>_journalLock</c> only to take a batch (switching the journal's
/// region) and to retire it. The store's lock order is in <see cref="WritePipeline"/>.
/// </remarks>
internal sealed class JournaledWriter : IDisposable
{
    private readonly ITokenStorage _storage;
    private readonly TokenCache? _cache;
    private readonly IJournalHost _host;
    private readonly byte[] _storeId;
    private readonly bool _flushToDisk;
    private readonly ILogger _logger;
    private readonly Lock _journalLock = new();
    private readonly Lock _applyLock = new();
    private readonly ConcurrentDictionary<string, PendingSave> _pending = new(StringComparer.Ordinal);
    private readonly ApplierThread _applier;
    private readonly UniqueValues _uniqueValues;
    private readonly IDisposable _depthGauge;
    private readonly IEnumerable<StoredRecord> _pendingRecords; // enumerated without locks, and only when used (Values takes every lock)
    private readonly Func<string, StoredRecord?> _pendingRecordOf;
    private SaveJournal? _journal;
    private volatile bool _stopping;
    private volatile Exception? _applyFailure;
    private int? _failedRegion; // a failed batch's region: it keeps its entries until a later apply succeeds

    /// <summary><c>_pending.Count</c>, kept under the journal lock: a <see cref="ConcurrentDictionary{TKey, TValue}"/>'s count takes all its locks.</summary>
    private volatile int _pendingCount;
    private long _journaledSaves;

    public JournaledWriter(ITokenStorage storage, TokenCache? cache, IJournalHost host, byte[] storeId, bool flushToDisk, ILogger logger)
    {
        _storage = storage;
        _cache = cache;
        _host = host;
        _storeId = storeId;
        _flushToDisk = flushToDisk;
        _logger = logger;
        _uniqueValues = new UniqueValues(storage, logger);
        _pendingRecords = _pending.Select(p => p.Value.Record);
        _pendingRecordOf = id => _pending.GetValueOrDefault(id)?.Record;
        _depthGauge = StoreMetrics.TrackJournal(storage.Path, () => _pendingCount);
        storage.TakeOverCheckpoints();
        _applier = new ApplierThread(ApplyAndCheckpoint, e =>
        {
            _applyFailure = e;
            Log.JournalApplyFailed(_logger, e);
        });
    }

    /// <summary>How many saves went through the journal (for tests and diagnostics).</summary>
    public long JournaledSaveCount => Interlocked.Read(ref _journaledSaves);

    /// <summary>How many records are acknowledged but not yet applied to the storage (for tests and diagnostics).</summary>
    public int PendingSaveCount => _pendingCount;

    /// <summary>The journal's fsync count, 0 before the first journaled save (for tests).</summary>
    public long SyncCount => Volatile.Read(ref _journal)?.SyncCount ?? 0;

    /// <inheritdoc cref="ApplierThread.Paused"/>
    public bool Paused
    {
        get => _applier.Paused;
        set => _applier.Paused = value;
    }

    /// <summary>How many times a journaled save asked the storage whether a lookup value was taken (for tests).</summary>
    public long UniqueValueProbeCount => _uniqueValues.Probes;

    /// <summary>Starts building the filter of unique values now (after open) rather than at the first journaled save.</summary>
    public void StartUniqueValues() => _uniqueValues.Current(_pendingRecords, _stopping);

    /// <summary>Waits until the filter of unique values being built, if any, is ready (for tests); true when one is.</summary>
    public bool WaitForUniqueValues() => _uniqueValues.WaitUntilBuilt();

    /// <summary>The tokens pending saves left, by id: what a read that cannot apply them (a full disk) puts over the storage's.</summary>
    public Dictionary<string, CachedToken> PendingTokens() => _pending.ToDictionary(p => p.Key, p => p.Value.Token, StringComparer.Ordinal);

    /// <summary>The token a pending save left for <paramref name="id"/>, or null.</summary>
    public CachedToken? FindPending(string id) =>
        _pendingCount > 0 && _pending.TryGetValue(id, out var pending) ? pending.Token : null;

    /// <summary>
    /// Under the write lock: journals the save of <paramref name="record"/> (an existing token's new state, or a new
    /// token's first) when every unique lookup value it changes (<paramref name="changed"/>; all of them for a new
    /// token) is certainly free. The entry is written and
    /// the save is pending (readers and later saves see it) when this returns, but it is acknowledged only once
    /// <see cref="WaitDurable"/> of the ticket returns: the caller waits outside the write lock, so saves that arrive
    /// together share one fdatasync. When the journal's region is full it waits for the applier to free the other
    /// (<see cref="WaitForRoom"/>). Null, with nothing written, when a value is not free, when no room came (the applier
    /// paused or stopping), or after the applier failed: the ordinary path (which applies what is pending first) then
    /// takes the save.
    /// </summary>
    public JournalTicket? TrySave(StoredRecord record, CachedToken written, IReadOnlyList<BlindIndex> changed)
    {
        var filter = _uniqueValues.Current(_pendingRecords, _stopping);
        if (_applyFailure is not null
            || changed.Any(index => !_uniqueValues.IsFree(index, record, filter, _pendingRecords, _pendingRecordOf))
            || (_journal is null && !TryStartJournal()))
        {
            return null;
        }

        var entry = _storage.SerializeRecord(record);
        var ticket = Append(record, written, entry);
        if (ticket is null && WaitForRoom())
        {
            ticket = Append(record, written, entry);
        }

        if (ticket is not null)
        {
            Interlocked.Increment(ref _journaledSaves);
            _applier.Request();
        }

        return ticket;
    }

    /// <summary>
    /// Under the write lock, after a write of the app's (a save that took a transaction, a delete): the checkpoint
    /// LiteDB's log may need is left to the applier's thread, so no save waits for one.
    /// </summary>
    public void RequestCheckpoint() => _applier.Request();

    /// <summary>
    /// Outside the write lock: returns once the save of <paramref name="ticket"/> is on the disk, sharing the
    /// fdatasync with the saves written meanwhile (group commit).
    /// </summary>
    /// <exception cref="TokenStoreException">
    /// The fdatasync failed (<c>IO_ERROR</c>, <c>STORAGE_FULL</c>): the save may or may not have been kept; it stays
    /// pending, so what readers see from now on is what the storage will hold.
    /// </exception>
    public void WaitDurable(JournalTicket ticket)
    {
        try
        {
            ticket.Journal.SyncThrough(ticket.Sequence);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            throw Errors.Io("saving tokens", e, _storage.Path);
        }
    }

    /// <summary>
    /// Under the write lock, with nothing pending (after <see cref="ApplyPendingOrThrow"/>): closes and deletes the
    /// journal, so the next journaled save starts a new one (a new epoch, and a MAC key from the master key in
    /// force then). After a master-key change.
    /// </summary>
    public void Restart()
    {
        ApplyPendingOrThrow();
        lock (_journalLock)
        {
            if (_journal is null)
            {
                return;
            }

            _journal.Dispose();
            _journal = null;
            File.Delete(StorePaths.JournalPathFor(_storage.Path));
        }
    }

    /// <summary>Under the write lock, after the ordinary path wrote a record: keeps the filter of unique values a superset.</summary>
    public void Note(StoredRecord record) => _uniqueValues.Note(record);

    /// <summary>Under the write lock, when a rotation starts: it gives every record new values, so the filter starts over after it.</summary>
    public void ForgetUniqueValues() => _uniqueValues.Forget();

    /// <summary>
    /// Applies what is pending before a read or write of the storage that must see it; cheap when nothing is.
    /// Never call it inside a transaction of this thread with saves pending.
    /// </summary>
    /// <remarks>After a failure (of the applier or of an earlier call), every call tries again: once the device is back, the saves are applied and the applier resumes.</remarks>
    /// <exception cref="TokenStoreException">Applying failed; the journal keeps the saves.</exception>
    public void ApplyPendingOrThrow()
    {
        if (_pendingCount == 0)
        {
            return;
        }

        try
        {
            ApplyPending();
        }
        catch (Exception e)
        {
            _applyFailure = e;
            Log.JournalApplyFailed(_logger, e);
            throw e as TokenStoreException ?? Errors.Io("applying saved tokens from the journal", e, _storage.Path);
        }

        _applyFailure = null;
    }

    /// <summary>
    /// At dispose: stops the applier and applies what is left, turns the engine's own checkpoint back on (see
    /// <see cref="ITokenStorage.TakeOverCheckpoints"/>), folds the log into the data file and deletes the journal. When
    /// applying fails, the journal stays, and the next open replays it.
    /// </summary>
    public void Dispose()
    {
        _stopping = true;
        _applier.Stop();
        _uniqueValues.StopBuilding();
        try
        {
            if (_applyFailure is null)
            {
                ApplyPending();
                _storage.HandBackCheckpoints();
                _storage.Checkpoint();
            }
        }
        catch (Exception e)
        {
            Log.JournalApplyFailed(_logger, e);
        }

        lock (_journalLock)
        {
            _journal?.Dispose();
            if (_journal is not null && _pendingCount == 0)
            {
                File.Delete(StorePaths.JournalPathFor(_storage.Path));
            }
        }

        _applier.Dispose();
        _depthGauge.Dispose();
    }

    /// <summary>
    /// Applies every save pending now in one durable transaction, then empties the journal region that held
    /// them and retires them (a record saved again meanwhile stays pending).
    /// </summary>
    private void ApplyPending()
    {
        lock (_applyLock)
        {
            List<KeyValuePair<string, PendingSave>> batch;
            int region;
            lock (_journalLock)
            {
                if (_pendingCount == 0)
                {
                    return;
                }

                batch = [.. _pending.OrderBy(p => p.Value.Sequence)];

                // After a failed batch, switching back would write over its entries; this batch takes them too.
                region = _failedRegion ?? _journal!.SwitchRegion();
                _failedRegion = region;
            }

            // A record saved more than once in the batch is deleted first: an earlier save of it may have given up a value
            // a later save of another took, which its last state alone would still hold (see JournaledInsertTests).
            _host.ApplyBatch([.. batch.Select(p => p.Value.Record)], [.. batch.Where(p => p.Value.Supersedes).Select(p => p.Key)], batch.Max(p => p.Value.Sequence));
            StoreMetrics.Add(StoreMetrics.JournalBatches, 1, _storage.Path);

            // Outside the journal lock: appends go on in the other region meanwhile, rather than wait for this fdatasync.
            _journal!.Reset(region);
            lock (_journalLock)
            {
                _failedRegion = null;
                foreach (var applied in batch)
                {
                    _pending.TryRemove(applied);
                }

                _pendingCount = _pending.Count;
            }
        }
    }

    /// <summary>The applier's work: what is pending, then the checkpoint the log needs (off every caller's path).</summary>
    private void ApplyAndCheckpoint()
    {
        lock (_applyLock)
        {
            ApplyPending();
            _storage.CheckpointAfterWrite();
        }
    }

    /// <summary>Writes the entry and makes the save pending; null, with nothing written, when the active region is full.</summary>
    private JournalTicket? Append(StoredRecord record, CachedToken written, byte[] entry)
    {
        lock (_journalLock)
        {
            try
            {
                if (_journal!.Write(entry) is not { } sequence)
                {
                    return null;
                }

                if (_journal.IsHalfFull)
                {
                    // Saves are arriving faster than batches of the delay drain them: apply now, before the region fills.
                    _applier.Hurry();
                }

                _cache?.BeginWrite();
                _pending[record.Id] = new PendingSave(sequence, record, written, Supersedes: _pending.ContainsKey(record.Id));
                _pendingCount = _pending.Count;
                _uniqueValues.Note(record);
                _cache?.EndWrite(written);
                return new JournalTicket(_journal, sequence);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Errors.Io("saving tokens", e, _storage.Path);
            }
        }
    }

    /// <summary>
    /// The active region is full (saves outran the applier): waits for the applier's next batch to make the other region
    /// the active one, rather than let the save take the ordinary path, which applies the whole backlog on the caller's
    /// thread. False (the ordinary path then) when the applier is paused, failed or stopping, or no room came in 30 s.
    /// </summary>
    private bool WaitForRoom()
    {
        for (var waited = 0; waited < 300 && !_applier.Paused && _applyFailure is null && !_stopping; waited++)
        {
            _applier.Hurry();
            _applier.Request();
            if (_journal!.WaitForRoom(TimeSpan.FromMilliseconds(100)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The first journaled save of a journal: a new epoch in the metadata, then the file, created exclusively. When
    /// something occupies the journal's path (a file left by someone else, a link), saves take the ordinary path.
    /// </summary>
    private bool TryStartJournal()
    {
        var (epoch, macKey) = _host.BeginEpoch();
        SaveJournal journal;
        try
        {
            journal = SaveJournal.Create(StorePaths.JournalPathFor(_storage.Path), _storeId, epoch, macKey, _flushToDisk);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TokenStoreException)
        {
            CryptographicOperations.ZeroMemory(macKey);
            Log.JournalNotStarted(_logger, StorePaths.JournalPathFor(_storage.Path), e.Message);
            return false;
        }

        lock (_journalLock)
        {
            _journal = journal;
        }

        return true;
    }

    /// <summary>
    /// A save acknowledged through the journal and not yet applied to the storage; <paramref name="Supersedes"/> when it
    /// replaced a pending save of the same record, whose entry the batch leaves out.
    /// </summary>
    private sealed record PendingSave(long Sequence, StoredRecord Record, CachedToken Token, bool Supersedes);
}
