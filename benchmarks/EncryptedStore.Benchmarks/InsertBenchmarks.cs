using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// <c>SaveToken</c> of a token the store has never seen (no id, a new user): the store looks for a match,
/// finds none, generates an id and inserts. Each iteration inserts exactly
/// <see cref="InsertsPerIteration"/> new tokens of new users, made in its setup, and its cleanup deletes
/// them again (both outside the measurement), so the store keeps its size however long the run. Users
/// are never reused, as in real life, which matters for the encrypted store's blind-index lookups (see
/// the README).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[InvocationCount(InsertsPerIteration)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the workspace in [GlobalCleanup].")]
public class InsertBenchmarks
{
    /// <summary>Inserts per measured iteration (BenchmarkDotNet's invocation count).</summary>
    public const int InsertsPerIteration = 32;

    private const string Category = "SaveToken insert";

    private readonly TokenGenerator _generator = new(seed: TokenGenerator.DefaultSeed - 3);
    private readonly OAuthToken[] _batch = new OAuthToken[InsertsPerIteration];
    private StoreWorkspace? _workspace;
    private ITokenStore _store = null!;
    private int _next;
    private int _users;

    /// <summary>Number of tokens in the store.</summary>
    [Params(1_000, 10_000, 100_000)]
    public int StoreSize { get; set; }

    [GlobalSetup(Target = nameof(Dictionary_SaveToken_Insert))]
    public void SetupDictionary() => Setup(StoreKind.Dictionary);

    [GlobalSetup(Target = nameof(PlainLiteDb_SaveToken_Insert))]
    public void SetupPlainLiteDb() => Setup(StoreKind.PlainLiteDb);

    [GlobalSetup(Target = nameof(Sqlite_SaveToken_Insert))]
    public void SetupSqlite() => Setup(StoreKind.Sqlite);

    [GlobalSetup(Target = nameof(Encrypted_SaveToken_Insert))]
    public void SetupEncrypted() => Setup(StoreKind.Encrypted);

    [GlobalCleanup]
    public void Cleanup() => _workspace?.Dispose();

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
    public void Dictionary_SaveToken_Insert() => _store.SaveToken(_batch[_next++]);

    [Benchmark, BenchmarkCategory(Category)]
    public void PlainLiteDb_SaveToken_Insert() => _store.SaveToken(_batch[_next++]);

    [Benchmark, BenchmarkCategory(Category)]
    public void Sqlite_SaveToken_Insert() => _store.SaveToken(_batch[_next++]);

    [Benchmark, BenchmarkCategory(Category)]
    public void Encrypted_SaveToken_Insert() => _store.SaveToken(_batch[_next++]);

    private void Setup(StoreKind kind)
    {
        _workspace = new StoreWorkspace();
        _store = _workspace.Open(kind, StoreSize);

        PrepareBatch();
        _store.SaveToken(_batch[_next++]);
        if (_batch[0].Id is not { } id || ((OAuthToken)_store.FindTokenById(id)).AccessToken != _batch[0].AccessToken)
        {
            throw new InvalidOperationException($"{_store.GetType().Name} did not insert the token.");
        }

        DeleteBatch();
    }
}
