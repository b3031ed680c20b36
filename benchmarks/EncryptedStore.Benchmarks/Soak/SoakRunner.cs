using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using EncryptedStore.Benchmarks.Baselines;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks.Soak;

/// <summary>
/// A bounded soak run: several threads on one store for a fixed time, mixing saves (insert and update),
/// lookups by id and by every blind index, deletes and the occasional <c>GetTokens</c>, while
/// <see cref="SoakMaintenance"/> rotates the keys, compacts the store and changes its master key. Each thread
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
            using var store = new SoakStore(path, BenchmarkKeys.Bytes(), options.FlushToDisk);
            var shared = DataSets.Tokens(options.SharedTokens);
            foreach (var batch in shared.Chunk(1_000))
            {
                store.Current.SaveTokens(batch.Select(TokenCopy.Clone));
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

            var loadAtStart = LoadAverage();
            var stopwatch = Stopwatch.StartNew();
            var maintenance = options.Maintenance ? new SoakMaintenance(store, options.Duration, stopwatch) : null;
            var maintenanceThread = new Thread(() => maintenance?.Run(stop.Token)) { IsBackground = true, Name = "soak-maintenance" };
            var series = new List<SoakMemorySample> { Sample(stopwatch, 0, 0) };
            threads.ForEach(t => t.Start());
            maintenanceThread.Start();
            stop.CancelAfter(options.Duration);
            var largestHeap = 0L;
            var nextProgress = options.ProgressInterval;
            while (!stop.Token.WaitHandle.WaitOne(HeapSampleInterval))
            {
                largestHeap = Math.Max(largestHeap, GC.GetTotalMemory(forceFullCollection: false));
                if (options.ProgressInterval > TimeSpan.Zero && stopwatch.Elapsed >= nextProgress)
                {
                    nextProgress += options.ProgressInterval;
                    var sample = Sample(stopwatch, workers.Sum(w => Enum.GetValues<SoakOperation>().Sum(w.Count)), errors.Count);
                    series.Add(sample);
                    progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                        $"{sample.At.TotalSeconds,6:F0} s  {sample.Operations,10:N0} ops  {sample.Errors:N0} errors  working set {Mib(sample.WorkingSet)} MiB  managed heap {Mib(sample.ManagedHeap)} MiB"));
                }
            }

            threads.ForEach(t => t.Join());
            maintenanceThread.Join();
            var elapsed = stopwatch.Elapsed;
            largestHeap = Math.Max(largestHeap, GC.GetTotalMemory(forceFullCollection: false));
            series.Add(Sample(stopwatch, workers.Sum(w => Enum.GetValues<SoakOperation>().Sum(w.Count)), errors.Count));
            if (maintenance is not null)
            {
                // Closed and reopened with the master key in force: everything written must still read back.
                maintenance.Finish();
                workers.ForEach(w => w.FinalCheck());
            }

            foreach (var (worker, i) in workers.Select((w, i) => (w, i)))
            {
                if (worker.Failure is { } failure)
                {
                    errors.Add("SOAK_FAILURE", $"thread {i} stopped: {failure.GetType().Name} {failure.Message}");
                }
            }

            var events = maintenance?.Events ?? [];
            foreach (var failed in events.Where(e => e.Failed))
            {
                errors.Add("MAINTENANCE", $"{failed.Name}: {failed.Outcome}");
            }

            var tokensAtEnd = store.Current.GetTokens().Count;
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
                Events = events,
                MemorySeries = series,
                LoadAtStart = loadAtStart,
                LoadAtEnd = LoadAverage(),
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

    /// <summary>A memory sample; the managed heap after a full collection, so the series shows what stays alive.</summary>
    private static SoakMemorySample Sample(Stopwatch clock, long operations, long errors)
    {
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return new SoakMemorySample(clock.Elapsed, operations, errors, process.WorkingSet64, heap);
    }

    /// <summary>The 1, 5 and 15 minute load averages (Linux), or null.</summary>
    private static string? LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);

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
            Console.Error.WriteLine("Usage: soak [--duration 60s|5m|1h | --minutes 60] [--threads 4] [--tokens 1000] [--slots 64] [--store path] [--no-flush] [--no-maintenance] [--progress 10s] [--report file.md]");
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
        if (options.ReportFile is { } reportFile)
        {
            File.WriteAllText(reportFile, SoakMarkdown.Write(report, string.Join(' ', args)));
            Console.WriteLine($"Report written to {reportFile}");
        }

        return report.ErrorCount == 0 ? 0 : 1;
    }

    private static SoakOptions ParseArguments(IReadOnlyList<string> args)
    {
        var duration = TimeSpan.FromSeconds(60);
        int threads = 4, tokens = 1_000, slots = 64;
        string? store = null, report = null;
        var flush = true;
        var maintenance = true;
        TimeSpan? progress = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--duration":
                    duration = SoakDuration.Parse(Value(i++));
                    break;
                case "--minutes":
                    duration = SoakDuration.Parse(Value(i++) + "m");
                    break;
                case "--progress":
                    progress = SoakDuration.Parse(Value(i++));
                    break;
                case "--report":
                    report = Path.GetFullPath(Value(i++));
                    break;
                case "--no-maintenance":
                    maintenance = false;
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

        return new SoakOptions
        {
            Duration = duration,
            Threads = threads,
            SharedTokens = tokens,
            SlotsPerThread = slots,
            StorePath = store,
            FlushToDisk = flush,
            Maintenance = maintenance,
            // A sample a minute for long runs, every 10 seconds for short ones.
            ProgressInterval = progress ?? (duration >= TimeSpan.FromMinutes(10) ? TimeSpan.FromMinutes(1) : TimeSpan.FromSeconds(10)),
            ReportFile = report,
        };

        string Value(int at) => at + 1 < args.Count ? args[at + 1] : throw new FormatException($"'{args[at]}' needs a value.");

        static int Count(string text, string name) =>
            int.TryParse(text.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is > 0 and <= 1_000_000
                ? value
                : throw new FormatException($"{name} takes a whole number from 1 to 1,000,000, not '{text}'.");
    }
}
