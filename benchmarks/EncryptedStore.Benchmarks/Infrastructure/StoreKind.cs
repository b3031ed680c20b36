namespace EncryptedStore.Benchmarks.Infrastructure;

/// <summary>The stores compared in every benchmark.</summary>
internal enum StoreKind
{
    /// <summary>The in-memory dictionaries of the article's reference store (the baseline).</summary>
    Dictionary,

    /// <summary>The encrypted store's LiteDB layout with every field in clear and no cryptography.</summary>
    PlainLiteDb,

    /// <summary>The article's SQLite store: a new connection per call, no index but the primary key.</summary>
    Sqlite,

    /// <summary>The library under test, opened with key bytes and default options (its default cache of 100,000 tokens holds every store measured).</summary>
    Encrypted,

    /// <summary>The library under test with its cache off (<c>CacheSize = 0</c>): every call reads and decrypts the file.</summary>
    EncryptedNoCache,

    /// <summary>The library under test with <c>FlushToDisk = false</c>: commits reach the OS, not the disk, before returning.</summary>
    EncryptedNoFlush,

    /// <summary>The library under test with <c>UseSaveJournal = false</c>: every save commits to LiteDB (and flushes its log).</summary>
    EncryptedNoJournal,

    /// <summary>The library under test, created with a passphrase (PBKDF2 on every open).</summary>
    EncryptedPassphrase,
}
