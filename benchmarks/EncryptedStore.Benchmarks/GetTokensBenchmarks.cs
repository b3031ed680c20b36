using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// <c>GetTokens</c> on a store of 1,000 tokens: every token, fully populated (admin screens; not on the
/// SDK's path). The encrypted store decrypts every record.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the workspace in [GlobalCleanup].")]
public class GetTokensBenchmarks
{
    private const string Category = "GetTokens";

    private StoreWorkspace? _workspace;
    private ITokenStore _store = null!;

    /// <summary>Number of tokens in the store.</summary>
    [Params(1_000)]
    public int StoreSize { get; set; }

    [GlobalSetup(Target = nameof(Dictionary_GetTokens))]
    public void SetupDictionary() => Setup(StoreKind.Dictionary);

    [GlobalSetup(Target = nameof(PlainLiteDb_GetTokens))]
    public void SetupPlainLiteDb() => Setup(StoreKind.PlainLiteDb);

    [GlobalSetup(Target = nameof(Sqlite_GetTokens))]
    public void SetupSqlite() => Setup(StoreKind.Sqlite);

    [GlobalSetup(Target = nameof(Encrypted_GetTokens))]
    public void SetupEncrypted() => Setup(StoreKind.Encrypted);

    [GlobalCleanup]
    public void Cleanup() => _workspace?.Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory(Category)]
    public List<IToken> Dictionary_GetTokens() => _store.GetTokens();

    [Benchmark, BenchmarkCategory(Category)]
    public List<IToken> PlainLiteDb_GetTokens() => _store.GetTokens();

    [Benchmark, BenchmarkCategory(Category)]
    public List<IToken> Sqlite_GetTokens() => _store.GetTokens();

    [Benchmark, BenchmarkCategory(Category)]
    public List<IToken> Encrypted_GetTokens() => _store.GetTokens();

    private void Setup(StoreKind kind)
    {
        _workspace = new StoreWorkspace();
        _store = _workspace.Open(kind, StoreSize);
        if (_store.GetTokens().Count != StoreSize)
        {
            throw new InvalidOperationException($"{_store.GetType().Name} did not return every token.");
        }
    }
}
