using System.Diagnostics;
using System.Globalization;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Faults;

/// <summary>
/// SQLite-style fault injection over every operation that writes: a counting pass learns how many I/O calls the
/// operation makes on the store's files (its I/O points); then, for each point N and each fault (a disk that fills at
/// the Nth write and stays full, EIO once at the Nth read, write or sync, a failed fsync), a fresh copy of a prepared
/// store runs the operation with the fault armed. After each run: the call returned or threw a
/// <see cref="TokenStoreException"/> with the fault's code (<c>STORAGE_FULL</c> for a full disk, <c>IO_ERROR</c>
/// otherwise); every acknowledged save is read back with its exact values and no read returns a value never
/// acknowledged (a failed call's change may be there or not, but once read it stays); the same instance, without
/// reopening, saves and finds a new token and <see cref="EncryptedTokenStore.Verify"/> is clean; then again after
/// a reopen. Beyond <see cref="DefaultMaxPoints"/> points per fault the points are sampled evenly, first and last
/// included (printed as "points run").
/// </summary>
[Category("Slow")]
[NonParallelizable]
public class IoFaultSweepTests
{
    private const int DefaultMaxPoints = 120;
    private const int PreparedTokens = 6;
    private static readonly List<string> s_rows = [];

    private TempDirectory _root = null!;
    private string _template = null!;
    private List<OAuthToken> _tokens = null!;
    private int _runs;

    private static IEnumerable<SweepOperation> Operations =>
    [
        new("journaled save (update by id)", ClosedStore: false,
            Prepare: run => run.Save(SweepRun.Updated(run.Tokens[0], "prepare")),
            Act: run => run.Save(SweepRun.Updated(run.Tokens[1], "act"))),
        new("insert (id given: a transaction)", ClosedStore: false,
            Prepare: _ => { },
            Act: run => run.Save(SweepRun.New("inserted"))),
        new("journaled insert (no id)", ClosedStore: false,
            Prepare: _ => { },
            Act: run => run.Save(SweepRun.New("journaled", withId: false))),
        new("delete", ClosedStore: false,
            Prepare: _ => { },
            Act: run => run.Delete(run.Tokens[2].Id!)),
        new("rotation (batches of 2)", ClosedStore: false,
            Prepare: _ => { },
            Act: run => run.OpenStore.RotateKeys(new KeyRotationOptions { BatchSize = 2 })),
        new("journal apply", ClosedStore: false,
            Prepare: run =>
            {
                run.Save(SweepRun.Updated(run.Tokens[0], "pending1"));
                run.Save(SweepRun.Updated(run.Tokens[3], "pending2"));
            },
            Act: run => run.OpenStore.Journal!.ApplyPendingOrThrow()),
        new("checkpoint", ClosedStore: false,
            Prepare: run =>
            {
                run.Save(SweepRun.New("logged1"));
                run.Delete(run.Tokens[5].Id!);
            },
            Act: run => run.OpenStore.BackingFile.Checkpoint()),
        new("compaction (closed store)", ClosedStore: true,
            Prepare: run =>
            {
                run.Delete(run.Tokens[5].Id!);
                run.Save(SweepRun.New("before-compaction"));
            },
            Act: run => EncryptedTokenStore.Compact(run.Path)),
        new("master-key change", ClosedStore: false,
            Prepare: _ => { },
            Act: ChangeMasterKey),
    ];

    [OneTimeSetUp]
    public void PrepareTemplate()
    {
        _root = new TempDirectory();
        _template = _root.File("template.db");
        _tokens = [];
        using var store = StoreFixture.Open(_template);
        for (var i = 0; i < PreparedTokens; i++)
        {
            var token = StoreFixture.Token($"user{i}@example.com");
            store.SaveToken(token);
            _tokens.Add(token);
        }
    }

    [OneTimeTearDown]
    public void PrintTable()
    {
        _root.Dispose();
        if (s_rows.Count > 0)
        {
            TestContext.Out.WriteLine(SweepTally.Header);
            foreach (var row in s_rows)
            {
                TestContext.Out.WriteLine(row);
            }
        }
    }

    private static IEnumerable<string> OperationNames => Operations.Select(o => o.Name);

