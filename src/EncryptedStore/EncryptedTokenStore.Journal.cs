using System.Collections.Concurrent;
using EncryptedStore.Caching;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using LiteDB;

namespace EncryptedStore;

/// <summary>
/// Saves through the journal: <see cref="SaveToken"/> of an existing token appends its new record to
/// the <see cref="SaveJournal"/> (one fsync) and returns; a background thread applies the journal to
/// LiteDB in batches. Until then the record is "pending": <see cref="TryFindTokenById"/> serves it from
/// memory, and every other path that reads LiteDB (a lookup by value, a listing, any other write)
/// first applies what is pending (<see cref="ApplyPending"/>), so nothing ever reads a LiteDB state
/// older than an acknowledged save.
/// </summary>
/// <remarks>
/// Lock order: <c>_writeLock</c>, then <c>_applyLock</c>, then <c>_journalLock</c>. A journaled save holds
/// the write lock (saves stay serialised) and the journal lock while it appends and publishes. Applying
/// holds the apply lock and never the write lock, so saves go on while LiteDB commits a batch; it takes
/// the journal lock only to take the batch (switching the journal's region) and to retire it.
/// </remarks>
public sealed partial class EncryptedTokenStore
{
    private const int ApplyDelayMilliseconds = 100;

    /// <summary>How long the background thread lets journaled saves gather before it applies them.</summary>
    private static readonly TimeSpan ApplyDelay = TimeSpan.FromMilliseconds(ApplyDelayMilliseconds);

    private static readonly BlindIndex[] UniqueIndexes = [BlindIndex.UserClient, BlindIndex.AccessToken, BlindIndex.RefreshToken, BlindIndex.GrantToken];

    private readonly Lock _journalLock = new();
    private readonly Lock _applyLock = new();
    private readonly ConcurrentDictionary<string, PendingSave> _pending = new(StringComparer.Ordinal);
    private readonly AutoResetEvent _applySignal = new(initialState: false);
    private readonly ManualResetEventSlim _stopRequested = new(initialState: false);
    private readonly bool _journalEnabled;
    private readonly bool _flushJournal;
    private SaveJournal? _journal;
    private Thread? _applier;
    private volatile bool _stopApplier;
    private int _applyRequested;
    private volatile Exception? _applyFailure;

    /// <summary><c>_pending.Count</c>, kept under the journal lock: reading a <see cref="ConcurrentDictionary{TKey, TValue}"/>'s count or emptiness takes all its locks.</summary>
    private volatile int _pendingCount;
    private long _journaledSaves;

    // The unique values records may hold (see UniqueValueFilter): set, replaced and read under the write lock.
    private UniqueValueFilter? _uniqueValues;
    private UniqueValueFilter? _uniqueValuesBuilding;
    private Task? _uniqueValuesBuild;
    private long _uniqueValuesAtBuild;
    private long _uniqueValueProbes;

    /// <summary>How many saves went through the journal (for tests and diagnostics).</summary>
    internal long JournaledSaveCount => Interlocked.Read(ref _journaledSaves);

    /// <summary>How many records are acknowledged but not yet applied to LiteDB (for tests and diagnostics).</summary>
    internal int PendingSaveCount => _pendingCount;

    /// <summary>The journal's fsync count, 0 before the first journaled save (for tests).</summary>
    internal long JournalSyncCount
    {
        get
        {
            lock (_journalLock)
            {
                return _journal?.SyncCount ?? 0;
            }
        }
    }

    /// <summary>
    /// While true, the background thread leaves pending saves alone (they are still applied before any
    /// read that needs them, and at dispose): lets a test kill a process with saves only in the journal.
    /// </summary>
    internal bool JournalApplierPaused { get; set; }

    /// <summary>How many times a journaled save asked LiteDB whether a lookup value was taken (for tests).</summary>
    internal long UniqueValueProbeCount => Interlocked.Read(ref _uniqueValueProbes);

    /// <summary>Waits until the filter of unique values being built, if any, is ready (for tests); true when one is.</summary>
    internal bool WaitForUniqueValues()
    {
        Task? build;
        lock (_writeLock)
        {
            build = _uniqueValuesBuild;
        }

        build?.Wait();
        lock (_writeLock)
        {
            return _uniqueValues is not null;
        }
    }

    /// <summary>Applies every pending save to LiteDB now (for tests and benchmarks).</summary>
    internal void ApplyPendingSaves() => ApplyPendingOrThrow();

