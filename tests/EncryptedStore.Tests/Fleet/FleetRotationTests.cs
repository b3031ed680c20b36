using System.Globalization;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// Key rotation on a database store shared by processes (TestHost <c>fleet-rotate</c> and <c>fleet-mix</c>): a rotation
/// runs online while three other processes read and save, without a failed call; a second <c>RotateKeys</c> in another
/// process meanwhile does not rewrite records at the same time (the lease: it waits, or resumes once the first is done).
/// A killed rotation: <see cref="KilledRotationTests"/>.
/// </summary>
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
[NonParallelizable]
[Category("Slow")]
public sealed class FleetRotationTests(StoreKind kind)
{
    private const int Tokens = 1000;

    private FleetTables _tables = null!;
    private TempDirectory _dir = null!;
    private List<OAuthToken> _tokens = null!;

    private static string Key => Convert.ToHexString(StoreFixture.Key);

    [SetUp]
    public void SetUp()
    {
        _tables = new FleetTables(kind);
        _dir = new TempDirectory();
        _tokens = RotationStore.Fill(_tables, Tokens);
    }

    [TearDown]
    public void TearDown()
    {
        _tables?.Dispose();
        _dir?.Dispose();
    }

    [Test]
    [CancelAfter(180_000)]
    public void RotateKeys_WhileThreeProcessesWorkAndASecondRotateKeysStarts_NoFailedCallOneRotatorAtATime()
    {
        var journals = Enumerable.Range(0, 3).Select(p => _dir.File($"journal-{p}.txt")).ToList();
        var workers = Enumerable.Range(0, 3).Select(p => ChildProcess.StartTestHost("fleet-mix", _tables.Spec, Key, "12", Text(p), "2", journals[p], "mixed")).ToList();
        var rotators = new List<ChildProcess>();
        try
        {
            workers.ForEach(w => Assert.That(w.WaitForLine("opened"), Is.Not.Null, w.StandardError));
            rotators.Add(ChildProcess.StartTestHost("fleet-rotate", _tables.Spec, Key, "10"));
            var first = rotators[0].WaitForLine("progress");
            Assert.That(first, Is.Not.Null, rotators[0].StandardError);
            rotators.Add(ChildProcess.StartTestHost("fleet-rotate", _tables.Spec, Key, "10"));

            var output = rotators.Select((r, i) => (i == 0 ? [first!] : new List<string>()).Concat(Lines(r)).ToList()).ToList();
            var rewrites = output.Select(RewriteTimes).ToList();
            var ends = output.Select(lines => lines.LastOrDefault(l => !l.StartsWith("progress", StringComparison.Ordinal)) ?? "(nothing)").ToList();
            var exitCodes = workers.Concat(rotators).Select(c => c.WaitForExit()).ToList();
            var stderr = string.Concat(workers.Concat(rotators).Select(c => c.StandardError));
            var calls = journals.SelectMany(File.ReadLines).ToList();
            var failed = calls.Where(l => l.Contains(" error:", StringComparison.Ordinal)).ToList();
            var longest = calls.Max(l => l.Split(' ') is var parts ? long.Parse(parts[4], CultureInfo.InvariantCulture) - long.Parse(parts[3], CultureInfo.InvariantCulture) : 0);
            TestContext.Out.WriteLine($"{kind}: {calls.Count} calls of the three workers during the rotation, the longest {longest * 1000 / System.Diagnostics.Stopwatch.Frequency} ms; "
                + $"rotators: {string.Join("; ", ends)}; batches rewritten: {string.Join(", ", rewrites.Select(r => r.Count))}");
            Assert.Multiple(() =>
            {
                Assert.That(exitCodes, Is.All.Zero, stderr);
                Assert.That(failed, Is.Empty, "calls that failed during the rotation; the first in full: " + stderr);
                Assert.That(ends, Is.All.StartsWith("done"), "both RotateKeys calls returned");
                Assert.That(rewrites[0], Is.Not.Empty, "the first rotator rewrote records");
                Assert.That(Overlap(rewrites[0], rewrites[1]), Is.False, "two processes rewrote records at the same time");

                // No worker touches the rotation's tokens: the first rotator, holding the lease, rewrites all of them,
                // unless another instance (the second one's opener resuming in the background) rewrote some meanwhile.
                Assert.That(ends[0].StartsWith("done", StringComparison.Ordinal) ? int.Parse(ends[0].Split(' ')[2], CultureInfo.InvariantCulture) : 0, Is.GreaterThanOrEqualTo(Tokens), "records the first rotator rewrote");
            });
        }
        finally
        {
            workers.Concat(rotators).ToList().ForEach(c => c.Dispose());
        }

        RotationStore.AssertRotatedAndReadable(_tables, _tokens);
    }

    /// <summary>The monotonic timestamps of the progress lines after which the rotator had rewritten more records.</summary>
    private static List<long> RewriteTimes(List<string> lines)
    {
        var times = new List<long>();
        var rewritten = 0;
        foreach (var line in lines.Where(l => l.StartsWith("progress", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ');
            var now = int.Parse(parts[2], CultureInfo.InvariantCulture);
            if (now > rewritten)
            {
                times.Add(long.Parse(parts[3], CultureInfo.InvariantCulture));
                rewritten = now;
            }
        }

        return times;
    }

    /// <summary>Every line the child prints until it exits.</summary>
    private static IEnumerable<string> Lines(ChildProcess child)
    {
        while (child.WaitForLine(string.Empty, TimeSpan.FromSeconds(120)) is { } line)
        {
            yield return line;
        }
    }

    private static bool Overlap(List<long> a, List<long> b) =>
        a.Count > 0 && b.Count > 0 && a[0] < b[^1] && b[0] < a[^1];

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
