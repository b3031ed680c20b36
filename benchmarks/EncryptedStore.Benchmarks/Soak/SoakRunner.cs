using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using EncryptedStore.Benchmarks.Baselines;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks.Soak;

/// <summary>
/// A bounded soak run: several threads on one store for a fixed time, mixing saves (insert and update),
/// lookups by id and by every blind index, deletes and the occasional <c>GetTokens</c>. Each thread
/// writes only its own user slots and reads those and a set of shared tokens nobody writes, so every
/// answer is checked exactly against what was last written; a wrong answer counts as an error like an
/// exception. Used by the <c>soak</c> command and, for a few seconds, by a test.
/// </summary>
internal static class SoakRunner
{
    private static readonly TimeSpan HeapSampleInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Runs the soak; <paramref name="progress"/> receives a line every <see cref="SoakOptions.ProgressInterval"/>.</summary>
    public static SoakReport Run(SoakOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Threads, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SharedTokens, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SlotsPerThread, 1, nameof(options));

        var temporaryFolder = options.StorePath is null
            ? Path.Combine(Path.GetTempPath(), "EncryptedStore.Benchmarks", $"soak-{Environment.ProcessId}-{Guid.NewGuid():N}")
            : null;
        var path = options.StorePath ?? Path.Combine(temporaryFolder!, "soak.db");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            using var masterKey = BenchmarkKeys.Bytes();
            using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions
            {
                FilePath = path,
                MasterKey = masterKey,
                FlushToDisk = options.FlushToDisk,
            });

            var shared = DataSets.Tokens(options.SharedTokens);
            foreach (var batch in shared.Chunk(1_000))
            {
                store.SaveTokens(batch.Select(TokenCopy.Clone));
            }

            var errors = new SoakErrors();
            var runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            var workers = Enumerable.Range(0, options.Threads)
                .Select(i => new SoakWorker(store, shared, errors, options, runId, i))
                .ToList();
            using var stop = new CancellationTokenSource();
            var threads = workers
                .Select((worker, i) => new Thread(() => worker.Run(stop.Token)) { IsBackground = true, Name = $"soak-{i}" })
                .ToList();

            var stopwatch = Stopwatch.StartNew();
            threads.ForEach(t => t.Start());
            stop.CancelAfter(options.Duration);
            var largestHeap = 0L;
            var nextProgress = options.ProgressInterval;
            while (!stop.Token.WaitHandle.WaitOne(HeapSampleInterval))
            {
                largestHeap = Math.Max(largestHeap, GC.GetTotalMemory(forceFullCollection: false));
                if (progress is not null && options.ProgressInterval > TimeSpan.Zero && stopwatch.Elapsed >= nextProgress)
                {
                    nextProgress += options.ProgressInterval;
                    var done = workers.Sum(w => Enum.GetValues<SoakOperation>().Sum(w.Count));
                    using var process = Process.GetCurrentProcess();
                    progress(string.Create(CultureInfo.InvariantCulture,
                        $"{stopwatch.Elapsed.TotalSeconds,6:F0} s  {done,10:N0} ops  {errors.Count:N0} errors  working set {process.WorkingSet64 / 1024.0 / 1024.0:F1} MiB  managed heap {GC.GetTotalMemory(false) / 1024.0 / 1024.0:F1} MiB"));
                }
            }

            threads.ForEach(t => t.Join());
            var elapsed = stopwatch.Elapsed;
            foreach (var (worker, i) in workers.Select((w, i) => (w, i)))
            {
                if (worker.Failure is { } failure)
                {
                    errors.Add("SOAK_FAILURE", $"thread {i} stopped: {failure.GetType().Name} {failure.Message}");
                }
            }

            largestHeap = Math.Max(largestHeap, GC.GetTotalMemory(forceFullCollection: false));
            var tokensAtEnd = store.GetTokens().Count;
            var heapAtEnd = GC.GetTotalMemory(forceFullCollection: true);
            using var self = Process.GetCurrentProcess();
            return new SoakReport
            {
                Options = options,
                Elapsed = elapsed,
                Operations = Enum.GetValues<SoakOperation>().ToDictionary(o => o, o => workers.Sum(w => w.Count(o))),
                Errors = errors.Counts(),
                FirstErrors = errors.First(),
                PeakWorkingSet = self.PeakWorkingSet64,
                ManagedHeapAtEnd = heapAtEnd,
                LargestManagedHeapSeen = largestHeap,
                TokensAtEnd = tokensAtEnd,
            };
        }
        finally
        {
            if (temporaryFolder is not null)
            {
                Directory.Delete(temporaryFolder, recursive: true);
            }
        }
    }

    /// <summary>The <c>soak</c> command: parses its options, runs, prints the report; exit code 1 on any error.</summary>
    public static int Command(IReadOnlyList<string> args)
    {
        SoakOptions options;
        try
        {
            options = ParseArguments(args);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine("Usage: soak [--duration 60s|5m|1h] [--threads 4] [--tokens 1000] [--slots 64] [--store path] [--no-flush]");
            return 2;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Soak for {options.Duration}, {options.Threads} threads, store {options.StorePath ?? "(temporary file)"}"));
        SoakReport report;
        try
        {
            report = Run(options, Console.WriteLine);
        }
        catch (TokenStoreException e)
        {
            // Opening the store or saving the shared tokens failed: nothing was soaked.
            Console.Error.WriteLine($"The soak could not start: {e.Code} {e.Message}");
            return 2;
        }

        Console.WriteLine(report.Format());
        return report.ErrorCount == 0 ? 0 : 1;
    }

    private static SoakOptions ParseArguments(IReadOnlyList<string> args)
    {
        var duration = TimeSpan.FromSeconds(60);
        int threads = 4, tokens = 1_000, slots = 64;
        string? store = null;
        var flush = true;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--duration":
                    duration = SoakDuration.Parse(Value(i++));
                    break;
                case "--threads":
                    threads = Count(Value(i++), "--threads");
                    break;
                case "--tokens":
                    tokens = Count(Value(i++), "--tokens");
                    break;
                case "--slots":
                    slots = Count(Value(i++), "--slots");
                    break;
                case "--store":
                    store = Value(i++);
                    break;
                case "--no-flush":
                    flush = false;
                    break;
                default:
                    throw new FormatException($"Unknown soak argument '{args[i]}'.");
            }
        }

        return new SoakOptions { Duration = duration, Threads = threads, SharedTokens = tokens, SlotsPerThread = slots, StorePath = store, FlushToDisk = flush };

        string Value(int at) => at + 1 < args.Count ? args[at + 1] : throw new FormatException($"'{args[at]}' needs a value.");

        static int Count(string text, string name) =>
            int.TryParse(text.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is > 0 and <= 1_000_000
                ? value
                : throw new FormatException($"{name} takes a whole number from 1 to 1,000,000, not '{text}'.");
    }
}