    /// <summary>
    /// The journaled save, under the write lock: taken only for an update by id of a record that needs no
    /// duplicate check LiteDB would have to make (every lookup value it changes is free), outside a
    /// rotation and when no scheduled rotation is due. Anything else returns null and takes the ordinary
    /// path, which applies what is pending first.
    /// </summary>
    private (string Id, OAuthToken Merged)? TrySaveThroughJournal(OAuthToken incoming)
    {
        if (!_journalEnabled || _applyFailure is not null || incoming.Id is not { } id
            || _metadata.Rotation is not null || _time.GetUtcNow().UtcDateTime - _active.DataKeyCreated >= _keyLifetime)
        {
            return null;
        }

        OAuthToken stored;
        if (_pending.TryGetValue(id, out var pending))
        {
            stored = pending.Token.ToToken();
        }
        else if (_cache?.Get(id) is { } cached)
        {
            stored = cached.ToToken();
        }
        else if (Read(() => _records.FindById(id)) is { } document
            && TokenRecords.KeyVersions(document)?.IndexKey == _active.Index.Version)
        {
            stored = Decrypt(document);
        }
        else
        {
            // An insert, or a record under another index key: LiteDB's own checks are needed.
            return null;
        }

        var merged = Copy(incoming);
        TokenFields.FillNulls(merged, stored);
        merged.Id = id;
        var active = _active;
        var record = TokenRecords.Encrypt(id, merged, active.Data, active.Index);
        var uniqueValues = UniqueValues();
        foreach (var index in UniqueIndexes)
        {
            if (ChangesLookupValue(index, stored, merged) && !IsFree(index, record, id, uniqueValues))
            {
                return null;
            }
        }

        var written = new CachedToken(merged);
        lock (_journalLock)
        {
            try
            {
                _journal ??= SaveJournal.Create(StoreFile.JournalPathFor(_file.Path), _metadata.StoreId, _flushJournal);
                if (_journal.Append(BsonSerializer.Serialize(record)) is not { } sequence)
                {
                    // The region is full: the applier is behind. The ordinary path catches up first.
                    return null;
                }

                _cache?.BeginWrite();
                _pending[id] = new PendingSave(sequence, record, written);
                _pendingCount = _pending.Count;
                NoteUniqueValues(record);
                if (_cache is { } cache)
                {
                    cache.EndWrite(written);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Errors.Io("saving tokens", e);
            }
        }

        Interlocked.Increment(ref _journaledSaves);
        StartApplier();
        return (id, merged);
    }

    /// <summary>Whether the save changes what <paramref name="index"/> holds for the record (its key being the same).</summary>
    private static bool ChangesLookupValue(BlindIndex index, OAuthToken stored, OAuthToken merged) => index switch
    {
        BlindIndex.UserClient => !string.Equals(stored.UserSignature?.Name, merged.UserSignature?.Name, StringComparison.Ordinal)
            || !string.Equals(TokenRecords.NullIfEmpty(stored.ClientId), TokenRecords.NullIfEmpty(merged.ClientId), StringComparison.Ordinal),
        BlindIndex.AccessToken => !string.Equals(TokenRecords.NullIfEmpty(stored.AccessToken), TokenRecords.NullIfEmpty(merged.AccessToken), StringComparison.Ordinal),
        BlindIndex.RefreshToken => !string.Equals(TokenRecords.NullIfEmpty(stored.RefreshToken), TokenRecords.NullIfEmpty(merged.RefreshToken), StringComparison.Ordinal),
        BlindIndex.GrantToken => !string.Equals(TokenRecords.NullIfEmpty(stored.GrantToken), TokenRecords.NullIfEmpty(merged.GrantToken), StringComparison.Ordinal),
        _ => true,
    };

    /// <summary>
    /// True when no other record holds <paramref name="record"/>'s value for <paramref name="index"/>: no
    /// other pending record, and no record in LiteDB unless a pending save has since moved it off that value.
    /// A value <paramref name="uniqueValues"/> has never seen is free without asking LiteDB.
    /// </summary>
    private bool IsFree(BlindIndex index, BsonDocument record, string id, UniqueValueFilter? uniqueValues)
    {
        var field = TokenRecords.FieldName(index);
        var value = record[field];
        if (!value.IsBinary)
        {
            // The record's own id stands in for an absent value, and ids are unique.
            return true;
        }

        if (uniqueValues is not null && !uniqueValues.MayContain(index, value))
        {
            return true;
        }

        foreach (var (otherId, other) in _pending)
        {
            if (otherId != id && other.Record[field] == value)
            {
                return false;
            }
        }

        Interlocked.Increment(ref _uniqueValueProbes);
        var holder = Read(() => _records.FindHolderId(index, value));
        if (holder is null || holder == id)
        {
            return true;
        }

        return _pending.TryGetValue(holder, out var moved) && moved.Record[field] != value;
    }

    /// <summary>Under the write lock, after a record was written or journaled: keeps the filters of unique values a superset.</summary>
    private void NoteUniqueValues(BsonDocument record)
    {
        _uniqueValues?.Add(record);
        _uniqueValuesBuilding?.Add(record);
    }

    /// <summary>Under the write lock, when a rotation starts: it gives every record new values, so the filter starts over after it.</summary>
    private void ForgetUniqueValues()
    {
        _uniqueValues = null;
        _uniqueValuesBuilding = null;
    }

    /// <summary>
    /// Under the write lock: the filter of unique values a journaled save may trust, or null while there is
    /// none; then starts building one in the background (a scan of every record). A filter that old values
    /// have swollen to several times its first size is dropped and built again.
    /// </summary>
    private UniqueValueFilter? UniqueValues()
    {
        if (_uniqueValues is { } ready && ready.Added > (4 * _uniqueValuesAtBuild) + 40_000)
        {
            _uniqueValues = null;
        }

        if (_uniqueValues is null && _uniqueValuesBuilding is null && !_stopApplier)
        {
            var filter = new UniqueValueFilter();
            foreach (var (_, pending) in _pending)
            {
                // Applied after the scan's snapshot, these would be missed by the scan.
                filter.Add(pending.Record);
            }

            _uniqueValuesBuilding = filter;
            _uniqueValuesBuild = Task.Run(() => BuildUniqueValues(filter));
        }

        return _uniqueValues;
    }

    private void BuildUniqueValues(UniqueValueFilter filter)
    {
        try
        {
            Scan(() =>
            {
                foreach (var record in _records.FindAll())
                {
                    if (_stopApplier)
                    {
                        return false;
                    }

                    filter.Add(record);
                }

                return true;
            });
        }
        catch (Exception e)
        {
            // Only a shortcut is lost: journaled saves keep asking LiteDB.
            Log.UniqueValuesNotBuilt(_logger, e);
        }

        lock (_writeLock)
        {
            if (ReferenceEquals(_uniqueValuesBuilding, filter))
            {
                _uniqueValuesBuilding = null;
                if (!_stopApplier)
                {
                    _uniqueValues = filter;
                    _uniqueValuesAtBuild = filter.Added;
                }
            }
        }
    }

    private void StartApplier()
    {
        if (_applier is null)
        {
            _applier = new Thread(ApplyLoop) { IsBackground = true, Name = "EncryptedStore journal" };
            _applier.Start();
        }

        // One wake-up per batch: the saves that follow within the delay need not signal again (a system call).
        if (Interlocked.Exchange(ref _applyRequested, 1) == 0)
        {
            _applySignal.Set();
        }
    }

    private void ApplyLoop()
    {
        while (true)
        {
            _applySignal.WaitOne();

            // Let saves gather: one LiteDB commit then covers many of them (a token saved several times
            // is written once), and fewer commits compete with the saves' own fsyncs for the disk.
            if (_stopRequested.Wait(ApplyDelay) || _stopApplier)
            {
                return;
            }

            // Saves from here on signal again, so none is left waiting for the next batch.
            Volatile.Write(ref _applyRequested, 0);

            if (JournalApplierPaused)
            {
                continue;
            }

            try
            {
                ApplyPending();
            }
            catch (Exception e)
            {
                // The entries stay in the journal (and pending), so nothing acknowledged is lost; the next
                // call that needs LiteDB reports the failure, and the next open replays the journal.
                _applyFailure = e;
                Log.JournalApplyFailed(_logger, e);
                return;
            }
        }
    }

    /// <summary>
    /// Applies what is pending before a read or write of LiteDB that must see it. Cheap when nothing is
    /// pending. Never call it inside a LiteDB transaction of this thread with saves pending: under the
    /// write lock nothing is pending once the first call returns.
    /// </summary>
    private void ApplyPendingOrThrow()
    {
        if (_pendingCount == 0)
        {
            return;
        }

        if (_applyFailure is { } failure)
        {
            throw Errors.Io("applying saved tokens from the journal", failure);
        }

        try
        {
            ApplyPending();
        }
        catch (Exception e) when (e is not TokenStoreException)
        {
            _applyFailure = e;
            Log.JournalApplyFailed(_logger, e);
            throw Errors.Io("applying saved tokens from the journal", e);
        }
    }

    /// <summary>
    /// Applies every save pending now to LiteDB in one durable transaction, then empties the journal
    /// region that held them and retires them (a record saved again meanwhile stays pending).
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

                batch = _pending.OrderBy(p => p.Value.Sequence).ToList();
                region = _journal!.SwitchRegion();
            }

