using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Baselines;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// Opening an existing store of 100,000 tokens and reading one token: what an application pays at
/// start-up before its first API call. Each call constructs the store, runs one <c>FindTokenById</c>
/// and disposes the store (the file lock has to be released before the next open). The encrypted store
/// is opened with <see cref="MasterKey.FromBytes"/>, so no PBKDF2; see
/// <see cref="PassphraseOpenBenchmarks"/> for the passphrase cost. The file is in the OS page cache
/// (a warm open); a cold open after a reboot also pays the disk reads.
/// The baseline is the plaintext LiteDB store, the same engine without the key ring.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the workspace in [GlobalCleanup].")]
public class OpenBenchmarks
{
    private const string Category = "Open + FindTokenById";

    private StoreWorkspace? _workspace;
    private string _path = null!;
    private string _id = null!;
    private EncryptedTokenStoreOptions _options = null!;

    /// <summary>Number of tokens in the store (not subject to the <c>--sizes</c> filter).</summary>
    [Params(100_000)]
    public int Tokens { get; set; }

    [GlobalSetup(Target = nameof(PlainLiteDb_Open))]
    public void SetupPlainLiteDb() => Setup(StoreKind.PlainLiteDb);

    [GlobalSetup(Target = nameof(Sqlite_Open))]
    public void SetupSqlite() => Setup(StoreKind.Sqlite);

    [GlobalSetup(Target = nameof(Encrypted_Open))]
    public void SetupEncrypted() => Setup(StoreKind.Encrypted);

    [GlobalCleanup]
    public void Cleanup() => _workspace?.Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory(Category)]
    public IToken PlainLiteDb_Open()
    {
        using var store = new PlainLiteDbTokenStore(_path);
        return store.FindTokenById(_id);
    }

    /// <summary>The article's store opens a connection on every call anyway: construction (which checks the table) and one lookup.</summary>
    [Benchmark, BenchmarkCategory(Category)]
    public IToken Sqlite_Open() => new ArticleSqliteTokenStore(_path).FindTokenById(_id);

    [Benchmark, BenchmarkCategory(Category)]
    public IToken Encrypted_Open()
    {
        using var store = new EncryptedTokenStore(_options);
        return store.FindTokenById(_id);
    }

    private void Setup(StoreKind kind)
    {
        _workspace = new StoreWorkspace();
        _path = _workspace.CopyOf(kind, Tokens);
        _id = DataSets.Tokens(Tokens)[DataSets.Targets(Tokens, 1)[0]].Id!;
        _options = BenchmarkKeys.Options(_path);
    }
}
