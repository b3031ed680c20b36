using System.Diagnostics;
using System.Globalization;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// <c>Compact</c> reads the store in short queries: a real child process compacts 20,000 tokens (a 29 MiB file) under
/// a hard limit on its managed heap. One query over the whole collection kept every page it read until it ended, and
/// the child ran out of memory under any limit up to 80 MiB; the short queries need about 48 MiB.
/// </summary>
[Category("Slow")]
public sealed class CompactionMemoryTests
{
    private const int Tokens = 20_000;

    /// <summary>64 MiB for the child's whole managed heap, the runtime's own objects included.</summary>
    private const string HeapHardLimit = "0x4000000";

    private static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(5);

    [Test]
    public void Compact_StoreOf20000TokensUnderAHeapLimitOf64MiB_CompletesWithEveryToken()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var tokens = Enumerable.Range(0, Tokens).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        using (var store = StoreFixture.Open(path))
        {
            foreach (var chunk in tokens.Chunk(2_000))
            {
                store.SaveTokens(chunk);
            }
        }

        var (exitCode, output, errors) = CompactInChild(path);

        Assert.That(exitCode, Is.Zero, $"the child compacting under a {HeapHardLimit} heap limit failed: {errors}");
        using var reopened = StoreFixture.Open(path);
        var byId = reopened.GetTokens().ToDictionary(t => ((OAuthToken)t).Id!);
        Assert.Multiple(() =>
        {
            Assert.That(output, Does.Contain("done"));
            Assert.That(byId, Has.Count.EqualTo(Tokens));
            Assert.That(tokens.Count(t => !byId.TryGetValue(t.Id!, out var found) || !StoreFixture.Fields(found).SequenceEqual(StoreFixture.Fields(t))), Is.Zero, "tokens lost or changed");
            Assert.That(reopened.Verify().IsHealthy, Is.True);
            Assert.That(Directory.GetFiles(dir.Path, "*.compact*"), Is.Empty, "no temporary file left");
        });
    }

    /// <summary>TestHost's <c>compact</c> (as <see cref="ChildProcess"/> starts it), with the heap limit in its environment.</summary>
    private static (int ExitCode, string Output, string Errors) CompactInChild(string path)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "EncryptedStore.TestHost.dll"));
        start.ArgumentList.Add("compact");
        start.ArgumentList.Add(path);
        start.ArgumentList.Add(Convert.ToHexString(StoreFixture.Key));
        start.Environment["DOTNET_GCHeapHardLimit"] = HeapHardLimit;

        using var child = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var errors = child.StandardError.ReadToEndAsync();
        var output = child.StandardOutput.ReadToEndAsync();
        if (!child.WaitForExit(ChildTimeout))
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            Assert.Fail($"the compaction did not finish within {ChildTimeout.TotalMinutes.ToString(CultureInfo.InvariantCulture)} minutes");
        }

        child.WaitForExit();
        return (child.ExitCode, output.Result, errors.Result);
    }
}
