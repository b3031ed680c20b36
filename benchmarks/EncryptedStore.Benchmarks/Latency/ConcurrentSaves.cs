using System.Diagnostics;
using System.Globalization;
using System.Text;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Benchmarks.Infrastructure;
using EncryptedStore.Storage;
using HdrHistogram;

namespace EncryptedStore.Benchmarks.Latency;

/// <summary>
/// <c>concurrent-saves [size] [--seconds N] [--threads 1,2,4,8] [--warm] [--spaced ms] [--no-warm-cache] [--report file.md]</c>: the latency of durable saves
/// from several threads at once, as an app whose threads refresh tokens does. For each thread count, side by side in
/// one run: a raw baseline (each thread writes 4 KiB at its own offset of one preallocated file and fdatasyncs it,
/// back to back), then the encrypted store with default options, opened on a fresh copy of the cached store just
/// before (so its first seconds are in the figures; with <c>--warm</c> every token is read once first, the steady state;
/// with <c>--spaced</c> each thread pauses between calls, as an app refreshing tokens does), each thread updating random tokens with a new access token each
/// time; then inserts of new tokens the same way, and updates with <c>FlushToDisk = false</c> (where a stall shows). Each call is recorded in an HdrHistogram (microseconds); the report
/// gives the median, 90th, 99th, 99.9th percentiles and the maximum, the rate, and the fdatasyncs per save. Prints
/// counts and times only, never a token value.
/// </summary>
internal static class ConcurrentSaves
{
    public const string Name = "concurrent-saves";

    private const int RawBlock = 4096;
    private static readonly long TicksPerMicrosecond = Stopwatch.Frequency / 1_000_000;

    /// <summary>The pause each thread makes between calls (<c>--spaced</c>), as an app refreshing tokens does; zero: back to back.</summary>
    private static TimeSpan s_spacing;

    /// <summary>The store's <see cref="EncryptedTokenStoreOptions.WarmCache"/> (<c>--no-warm-cache</c> turns it off).</summary>
    private static bool s_warmCache = true;

