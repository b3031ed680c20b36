using System.Globalization;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// Several real processes on one store in shared mode (EncryptedStore.TestHost <c>shared-mix</c>). Each
/// user's record keeps one id, so it is a register: saves write a stamp, deletes clear it. From the
/// processes' journals (start and end of every call on the machine-wide monotonic clock) the test
/// checks that every read returned a value some write could have left at that moment, and that the
/// final state is the value of a write (or delete) that no later call superseded.
/// </summary>
[NonParallelizable]
[Category("Slow")]
public sealed class MultiProcessTests
{
    private const int Processes = 4;
    private const int ThreadsPerProcess = 4;
    private const int Users = 24;
    private const int Seconds = 30;
    private static readonly string[] Kinds = ["save", "delete", "id", "user", "access"];

    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    [CancelAfter(240_000)]
    public void FourProcessesFourThreads_ThirtySeconds_LastAcknowledgedWriteWinsAndNothingBreaks()
    {
        var path = _dir.File("shared.db");
        var keyHex = Convert.ToHexString(StoreFixture.Key);
        using (StoreFixture.Open(path))
        {
            // Created up front, so the processes start on an existing store.
        }

        var journals = Enumerable.Range(0, Processes).Select(p => _dir.File($"journal-{p}.txt")).ToList();
        // The last process only reads, so its cache stays warm: a cache blind to the others' writes would show.
        var children = Enumerable.Range(0, Processes)
            .Select(p => ChildProcess.StartTestHost("shared-mix", path, keyHex, Seconds.ToString(CultureInfo.InvariantCulture), p.ToString(CultureInfo.InvariantCulture),
                ThreadsPerProcess.ToString(CultureInfo.InvariantCulture), Users.ToString(CultureInfo.InvariantCulture), journals[p], p == Processes - 1 ? "reads-only" : "mixed"))
            .ToList();
        try
        {
            // A child prints "done" only after its threads have worked for Seconds, on top of starting up with
            // three other processes on maybe two cores: wait for the run itself plus the usual line timeout,
            // not the line timeout alone (which left a loaded machine only about half a minute of slack).
            var doneTimeout = TimeSpan.FromSeconds(Seconds) + ChildProcess.LineTimeout;
            foreach (var child in children)
            {
                Assert.That(child.WaitForLine("done", doneTimeout), Is.Not.Null, child.StandardError);
                Assert.That(child.WaitForExit(), Is.Zero, child.StandardError);
            }
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }

        var operations = journals.SelectMany(File.ReadLines).Select(Operation.Parse).ToList();
        using var store = StoreFixture.Open(path);
        var final = store.GetTokens().Cast<OAuthToken>().ToList();

        var errors = operations.Where(o => o.Result.StartsWith("error", StringComparison.Ordinal)).ToList();
        var violations = RegisterViolations(operations, final);
        var kinds = operations.GroupBy(o => o.Kind).ToDictionary(g => g.Key, g => g.Count());
        TestContext.Out.WriteLine($"{operations.Count} operations: {string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"))}; {final.Count} tokens at the end");
        Assert.Multiple(() =>
        {
            Assert.That(errors.Select(e => e.ToString()), Is.Empty, "unexpected exceptions");
            Assert.That(violations, Is.Empty, "reads or final values that no write could explain");
            Assert.That(Kinds, Is.SubsetOf(kinds.Keys), "every kind of call ran");
            Assert.That(final.Select(t => t.Id), Is.Unique, "duplicate records");
            Assert.That(final.Select(t => t.UserSignature!.Name), Is.Unique, "two records for one user");
            Assert.That(store.Verify().Problems, Is.Empty);
        });
    }

    /// <summary>
    /// For a read R of user u that returned v: some call W on u left v (a save of stamp v, or a delete or
    /// the initial state for none) with W.start &lt; R.end, and no call on u that ended before R started
    /// began after W ended (that call would have superseded W). The final state is a read after all calls.
    /// </summary>
    private static List<string> RegisterViolations(List<Operation> operations, List<OAuthToken> final)
    {
        var violations = new List<string>();
        foreach (var calls in operations.Where(o => o.Kind != "error").GroupBy(o => o.User))
        {
            var writes = calls.Where(o => o.Kind is "save" or "delete").OrderBy(o => o.End).ToList();
            var saves = writes.Where(w => w.Kind == "save").ToDictionary(w => w.Stamp);
            var deletes = writes.Where(w => w.Kind == "delete").ToList();
            var endsOrdered = writes.Select(w => w.End).ToArray();
            var latestStartEndedBy = new long[writes.Count];
            for (var i = 0; i < writes.Count; i++)
            {
                latestStartEndedBy[i] = Math.Max(i > 0 ? latestStartEndedBy[i - 1] : long.MinValue, writes[i].Start);
            }

            // Latest start among the writes that ended before `time`; MinValue when none did.
            long LatestStartBefore(long time)
            {
                var index = Array.BinarySearch(endsOrdered, time);
                var count = index >= 0 ? index : ~index;
                while (count > 0 && endsOrdered[count - 1] >= time)
                {
                    count--;
                }

                return count == 0 ? long.MinValue : latestStartEndedBy[count - 1];
            }

            bool Explains(string value, long readStart, long readEnd)
            {
                var bound = LatestStartBefore(readStart);
                if (value == "none")
                {
                    return bound == long.MinValue || deletes.Any(d => d.Start < readEnd && d.End >= bound);
                }

                return saves.TryGetValue(value, out var save) && save.Start < readEnd && save.End >= bound;
            }

            foreach (var read in calls.Where(o => o.Kind is "id" or "user" or "access"))
            {
                if (read.Kind == "access" && read.Result != "none" && read.Result != read.Stamp)
                {
                    violations.Add($"{read}: found another stamp by access token");
                }
                else if (!(read.Kind == "access" && read.Result == "none") && !Explains(read.Result, read.Start, read.End))
                {
                    violations.Add($"{read}: no write explains this value");
                }
            }

            var user = calls.Key;
            var stored = final.SingleOrDefault(t => t.UserSignature?.Name == $"user{user}@example.com");
            var finalValue = stored is null ? "none" : stored.AccessToken!["1000.access.".Length..];
            if (!Explains(finalValue, long.MaxValue, long.MaxValue))
            {
                violations.Add($"user {user}: final value {finalValue} is not the last write's");
            }
        }

        return violations;
    }

    private sealed record Operation(string Kind, int User, string Stamp, long Start, long End, string Result)
    {
        public static Operation Parse(string line)
        {
            var parts = line.Split(' ');
            return new Operation(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), parts[2],
                long.Parse(parts[3], CultureInfo.InvariantCulture), long.Parse(parts[4], CultureInfo.InvariantCulture), parts[5]);
        }

        public override string ToString() => $"{Kind} user{User} {Stamp} -> {Result}";
    }
}