            _file.UpsertTokens(batch.Select(p => p.Value.Record));
            lock (_journalLock)
            {
                _journal.Reset(region);
                foreach (var applied in batch)
                {
                    _pending.TryRemove(applied);
                }

                _pendingCount = _pending.Count;
            }

            if (Volatile.Read(ref _scans) == 0)
            {
                _file.CheckpointAfterWrite();
            }
        }
    }

    /// <summary>
    /// At dispose: stops the applier and applies what is left, then deletes the journal. When that fails,
    /// the journal stays, and the next open replays it.
    /// </summary>
    private void CloseJournal()
    {
        _stopApplier = true;
        _stopRequested.Set();
        _applySignal.Set();
        _applier?.Join();
        try
        {
            _uniqueValuesBuild?.Wait();
        }
        catch (AggregateException)
        {
            // Only a faster path was lost.
        }

        try
        {
            if (_applyFailure is null)
            {
                ApplyPending();
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
                File.Delete(StoreFile.JournalPathFor(_file.Path));
            }
        }

        _applySignal.Dispose();
        _stopRequested.Dispose();
    }

    /// <summary>A save acknowledged through the journal and not yet applied to LiteDB.</summary>
    private sealed record PendingSave(long Sequence, BsonDocument Record, CachedToken Token);
}
