using EncryptedStore.Storage;
using System.Diagnostics;
using System.Globalization;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// <c>rotate-profile [size] [batch size|default] [data,index] [cache]</c>: a Stopwatch run of <c>RotateKeys</c> on a
/// fresh copy of the cached store of <c>size</c> tokens (cache off, or the default cache with <c>cache</c>), data key only and/or data and index keys,
/// each on its own copy, with a reader thread calling <c>FindTokenById</c> throughout. Prints the time,
/// tokens per second, bytes allocated by the rotating thread per record, process CPU time, bytes the process
/// wrote and read (Linux), the slowest batch, the longest LiteDB log seen between batches, and the reader's
/// answers and latency percentiles (HdrHistogram). Rough numbers for iterating; <see cref="RotationBenchmarks"/> is the reference.
/// </summary>
internal static class RotationProfile
{
    public static int Run(int size, int? batchSize, string modes = "data,index", bool cache = false)
    {
        var ids = DataSets.Tokens(size).Select(t => t.Id!).ToArray();
        foreach (var rotateIndexKey in modes.Split(',').Select(m => m == "index"))
        {
            using var workspace = new StoreWorkspace();
            var path = workspace.CopyOf(StoreKind.Encrypted, size);
            var log = new FileInfo(EncryptedStore.Storage.StorePaths.LogPathFor(Path.GetFullPath(path)));
            var options = BenchmarkKeys.Options(path);
            options.CacheSize = cache ? options.CacheSize : 0;
            using var store = new EncryptedTokenStore(options);
            using var reader = new LookupReader(store, ids);

            var rotation = new KeyRotationOptions { RotateIndexKey = rotateIndexKey };
            if (batchSize is { } batch)
            {
                rotation.BatchSize = batch;
            }

            var batches = 0;
            var slowestBatch = TimeSpan.Zero;
            var longestLog = 0L;
            var lastReport = Stopwatch.GetTimestamp();
            var progress = new SynchronousProgress(_ =>
            {
                batches++;
                var now = Stopwatch.GetTimestamp();
                var elapsed = Stopwatch.GetElapsedTime(lastReport, now);
                slowestBatch = elapsed > slowestBatch ? elapsed : slowestBatch;
                log.Refresh();
                longestLog = Math.Max(longestLog, log.Exists ? log.Length : 0);
                lastReport = now;
            });

            var ioBefore = ReadIo();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var gcBefore = GC.CollectionCount(0);
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var stopwatch = Stopwatch.StartNew();
            var result = store.RotateKeys(rotation, progress);
            stopwatch.Stop();
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            reader.Stop();
            var ioAfter = ReadIo();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

            var what = rotateIndexKey ? "data + index" : "data only   ";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{size,8:N0} tokens, {what}, batch {rotation.BatchSize,6:N0}: {stopwatch.Elapsed.TotalSeconds,6:F2} s, {size / stopwatch.Elapsed.TotalSeconds,8:N0} tokens/s, " +
                $"{allocated / Math.Max(1, result.RecordsRewritten) / 1024.0,6:F1} KB allocated per record, gen0 GCs {GC.CollectionCount(0) - gcBefore}, " +
                $"slowest batch {slowestBatch.TotalMilliseconds:F0} ms, {batches} batches, longest log between batches {longestLog / 1048576.0:N0} MiB, CPU {cpu.TotalSeconds:F1} s, " +
                $"written {(ioAfter.Written - ioBefore.Written) / 1048576.0:N0} MiB ({(ioAfter.Written - ioBefore.Written) / 1024.0 / size:F1} KiB per token), read {(ioAfter.Read - ioBefore.Read) / 1048576.0:N0} MiB; " +
                $"rewritten {result.RecordsRewritten:N0}, failed {result.FailedRecordIds.Count}; " +
                $"reader (cache {(cache ? "on" : "off")}): {reader.Answers:N0} answers, {reader.Failures} failed, p50 {reader.Latencies.GetValueAtPercentile(50):N0} us, " +
                $"p99 {reader.Latencies.GetValueAtPercentile(99):N0} us, p99.9 {reader.Latencies.GetValueAtPercentile(99.9):N0} us, slowest {reader.SlowestMilliseconds:F1} ms"));
        }

        return 0;
    }

    /// <summary>Bytes this process has written and read through system calls (Linux <c>/proc/self/io</c>; zeros elsewhere).</summary>
    private static (long Written, long Read) ReadIo()
    {
        if (!File.Exists("/proc/self/io"))
        {
            return (0, 0);
        }

        var fields = File.ReadAllLines("/proc/self/io")
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[1].Trim(), CultureInfo.InvariantCulture));
        return (fields["wchar"], fields["rchar"]);
    }

    /// <summary>Reports on the rotating thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<KeyRotationProgress> report) : IProgress<KeyRotationProgress>
    {
        public void Report(KeyRotationProgress value) => report(value);
    }
}