    [TestCaseSource(nameof(OperationNames))]
    public void Operation_FaultAtEveryIoPoint_FailsCleanlyLosesNothingAndSameInstanceWorksOn(string name)
    {
        var operation = Operations.Single(o => o.Name == name);
        var maxPoints = TestContext.Parameters.Get("FaultSweepMaxPoints", DefaultMaxPoints);
        var tally = new SweepTally(operation.Name);
        var clock = Stopwatch.StartNew();
        foreach (var fault in InjectedFault.All)
        {
            var calls = CountIoCalls(operation, fault.Kinds);
            tally.IoPoints[fault.Name] = calls;
            var points = Sample(calls, maxPoints);
            tally.PointsRun[fault.Name] = points.Count;
            foreach (var failAt in points)
            {
                RunPoint(operation, fault, failAt, tally);
            }
        }

        var row = tally.Row();
        lock (s_rows)
        {
            s_rows.Add(row);
        }

        TestContext.Out.WriteLine(SweepTally.Header);
        TestContext.Out.WriteLine(row);
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{tally.Runs} runs in {clock.Elapsed.TotalSeconds:F1} s"));
        foreach (var violation in tally.Violations)
        {
            TestContext.Out.WriteLine(violation);
        }

        Assert.Multiple(() =>
        {
            Assert.That(tally.IoPoints.Values, Has.All.GreaterThan(0), "the operation makes I/O calls of every kind swept");
            Assert.That(tally.FailuresInjected, Is.GreaterThan(0), "faults were injected");
            Assert.That(tally.LostSaves, Is.Zero, "acknowledged saves lost");
            Assert.That(tally.WrongReads, Is.Zero, "wrong reads");
            Assert.That(tally.FailedAfter, Is.Zero, "calls that failed after the faulted one");
            Assert.That(tally.Violations, Is.Empty);
        });
    }

    /// <summary>The points to run: all of 1..<paramref name="calls"/>, or <paramref name="max"/> spread evenly over them, first and last included.</summary>
    private static List<long> Sample(long calls, int max)
    {
        if (calls <= max)
        {
            return [.. Enumerable.Range(1, (int)calls).Select(i => (long)i)];
        }

        return [.. Enumerable.Range(0, max).Select(i => 1 + (i * (calls - 1) / (max - 1))).Distinct()];
    }

    private static void ChangeMasterKey(SweepRun run)
    {
        run.PossibleKey = StoreFixture.OtherKey;
        using var newKey = MasterKey.FromBytes(StoreFixture.OtherKey);
        run.OpenStore.ChangeMasterKey(newKey);
        (run.Key, run.PossibleKey) = (StoreFixture.OtherKey, null);
    }

    /// <summary>Runs <paramref name="operation"/> once with a counting plan: its I/O calls of <paramref name="kinds"/>.</summary>
    private long CountIoCalls(SweepOperation operation, IoFaultKind kinds)
    {
        var run = Fresh(operation, out var directory);
        using (var scope = IoFaults.Arm(new IoFaultPlan(directory + "/", kinds, FailAt: 0, Errno: 0)))
        {
            operation.Act(run);
            var calls = scope.Calls;
            run.Store?.Dispose();
            return calls;
        }
    }

    /// <summary>A fresh copy of the prepared store, opened (journal applier paused, filter of unique values built) and prepared; closed again for a closed-store operation.</summary>
    private SweepRun Fresh(SweepOperation operation, out string directory)
    {
        directory = _root.File(string.Create(CultureInfo.InvariantCulture, $"run{++_runs}"));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "tokens.db");
        StoreFiles.CopyClosed(_template, path);
        var ledger = new TokenLedger();
        foreach (var token in _tokens)
        {
            ledger.Saved(token);
        }

        var run = new SweepRun(path, ledger, _tokens) { Store = StoreFixture.Open(path) };

        // Nothing runs in the background while the fault is armed: the I/O calls are the operation's, in the same order every run.
        run.Store.Journal!.Paused = true;
        run.Store.Journal.WaitForUniqueValues();
        operation.Prepare(run);
        if (operation.ClosedStore)
        {
            run.Store.Dispose();
            run.Store = null;
        }

