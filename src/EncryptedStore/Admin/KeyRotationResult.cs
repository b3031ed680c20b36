namespace EncryptedStore;

/// <summary>The outcome of <see cref="EncryptedTokenStore.RotateKeys"/>.</summary>
public sealed class KeyRotationResult
{
    internal KeyRotationResult(bool resumed, int dataKeyVersion, int indexKeyVersion, int scanned, int rewritten, IReadOnlyList<string> failedRecordIds)
    {
        Resumed = resumed;
        DataKeyVersion = dataKeyVersion;
        IndexKeyVersion = indexKeyVersion;
        RecordsScanned = scanned;
        RecordsRewritten = rewritten;
        FailedRecordIds = failedRecordIds;
    }

    /// <summary>True when this call finished an interrupted rotation instead of starting a new one.</summary>
    public bool Resumed { get; }

    /// <summary>The data key version every record now uses.</summary>
    public int DataKeyVersion { get; }

    /// <summary>The index key version every record now uses.</summary>
    public int IndexKeyVersion { get; }

    /// <summary>Records looked at.</summary>
    public int RecordsScanned { get; }

    /// <summary>Records re-encrypted (the others already used the new keys, e.g. saved during the rotation).</summary>
    public int RecordsRewritten { get; }

    /// <summary>Records that could not be decrypted (tampered, or under a revoked key) and were left as they were.</summary>
    public IReadOnlyList<string> FailedRecordIds { get; }
}
