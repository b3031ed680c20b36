using System.Diagnostics;
using System.Globalization;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Benchmarks.Infrastructure;
using EncryptedStore.Storage;

namespace EncryptedStore.Benchmarks.Huge;

/// <summary>
/// <c>huge &lt;size&gt;</c>: opens a store of <c>size</c> tokens (built once into the store cache, like the
/// benchmarks' stores) in a fresh child process, so building it does not pollute the memory figures, and
/// reports the open time, the managed heap and the process's peak working set after opening, and the
/// latency of a few lookups. The child runs on a 1,000-token store first, as the reference. Prints
/// counts, sizes, times and record ids only, never a token value.
/// </summary>
internal static class HugeStoreCheck
{
    /// <summary>The command line of the child: <c>huge-open &lt;store&gt; &lt;sample file&gt; &lt;size&gt;</c>.</summary>
    public const string ChildCommand = "huge-open";

    private const int ReferenceSize = 1_000;
    private const int SampleCount = 8;

    public static int Run(int size)
    {
        Console.WriteLine($"Cache folder: {StoreCache.Folder}");
        using var workspace = new StoreWorkspace();
        var exitCode = 0;
        foreach (var storeSize in size == ReferenceSize ? [size] : new[] { ReferenceSize, size })
        {
            var stopwatch = Stopwatch.StartNew();
            var cached = StoreCache.GetOrBuild(StoreKind.Encrypted, storeSize, out var buildTime);
            Console.WriteLine(buildTime is { } built
                ? $"{storeSize:N0} tokens: built in {built.TotalSeconds:F0} s ({storeSize / built.TotalSeconds:N0} tokens/s), {Mib(new FileInfo(cached).Length)} MiB"
                : $"{storeSize:N0} tokens: cached store ({Mib(new FileInfo(cached).Length)} MiB), checked in {stopwatch.Elapsed.TotalSeconds:F1} s");

            // The child works on a copy (opening may checkpoint; the cache stays untouched) and gets the
            // sampled tokens in a file of the workspace, not on its command line.
            var copy = workspace.CopyOf(StoreKind.Encrypted, storeSize);
            var sampleFile = Path.Combine(workspace.Folder, $"sample-{storeSize}.txt");
            WriteSample(sampleFile, storeSize);
            exitCode |= RunChild(copy, sampleFile, storeSize);
        }

        return exitCode;
    }

