using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace EncryptedStore.Internal;

/// <summary>
/// The store's meter, <c>EncryptedStore</c>, with instruments named after OpenTelemetry's conventions (durations in
/// seconds, counts in curly-brace units); README.md lists them. Tags name kinds, outcomes and at most the store's
/// file name, never a token value, an e-mail, a client id, key material or a record id.
/// </summary>
/// <remarks>
/// Thread-safe. The hot path (a lookup served by the cache, under a microsecond) pays one check of
/// <see cref="Instrument.Enabled"/> per instrument when no one listens: no clock read, no allocation. Tags are static
/// <see cref="KeyValuePair{TKey, TValue}"/>s passed by the struct overloads, so recording allocates nothing either.
/// </remarks>
internal static class StoreMetrics
{
    public const string Name = "EncryptedStore";
    public const string FileNameTag = "encryptedstore.file.name";

    private static readonly KeyValuePair<string, object?>[] KindTags =
        [new("encryptedstore.lookup.kind", "by_id"), new("encryptedstore.lookup.kind", "by_match"), new("encryptedstore.lookup.kind", "all")];

    private static readonly KeyValuePair<string, object?>[] ResultTags =
        [new("encryptedstore.lookup.result", "hit"), new("encryptedstore.lookup.result", "miss"), new("encryptedstore.lookup.result", "not_found")];

    private static readonly KeyValuePair<string, object?>[] PathTags =
        [new("encryptedstore.save.path", "journal"), new("encryptedstore.save.path", "transaction")];

    private static readonly KeyValuePair<string, object?>[] OperationTags =
        [new("encryptedstore.save.operation", "insert"), new("encryptedstore.save.operation", "update"), new("encryptedstore.save.operation", "delete")];

    private static readonly KeyValuePair<string, object?> ExclusiveLock = new("encryptedstore.lock.mode", "exclusive");
    private static readonly KeyValuePair<string, object?> SharedLock = new("encryptedstore.lock.mode", "shared");
    private static readonly KeyValuePair<string, object?> LockAcquired = new("encryptedstore.lock.result", "acquired");
    private static readonly KeyValuePair<string, object?> LockTimedOut = new("encryptedstore.lock.result", "timed_out");

    /// <summary>From a microsecond (a cache hit) to 10 s (a lock wait at its default timeout): the SDK's defaults start at 5 ms.</summary>
    private static readonly InstrumentAdvice<double> DurationBuckets = new()
    {
        HistogramBucketBoundaries = [0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    };

    private static readonly Lock JournalsLock = new();
    private static readonly List<JournalDepth> Journals = [];

    public static Meter Meter { get; } = new(Name, typeof(StoreMetrics).Assembly.GetName().Version?.ToString());

    public static Counter<long> Lookups { get; } = Meter.CreateCounter<long>(
        "encryptedstore.lookups", "{lookup}", "Token lookups, by kind and by where the answer came from (hit: the cache; miss: the file; not_found).");

    public static Histogram<double> LookupDuration { get; } = Meter.CreateHistogram(
        "encryptedstore.lookup.duration", "s", "Duration of token lookups that returned (found or not), by kind.", tags: null, DurationBuckets);

    public static Counter<long> Saves { get; } = Meter.CreateCounter<long>(
        "encryptedstore.saves", "{token}", "Tokens inserted, updated or deleted, by the path the write took (journal or transaction).");

    public static Histogram<double> SaveDuration { get; } = Meter.CreateHistogram(
        "encryptedstore.save.duration", "s", "Duration of write calls that succeeded (save, save several, delete, delete all, purge), waiting for the write lock included.", tags: null, DurationBuckets);

    public static ObservableUpDownCounter<int> JournalPending { get; } = Meter.CreateObservableUpDownCounter(
        "encryptedstore.journal.pending", ObserveJournals, "{save}", "Saves acknowledged through the journal and not yet applied to the store file, per open store.");

    public static Counter<long> JournalBatches { get; } = Meter.CreateCounter<long>(
        "encryptedstore.journal.batches", "{batch}", "Batches of journaled saves applied to the store file, one transaction each.");

    public static Counter<long> RotationRecords { get; } = Meter.CreateCounter<long>(
        "encryptedstore.rotation.records", "{record}", "Records re-encrypted under new keys by key rotations (committed batches only).");

    public static Histogram<double> LockWaitDuration { get; } = Meter.CreateHistogram(
        "encryptedstore.lock.wait.duration", "s", "Time spent waiting for the store's lock: at open, and in shared mode for the lock file at each call.", tags: null, DurationBuckets);

    public static Counter<long> IntegrityFailures { get; } = Meter.CreateCounter<long>(
        "encryptedstore.integrity.failures", "{failure}", "INTEGRITY errors raised: data, indexes, keys or metadata altered or corrupted.");

    public static Counter<long> EngineReopened { get; } = Meter.CreateCounter<long>(
        "encryptedstore.storage.engine_reopened", "{reopen}", "LiteDB engines replaced by a fresh one over the same file after an I/O error or an internal failure of LiteDB.");

    /// <summary>The tag that names a store: its file name, never the folder (nor <c>:memory:</c>'s anything else).</summary>
    public static KeyValuePair<string, object?> FileTag(string path) =>
        new(FileNameTag, path.Length > 0 && path[0] == ':' ? path : Path.GetFileName(path));

    /// <summary>The start of a timed operation: a timestamp when <paramref name="duration"/> is listened to, else 0 (no clock read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Start(Histogram<double> duration) => duration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>A lookup that returned; <paramref name="started"/> comes from <see cref="Start"/> with <see cref="LookupDuration"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Lookup(long started, LookupKind kind, LookupResult result)
    {
        if (started != 0 || Lookups.Enabled)
        {
            RecordLookup(started, kind, result);
        }
    }

    /// <summary>A write call that succeeded: <paramref name="count"/> tokens of <paramref name="operation"/>, and its duration.</summary>
    public static void Saved(long started, SavePath path, SaveOperation operation, int count)
    {
        Counted(path, operation, count);
        if (started != 0 && SaveDuration.Enabled)
        {
            SaveDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, PathTags[(int)path]);
        }
    }

