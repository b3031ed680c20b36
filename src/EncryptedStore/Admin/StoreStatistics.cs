namespace EncryptedStore;

/// <summary>What a store holds, from <see cref="EncryptedTokenStore.GetStatistics"/>. Contains no secret.</summary>
public sealed class StoreStatistics
{
    internal StoreStatistics(int formatVersion, int tokenCount, long fileSizeBytes, IReadOnlyList<StoreKeyInfo> keys, bool rotationInProgress)
    {
        RotationInProgress = rotationInProgress;
        FormatVersion = formatVersion;
        TokenCount = tokenCount;
        FileSizeBytes = fileSizeBytes;
        Keys = keys;
    }

    /// <summary>The store's on-disk format version.</summary>
    public int FormatVersion { get; }

    /// <summary>How many tokens are stored.</summary>
    public int TokenCount { get; }

    /// <summary>Size of the data file plus its log, in bytes; 0 for an in-memory store.</summary>
    public long FileSizeBytes { get; }

    /// <summary>Every data and index key version, oldest first, with how many records use each.</summary>
    public IReadOnlyList<StoreKeyInfo> Keys { get; }

    /// <summary>
    /// True while a key rotation is unfinished: running now, or interrupted earlier (a store opened with one resumes
    /// it in the background; <see cref="EncryptedTokenStore.RotateKeys"/> finishes it with progress).
    /// </summary>
    public bool RotationInProgress { get; }
}
