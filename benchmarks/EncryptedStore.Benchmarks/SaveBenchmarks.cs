using System.Globalization;
using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// <c>SaveToken</c> of an existing token after a refresh: the SDK passes the same object back with a new
/// access token and expiry and its id set. Each call updates the next of 16 records with an access token
/// never used before, so every save changes the stored value and the store size stays constant.
/// File-backed stores are durable when a save returns: the encrypted store by default through its save
/// journal (one append and fsync; LiteDB gets the record from a background thread), without the journal
/// and plaintext LiteDB by a LiteDB commit and an fsync of its log, SQLite by its default rollback journal
/// with synchronous=FULL.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the workspace in [GlobalCleanup].")]
public class SaveBenchmarks
{
    private const string Category = "SaveToken update";
    private const int RecordCount = 16;
    private const int ValueCount = 1024;

    private readonly OAuthToken[] _records = new OAuthToken[RecordCount];
    private readonly string[] _accessTokens = new string[ValueCount];
    private readonly string[] _expiries = new string[ValueCount];
    private StoreWorkspace? _workspace;
    private ITokenStore _store = null!;
    private int _next;

    /// <summary>Number of tokens in the store.</summary>
    [Params(1_000, 10_000, 100_000)]
    public int StoreSize { get; set; }

    [GlobalSetup(Target = nameof(Dictionary_SaveToken_Update))]
    public void SetupDictionary() => Setup(StoreKind.Dictionary);

    [GlobalSetup(Target = nameof(PlainLiteDb_SaveToken_Update))]
    public void SetupPlainLiteDb() => Setup(StoreKind.PlainLiteDb);

    [GlobalSetup(Target = nameof(Sqlite_SaveToken_Update))]
    public void SetupSqlite() => Setup(StoreKind.Sqlite);

    [GlobalSetup(Target = nameof(Encrypted_SaveToken_Update))]
    public void SetupEncrypted() => Setup(StoreKind.Encrypted);

    [GlobalSetup(Target = nameof(EncryptedNoJournal_SaveToken_Update))]
    public void SetupEncryptedNoJournal() => Setup(StoreKind.EncryptedNoJournal);

    [GlobalSetup(Target = nameof(EncryptedNoFlush_SaveToken_Update))]
    public void SetupEncryptedNoFlush() => Setup(StoreKind.EncryptedNoFlush);

    [GlobalCleanup]
    public void Cleanup() => _workspace?.Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory(Category)]
    public void Dictionary_SaveToken_Update() => _store.SaveToken(NextUpdate());

    [Benchmark, BenchmarkCategory(Category)]
    public void PlainLiteDb_SaveToken_Update() => _store.SaveToken(NextUpdate());

    [Benchmark, BenchmarkCategory(Category)]
    public void Sqlite_SaveToken_Update() => _store.SaveToken(NextUpdate());

    [Benchmark, BenchmarkCategory(Category)]
    public void Encrypted_SaveToken_Update() => _store.SaveToken(NextUpdate());

    /// <summary>The same save with <c>UseSaveJournal = false</c>: a LiteDB commit and an fsync of its log.</summary>
    [Benchmark, BenchmarkCategory(Category)]
    public void EncryptedNoJournal_SaveToken_Update() => _store.SaveToken(NextUpdate());

    /// <summary>The same save with <c>FlushToDisk = false</c>: survives the process being killed, not a power cut.</summary>
    [Benchmark, BenchmarkCategory(Category)]
    public void EncryptedNoFlush_SaveToken_Update() => _store.SaveToken(NextUpdate());

    private void Setup(StoreKind kind)
    {
        var tokens = DataSets.Tokens(StoreSize);
        var targets = DataSets.Targets(StoreSize, RecordCount);
        for (var i = 0; i < RecordCount; i++)
        {
            _records[i] = Baselines.TokenCopy.Clone(tokens[targets[i]]);
        }

        var generator = new TokenGenerator(seed: TokenGenerator.DefaultSeed - 2);
        for (var i = 0; i < ValueCount; i++)
        {
            _accessTokens[i] = generator.NewTokenValue();
            _expiries[i] = generator.NewExpiry();
        }

        _workspace = new StoreWorkspace();
        _store = _workspace.Open(kind, StoreSize);

        var probe = NextUpdate();
        _store.SaveToken(probe);
        if (((OAuthToken)_store.FindTokenById(probe.Id!)).AccessToken != probe.AccessToken)
        {
            throw new InvalidOperationException($"{_store.GetType().Name} did not save the update.");
        }

        // The steady state of an app: the first journaled save starts building the filter of unique
        // values in the background (a scan of every record); until it is ready, saves probe LiteDB.
        if (_store is EncryptedTokenStore encrypted)
        {
            encrypted.Journal!.WaitForUniqueValues();
        }
    }

    /// <summary>
    /// The next record, given the next new access token and expiry. An OAuth server never hands out the same
    /// access token twice, so neither does this: each is one of 1,024 generated values with the call's number
    /// appended (one small string per call, for every store alike).
    /// </summary>
    private OAuthToken NextUpdate()
    {
        var n = _next++;
        var token = _records[n & (RecordCount - 1)];
        token.AccessToken = string.Concat(_accessTokens[n & (ValueCount - 1)], ".", n.ToString(CultureInfo.InvariantCulture));
        token.ExpiresIn = _expiries[n & (ValueCount - 1)];
        return token;
    }
}
