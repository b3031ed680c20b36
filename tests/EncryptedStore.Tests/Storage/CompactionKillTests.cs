using System.Diagnostics;
using System.Globalization;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// <c>Compact</c> in a real child process killed with SIGKILL at seeded moments: the swap is atomic (the store opens
/// with every token, acknowledged saves included, and verifies), and the next open removes the partial copy.
/// </summary>
[Category("Slow")]
public sealed class CompactionKillTests
{
    private const int BaseTokens = 2_000;
    private const int SeededKills = 7;

    [Test]
    public void Compact_KilledAtSeededMoments_StoreOpensWithEveryTokenAndTheNextOpenRemovesThePartialCopy()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var key = Convert.ToHexString(StoreFixture.Key);
        var random = new Random(14);
        var baseTokens = Enumerable.Range(0, BaseTokens).Select(i => StoreFixture.Token($"base{i}@example.com")).ToList();
        using (var store = StoreFixture.Open(path))
        {
            foreach (var chunk in baseTokens.Chunk(1_000))
            {
                store.SaveTokens(chunk);
            }
        }

        var expected = baseTokens.ToDictionary(t => t.Id!, t => StoreFixture.Fields(t).ToList());
        var lastAcknowledged = new Dictionary<int, int>();
        var next = 0;

        // Uninterrupted once, only to spread the seeded kills over the time a compaction takes here.
        TimeSpan fullRun;
        using (var child = ChildProcess.StartTestHost("compact", path, key))
        {
            Assert.That(child.WaitForLine("started"), Is.Not.Null, child.StandardError);
            var clock = Stopwatch.StartNew();
            Assert.That(child.WaitForLine("done"), Is.Not.Null, child.StandardError);
            fullRun = clock.Elapsed;
        }

        var moments = new List<string> { "pause-before-rename", "pause-after-rename" };
        moments.AddRange(Enumerable.Range(0, SeededKills).Select(_ => ((int)(random.NextDouble() * 0.9 * fullRun.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture)));
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (moment, round) in moments.Select((m, i) => (m, i)))
        {
            // A writer killed first leaves committed saves in LiteDB's log file: the copy must carry them, and the
            // swap must never leave that log beside the new file (replayed into it, it would damage it).
            using (var writer = ChildProcess.StartTestHost("save-loop", path, key, next.ToString(CultureInfo.InvariantCulture)))
            {
                Assert.That(writer.WaitForLine("opened"), Is.Not.Null, writer.StandardError);
                List<int> acknowledged = [ChildProcess.AckSequence(writer.WaitForLine("ack")), .. writer.AcknowledgedUntilKilled(random)];
                foreach (var sequence in acknowledged)
                {
                    lastAcknowledged[sequence % 50] = sequence;
                }

                next = (acknowledged.Count == 0 ? next : acknowledged.Max() + 1) + 1;
            }

            string reached;
            using (var child = ChildProcess.StartTestHost(moment.StartsWith("pause", StringComparison.Ordinal) ? ["compact", path, key, moment] : ["compact", path, key]))
            {
                Assert.That(child.WaitForLine("started"), Is.Not.Null, child.StandardError);
                if (moment.StartsWith("pause", StringComparison.Ordinal))
                {
                    Assert.That(child.WaitForLine(moment.EndsWith("before-rename", StringComparison.Ordinal) ? "copied" : "renamed"), Is.Not.Null, child.StandardError);
                }
                else
                {
                    // The seeded moment of the kill (not a synchronisation: any moment must be safe).
                    Thread.Sleep(int.Parse(moment, CultureInfo.InvariantCulture));
                }

                child.Kill();
                var lines = child.RemainingLines();
                reached = moment.StartsWith("pause", StringComparison.Ordinal) ? moment
                    : lines.Contains("done") ? "finished"
                    : lines.Contains("renamed") ? "after the rename"
                    : lines.Contains("copied") ? "copy complete"
                    : "copying";
            }

            outcomes[reached] = outcomes.GetValueOrDefault(reached) + 1;
            var context = $"kill {round} ({moment}, {reached})";
            using (var store = StoreFixture.Open(path))
            {
                var stored = store.GetTokens().Cast<OAuthToken>().ToList();
                var verification = store.Verify();
                Assert.Multiple(() =>
                {
                    Assert.That(verification.IsHealthy, Is.True, $"{context}: {string.Join("; ", verification.Problems)}");
                    Assert.That(Directory.GetFiles(dir.Path, "*.compact*"), Is.Empty, $"{context}: the open left the partial copy");
                    var byId = stored.ToDictionary(t => t.Id!);
                    Assert.That(expected.Count(e => !byId.TryGetValue(e.Key, out var found) || !StoreFixture.Fields(found).SequenceEqual(e.Value)), Is.Zero, $"{context}: base tokens lost or changed");
                    foreach (var (user, sequence) in lastAcknowledged)
                    {
                        var token = stored.SingleOrDefault(t => t.UserSignature!.Name == $"user{user}@example.com");
                        Assert.That(token, Is.Not.Null, $"{context}: user {user} lost");
                        Assert.That(int.Parse(token!.AccessToken!["1000.access.".Length..], CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(sequence), $"{context}: user {user} lost acknowledged save {sequence}");
                    }
                });
            }
        }

        EncryptedTokenStore.Compact(path);
        Assert.That(Directory.GetFiles(dir.Path, "*.compact*"), Is.Empty, "a last compaction completes and leaves nothing");
        TestContext.Out.WriteLine($"{moments.Count} kills during Compact of {BaseTokens:N0} tokens (a full run took {fullRun.TotalMilliseconds:F0} ms): "
            + string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}")));
    }
}
