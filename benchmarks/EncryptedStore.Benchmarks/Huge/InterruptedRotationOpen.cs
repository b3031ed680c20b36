using System.Diagnostics;
using System.Globalization;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks.Huge;

/// <summary>
/// <c>open-interrupted [size]</c>: how long opening a store takes when the file holds an interrupted key
/// rotation. Takes the cached store of <c>size</c> tokens (default 100,000; built once, like the
/// benchmarks' stores), copies it, starts <c>RotateKeys</c> (data and index keys) on the copy and cancels
/// it from the progress callback after the first batch, then checks with <c>GetStatistics</c> that
/// records sit under two data key versions. Then, in a fresh child process per run and on a fresh copy of
/// that interrupted file each time, times the constructor alone, the first <c>FindTokenById</c> (a record
/// the first batch did not reach), the time until one data key version and one index key version hold
/// every record (<c>GetStatistics</c> polled every 100 ms), and <c>Dispose</c>. One reference run opens
/// the same store without a rotation in progress; three runs on the interrupted file follow, then their
/// median and max. Prints the load average at the start and the end. Uses the store's public API only.
/// Prints counts, times and a record id, never a token value.
/// </summary>
internal static class InterruptedRotationOpen
{
    public const string Name = "open-interrupted";

    private const string ChildFlag = "--child";
    private const string ResultPrefix = "result ";
    private const int Runs = 3;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PollLimit = TimeSpan.FromHours(1);

    /// <summary><c>open-interrupted [size]</c>, or the child: <c>open-interrupted --child &lt;store&gt; &lt;sample file&gt;</c>.</summary>
    public static int Command(string[] args) => args switch
    {
        [ChildFlag, var path, var sampleFile] => Open(path, sampleFile),
        [] => Run(100_000),
        [var size, ..] => Run(int.Parse(size.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.AllowThousands, CultureInfo.InvariantCulture)),
    };

