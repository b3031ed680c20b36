using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// The price of a passphrase: opening a 1,000-token encrypted store (and one <c>FindTokenById</c>) with
/// key bytes (HKDF) against a passphrase (PBKDF2-HMAC-SHA256, 600,000 iterations, on every open).
/// The key-derivation cost does not depend on the store size.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the workspace in [GlobalCleanup].")]
public class PassphraseOpenBenchmarks
{
    private const string Category = "Open + FindTokenById, master key kind";

    private StoreWorkspace? _workspace;
    private string _id = null!;
    private EncryptedTokenStoreOptions _options = null!;

    /// <summary>Number of tokens in the store (not subject to the <c>--sizes</c> filter).</summary>
    [Params(1_000)]
    public int Tokens { get; set; }

    [GlobalSetup(Target = nameof(Encrypted_Open_KeyBytes))]
    public void SetupKeyBytes() => Setup(passphrase: false);

    [GlobalSetup(Target = nameof(Encrypted_Open_Passphrase))]
    public void SetupPassphrase() => Setup(passphrase: true);

    [GlobalCleanup]
    public void Cleanup() => _workspace?.Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory(Category)]
    public IToken Encrypted_Open_KeyBytes() => OpenAndFind();

    [Benchmark, BenchmarkCategory(Category)]
    public IToken Encrypted_Open_Passphrase() => OpenAndFind();

    private IToken OpenAndFind()
    {
        using var store = new EncryptedTokenStore(_options);
        return store.FindTokenById(_id);
    }

    private void Setup(bool passphrase)
    {
        _workspace = new StoreWorkspace();
        var path = _workspace.CopyOf(passphrase ? StoreKind.EncryptedPassphrase : StoreKind.Encrypted, Tokens);
        _id = DataSets.Tokens(Tokens)[0].Id!;
        _options = BenchmarkKeys.Options(path, passphrase);
    }
}
