using EncryptedStore.Crypto;

namespace EncryptedStore.Storage;

/// <summary>
/// A record's blind-index values, one per <see cref="BlindIndex"/>: the keyed hash of the field, or null
/// when the token has no value for it. A value the file holds in a shape no writer makes (a damaged or
/// altered record) is kept as <see cref="Invalid"/>, which equals no hash, so checks report it.
/// </summary>
internal sealed class IndexHashes
{
    /// <summary>Stands for a stored index value that is neither a hash nor the "absent" marker.</summary>
    public static readonly byte[] Invalid = [];

    /// <summary>The unique indexes, in the order the store checks them.</summary>
    public static readonly BlindIndex[] Unique = [BlindIndex.UserClient, BlindIndex.AccessToken, BlindIndex.RefreshToken, BlindIndex.GrantToken];

    /// <summary>Every index, in <see cref="BlindIndex"/> order.</summary>
    public static readonly BlindIndex[] All = Enum.GetValues<BlindIndex>();

    private readonly byte[]?[] _values = new byte[]?[All.Length];

    public byte[]? this[BlindIndex index]
    {
        get => _values[(int)index];
        set => _values[(int)index] = value;
    }

    /// <summary>True when both hold the same value for <paramref name="index"/> (both absent counts as the same).</summary>
    public bool SameAs(IndexHashes other, BlindIndex index) =>
        this[index] is { } mine
            ? other[index] is { } theirs && !ReferenceEquals(mine, Invalid) && mine.AsSpan().SequenceEqual(theirs)
            : other[index] is null;
}
