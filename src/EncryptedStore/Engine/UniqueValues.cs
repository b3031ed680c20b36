using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Engine;

/// <summary>
/// The <see cref="UniqueValueFilter"/> a journaled save may trust, its background build (a scan of every
/// record), and the storage probe a save falls back to while there is none. Thread-safe.
/// </summary>
internal sealed class UniqueValues(ITokenStorage storage, ILogger logger)
{
    /// <summary>A filter that old values have swollen past this many times its first size (plus <see cref="RebuildSlack"/>) is built again.</summary>
    private const int RebuildGrowthFactor = 4;

    /// <summary>Values a small store's filter may gain before it is rebuilt.</summary>
    private const int RebuildSlack = 40_000;

    /// <summary>How many records the build reads per query.</summary>
    private const int BuildChunk = 1_000;

    private readonly Lock _sync = new();
    private UniqueValueFilter? _ready;
    private UniqueValueFilter? _building;
    private Task? _build;
    private long _addedAtBuild;
    private long _probes;
    private volatile bool _stopped;

    /// <summary>How many times a save asked the storage who holds a value.</summary>
    public long Probes => Interlocked.Read(ref _probes);

    /// <summary>
    /// The filter to trust now, or null while there is none; then starts building one in the background,
    /// seeded with <paramref name="pending"/> (saves not yet in the storage, which the scan would miss).
    /// </summary>
    public UniqueValueFilter? Current(IEnumerable<StoredRecord> pending, bool stopping)
    {
        lock (_sync)
        {
            if (_ready is { } ready && ready.Added > (RebuildGrowthFactor * _addedAtBuild) + RebuildSlack)
            {
                _ready = null;
            }

            if (_ready is null && _building is null && !stopping && !_stopped)
            {
                var filter = new UniqueValueFilter();
                foreach (var record in pending)
                {
                    filter.Add(record);
                }

                _building = filter;
                _build = Task.Run(() => Build(filter));
            }

            return _ready;
        }
    }

    /// <summary>Adds a written record's values to the filters in use and in the making.</summary>
    public void Note(StoredRecord record)
    {
        lock (_sync)
        {
            _ready?.Add(record);
            _building?.Add(record);
        }
    }

    /// <summary>Drops the filters (a rotation gives every record new values); the next save starts a new build.</summary>
    public void Forget()
    {
        lock (_sync)
        {
            _ready = null;
            _building = null;
        }
    }

    /// <summary>
    /// True when no other record holds <paramref name="record"/>'s value for <paramref name="index"/>: no other
    /// pending record (<paramref name="pending"/>: saves acknowledged, not yet in the storage), and no record in the
    /// storage unless a pending save (<paramref name="pendingOf"/>) has since moved it off that value. A value the
    /// filter has never seen is free without asking the storage.
    /// </summary>
    public bool IsFree(BlindIndex index, StoredRecord record, UniqueValueFilter? filter, IEnumerable<StoredRecord> pending, Func<string, StoredRecord?> pendingOf)
    {
        if (record.Hashes[index] is not { } value)
        {
            // The record's own id stands in for an absent value, and ids are unique.
            return true;
        }

        if (filter is not null && !filter.MayContain(index, value))
        {
            return true;
        }

        foreach (var other in pending)
        {
            if (other.Id != record.Id && other.Hashes[index] is { } held && held.AsSpan().SequenceEqual(value))
            {
                return false;
            }
        }

        var holder = ProbeHolder(index, value);
        if (holder is null || holder == record.Id)
        {
            return true;
        }

        return pendingOf(holder) is { } moved && !moved.Hashes.SameAs(record.Hashes, index);
    }

    /// <summary>The id of the record holding <paramref name="hash"/> in <paramref name="index"/>, asked of the storage.</summary>
    public string? ProbeHolder(BlindIndex index, byte[] hash)
    {
        Interlocked.Increment(ref _probes);
        return storage.FindHolderId(index, hash);
    }

    /// <summary>Waits for a build in progress; true when a filter is ready.</summary>
    public bool WaitUntilBuilt()
    {
        Task? build;
        lock (_sync)
        {
            build = _build;
        }

        build?.Wait();
        lock (_sync)
        {
            return _ready is not null;
        }
    }

    /// <summary>At dispose: stops a build in progress and waits for it.</summary>
    public void StopBuilding()
    {
        _stopped = true;
        Task? build;
        lock (_sync)
        {
            build = _build;
        }

        try
        {
            build?.Wait();
        }
        catch (AggregateException)
        {
            // Only a faster path was lost.
        }
    }

    private void Build(UniqueValueFilter filter)
    {
        try
        {
            // In id order, a bounded query at a time rather than one scan: LiteDB's log is not checkpointed while a scan
            // runs, and a scan cannot go on after the engine is replaced. A record written behind the cursor meanwhile
            // is added by Note, so the filter stays a superset.
            var pager = new RecordPager(storage, BuildChunk);
            for (var chunk = pager.Next(); chunk.Count > 0; chunk = pager.Next())
            {
                if (_stopped)
                {
                    return;
                }

                foreach (var record in chunk)
                {
                    filter.Add(record);
                }
            }
        }
        catch (Exception e) when (e is TokenStoreException or ObjectDisposedException)
        {
            // Only a shortcut is lost: journaled saves keep asking the storage.
            Log.UniqueValuesNotBuilt(logger, e);
            lock (_sync)
            {
                if (ReferenceEquals(_building, filter))
                {
                    // A filter that missed records would call their values free: a later save builds anew.
                    _building = null;
                }
            }

            return;
        }

        lock (_sync)
        {
            if (ReferenceEquals(_building, filter))
            {
                _building = null;
                if (!_stopped)
                {
                    _ready = filter;
                    _addedAtBuild = filter.Added;
                }
            }
        }
    }
}
