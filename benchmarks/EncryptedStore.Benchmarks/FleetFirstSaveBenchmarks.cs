using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Baselines;
using EncryptedStore.Benchmarks.Fleet;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// The first <c>SaveToken</c> right after opening, on a database server: before each measured call the store is
/// opened afresh (a new <see cref="EncryptedTokenStore"/>; for baseline B a new pooled data source that has opened one
/// connection, what opening any store on a server costs at least), and the call saves one existing record with new
/// values. One call per iteration, so each iteration is one cold save; the store is disposed after it.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[InvocationCount(1)]
[WarmupCount(1)]
[IterationCount(12)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the store in [IterationCleanup].")]
public class FleetFirstSaveBenchmarks
{
    private const string Category = "SaveToken update, first call after open";

    private FleetUpdates _updates = null!;
    private FleetStoreKind _kind;
    private string _connectionString = string.Empty;
    private ITokenStore? _store;
    private IDisposable? _opened;

    /// <summary>The database server.</summary>
    [Params(TokenDatabaseKind.MySql, TokenDatabaseKind.PostgreSql)]
    public TokenDatabaseKind Server { get; set; }

    /// <summary>Number of tokens in the store.</summary>
    [Params(1_000, 10_000, 100_000)]
    public int StoreSize { get; set; }

    [GlobalSetup(Target = nameof(PlainSchema_SaveToken_AfterOpen))]
    public void SetupPlainSchema() => Setup(FleetStoreKind.PlainSchema);

    [GlobalSetup(Target = nameof(Encrypted_SaveToken_AfterOpen))]
    public void SetupEncrypted() => Setup(FleetStoreKind.Encrypted);

    [IterationSetup(Target = nameof(PlainSchema_SaveToken_AfterOpen))]
    public void OpenPlainSchema()
    {
        var dataSource = FleetConnections.TunedDataSource(Server, _connectionString);
        dataSource.OpenConnection().Dispose();
        _opened = dataSource;
        _store = new PlainServerTokenStore(dataSource, Server, FleetTables.PlainTable(StoreSize));
    }

    [IterationSetup(Target = nameof(Encrypted_SaveToken_AfterOpen))]
    public void OpenEncrypted()
    {
        var store = new EncryptedTokenStore(FleetStores.Options(Server, _connectionString, FleetTables.EncryptedPrefix(StoreSize)));
        _opened = store;
        _store = store;
    }

    [IterationCleanup]
    public void Close()
    {
        _opened?.Dispose();
        _opened = null;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Close();
        using var stores = new FleetStores(Server);
        _updates.Restore(stores.Open(_kind, StoreSize));
    }

    [Benchmark(Baseline = true), BenchmarkCategory(Category)]
    public void PlainSchema_SaveToken_AfterOpen() => _store!.SaveToken(_updates.Next());

    [Benchmark, BenchmarkCategory(Category)]
    public void Encrypted_SaveToken_AfterOpen() => _store!.SaveToken(_updates.Next());

    private void Setup(FleetStoreKind kind)
    {
        _kind = kind;
        _updates = new FleetUpdates(kind, StoreSize);
        using var stores = new FleetStores(Server);
        _connectionString = stores.ConnectionString;
        _updates.Verify(stores.Open(kind, StoreSize));
    }
}