    /// <summary>Tokens written by a call whose duration <see cref="Saved"/> records (a call that inserts and updates).</summary>
    public static void Counted(SavePath path, SaveOperation operation, int count)
    {
        if (count > 0 && Saves.Enabled)
        {
            Saves.Add(count, PathTags[(int)path], OperationTags[(int)operation]);
        }
    }

    /// <summary>A wait of <paramref name="waited"/> for the lock of the store at <paramref name="path"/>.</summary>
    public static void LockWaited(TimeSpan waited, string path, bool shared, bool acquired)
    {
        if (LockWaitDuration.Enabled)
        {
            LockWaited(waited, FileTag(path), shared, acquired);
        }
    }

    /// <summary>A wait for the store's lock of <paramref name="waited"/>, on the store <paramref name="fileTag"/> names.</summary>
    public static void LockWaited(TimeSpan waited, KeyValuePair<string, object?> fileTag, bool shared, bool acquired)
    {
        if (LockWaitDuration.Enabled)
        {
            LockWaitDuration.Record(waited.TotalSeconds, fileTag, shared ? SharedLock : ExclusiveLock, acquired ? LockAcquired : LockTimedOut);
        }
    }

    /// <summary>Counts <paramref name="count"/> of <paramref name="counter"/> for the store at <paramref name="path"/> (tagged with its file name).</summary>
    public static void Add(Counter<long> counter, long count, string path)
    {
        if (count > 0 && counter.Enabled)
        {
            counter.Add(count, FileTag(path));
        }
    }

    /// <summary>An INTEGRITY error being raised.</summary>
    public static void IntegrityFailure()
    {
        if (IntegrityFailures.Enabled)
        {
            IntegrityFailures.Add(1);
        }
    }

    /// <summary>Reports <paramref name="pending"/> as the journal depth of the store at <paramref name="path"/> until the result is disposed.</summary>
    public static IDisposable TrackJournal(string path, Func<int> pending)
    {
        var journal = new JournalDepth(FileTag(path), pending);
        lock (JournalsLock)
        {
            Journals.Add(journal);
        }

        return journal;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RecordLookup(long started, LookupKind kind, LookupResult result)
    {
        if (Lookups.Enabled)
        {
            Lookups.Add(1, KindTags[(int)kind], ResultTags[(int)result]);
        }

        if (started != 0 && LookupDuration.Enabled)
        {
            LookupDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, KindTags[(int)kind]);
        }
    }

    private static List<Measurement<int>> ObserveJournals()
    {
        lock (JournalsLock)
        {
            return Journals.ConvertAll(journal => new Measurement<int>(journal.Pending(), journal.FileTag));
        }
    }

    /// <summary>One open store's journal, reported by <see cref="JournalPending"/> until disposed.</summary>
    private sealed class JournalDepth(KeyValuePair<string, object?> fileTag, Func<int> pending) : IDisposable
    {
        public KeyValuePair<string, object?> FileTag { get; } = fileTag;

        public Func<int> Pending { get; } = pending;

        public void Dispose()
        {
            lock (JournalsLock)
            {
                Journals.Remove(this);
            }
        }
    }
}
