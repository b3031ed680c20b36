using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Fleet;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// <c>SaveToken</c> of an existing token after a refresh on a database server (fleet mode), MariaDB and PostgreSQL:
/// every call saves one of 16 records with new values (an access token never used before, a new expiry), durable when
/// it returns (the server committed it). Baseline B, the encrypted store's schema in plaintext, makes it one autocommit
/// upsert; the SDK's <c>DBStore</c> an update by user name (a scan of its unindexed table); the encrypted store one
/// conditional statement (merged with the token its cache kept from the previous save; the full transaction only when
/// another instance committed meanwhile, which no other instance does here). The Ratio column reads "times baseline B".
/// The records get their original values back in cleanup.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the stores in [GlobalCleanup].")]
public class FleetSaveBenchmarks
{
    private const string Category = "SaveToken update";

    private FleetUpdates _updates = null!;
    private FleetStores? _stores;
    private ITokenStore? _store;

    /// <summary>The database server.</summary>
    [Params(TokenDatabaseKind.MySql, TokenDatabaseKind.PostgreSql)]
    public TokenDatabaseKind Server { get; set; }

    /// <summary>Number of tokens in the store.</summary>
    [Params(1_000, 10_000, 100_000)]
    public int StoreSize { get; set; }

    [GlobalSetup(Target = nameof(PlainSchema_SaveToken_Update))]
    public void SetupPlainSchema() => Setup(FleetStoreKind.PlainSchema);

    [GlobalSetup(Target = nameof(SdkDbStore_SaveToken_Update))]
    public void SetupSdkDbStore() => Setup(FleetStoreKind.SdkDbStore);

    [GlobalSetup(Target = nameof(Encrypted_SaveToken_Update))]
    public void SetupEncrypted() => Setup(FleetStoreKind.Encrypted);

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_store is not null)
        {
            _updates.Restore(_store);
        }

        _stores?.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory(Category)]
    public void PlainSchema_SaveToken_Update() => _store!.SaveToken(_updates.Next());

    [Benchmark, BenchmarkCategory(Category)]
    public void SdkDbStore_SaveToken_Update() => _store!.SaveToken(_updates.Next());

    [Benchmark, BenchmarkCategory(Category)]
    public void Encrypted_SaveToken_Update() => _store!.SaveToken(_updates.Next());

    private void Setup(FleetStoreKind kind)
    {
        _updates = new FleetUpdates(kind, StoreSize);
        _stores = new FleetStores(Server);
        _store = _stores.Open(kind, StoreSize);
        _updates.Verify(_store);
    }
}
