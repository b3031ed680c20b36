namespace EncryptedStore.Storage;

/// <summary>
/// The store's metadata: format version, store id, how the master key is stretched, a check value that
/// tells a wrong master key from a damaged file, and the current key versions. None of it is secret.
/// Immutable: a change is a new instance (<c>with</c>), written in the change's transaction.
/// </summary>
internal sealed record StoreMetadata
{
    public const int CurrentFormat = 2;

    /// <summary>The first format: no MAC over the metadata and key state, no journal epoch. Upgraded at open.</summary>
    public const int UnsealedFormat = 1;

    /// <summary>The largest PBKDF2 iteration count a store may name (the library writes 600,000).</summary>
    public const int MaxIterations = 10_000_000;

    /// <summary>The length of <see cref="StoreId"/>, in bytes.</summary>
    public const int StoreIdLength = 16;

    /// <summary>The length of <see cref="Salt"/>, in bytes.</summary>
    public const int SaltLength = 32;

    /// <summary>The length of <see cref="JournalEpoch"/>, in bytes.</summary>
    public const int JournalEpochLength = 16;

    public required int Format { get; init; }

    public required byte[] StoreId { get; init; }

    public required MasterKeyKind KeyKind { get; init; }

    public required int Iterations { get; init; }

    public required byte[] Salt { get; init; }

    /// <summary>AES-GCM of a fixed text under the key-encryption key; opens only with the right master key.</summary>
    public required byte[] KeyCheck { get; init; }

    public required DateTime Created { get; init; }

    public required int DataKeyVersion { get; init; }

    public required int IndexKeyVersion { get; init; }

    /// <summary>The rotation in progress, if any; it survives a crash and is resumed after the next open.</summary>
    public RotationState? Rotation { get; init; }

    /// <summary>The random id of the save journal now in use; entries of any other journal are not replayed.</summary>
    public byte[]? JournalEpoch { get; init; }

    /// <summary>The last journal sequence number the storage holds: an older entry (from a restored copy of the journal) is never replayed.</summary>
    public long JournalApplied { get; init; }

    /// <summary>
    /// HMAC-SHA256 under a key derived from the master key over every field above, the key list and the key ring
    /// (see <c>Keys/StateSeal</c>): any edit of them by someone without the master key makes opening fail.
    /// </summary>
    public byte[]? Mac { get; init; }

    /// <summary>True when the values read make sense before the master key is checked (see <see cref="MaxIterations"/>).</summary>
    public bool IsPlausible =>
        Enum.IsDefined(KeyKind) && Iterations is > 0 and <= MaxIterations
        && StoreId.Length == StoreIdLength && Salt.Length == SaltLength
        && JournalEpoch is null or { Length: JournalEpochLength } && JournalApplied >= 0;
}
