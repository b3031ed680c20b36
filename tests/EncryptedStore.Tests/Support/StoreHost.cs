using NUnit.Framework.Interfaces;

namespace EncryptedStore.Tests.Support;

/// <summary>
/// One store of a given <see cref="StoreKind"/> for one test: a file in a folder of its own, an in-memory store, or a
/// set of tables in a test database rented from <see cref="TestServers.Rent"/>, empty as if just created, and given
/// back on <see cref="Dispose"/> (reset for the next test, or dropped when the test failed or the store did not close
/// cleanly). File and server stores are opened with <see cref="StoreFixture.Key"/>.
/// </summary>
internal sealed class StoreHost : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly Action<EncryptedTokenStoreOptions>? _configure;

    /// <param name="kind">Where the store keeps its data.</param>
    /// <param name="configure">Changes to the options before each open (a clock, a lock timeout).</param>
    public StoreHost(StoreKind kind, Action<EncryptedTokenStoreOptions>? configure = null)
    {
        Kind = kind;
        _configure = configure;
        Path = _directory.File("tokens.db");
        try
        {
            Database = TestServers.IsServer(kind) ? TestServers.Rent(kind) : null;
            Store = Open();
        }
        catch
        {
            Cleanup(reusable: false);
            throw;
        }
    }

    public StoreKind Kind { get; }

    /// <summary>The store file for <see cref="StoreKind.File"/>; for the other kinds a path in the test's folder that nothing uses.</summary>
    public string Path { get; }

    /// <summary>The store's tables for the server kinds; null for a file or in-memory store.</summary>
    public TokenDatabase? Database { get; }

    public EncryptedTokenStore Store { get; private set; }

    /// <summary>
    /// Skips the test unless the store is a file, giving why: for tests about files (paths, the journal, LiteDB's
    /// documents) that have nothing to say about the other kinds.
    /// </summary>
    public static void RequireFile(StoreKind kind, string reason)
    {
        if (kind != StoreKind.File)
        {
            Assert.Ignore($"File stores only: {reason}");
        }
    }

    /// <summary>
    /// Closes and reopens a file or server store, so what follows reads what was persisted. An in-memory store
    /// lives only as long as its instance, so for it this keeps the same store.
    /// </summary>
    public EncryptedTokenStore Reopen()
    {
        if (Kind != StoreKind.Memory)
        {
            Store.Dispose();
            Store = Open();
        }

        return Store;
    }

    /// <summary>
    /// Opens another instance on the same file or tables, with <paramref name="key"/> (default
    /// <see cref="StoreFixture.Key"/>); the caller disposes it. A file store must be closed first
    /// (<see cref="Close"/>). For <see cref="StoreKind.Memory"/> this is a new, empty store.
    /// </summary>
    public EncryptedTokenStore OpenAnother(byte[]? key = null) => Open(key);

    /// <summary>Closes <see cref="Store"/> (idempotent); <see cref="Reopen"/> opens it again.</summary>
    public void Close() => Store.Dispose();

    /// <summary>
    /// What the store holds, as text, for "this wrote nothing" checks: a file store is closed, each file of its folder
    /// hashed, and reopened; a server store's rows are read (<see cref="TestServers.Snapshot"/>); an in-memory store's
    /// tokens are listed. Equal fingerprints mean the same persisted state.
    /// </summary>
    public string Fingerprint()
    {
        switch (Kind)
        {
            case StoreKind.File:
                Store.Dispose();
                var files = StoreFiles.Names(_directory.Path).Select(name => $"{name} {StoreFiles.Sha256(_directory.File(name))}").ToList();
                Store = Open();
                return string.Join('\n', files);
            case StoreKind.Memory:
                var tokens = Store.GetTokens().Select(t => string.Join(" | ", StoreFixture.Fields(t))).Order(StringComparer.Ordinal);
                return string.Join('\n', tokens);
            default:
                return TestServers.Snapshot(Database!);
        }
    }

    public void Dispose()
    {
        var closed = false;
        try
        {
            Store.Dispose();
            closed = true;
        }
        finally
        {
            Cleanup(reusable: closed && !TestFailed());
        }
    }

    /// <summary>
    /// Whether the running test has failed so far: its outcome once the test method has returned (a fixture's
    /// tear-down), or a failed assertion recorded while it still runs (a <c>using</c> in the test).
    /// </summary>
    private static bool TestFailed()
    {
        var result = TestContext.CurrentContext.Result;
        return result.Outcome.Status == TestStatus.Failed
            || result.Assertions.Any(a => a.Status is AssertionStatus.Failed or AssertionStatus.Error);
    }

    private void Cleanup(bool reusable)
    {
        try
        {
            if (Database is not null)
            {
                TestServers.Return(Database, reusable);
            }
        }
        finally
        {
            _directory.Dispose();
        }
    }

    private EncryptedTokenStore Open(byte[]? key = null)
    {
        var options = Kind switch
        {
            StoreKind.File => new EncryptedTokenStoreOptions { FilePath = Path, MasterKey = MasterKey.FromBytes(key ?? StoreFixture.Key) },
            StoreKind.Memory => new EncryptedTokenStoreOptions { FilePath = EncryptedTokenStoreOptions.InMemory },
            _ => new EncryptedTokenStoreOptions { Database = Database, MasterKey = MasterKey.FromBytes(key ?? StoreFixture.Key) },
        };
        _configure?.Invoke(options);
        return new EncryptedTokenStore(options);
    }
}
