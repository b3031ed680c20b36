namespace EncryptedStore.Tests.Support;

/// <summary>One store of a given <see cref="StoreKind"/> for one test, with its folder.</summary>
internal sealed class StoreHost : IDisposable
{
    private readonly TempDirectory _directory = new();

    public StoreHost(StoreKind kind)
    {
        Kind = kind;
        Path = _directory.File("tokens.db");
        Store = Open();
    }

    public StoreKind Kind { get; }

    public string Path { get; }

    public EncryptedTokenStore Store { get; private set; }

    /// <summary>
    /// Closes and reopens a file store, so what follows reads what was persisted. An in-memory store
    /// lives only as long as its instance, so for it this keeps the same store.
    /// </summary>
    public EncryptedTokenStore Reopen()
    {
        if (Kind == StoreKind.File)
        {
            Store.Dispose();
            Store = Open();
        }

        return Store;
    }

    public void Dispose()
    {
        Store.Dispose();
        _directory.Dispose();
    }

    private EncryptedTokenStore Open() => Kind == StoreKind.File ? StoreFixture.Open(Path) : StoreFixture.OpenMemory();
}