    private static int Run(int size)
    {
        Console.WriteLine($"load average at start: {LoadAverage()}");
        Console.WriteLine($"processors: {Environment.ProcessorCount}; cache folder: {StoreCache.Folder}");
        var stopwatch = Stopwatch.StartNew();
        var cached = StoreCache.GetOrBuild(StoreKind.Encrypted, size, out var buildTime);
        Console.WriteLine(buildTime is { } built
            ? Invariant($"{size:N0} tokens: built in {built.TotalSeconds:F0} s ({size / built.TotalSeconds:N0} tokens/s), {Mib(new FileInfo(cached).Length)} MiB")
            : Invariant($"{size:N0} tokens: cached store ({Mib(new FileInfo(cached).Length)} MiB), checked in {stopwatch.Elapsed.TotalSeconds:F1} s"));

        using var workspace = new StoreWorkspace();

        // The token the child looks up first: the largest id, so the first batch (ids in order) did not rewrite it.
        var sample = DataSets.Tokens(size).MaxBy(t => t.Id, StringComparer.Ordinal)!;
        var sampleFile = Path.Combine(workspace.Folder, "sample.txt");
        File.WriteAllText(sampleFile, new SampleToken(sample.Id!, sample.UserSignature!.Name, sample.ClientId!, sample.AccessToken!).ToLine());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(sampleFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // The interrupted store lives alone in its folder; each run copies the whole folder, so any file
        // the store keeps beside its data file (LiteDB log, save journal) goes with it.
        var interruptedFolder = Path.Combine(workspace.Folder, "interrupted");
        Directory.CreateDirectory(interruptedFolder);
        var interrupted = StoreCache.CopyTo(StoreKind.Encrypted, size, interruptedFolder);
        if (!Interrupt(interrupted))
        {
            return 1;
        }

        var exitCode = 0;
        var referenceFolder = Path.Combine(workspace.Folder, "reference");
        Directory.CreateDirectory(referenceFolder);
        Console.WriteLine("reference: the same store, no rotation in progress");
        exitCode |= RunChild(StoreCache.CopyTo(StoreKind.Encrypted, size, referenceFolder), sampleFile, out _);
        Directory.Delete(referenceFolder, recursive: true);

        var results = new List<ChildResult>();
        for (var run = 1; run <= Runs; run++)
        {
            var runFolder = Path.Combine(workspace.Folder, $"run-{run}");
            CopyFolder(interruptedFolder, runFolder);
            Console.WriteLine($"run {run} of {Runs}: interrupted rotation, fresh copy, fresh process");
            exitCode |= RunChild(Path.Combine(runFolder, Path.GetFileName(interrupted)), sampleFile, out var result);
            Directory.Delete(runFolder, recursive: true);
            if (result is not null)
            {
                results.Add(result);
            }
        }

        if (results.Count > 0)
        {
            Console.WriteLine($"summary over {results.Count} runs with an interrupted rotation of {size:N0} tokens:");
            Console.WriteLine($"  open (constructor)                    {Figures(results.Select(r => r.OpenMs))}");
            Console.WriteLine($"  first FindTokenById                   {Figures(results.Select(r => r.LookupMs))}");
            Console.WriteLine($"  rotation finished by (start of open)  {Figures(results.Select(r => r.FinishedMs))}");
            Console.WriteLine($"  Dispose                               {Figures(results.Select(r => r.DisposeMs))}");
        }

        Console.WriteLine($"load average at end: {LoadAverage()}");
        return results.Count == Runs ? exitCode : 1;
    }

    /// <summary>Starts a rotation of both keys on <paramref name="path"/> and cancels it after the first batch; true when the file then holds records under two data key versions.</summary>
    private static bool Interrupt(string path)
    {
        using var cancel = new CancellationTokenSource();
        KeyRotationProgress? first = null;
        var progress = new SynchronousProgress(p =>
        {
            first ??= p;
            cancel.Cancel();
        });

        var stopwatch = Stopwatch.StartNew();
        var store = new EncryptedTokenStore(BenchmarkKeys.Options(path));
        try
        {
            try
            {
                var result = store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true }, progress, cancel.Token);
                Console.WriteLine($"RotateKeys finished ({result.RecordsRewritten:N0} records) instead of being cancelled: no interrupted rotation to open.");
                return false;
            }
            catch (OperationCanceledException)
            {
            }

            var interruptTime = stopwatch.Elapsed;
            var statistics = store.GetStatistics();
            var dataKeys = statistics.Keys.Where(k => k.Purpose == StoreKeyPurpose.Data && k.RecordCount > 0).ToList();
            Console.WriteLine(Invariant(
                $"interrupted rotation: cancelled after the first progress report ({first?.RecordsRewritten:N0} of {first?.TotalRecords:N0} records rewritten) in {interruptTime.TotalSeconds:F1} s; {KeySummary(statistics)}"));
            if (dataKeys.Count != 2)
            {
                Console.WriteLine("The store does not hold records under two data key versions: the rotation was not interrupted half-way.");
                return false;
            }

            return true;
        }
        finally
        {
            store.Dispose();
        }
    }

    /// <summary>The child: opens the store and measures; nothing else runs in this process.</summary>
    private static int Open(string path, string sampleFile)
    {
        var expected = SampleToken.Parse(File.ReadAllLines(sampleFile)[0]);

        // Warm the code paths (JIT, Data Protection, LiteDB statics, rotation) on a throwaway in-memory
        // store, so the figures below are about the file, not about first-call costs any store pays.
        using (var warm = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = EncryptedTokenStoreOptions.InMemory }))
        {
            warm.SaveToken(new OAuthToken { UserSignature = new UserSignature("warm@example.com"), ClientId = "1000.WARM", AccessToken = "1000.warm" });
            _ = warm.FindToken(new OAuthToken { UserSignature = new UserSignature("warm@example.com"), ClientId = "1000.WARM" });
            _ = warm.RotateKeys(new KeyRotationOptions { RotateIndexKey = true });
            _ = warm.GetStatistics();
        }

        var options = BenchmarkKeys.Options(path);
        var stopwatch = Stopwatch.StartNew();
        var store = new EncryptedTokenStore(options);
        var open = stopwatch.Elapsed;

        var found = (OAuthToken)store.FindTokenById(expected.Id);
        var lookup = stopwatch.Elapsed - open;
        var wrong = found.AccessToken == expected.AccessToken ? 0 : 1;

        // Until one data key version and one index key version hold every record. GetStatistics reads
        // every record, so at 100,000 tokens one poll takes seconds: the finish lies between the start of
        // the last poll that saw the rotation unfinished and the end of the one that saw it finished.
        StoreStatistics? firstPoll = null;
        StoreStatistics statistics;
        var polls = 0;
        TimeSpan? unfinishedPollStart = null;
        TimeSpan pollStart;
        var finished = false;
        while (true)
        {
            pollStart = stopwatch.Elapsed;
            statistics = store.GetStatistics();
            polls++;
            firstPoll ??= statistics;
            if (IsFinished(statistics))
            {
                finished = true;
                break;
            }

            unfinishedPollStart = pollStart;

            if (stopwatch.Elapsed > PollLimit)
            {
                break;
            }

            Thread.Sleep(PollInterval);
        }

        var finishedAt = stopwatch.Elapsed;
        var disposeStart = stopwatch.Elapsed;
        store.Dispose();
        var dispose = stopwatch.Elapsed - disposeStart;

        Console.WriteLine(Invariant($"""
              store                  {statistics.TokenCount:N0} tokens, {Mib(statistics.FileSizeBytes)} MiB
              open (constructor)     {open.TotalMilliseconds:F1} ms
              first FindTokenById    {lookup.TotalMilliseconds:F1} ms (record {expected.Id}, {(wrong == 0 ? "right answer" : "WRONG ANSWER")})
              at the first poll      {KeySummary(firstPoll)}
              rotation finished      {(finished ? "" : "NOT ")}by {finishedAt.TotalMilliseconds:F0} ms from the start of open ({(finishedAt - open).TotalMilliseconds:F0} ms after open returned); {(unfinishedPollStart is { } notYet ? Invariant($"still running at {notYet.TotalMilliseconds:F0} ms") : "already finished at the first poll")}; {polls} polls, the last GetStatistics took {(finishedAt - pollStart).TotalMilliseconds:F0} ms
              at the end             {KeySummary(statistics)}
              Dispose                {dispose.TotalMilliseconds:F1} ms
            """));
        Console.WriteLine(Invariant(
            $"{ResultPrefix}{open.TotalMilliseconds:R} {lookup.TotalMilliseconds:R} {finishedAt.TotalMilliseconds:R} {dispose.TotalMilliseconds:R}"));
        return wrong == 0 && finished ? 0 : 1;
    }

    private static bool IsFinished(StoreStatistics statistics) =>
        statistics.Keys.Count(k => k.Purpose == StoreKeyPurpose.Data && k.RecordCount == statistics.TokenCount) == 1
        && statistics.Keys.Count(k => k.Purpose == StoreKeyPurpose.Index && k.RecordCount == statistics.TokenCount) == 1;

    private static string KeySummary(StoreStatistics statistics) =>
        string.Join("; ", new[] { StoreKeyPurpose.Data, StoreKeyPurpose.Index }.Select(purpose =>
            $"{purpose.ToString().ToLowerInvariant()} keys " + string.Join(", ", statistics.Keys
                .Where(k => k.Purpose == purpose)
                .Select(k => Invariant($"v{k.Version} {k.State.ToString().ToLowerInvariant()} {k.RecordCount:N0}")))));

    /// <summary>Runs the child on <paramref name="path"/>, echoes its output indented, and reads its result line.</summary>
    private static int RunChild(string path, string sampleFile, out ChildResult? result)
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("Unknown process path.");
        var start = new ProcessStartInfo(processPath) { UseShellExecute = false, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(InterruptedRotationOpen).Assembly.Location);
        }

        foreach (var arg in new[] { Name, ChildFlag, path, sampleFile })
        {
            start.ArgumentList.Add(arg);
        }

        result = null;
        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
        while (child.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith(ResultPrefix, StringComparison.Ordinal))
            {
                var figures = line[ResultPrefix.Length..].Split(' ').Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
                result = new ChildResult(figures[0], figures[1], figures[2], figures[3]);
            }
            else
            {
                Console.WriteLine(line);
            }
        }

        child.WaitForExit();
        return child.ExitCode;
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static string Figures(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToList();
        return Invariant($"median {sorted[sorted.Count / 2]:F1} ms, max {sorted[^1]:F1} ms (runs: {string.Join(", ", sorted.Select(m => m.ToString("F1", CultureInfo.InvariantCulture)))} ms)");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "(no /proc/loadavg)";

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record ChildResult(double OpenMs, double LookupMs, double FinishedMs, double DisposeMs);

    private sealed class SynchronousProgress(Action<KeyRotationProgress> report) : IProgress<KeyRotationProgress>
    {
        public void Report(KeyRotationProgress value) => report(value);
    }
}
