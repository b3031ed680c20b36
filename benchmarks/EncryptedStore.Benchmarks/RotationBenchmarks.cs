using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Baselines;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// Key rotation throughput: <c>RotateKeys</c> over a whole store with the default batch size, data key
/// only and data and index keys, while another thread keeps calling <c>FindTokenById</c> (the SDK's hot
/// path) and counts its answers. One rotation per iteration on a fresh copy of the store (cache off, so
/// the reader hits the file). The Tokens/s column is <c>StoreSize</c> / mean.
/// <para>
/// Each kind of rotation is a category whose baseline is the same LiteDB work in plaintext: the plaintext
/// LiteDB store rewrites every document in id order, 1,000 per transaction, changing a field no index
/// covers (as a new data key changes the ciphertext) or also moving all five lookup-index entries (as a new
/// index key changes every blind-index hash), with its own reader thread. The index category also times
/// building the five lookup indexes from scratch over the plaintext store with nothing else going on: the
/// least any rebuild of every lookup index costs with LiteDB's indexes, whatever the rotation's design.
/// The reader's count, failures and slowest call are printed after each iteration (lines starting
/// "// rotation").
/// </para>
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[Config(typeof(Columns))]
[WarmupCount(0)]
[IterationCount(3)]
[InvocationCount(1)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the workspace in [IterationCleanup].")]
public class RotationBenchmarks
{
    private const string DataKey = "data key";
    private const string DataAndIndexKeys = "data + index keys";

    private StoreWorkspace? _workspace;
    private EncryptedTokenStore? _encrypted;
    private PlainLiteDbTokenStore? _plain;
    private LookupReader? _reader;

    /// <summary>Number of tokens in the store.</summary>
    [Params(10_000, 100_000)]
    public int StoreSize { get; set; }

    [IterationSetup(Targets = [nameof(RotateDataKey), nameof(RotateDataAndIndexKeys)])]
    public void SetupEncrypted()
    {
        _workspace = new StoreWorkspace();
        var options = BenchmarkKeys.Options(_workspace.CopyOf(StoreKind.Encrypted, StoreSize));
        options.CacheSize = 0;
        _encrypted = new EncryptedTokenStore(options);
        StartReader(_encrypted);
    }

    [IterationSetup(Targets = [nameof(PlainLiteDb_RewriteAll), nameof(PlainLiteDb_RewriteAllMovingIndexEntries)])]
    public void SetupPlain()
    {
        _workspace = new StoreWorkspace();
        _plain = new PlainLiteDbTokenStore(_workspace.CopyOf(StoreKind.PlainLiteDb, StoreSize));
        StartReader(_plain);
    }

    [IterationSetup(Target = nameof(PlainLiteDb_BuildLookupIndexes))]
    public void SetupPlainWithoutIndexes()
    {
        _workspace = new StoreWorkspace();
        _plain = new PlainLiteDbTokenStore(_workspace.CopyOf(StoreKind.PlainLiteDb, StoreSize));
        _plain.DropLookupIndexes();
        StartReader(_plain);
    }

    [Benchmark(Baseline = true), BenchmarkCategory(DataKey)]
    public int PlainLiteDb_RewriteAll() => _plain!.RewriteAll(KeyRotationBatch, moveIndexEntries: false);

    [Benchmark, BenchmarkCategory(DataKey)]
    public int RotateDataKey() =>
        _encrypted!.RotateKeys(new KeyRotationOptions()).RecordsRewritten;

    [Benchmark(Baseline = true), BenchmarkCategory(DataAndIndexKeys)]
    public int PlainLiteDb_RewriteAllMovingIndexEntries() => _plain!.RewriteAll(KeyRotationBatch, moveIndexEntries: true);

    [Benchmark, BenchmarkCategory(DataAndIndexKeys)]
    public int RotateDataAndIndexKeys() =>
        _encrypted!.RotateKeys(new KeyRotationOptions { RotateIndexKey = true }).RecordsRewritten;

    [Benchmark, BenchmarkCategory(DataAndIndexKeys)]
    public int PlainLiteDb_BuildLookupIndexes()
    {
        _plain!.BuildLookupIndexes();
        return StoreSize;
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _reader?.Stop();
        Console.WriteLine($"// rotation of {StoreSize:N0}: reader answered {_reader?.Answers:N0} FindTokenById calls meanwhile, {_reader?.Failures} failed, slowest {_reader?.SlowestMilliseconds:F1} ms");
        _encrypted?.Dispose();
        _plain?.Dispose();
        _encrypted = null;
        _plain = null;
        _workspace?.Dispose();
    }

    /// <summary>The rotation's default batch size, which the plaintext rewrites use too.</summary>
    private static int KeyRotationBatch => new KeyRotationOptions().BatchSize;

    private void StartReader(ITokenStore store) =>
        _reader = new LookupReader(store, [.. DataSets.Tokens(StoreSize).Select(t => t.Id!)]);

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(new TokensPerSecondColumn());
    }
}
