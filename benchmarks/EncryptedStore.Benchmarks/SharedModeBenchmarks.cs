using EncryptedStore.Storage.LiteDb;
using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Benchmarks.Infrastructure;
using EncryptedStore.Storage;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// What <see cref="StoreSharing.Shared"/> costs against the default exclusive mode, on the same store:
/// <c>FindTokenById</c> with the cache warm and off, <c>SaveToken</c> (durable), and
/// <c>FindTokenById</c> right after another process wrote (here: the lock file's generation is bumped
/// before each call, exactly what another process's save does first), which makes the store replace
/// its LiteDB engine, reload its keys and read the token from the file. Each category's baseline is
/// the exclusive store.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the workspace in [GlobalCleanup].")]
public class SharedModeBenchmarks
{
    private const int RecordCount = 16;
    private const int ValueCount = 1024;

    private readonly OAuthToken[] _records = new OAuthToken[RecordCount];
    private readonly string[] _accessTokens = new string[ValueCount];
    private string[] _ids = [];
    private StoreWorkspace? _workspace;
    private EncryptedTokenStore _store = null!;
    private SharedLockFile? _otherProcess;
    private int _next;

    /// <summary>Number of tokens in the store.</summary>
    [Params(1_000, 10_000, 100_000)]
    public int StoreSize { get; set; }

    [GlobalSetup(Targets = [nameof(Exclusive_FindTokenById), nameof(Exclusive_SaveToken_Update)])]
    public void SetupExclusive() => Setup(StoreSharing.Exclusive, cache: true);

    [GlobalSetup(Targets = [nameof(Shared_FindTokenById), nameof(Shared_SaveToken_Update), nameof(Shared_FindTokenById_AfterAnotherProcessWrote)])]
    public void SetupShared() => Setup(StoreSharing.Shared, cache: true);

    [GlobalSetup(Target = nameof(ExclusiveNoCache_FindTokenById))]
    public void SetupExclusiveNoCache() => Setup(StoreSharing.Exclusive, cache: false);

    [GlobalSetup(Target = nameof(SharedNoCache_FindTokenById))]
    public void SetupSharedNoCache() => Setup(StoreSharing.Shared, cache: false);

    [GlobalCleanup]
    public void Cleanup()
    {
        _otherProcess?.Dispose();
        _workspace?.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("FindTokenById cache on")]
    public IToken Exclusive_FindTokenById() => _store.FindTokenById(_ids[Next()]);

    [Benchmark, BenchmarkCategory("FindTokenById cache on")]
    public IToken Shared_FindTokenById() => _store.FindTokenById(_ids[Next()]);

    [Benchmark(Baseline = true), BenchmarkCategory("FindTokenById cache off")]
    public IToken ExclusiveNoCache_FindTokenById() => _store.FindTokenById(_ids[Next()]);

    [Benchmark, BenchmarkCategory("FindTokenById cache off")]
    public IToken SharedNoCache_FindTokenById() => _store.FindTokenById(_ids[Next()]);

    [Benchmark, BenchmarkCategory("FindTokenById cache on")]
    public IToken Shared_FindTokenById_AfterAnotherProcessWrote()
    {
        var other = _otherProcess!;
        while (!other.TryAcquire())
        {
        }

        other.WriteGeneration(other.ReadGeneration() + 1);
        other.Release();
        return _store.FindTokenById(_ids[Next()]);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("SaveToken update")]
    public void Exclusive_SaveToken_Update() => _store.SaveToken(NextUpdate());

    [Benchmark, BenchmarkCategory("SaveToken update")]
    public void Shared_SaveToken_Update() => _store.SaveToken(NextUpdate());

    private void Setup(StoreSharing sharing, bool cache)
    {
        var tokens = DataSets.Tokens(StoreSize);
        _ids = [.. DataSets.Targets(StoreSize, Math.Min(StoreSize, 4096)).Select(i => tokens[i].Id!)];
        var targets = DataSets.Targets(StoreSize, RecordCount);
        for (var i = 0; i < RecordCount; i++)
        {
            _records[i] = Baselines.TokenCopy.Clone(tokens[targets[i]]);
        }

        var generator = new TokenGenerator(seed: TokenGenerator.DefaultSeed - 3);
        for (var i = 0; i < ValueCount; i++)
        {
            _accessTokens[i] = generator.NewTokenValue();
        }

        _workspace = new StoreWorkspace();
        var options = BenchmarkKeys.Options(_workspace.CopyOf(StoreKind.Encrypted, StoreSize));
        options.Sharing = sharing;
        options.CacheSize = cache ? StoreSize : 0;
        _store = new EncryptedTokenStore(options);
        foreach (var id in _ids)
        {
            _store.FindTokenById(id);
        }

        if (sharing == StoreSharing.Shared)
        {
            _otherProcess = SharedLockFile.Open(StorePaths.LockPathFor(options.FilePath));
        }
    }

    private int Next() => _next++ % _ids.Length;

    private OAuthToken NextUpdate()
    {
        var n = _next++;
        var token = _records[n & (RecordCount - 1)];
        token.AccessToken = _accessTokens[n & (ValueCount - 1)];
        return token;
    }
}
