using System.Globalization;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// A writer process (TestHost <c>fleet-batches</c>: five tokens per <c>SaveTokens</c> transaction) killed with SIGKILL at
/// 20 seeded moments, often inside a transaction, while this process keeps its own instance of the same database store
/// open and reads from a second thread. After each kill: every batch acknowledged before it is there, no batch is half
/// written (a group's five tokens carry one sequence number), the survivor keeps working; at the end Verify is clean
/// and a fresh instance opens and works.
/// </summary>
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
[NonParallelizable]
[Category("Slow")]
public sealed class FleetCrashTests(StoreKind kind)
{
    private const int Kills = 20;

    /// <summary>As TestHost's <c>FleetBatches</c> writes them.</summary>
    private const int Groups = 10;

    private const int Size = 5;
    private const string ClientId = "1000.FLEETCRASH";

    private FleetTables _tables = null!;

    [SetUp]
    public void SetUp() => _tables = new FleetTables(kind);

    [TearDown]
    public void TearDown() => _tables?.Dispose();

    [Test]
    [CancelAfter(300_000)]
    public void Writer_Killed20TimesInsideTransactions_AcknowledgedBatchesWholeAndStoreWorks()
    {
        var random = new Random(13);
        var lastAcknowledged = new Dictionary<int, int>();
        var next = 0;
        var killsWithUnacknowledgedWork = 0;
        using var survivor = _tables.Open();
        var own = StoreFixture.Token("survivor@example.com", "1000.SURVIVOR");
        survivor.SaveToken(own);

        using var stop = new CancellationTokenSource();
        long reads = 0;
        var readerErrors = new List<string>();
        var reader = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (survivor.FindTokenById(own.Id!) is not OAuthToken { AccessToken: var access } || access != own.AccessToken)
                    {
                        Add(readerErrors, "wrong token");
                    }

                    _ = survivor.FindToken(new OAuthToken { UserSignature = new UserSignature($"crash.g{Interlocked.Increment(ref reads) % Groups}.0@example.com"), ClientId = ClientId });
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Add(readerErrors, e is TokenStoreException t ? $"{t.Code}: {t.Message}" : e.ToString());
                }
            }
        });
        reader.Start();
        try
        {
            for (var kill = 0; kill < Kills; kill++)
            {
                List<int> acknowledged;
                var start = next;
                using (var child = ChildProcess.StartTestHost("fleet-batches", _tables.Spec, Convert.ToHexString(StoreFixture.Key), start.ToString(CultureInfo.InvariantCulture)))
                {
                    Assert.That(child.WaitForLine("opened"), Is.Not.Null, child.StandardError);
                    acknowledged = child.AcknowledgedUntilKilled(random);
                }

                acknowledged.ForEach(sequence => lastAcknowledged[sequence % Groups] = sequence);
                var groups = SequencesByGroup(survivor);
                next = Math.Max(next, groups.Values.DefaultIfEmpty(-1).Max() + 1);
                if (groups.Values.Any(sequence => sequence >= start && !acknowledged.Contains(sequence)))
                {
                    // The batch the kill interrupted was committed but not acknowledged: allowed, and counted.
                    killsWithUnacknowledgedWork++;
                }

                var mine = StoreFixture.Token($"survivor{kill}@example.com", "1000.SURVIVOR");
                survivor.SaveToken(mine);
                Assert.Multiple(() =>
                {
                    foreach (var (group, sequence) in lastAcknowledged)
                    {
                        Assert.That(groups.TryGetValue(group, out var stored), Is.True, $"kill {kill}: group {group} lost");
                        Assert.That(stored, Is.GreaterThanOrEqualTo(sequence), $"kill {kill}: group {group} lost acknowledged batch {sequence}");
                    }

                    Assert.That(StoreFixture.Fields(survivor.FindTokenById(mine.Id!)), Is.EqualTo(StoreFixture.Fields(mine)), $"kill {kill}: the survivor's own save");
                    if (kill % 5 == 4)
                    {
                        Assert.That(survivor.Verify().Problems, Is.Empty, $"kill {kill}");
                    }
                });
            }
        }
        finally
        {
            stop.Cancel();
            reader.Join();
        }

        using var fresh = _tables.Open();
        var stored = fresh.GetTokens().Cast<OAuthToken>().ToList();
        var last = StoreFixture.Token("after@example.com", "1000.SURVIVOR");
        fresh.SaveToken(last);
        TestContext.Out.WriteLine($"{kind}: {Kills} kills, {lastAcknowledged.Count} groups written, {killsWithUnacknowledgedWork} kills after a commit before its ack; "
            + $"the survivor's reader answered {Interlocked.Read(ref reads)} lookups meanwhile");
        Assert.Multiple(() =>
        {
            Assert.That(readerErrors, Is.Empty, "errors in the survivor's reader thread");
            Assert.That(lastAcknowledged, Is.Not.Empty);
            Assert.That(fresh.Verify().Problems, Is.Empty);
            Assert.That(stored.Select(t => t.UserSignature!.Name), Is.Unique, "duplicate records");
            Assert.That(SequencesByGroup(fresh).Keys, Is.SupersetOf(lastAcknowledged.Keys), "every group written is there, whole");
            Assert.That(StoreFixture.Fields(fresh.FindTokenById(last.Id!)), Is.EqualTo(StoreFixture.Fields(last)));
            Assert.That(survivor.GetTokens(), Has.Count.EqualTo(stored.Count + 1), "the survivor sees the fresh instance's save");
        });
    }

    private static void Add(List<string> errors, string error)
    {
        lock (errors)
        {
            errors.Add(error);
        }
    }

    /// <summary>
    /// The sequence number each group's tokens carry, asserting that all five carry the same one (a batch is written
    /// whole or not at all).
    /// </summary>
    private static Dictionary<int, int> SequencesByGroup(EncryptedTokenStore store)
    {
        var groups = new Dictionary<int, int>();
        var tokens = store.GetTokens().Cast<OAuthToken>().Where(t => t.ClientId == ClientId).ToList();
        foreach (var group in tokens.GroupBy(t => int.Parse(t.UserSignature!.Name.Split('.')[1][1..], CultureInfo.InvariantCulture)))
        {
            var sequences = group.Select(t => int.Parse(t.AccessToken!.Split('.')[2], CultureInfo.InvariantCulture)).Distinct().ToList();
            Assert.That(group.Count(), Is.EqualTo(Size), $"group {group.Key}: a batch half written ({group.Count()} of {Size} tokens)");
            Assert.That(sequences, Has.Count.EqualTo(1), $"group {group.Key}: a batch half written (sequences {string.Join(", ", sequences)})");
            groups[group.Key] = sequences[0];
        }

        return groups;
    }
}
