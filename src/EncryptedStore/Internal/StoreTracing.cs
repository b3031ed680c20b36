using System.Diagnostics;

namespace EncryptedStore.Internal;

/// <summary>
/// The store's activity source, <c>EncryptedStore</c>: one activity per long operation (open, rotate, verify, compact,
/// change of master key), named and tagged after OpenTelemetry's conventions; README.md lists them. Tags hold the
/// store's file name, counts, key versions and error codes, never a token value, an e-mail, a client id, key material
/// or a record id (an exception's message can name a record, so it is never recorded).
/// </summary>
/// <remarks>Thread-safe. Without a listener <see cref="Start"/> returns null and nothing is recorded.</remarks>
internal static class StoreTracing
{
    public const string Open = "encryptedstore.open";
    public const string Rotate = "encryptedstore.rotate";
    public const string Verify = "encryptedstore.verify";
    public const string Compact = "encryptedstore.compact";
    public const string ChangeMasterKey = "encryptedstore.change_master_key";

    public const string Created = "encryptedstore.store.created";
    public const string Sharing = "encryptedstore.store.sharing";
    public const string DataKeyVersion = "encryptedstore.data_key.version";
    public const string IndexKeyVersion = "encryptedstore.index_key.version";
    public const string RotationResumed = "encryptedstore.rotation.resumed";
    public const string RotationInBackground = "encryptedstore.rotation.background";
    public const string RotationIndexKey = "encryptedstore.rotation.index_key";
    public const string BatchSize = "encryptedstore.rotation.batch_size";
    public const string RecordsScanned = "encryptedstore.records.scanned";
    public const string RecordsRewritten = "encryptedstore.records.rewritten";
    public const string RecordsFailed = "encryptedstore.records.failed";
    public const string RecordsChecked = "encryptedstore.records.checked";
    public const string KeysChecked = "encryptedstore.keys.checked";
    public const string Problems = "encryptedstore.verify.problems";
    public const string KeyRingElements = "encryptedstore.key_ring.elements";
    public const string DocumentsCopied = "encryptedstore.compact.documents";
    public const string SizeBefore = "encryptedstore.file.size_before";
    public const string SizeAfter = "encryptedstore.file.size_after";
    public const string ErrorType = "error.type";

    public static ActivitySource Source { get; } = new(StoreMetrics.Name, typeof(StoreTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the activity <paramref name="name"/> for the store at <paramref name="path"/>; null when no one listens.</summary>
    public static Activity? Start(string name, string path)
    {
        var activity = Source.StartActivity(name);
        if (activity is { IsAllDataRequested: true })
        {
            var (key, value) = StoreMetrics.FileTag(path);
            activity.SetTag(key, value);
        }

        return activity;
    }

    /// <summary>Marks <paramref name="activity"/> failed by <paramref name="error"/>: its store error code, or its exception type; never its message.</summary>
    public static void Fail(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        var type = error is TokenStoreException stored ? stored.Code : error.GetType().FullName;
        activity.SetStatus(ActivityStatusCode.Error, type);
        activity.SetTag(ErrorType, type);
    }
}
