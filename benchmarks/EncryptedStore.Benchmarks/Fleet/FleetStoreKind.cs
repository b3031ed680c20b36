namespace EncryptedStore.Benchmarks.Fleet;

/// <summary>The stores the fleet benchmarks compare, all on the same server and data set.</summary>
internal enum FleetStoreKind
{
    /// <summary>Baseline A: the SDK's <c>DBStore</c> (its plaintext table, its unindexed queries).</summary>
    SdkDbStore,

    /// <summary>Baseline B: the encrypted store's schema and indexes in plaintext, one statement per call.</summary>
    PlainSchema,

    /// <summary>The library with its defaults (<c>MaxStaleness</c> zero: a warm lookup asks the server whether anything changed), its cache warmed.</summary>
    Encrypted,

    /// <summary>The library with its cache off (<c>CacheSize = 0</c>): every lookup reads the row and decrypts it.</summary>
    EncryptedNoCache,

    /// <summary>The library with <c>MaxStaleness = 1 s</c>, its cache warmed: warm lookups from memory.</summary>
    EncryptedBoundedStaleness,
}
