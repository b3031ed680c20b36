using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Benchmarks.Fleet;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// <c>SaveToken</c> of a token the store has never seen (no id, a new user) on a database server: baseline B makes it
/// one upsert on the user name + client id; the SDK's <c>DBStore</c> an update by user name that changes nothing (a
/// scan), <c>max(id)</c> and an insert; the encrypted store a lookup of every unique value and an insert in one
/// transaction. Each iteration inserts <see cref="InsertsPerIteration"/> new tokens of new users made in its setup, and
/// its cleanup deletes them again (both outside the measurement), so the tables keep their size. Ratio: "times baseline B".
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[InvocationCount(InsertsPerIteration)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the stores in [GlobalCleanup].")]
public class FleetInsertBenchmarks
{
    /// <summary>Inserts per measured iteration (BenchmarkDotNet's invocation count).</summary>
    public const int InsertsPerIteration = 32;

    private const string Category = "SaveToken insert";

    private readonly TokenGenerator _generator = new(seed: TokenGenerator.DefaultSeed - 4);
    private readonly OAuthToken[] _batch = new OAuthToken[InsertsPerIteration];
    private FleetStores? _stores;
    private ITokenStore _store = null!;
    private int _next;

    // New users only, in every run: a run stopped between an insert and its cleanup leaves rows of users no later run reuses.
    private int _users = Random.Shared.Next(1_000_000) * 1_000;

    /// <summary>The database server.</summary>
    [Params(TokenDatabaseKind.MySql, TokenDatabaseKind.PostgreSql)]
    public TokenDatabaseKind Server { get; set; }

    /// <summary>Number of tokens in the store.</summary>
    [Params(1_000, 10_000, 100_000)]
    public int StoreSize { get; set; }

    [GlobalSetup(Target = nameof(PlainSchema_SaveToken_Insert))]
    public void SetupPlainSchema() => Setup(FleetStoreKind.PlainSchema);

    [GlobalSetup(Target = nameof(SdkDbStore_SaveToken_Insert))]
    public void SetupSdkDbStore() => Setup(FleetStoreKind.SdkDbStore);

    [GlobalSetup(Target = nameof(Encrypted_SaveToken_Insert))]
    public void SetupEncrypted() => Setup(FleetStoreKind.Encrypted);

    [GlobalCleanup]
    public void Cleanup() => _stores?.Dispose();

    [IterationSetup]
    public void PrepareBatch()
    {
        for (var i = 0; i < InsertsPerIteration; i++)
        {
            _batch[i] = _generator.NewUnseenToken(_users++);
        }

        _next = 0;
    }

    [IterationCleanup]
    public void DeleteBatch()
    {
        for (var i = 0; i < _next; i++)
        {
            _store.DeleteToken(_batch[i].Id!);
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory(Category)]
    public void PlainSchema_SaveToken_Insert() => _store.SaveToken(_batch[_next++]);

    [Benchmark, BenchmarkCategory(Category)]
    public void SdkDbStore_SaveToken_Insert() => _store.SaveToken(_batch[_next++]);

    [Benchmark, BenchmarkCategory(Category)]
    public void Encrypted_SaveToken_Insert() => _store.SaveToken(_batch[_next++]);

    private void Setup(FleetStoreKind kind)
    {
        _stores = new FleetStores(Server);
        _store = _stores.Open(kind, StoreSize);
        PrepareBatch();
        _store.SaveToken(_batch[_next++]);
        if (_batch[0].Id is not { } id || ((OAuthToken)_store.FindTokenById(id)).AccessToken != _batch[0].AccessToken)
        {
            throw new InvalidOperationException($"{kind} did not insert the token.");
        }

        DeleteBatch();
    }
}
