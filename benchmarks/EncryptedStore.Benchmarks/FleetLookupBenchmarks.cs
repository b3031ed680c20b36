using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Fleet;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// Lookups on a database server (fleet mode), MariaDB and PostgreSQL on this machine, at 1,000 to 100,000 tokens:
/// the SDK's <c>DBStore</c> (baseline A: its plaintext table and unindexed queries), the encrypted store's schema in
/// plaintext (baseline B: one select on the primary key or a unique index) and the encrypted store, uncached
/// (<c>CacheSize = 0</c>), warm with the default <c>MaxStaleness</c> of zero (it asks the server before answering from
/// its cache) and warm with <c>MaxStaleness = 1 s</c> (from memory). <c>FindToken</c>'s baseline is the SDK's store,
/// so its Ratio column reads "times the SDK's time"; <c>FindTokenById</c>'s is baseline B. Calls walk a fixed random
/// set of up to 4,096 records (<see cref="DataSets.Targets"/>); the warm stores have looked each of them up once in
/// setup. The data live in the benchmark database between runs (<see cref="FleetTables"/>).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the stores in [GlobalCleanup].")]
public class FleetLookupBenchmarks
{
    private const string ById = "FindTokenById";
    private const string ByUser = "FindToken user+client";
    private const string ByRefresh = "FindToken refresh";

    private FleetWalk _walk = null!;
    private FleetStores? _stores;
    private ITokenStore _store = null!;
    private int _next;

    /// <summary>The database server.</summary>
    [Params(TokenDatabaseKind.MySql, TokenDatabaseKind.PostgreSql)]
    public TokenDatabaseKind Server { get; set; }

    /// <summary>Number of tokens in the store.</summary>
    [Params(1_000, 10_000, 100_000)]
    public int StoreSize { get; set; }

    [GlobalSetup(Targets = [nameof(SdkDbStore_FindTokenById), nameof(SdkDbStore_FindToken_User), nameof(SdkDbStore_FindToken_Refresh)])]
    public void SetupSdkDbStore() => Setup(FleetStoreKind.SdkDbStore);

    [GlobalSetup(Targets = [nameof(PlainSchema_FindTokenById), nameof(PlainSchema_FindToken_User), nameof(PlainSchema_FindToken_Refresh)])]
    public void SetupPlainSchema() => Setup(FleetStoreKind.PlainSchema);

    [GlobalSetup(Targets = [nameof(Encrypted_FindTokenById), nameof(Encrypted_FindToken_User), nameof(Encrypted_FindToken_Refresh)])]
    public void SetupEncrypted() => Setup(FleetStoreKind.Encrypted);

    [GlobalSetup(Targets = [nameof(EncryptedNoCache_FindTokenById), nameof(EncryptedNoCache_FindToken_User), nameof(EncryptedNoCache_FindToken_Refresh)])]
    public void SetupEncryptedNoCache() => Setup(FleetStoreKind.EncryptedNoCache);

    [GlobalSetup(Targets = [nameof(EncryptedStale1s_FindTokenById), nameof(EncryptedStale1s_FindToken_User)])]
    public void SetupEncryptedBoundedStaleness() => Setup(FleetStoreKind.EncryptedBoundedStaleness);

    [GlobalCleanup]
    public void Cleanup() => _stores?.Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory(ById)]
    public IToken PlainSchema_FindTokenById() => _store.FindTokenById(_walk.Ids[Next()]);

    [Benchmark, BenchmarkCategory(ById)]
    public IToken SdkDbStore_FindTokenById() => _store.FindTokenById(_walk.Ids[Next()]);

    [Benchmark, BenchmarkCategory(ById)]
    public IToken EncryptedNoCache_FindTokenById() => _store.FindTokenById(_walk.Ids[Next()]);

    [Benchmark, BenchmarkCategory(ById)]
    public IToken Encrypted_FindTokenById() => _store.FindTokenById(_walk.Ids[Next()]);

    [Benchmark, BenchmarkCategory(ById)]
    public IToken EncryptedStale1s_FindTokenById() => _store.FindTokenById(_walk.Ids[Next()]);

    [Benchmark(Baseline = true), BenchmarkCategory(ByUser)]
    public IToken? SdkDbStore_FindToken_User() => _store.FindToken(_walk.UserQuery(Next()));

    [Benchmark, BenchmarkCategory(ByUser)]
    public IToken? PlainSchema_FindToken_User() => _store.FindToken(_walk.UserQuery(Next()));

    [Benchmark, BenchmarkCategory(ByUser)]
    public IToken? EncryptedNoCache_FindToken_User() => _store.FindToken(_walk.UserQuery(Next()));

    [Benchmark, BenchmarkCategory(ByUser)]
    public IToken? Encrypted_FindToken_User() => _store.FindToken(_walk.UserQuery(Next()));

    [Benchmark, BenchmarkCategory(ByUser)]
    public IToken? EncryptedStale1s_FindToken_User() => _store.FindToken(_walk.UserQuery(Next()));

    [Benchmark(Baseline = true), BenchmarkCategory(ByRefresh)]
    public IToken? SdkDbStore_FindToken_Refresh() => _store.FindToken(_walk.RefreshQuery(Next()));

    [Benchmark, BenchmarkCategory(ByRefresh)]
    public IToken? PlainSchema_FindToken_Refresh() => _store.FindToken(_walk.RefreshQuery(Next()));

    [Benchmark, BenchmarkCategory(ByRefresh)]
    public IToken? EncryptedNoCache_FindToken_Refresh() => _store.FindToken(_walk.RefreshQuery(Next()));

    [Benchmark, BenchmarkCategory(ByRefresh)]
    public IToken? Encrypted_FindToken_Refresh() => _store.FindToken(_walk.RefreshQuery(Next()));

    private void Setup(FleetStoreKind kind)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        _walk = new FleetWalk(kind, StoreSize);
        _stores = new FleetStores(Server);
        _store = _stores.Open(kind, StoreSize);
        _walk.Verify(_store);
        if (kind is FleetStoreKind.Encrypted or FleetStoreKind.EncryptedBoundedStaleness)
        {
            _walk.Warm(_store);
        }

        Console.WriteLine($"// Setup of {kind} on {Server} with {StoreSize:N0} tokens took {stopwatch.Elapsed.TotalSeconds:F2} s");
    }

    private int Next()
    {
        var next = _next;
        _next = next + 1 == _walk.Ids.Length ? 0 : next + 1;
        return next;
    }
}