    /// <summary>The child: opens the store and measures; no data set is generated in this process.</summary>
    public static int Open(string path, string sampleFile, int size)
    {
        var sample = File.ReadAllLines(sampleFile).Select(SampleToken.Parse).ToList();
        File.Delete(sampleFile);

        // Warm the code paths (JIT, Data Protection, LiteDB statics) on a throwaway in-memory store, so the
        // figures below are about the file, not about first-call costs that any store pays.
        using (var warm = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = EncryptedTokenStoreOptions.InMemory }))
        {
            warm.SaveToken(new OAuthToken { UserSignature = new UserSignature("warm@example.com"), ClientId = "1000.WARM", AccessToken = "1000.warm" });
            _ = warm.FindToken(new OAuthToken { UserSignature = new UserSignature("warm@example.com"), ClientId = "1000.WARM" });
        }

        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var threadAllocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var totalAllocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        using var store = new EncryptedTokenStore(BenchmarkKeys.Options(path));
        var openTime = stopwatch.Elapsed;
        var threadAllocated = GC.GetAllocatedBytesForCurrentThread() - threadAllocatedBefore;
        var totalAllocated = GC.GetTotalAllocatedBytes(precise: true) - totalAllocatedBefore;
        var cachedAfterOpen = store.CachedTokenCount;
        var heapAfterOpen = GC.GetTotalMemory(forceFullCollection: true);

        var byIdCold = new List<double>();
        var byIdWarm = new List<double>();
        var byUser = new List<double>();
        var byAccess = new List<double>();
        var wrong = 0;
        foreach (var expected in sample)
        {
            stopwatch.Restart();
            var found = (OAuthToken)store.FindTokenById(expected.Id);
            byIdCold.Add(stopwatch.Elapsed.TotalMicroseconds);
            wrong += found.AccessToken == expected.AccessToken ? 0 : 1;

            stopwatch.Restart();
            found = (OAuthToken)store.FindTokenById(expected.Id);
            byIdWarm.Add(stopwatch.Elapsed.TotalMicroseconds);
            wrong += found.AccessToken == expected.AccessToken ? 0 : 1;
        }

        // Lookups by blind index on records not read yet: a fresh store, so the cache cannot answer.
        store.Dispose();
        using var fresh = new EncryptedTokenStore(BenchmarkKeys.Options(path));
        foreach (var expected in sample)
        {
            stopwatch.Restart();
            var byUserName = fresh.FindToken(new OAuthToken { UserSignature = new UserSignature(expected.User), ClientId = expected.ClientId });
            byUser.Add(stopwatch.Elapsed.TotalMicroseconds);
            wrong += (byUserName as OAuthToken)?.Id == expected.Id ? 0 : 1;
        }

        fresh.Dispose();
        using var third = new EncryptedTokenStore(BenchmarkKeys.Options(path));
        foreach (var expected in sample)
        {
            stopwatch.Restart();
            var byAccessToken = third.FindToken(new OAuthToken { AccessToken = expected.AccessToken });
            byAccess.Add(stopwatch.Elapsed.TotalMicroseconds);
            wrong += (byAccessToken as OAuthToken)?.Id == expected.Id ? 0 : 1;
        }

        var heapAfterLookups = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        var peakWorkingSet = process.PeakWorkingSet64;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
              store                     {size:N0} tokens, {Mib(new FileInfo(path).Length)} MiB
              open                      {openTime.TotalMilliseconds:F1} ms; allocated {Kib(threadAllocated)} KiB on the opening thread, {Kib(totalAllocated)} KiB in all threads; cached tokens after open: {cachedAfterOpen}
              managed heap              {Mib(heapBefore)} MiB before open, {Mib(heapAfterOpen)} MiB after open, {Mib(heapAfterLookups)} MiB after the lookups
              peak working set          {Mib(peakWorkingSet)} MiB (whole process)
              FindTokenById, first      {Summary(byIdCold)}
              FindTokenById, again      {Summary(byIdWarm)}
              FindToken user+client     {Summary(byUser)} (first call on a newly opened store)
              FindToken access token    {Summary(byAccess)} (first call on a newly opened store)
              wrong answers             {wrong}
            """));
        return wrong == 0 && cachedAfterOpen == 0 ? 0 : 1;
    }

    internal static void WriteSample(string file, int size)
    {
        var tokens = DataSets.Tokens(size);
        var lines = new List<string>(SampleCount);
        for (var i = 0; i < SampleCount; i++)
        {
            // Spread over the whole store, the last record included.
            var token = tokens[(int)((long)(size - 1) * i / (SampleCount - 1))];
            lines.Add(new SampleToken(token.Id!, token.UserSignature!.Name, token.ClientId!, token.AccessToken!).ToLine());
        }

        File.WriteAllLines(file, lines);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static int RunChild(string path, string sampleFile, int size)
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("Unknown process path.");
        var start = new ProcessStartInfo(processPath) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(HugeStoreCheck).Assembly.Location);
        }

        foreach (var arg in new[] { ChildCommand, path, sampleFile, size.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
        child.WaitForExit();
        File.Delete(StorePaths.LogPathFor(path));
        File.Delete(path);
        return child.ExitCode;
    }

    private static string Summary(List<double> microseconds)
    {
        var sorted = microseconds.Order().ToList();
        return string.Create(CultureInfo.InvariantCulture, $"median {sorted[sorted.Count / 2]:F0} µs, min {sorted[0]:F0} µs, max {sorted[^1]:F0} µs ({sorted.Count} calls)");
    }

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);

    private static string Kib(long bytes) => (bytes / 1024.0).ToString("F0", CultureInfo.InvariantCulture);
}
