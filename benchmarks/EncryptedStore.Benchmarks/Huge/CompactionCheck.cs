using System.Diagnostics;
using System.Globalization;
using EncryptedStore.Benchmarks.Infrastructure;
using EncryptedStore.Storage;

namespace EncryptedStore.Benchmarks.Huge;

/// <summary>
/// <c>compact [sizes]</c>: compacts a copy of the cached store of each size (built once, like <c>huge</c>'s) in a fresh
/// child process and reports the wall time, the child's peak working set and largest managed heap while compacting,
/// the bytes it allocated, the file size before and after, the files left in the folder, and then opens the result
/// and checks its token count and a sample of tokens by id and by access token. A 1,000-token store goes first as
/// the reference. Prints counts, sizes, times and record ids only, never a token value.
/// </summary>
internal static class CompactionCheck
{
    /// <summary>The command line of the child: <c>compact-child &lt;store&gt; &lt;sample file&gt; &lt;size&gt;</c>.</summary>
    public const string ChildCommand = "compact-child";

    private const int ReferenceSize = 1_000;
    private static readonly TimeSpan HeapSampleInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>The <c>compact</c> command: <c>compact [sizes] [--report file.md]</c>.</summary>
    public static int Command(IReadOnlyList<string> args)
    {
        var reportAt = args.ToList().IndexOf("--report");
        var report = reportAt >= 0 && reportAt + 1 < args.Count ? Path.GetFullPath(args[reportAt + 1]) : null;
        var rest = args.Where((_, i) => reportAt < 0 || (i != reportAt && i != reportAt + 1)).ToList();
        int[] sizes = rest.Count > 0
            ? [.. rest[0].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture))]
            : [20_000, 1_000_000];
        return Run(sizes, report, "compact " + string.Join(' ', args));
    }

    public static int Run(IReadOnlyList<int> sizes, string? reportFile = null, string command = "compact")
    {
        Console.WriteLine($"Cache folder: {StoreCache.Folder}");
        using var workspace = new StoreWorkspace();
        var report = new CompactionReport(command);
        var exitCode = 0;
        foreach (var size in sizes.Contains(ReferenceSize) ? sizes : [ReferenceSize, .. sizes])
        {
            var stopwatch = Stopwatch.StartNew();
            var cached = StoreCache.GetOrBuild(StoreKind.Encrypted, size, out var buildTime);
            report.Line(buildTime is { } built
                ? $"{size:N0} tokens: built in {built.TotalSeconds:F0} s"
                : $"{size:N0} tokens: cached store, checked in {stopwatch.Elapsed.TotalSeconds:F1} s");

            // Each size in a folder of its own, so the files left beside the store are exactly the compaction's.
            var folder = Path.Combine(workspace.Folder, size.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(folder);
            var copy = Path.Combine(folder, "tokens.db");
            File.Copy(cached, copy);
            var sampleFile = Path.Combine(workspace.Folder, $"sample-{size}.txt");
            HugeStoreCheck.WriteSample(sampleFile, size);
            exitCode |= RunChild(copy, sampleFile, size, report);
            Directory.Delete(folder, recursive: true);
        }

        if (reportFile is not null)
        {
            File.WriteAllText(reportFile, report.ToMarkdown(exitCode));
            Console.WriteLine($"Report written to {reportFile}");
        }

        return exitCode;
    }

    /// <summary>The child: compacts, measures, then checks the result; no data set is generated in this process.</summary>
    public static int Compact(string path, string sampleFile, int size)
    {
        var sample = File.ReadAllLines(sampleFile).Select(SampleToken.Parse).ToList();
        File.Delete(sampleFile);
        var folder = Path.GetDirectoryName(path)!;
        var sizeBefore = new FileInfo(path).Length;
        var filesBefore = Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        using (var process = Process.GetCurrentProcess())
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  before                    working set {Mib(process.WorkingSet64)} MiB, managed heap {Mib(heapBefore)} MiB"));
        }

        var largestHeap = heapBefore;
        using var done = new ManualResetEventSlim();
        var sampler = new Thread(() =>
        {
            while (!done.Wait(HeapSampleInterval))
            {
                largestHeap = Math.Max(largestHeap, GC.GetTotalMemory(forceFullCollection: false));
            }
        }) { IsBackground = true };
        sampler.Start();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        EncryptedTokenStore.Compact(path);
        var took = stopwatch.Elapsed;
        done.Set();
        sampler.Join();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long peakWorkingSet;
        using (var process = Process.GetCurrentProcess())
        {
            peakWorkingSet = process.PeakWorkingSet64;
        }

        var sizeAfter = new FileInfo(path).Length;
        var filesAfter = Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        // The result: every token still counted, and the sample found by id and by blind index.
        var wrong = 0;
        int tokens;
        using (var store = new EncryptedTokenStore(BenchmarkKeys.Options(path)))
        {
            tokens = store.GetStatistics().TokenCount;
            foreach (var expected in sample)
            {
                wrong += ((OAuthToken)store.FindTokenById(expected.Id)).AccessToken == expected.AccessToken ? 0 : 1;
                wrong += (store.FindToken(new OAuthToken { AccessToken = expected.AccessToken }) as OAuthToken)?.Id == expected.Id ? 0 : 1;
            }

            wrong += store.FindToken(new OAuthToken { UserSignature = new UserSignature(sample[0].User), ClientId = sample[0].ClientId }) is OAuthToken { Id: var id } && id == sample[0].Id ? 0 : 1;
        }

        // One Markdown table row for the parent's report: size, time, file before and after, peak working set, largest heap, allocated, left behind, wrong.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {size:N0} | {took.TotalSeconds:F1} s | {Mib(sizeBefore)} MiB | {Mib(sizeAfter)} MiB | {Mib(peakWorkingSet)} MiB | {Mib(largestHeap)} MiB | {Mib(allocated)} MiB | {(filesAfter.Any(f => f!.Contains(".compact", StringComparison.Ordinal)) ? "**yes**" : "none")} | {tokens:N0} | {wrong} |"));
        var leftovers = filesAfter.Where(f => f != Path.GetFileName(path) && !filesBefore.Contains(f)).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
              compact                   {size:N0} tokens in {took.TotalSeconds:F1} s ({size / took.TotalSeconds:N0} tokens/s)
              file                      {Mib(sizeBefore)} MiB before, {Mib(sizeAfter)} MiB after
              peak working set          {Mib(peakWorkingSet)} MiB (whole process, since it started)
              managed heap              {Mib(largestHeap)} MiB the largest seen while compacting (sampled every {HeapSampleInterval.TotalMilliseconds:F0} ms); {Mib(allocated)} MiB allocated in all
              files beside the store    before: {string.Join(", ", filesBefore)}; after: {string.Join(", ", filesAfter)}; left by the compaction: {(leftovers.Count == 0 ? "none" : string.Join(", ", leftovers))}
              after                     {tokens:N0} tokens counted; {sample.Count} sampled tokens by id and by access token, one by user and client: {wrong} wrong
            """));
        return wrong == 0 && tokens == size && leftovers.Count == 0 ? 0 : 1;
    }

    private static int RunChild(string path, string sampleFile, int size, CompactionReport report)
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("Unknown process path.");
        var start = new ProcessStartInfo(processPath) { UseShellExecute = false, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(CompactionCheck).Assembly.Location);
        }

        foreach (var arg in new[] { ChildCommand, path, sampleFile, size.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
        while (child.StandardOutput.ReadLine() is { } line)
        {
            report.Line(line);
        }

        child.WaitForExit();
        File.Delete(StorePaths.LogPathFor(path));
        return child.ExitCode;
    }

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);
}
