namespace EncryptedStore;

/// <summary>One version of a store key, without its material.</summary>
public sealed class StoreKeyInfo
{
    internal StoreKeyInfo(int version, StoreKeyPurpose purpose, StoreKeyState state, Guid protectionKeyId, DateTimeOffset created, int recordCount)
    {
        Version = version;
        Purpose = purpose;
        State = state;
        ProtectionKeyId = protectionKeyId;
        Created = created;
        RecordCount = recordCount;
    }

    /// <summary>The version number records refer to.</summary>
    public int Version { get; }

    /// <summary>Whether it encrypts records or computes blind indexes.</summary>
    public StoreKeyPurpose Purpose { get; }

    /// <summary>Where it is in its life cycle.</summary>
    public StoreKeyState State { get; }

    /// <summary>The id of the Data Protection key that wraps it.</summary>
    public Guid ProtectionKeyId { get; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset Created { get; }

    /// <summary>How many token records use it.</summary>
    public int RecordCount { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Purpose} key v{Version} ({State}, {RecordCount} records, protected by {ProtectionKeyId})";
}
