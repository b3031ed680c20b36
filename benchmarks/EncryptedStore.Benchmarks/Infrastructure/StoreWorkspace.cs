using EncryptedStore.Benchmarks.Baselines;

namespace EncryptedStore.Benchmarks.Infrastructure;

/// <summary>
/// A temporary folder for one benchmark process, with the stores opened in it; deleted on dispose.
/// File-backed stores are fresh copies of the cached prebuilt files (<see cref="StoreCache"/>), so a
/// benchmark that writes never changes the cache.
/// </summary>
internal sealed class StoreWorkspace : IDisposable
{
    private readonly List<IDisposable> _opened = [];

    public StoreWorkspace()
    {
        Folder = Path.Combine(Path.GetTempPath(), "EncryptedStore.Benchmarks", $"run-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    /// <summary>Opens a store of <paramref name="kind"/> holding the data set of <paramref name="size"/> tokens.</summary>
    public ITokenStore Open(StoreKind kind, int size)
    {
        ITokenStore store;
        switch (kind)
        {
            case StoreKind.Dictionary:
                var dictionary = new DictionaryTokenStore();
                foreach (var token in DataSets.Tokens(size))
                {
                    dictionary.SaveToken(token);
                }

                store = dictionary;
                break;
            case StoreKind.PlainLiteDb:
                store = new PlainLiteDbTokenStore(CopyOf(kind, size));
                break;
            case StoreKind.Sqlite:
                store = new ArticleSqliteTokenStore(CopyOf(kind, size));
                break;
            case StoreKind.Encrypted or StoreKind.EncryptedPassphrase:
                // Default options: the default cache (100,000 tokens, evicting entry by entry) covers every size measured.
                store = new EncryptedTokenStore(BenchmarkKeys.Options(CopyOf(kind, size), kind == StoreKind.EncryptedPassphrase));
                break;
            case StoreKind.EncryptedNoFlush:
                var unflushed = BenchmarkKeys.Options(CopyOf(StoreKind.Encrypted, size));
                unflushed.FlushToDisk = false;
                store = new EncryptedTokenStore(unflushed);
                break;
            case StoreKind.EncryptedNoJournal:
                var unjournaled = BenchmarkKeys.Options(CopyOf(StoreKind.Encrypted, size));
                unjournaled.UseSaveJournal = false;
                store = new EncryptedTokenStore(unjournaled);
                break;
            case StoreKind.EncryptedNoCache:
                var uncached = BenchmarkKeys.Options(CopyOf(StoreKind.Encrypted, size));
                uncached.CacheSize = 0;
                store = new EncryptedTokenStore(uncached);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }

        if (store is IDisposable disposable)
        {
            _opened.Add(disposable);
        }

        return store;
    }

    /// <summary>A fresh copy of the cached file of <paramref name="kind"/> and <paramref name="size"/>, not opened.</summary>
    public string CopyOf(StoreKind kind, int size) => StoreCache.CopyTo(kind, size, Folder);

    public void Dispose()
    {
        foreach (var store in _opened)
        {
            store.Dispose();
        }

        _opened.Clear();
        Directory.Delete(Folder, recursive: true);
    }
}