    public static int Command(IReadOnlyList<string> args)
    {
        var size = 10_000;
        var seconds = 5.0;
        int[] threads = [1, 2, 4, 8];
        string? report = null;
        var warm = false;
        var spacing = TimeSpan.Zero;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": threads = [.. args[++i].Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture))]; break;
                case "--report": report = Path.GetFullPath(args[++i]); break;
                case "--warm": warm = true; break;
                case "--no-warm-cache": s_warmCache = false; break;
                case "--spaced": spacing = TimeSpan.FromMilliseconds(double.Parse(args[++i], CultureInfo.InvariantCulture)); break;
                default: size = int.Parse(args[i].Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture); break;
            }
        }

        var output = new StringBuilder();
        void Line(string text)
        {
            Console.WriteLine(text);
            output.AppendLine(text);
        }

        Line($"{Name} {string.Join(' ', args)}");
        Line($"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, {Environment.ProcessorCount} cores, load average {LoadAverage()}, store of {size:N0} tokens, {seconds:F0} s per row"
            + (spacing > TimeSpan.Zero ? $", each thread pausing {spacing.TotalMilliseconds:F0} ms between calls" : ", back to back")
            + (s_warmCache ? string.Empty : ", WarmCache = false"));
        s_spacing = spacing;
        Line(string.Empty);
        Line("| what | threads | calls | calls/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | fdatasyncs per call |");
        Line("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var tokens = DataSets.Tokens(size);
        using var workspace = new StoreWorkspace();
        foreach (var count in threads)
        {
            Line(Row("raw 4 KiB write + fdatasync", count, RawSyncs(workspace.Folder, count, seconds), syncsPerCall: 1));
            Line(StoreRow("store: SaveToken update", count, seconds, size, tokens, workspace, insert: false, warm: warm));
            Line(StoreRow("store: SaveToken insert", count, seconds, size, tokens, workspace, insert: true, warm: warm));
            Line(StoreRow("store: SaveToken update, FlushToDisk = false", count, seconds, size, tokens, workspace, insert: false, warm: warm, flushToDisk: false));
        }

        Line(string.Empty);
        Line($"load average at the end {LoadAverage()}");
        if (report is not null)
        {
            File.WriteAllText(report, output.ToString());
        }

        return 0;
    }

    private static string StoreRow(string what, int threads, double seconds, int size, List<OAuthToken> tokens, StoreWorkspace workspace, bool insert, bool warm, bool flushToDisk = true)
    {
        var folder = Path.Combine(workspace.Folder, $"{(insert ? "insert" : "update")}-{threads}-{flushToDisk}");
        Directory.CreateDirectory(folder);
        var path = StoreCache.CopyTo(StoreKind.Encrypted, size, folder);
        Recorded result;
        long syncs;
        var options = BenchmarkKeys.Options(path);
        options.FlushToDisk = flushToDisk;
        options.WarmCache = s_warmCache;
        using (var store = new EncryptedTokenStore(options))
        {
            if (warm)
            {
                foreach (var token in tokens)
                {
                    store.FindTokenById(token.Id!);
                }
            }

            var logSyncsBefore = store.BackingFile.LogSyncCount;
            result = Run(threads, seconds, thread =>
            {
                var random = new Random(1000 + thread);
                var generator = new TokenGenerator(seed: TokenGenerator.DefaultSeed - 10 - thread);
                var n = 0;
                return () =>
                {
                    OAuthToken token;
                    if (insert)
                    {
                        token = generator.Generate(1)[0];
                        token.Id = null;
                        token.UserSignature = new UserSignature($"insert-{thread}-{n++}@example.com");
                    }
                    else
                    {
                        token = Baselines.TokenCopy.Clone(tokens[random.Next(size)]);
                        token.AccessToken = string.Concat(generator.NewTokenValue(), ".", (n++).ToString(CultureInfo.InvariantCulture));
                    }

                    store.SaveToken(token);
                };
            });
            syncs = (store.Journal?.SyncCount ?? 0) + store.BackingFile.LogSyncCount - logSyncsBefore;
        }

        Directory.Delete(folder, recursive: true);
        return Row(what, threads, result, (double)syncs / Math.Max(1, result.Histogram.TotalCount));
    }

    /// <summary>Each thread writes 4 KiB at its own offset of one preallocated file and fdatasyncs it, back to back.</summary>
    private static Recorded RawSyncs(string folder, int threads, double seconds)
    {
        var path = Path.Combine(folder, "raw.bin");
        using var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        file.Write(new byte[RawBlock * threads]);
        file.Flush(flushToDisk: true);
        var result = Run(threads, seconds, thread =>
        {
            var block = new byte[RawBlock];
            var n = 0L;
            return () =>
            {
                BitConverter.TryWriteBytes(block, n++);
                RandomAccess.Write(file.SafeFileHandle, block, (long)thread * RawBlock);
                if (NativeMethods.FDataSync(file.SafeFileHandle) != 0)
                {
                    throw new IOException("fdatasync failed");
                }
            };
        });
        file.Dispose();
        File.Delete(path);
        return result;
    }

    private static Recorded Run(int threads, double seconds, Func<int, Action> makeCall)
    {
        var histograms = new LongHistogram[threads];
        var calls = Enumerable.Range(0, threads).Select(makeCall).ToArray();
        var stopAt = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var started = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var histogram = new LongHistogram(60_000_000, 3);
            var call = calls[t];
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var before = Stopwatch.GetTimestamp();
                call();
                histogram.RecordValue(Math.Max(1, (Stopwatch.GetTimestamp() - before) / TicksPerMicrosecond));
                if (s_spacing > TimeSpan.Zero)
                {
                    Thread.Sleep(s_spacing);
                }
            }

            histograms[t] = histogram;
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        var all = new LongHistogram(60_000_000, 3);
        foreach (var histogram in histograms)
        {
            all.Add(histogram);
        }

        return new Recorded(all, started.Elapsed);
    }

    private static string Row(string what, int threads, Recorded result, double syncsPerCall)
    {
        var h = result.Histogram;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {what} | {threads} | {h.TotalCount:N0} | {h.TotalCount / result.Elapsed.TotalSeconds:N0} | {h.GetValueAtPercentile(50):N0} | {h.GetValueAtPercentile(90):N0} | {h.GetValueAtPercentile(99):N0} | {h.GetValueAtPercentile(99.9):N0} | {h.GetMaxValue():N0} | {syncsPerCall:F2} |");
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private sealed record Recorded(LongHistogram Histogram, TimeSpan Elapsed);
}
