namespace EncryptedStore.Internal;

/// <summary>Where a lookup's answer came from, for <see cref="StoreMetrics"/> (<c>encryptedstore.lookup.result</c>).</summary>
internal enum LookupResult
{
    /// <summary><c>hit</c>: served from the cache of decrypted tokens.</summary>
    Hit,

    /// <summary><c>miss</c>: not in the cache; read from the file (or from a journaled save not yet applied to it).</summary>
    Miss,

    /// <summary><c>not_found</c>: no token matched.</summary>
    NotFound,
}
