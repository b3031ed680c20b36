using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// Key rotation throughput: <c>RotateKeys</c> over a whole store with the default batch size, data key
/// only (the baseline) and data and index keys, while another thread keeps calling <c>FindTokenById</c>
/// (the SDK's hot path) and counts its answers. One rotation per iteration on a fresh copy of the store
/// (cache off, so the reader hits the file). The Tokens/s column is <c>StoreSize</c> / mean. The reader's
/// count, failures and slowest call are printed after each iteration (lines starting "// rotation").
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Columns))]
[WarmupCount(0)]
[IterationCount(3)]
[InvocationCount(1)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the workspace in [IterationCleanup].")]
public class RotationBenchmarks
{
    private StoreWorkspace? _workspace;
    private EncryptedTokenStore _store = null!;
    private string[] _ids = [];
    private Thread? _reader;
    private volatile bool _stop;
    private long _answers;
    private long _failures;
    private double _slowestMilliseconds;

    /// <summary>Number of tokens in the store.</summary>
    [Params(10_000, 100_000)]
    public int StoreSize { get; set; }

    [IterationSetup]
    public void Setup()
    {
        _workspace = new StoreWorkspace();
        var options = BenchmarkKeys.Options(_workspace.CopyOf(StoreKind.Encrypted, StoreSize));
        options.CacheSize = 0;
        _store = new EncryptedTokenStore(options);
        _ids = [.. DataSets.Tokens(StoreSize).Select(t => t.Id!)];
        _stop = false;
        _answers = _failures = 0;
        _slowestMilliseconds = 0;
        _reader = new Thread(ReadUntilStopped) { IsBackground = true };
        _reader.Start();
    }

    [Benchmark(Baseline = true)]
    public int RotateDataKey() =>
        _store.RotateKeys(new KeyRotationOptions()).RecordsRewritten;

    [Benchmark]
    public int RotateDataAndIndexKeys() =>
        _store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true }).RecordsRewritten;

    [IterationCleanup]
    public void Cleanup()
    {
        _stop = true;
        _reader?.Join();
        Console.WriteLine($"// rotation of {StoreSize:N0}: reader answered {_answers:N0} FindTokenById calls meanwhile, {_failures} failed, slowest {_slowestMilliseconds:F1} ms");
        _store.Dispose();
        _workspace?.Dispose();
    }

    private void ReadUntilStopped()
    {
        var random = new Random(7);
        while (!_stop)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                _store.FindTokenById(_ids[random.Next(_ids.Length)]);
                _answers++;
            }
            catch (TokenStoreException)
            {
                _failures++;
            }

            _slowestMilliseconds = Math.Max(_slowestMilliseconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private sealed class Columns : BenchmarkDotNet.Configs.ManualConfig
    {
        public Columns() => AddColumn(new TokensPerSecondColumn());
    }
}
