namespace EncryptedStore.Storage;

/// <summary>
/// A token as the storage keeps it: the id in clear, the key versions, the sealed payload (every other
/// field, AES-256-GCM bound to the store, the data key version and the id) and the blind indexes.
/// </summary>
/// <param name="Id">The record id; empty when a damaged record's id is not text.</param>
/// <param name="DataKeyVersion">The data key that sealed <paramref name="Payload"/>; 0 when the record does not say.</param>
/// <param name="IndexKeyVersion">The index key that computed <paramref name="Hashes"/>; 0 when the record does not say.</param>
/// <param name="Payload">The sealed fields; null when the record holds none.</param>
/// <param name="Hashes">The blind-index values.</param>
internal sealed record StoredRecord(string Id, int DataKeyVersion, int IndexKeyVersion, byte[]? Payload, IndexHashes Hashes)
{
    /// <summary>False for a record read from the file whose shape no writer makes: it fails every check.</summary>
    public bool IsWellFormed => Id.Length > 0 && DataKeyVersion > 0 && IndexKeyVersion > 0 && Payload is not null;

    /// <summary>The key versions, or null when the record does not name them.</summary>
    public (int DataKey, int IndexKey)? KeyVersions =>
        DataKeyVersion > 0 && IndexKeyVersion > 0 ? (DataKeyVersion, IndexKeyVersion) : null;
}