        return run;
    }

    private void RunPoint(SweepOperation operation, InjectedFault fault, long failAt, SweepTally tally)
    {
        var run = Fresh(operation, out var directory);
        var where = string.Create(CultureInfo.InvariantCulture, $"{operation.Name}, {fault.Name} at I/O call {failAt}");
        tally.Runs++;
        Exception? failure = null;
        using (var scope = IoFaults.Arm(new IoFaultPlan(directory + "/", fault.Kinds, failAt, fault.Errno, fault.Sticky)))
        {
            try
            {
                operation.Act(run);
            }
            catch (Exception e) when (e is not AssertionException)
            {
                failure = e;
            }

            tally.FailuresInjected += scope.Failures;
            if (failure is not null && scope.Failures == 0)
            {
                tally.Violation($"{where}: failed with no fault injected: {failure}");
            }
        }

        Judge(failure, fault, where, tally);
        if (run.Store is { } store)
        {
            CheckAndUse(run, store, "same instance", where, tally);
            try
            {
                store.Dispose();
            }
            catch (Exception e) when (e is not AssertionException)
            {
                tally.Violation($"{where}: Dispose threw {e.GetType().Name}: {e.Message}");
            }
        }

        using var reopened = Reopen(run, where, tally);
        run.Store = reopened;
        if (reopened is not null)
        {
            CheckAndUse(run, reopened, "after reopening", where, tally);
            var leftovers = StoreFiles.Names(directory).Where(name => name.Contains(".compact", StringComparison.Ordinal)).ToList();
            if (leftovers.Count > 0)
            {
                tally.Violation($"{where}: left after the next open: {string.Join(", ", leftovers)}");
            }
        }

        tally.FailedCallsThatTookEffect += run.Ledger.FailedCallsThatTookEffect;
    }

    /// <summary>The faulted call: returned, or a <see cref="TokenStoreException"/> with the fault's code and no secret in its message.</summary>
    private static void Judge(Exception? failure, InjectedFault fault, string where, SweepTally tally)
    {
        if (failure is null)
        {
            return;
        }

        tally.CallsFailed++;
        if (failure is not TokenStoreException stored)
        {
            tally.Codes[failure.GetType().Name] = tally.Codes.GetValueOrDefault(failure.GetType().Name) + 1;
            tally.Violation($"{where}: {failure.GetType().Name} left the library: {failure.Message}");
            return;
        }

        tally.Codes[stored.Code] = tally.Codes.GetValueOrDefault(stored.Code) + 1;
        if (stored.Code != fault.ExpectedCode)
        {
            tally.Violation($"{where}: code {stored.Code}, expected {fault.ExpectedCode}: {stored.Message}");
        }

        if (stored.Message.Contains("1000.access.", StringComparison.Ordinal) || stored.Message.Contains("secret-", StringComparison.Ordinal))
        {
            tally.Violation($"{where}: a token value in the message");
        }
    }

    /// <summary>Reads everything back against the ledger, then saves and finds a new token and verifies.</summary>
    private static void CheckAndUse(SweepRun run, EncryptedTokenStore store, string when, string where, SweepTally tally)
    {
        try
        {
            var check = run.Ledger.Check(store);
            tally.LostSaves += check.Lost;
            tally.WrongReads += check.WrongReads;
            tally.FailedAfter += check.FailedReads;
            foreach (var problem in check.Problems)
            {
                tally.Violation($"{where}, {when}: {problem}");
            }
        }
        catch (Exception e) when (e is not AssertionException)
        {
            tally.FailedAfter++;
            tally.Violation($"{where}, {when}: reading back threw {Describe(e)}");
            return;
        }

        try
        {
            var token = SweepRun.New(when == "same instance" ? "after-fault" : "after-reopen");
            run.Save(token);
            if (store.TryFindTokenById(token.Id!) is null)
            {
                tally.WrongReads++;
                tally.Violation($"{where}, {when}: the new token is not found");
            }

            var problems = store.Verify().Problems;
            if (problems.Count > 0)
            {
                tally.Violation($"{where}, {when}: Verify: {string.Join("; ", problems)}");
            }
        }
        catch (Exception e) when (e is not AssertionException)
        {
            tally.FailedAfter++;
            tally.Violation($"{where}, {when}: a call after the fault threw {Describe(e)}");
        }
    }

    /// <summary>Opens the store again with the key in force; after a failed master-key change, with either key.</summary>
    private static EncryptedTokenStore? Reopen(SweepRun run, string where, SweepTally tally)
    {
        try
        {
            try
            {
                return StoreFixture.Open(run.Path, run.Key);
            }
            catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.WrongKey && run.PossibleKey is { } other)
            {
                var store = StoreFixture.Open(run.Path, other);
                (run.Key, run.PossibleKey) = (other, null);
                tally.FailedCallsThatTookEffect++;
                return store;
            }
        }
        catch (Exception e) when (e is not AssertionException)
        {
            tally.FailedAfter++;
            tally.Violation($"{where}: reopening threw {Describe(e)}");
            return null;
        }
    }

    private static string Describe(Exception e) =>
        e is TokenStoreException stored ? $"{stored.Code}: {stored.Message}" : $"{e.GetType().Name}: {e.Message}";
}
