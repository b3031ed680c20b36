using System.Globalization;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>A writer process killed with SIGKILL at seeded moments loses no acknowledged save and leaves a healthy store.</summary>
[Category("Slow")]
public class CrashTests
{
    [Test]
    public void SaveLoop_Killed50Times_EveryAcknowledgedSaveSurvivesAndTheStoreVerifies()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var key = Convert.ToHexString(StoreFixture.Key);
        var random = new Random(50);
        var lastAcknowledged = new Dictionary<int, int>();
        var next = 0;
        var aheadOfAcknowledged = 0;
        for (var kill = 0; kill < 50; kill++)
        {
            List<int> acknowledged;
            using (var child = ChildProcess.StartTestHost("save-loop", path, key, next.ToString(CultureInfo.InvariantCulture)))
            {
                Assert.That(child.WaitForLine("opened"), Is.Not.Null, child.StandardError);
                acknowledged = child.AcknowledgedUntilKilled(random);
            }

            foreach (var sequence in acknowledged)
            {
                lastAcknowledged[sequence % 50] = sequence;
            }

            // The save in flight when the kill came may have committed: start past it.
            next = (acknowledged.Count == 0 ? next : acknowledged.Max() + 1) + 1;
            using var store = StoreFixture.Open(path);
            var verification = store.Verify();
            var stored = store.GetTokens().Cast<OAuthToken>().ToList();
            Assert.Multiple(() =>
            {
                Assert.That(verification.IsHealthy, Is.True, $"kill {kill}: {string.Join("; ", verification.Problems)}");
                Assert.That(stored.Select(t => t.UserSignature!.Name), Is.Unique, $"kill {kill}: duplicate records");
                foreach (var (user, sequence) in lastAcknowledged)
                {
                    var token = stored.SingleOrDefault(t => t.UserSignature!.Name == $"user{user}@example.com");
                    Assert.That(token, Is.Not.Null, $"kill {kill}: user {user} lost");
                    var saved = int.Parse(token!.AccessToken!["1000.access.".Length..], CultureInfo.InvariantCulture);
                    Assert.That(saved, Is.GreaterThanOrEqualTo(sequence), $"kill {kill}: user {user} lost acknowledged save {sequence}");
                }
            });

            if (stored.Any(t => lastAcknowledged.TryGetValue(int.Parse(t.UserSignature!.Name[4..t.UserSignature.Name.IndexOf('@', StringComparison.Ordinal)], CultureInfo.InvariantCulture), out var acked)
                && int.Parse(t.AccessToken!["1000.access.".Length..], CultureInfo.InvariantCulture) > acked))
            {
                aheadOfAcknowledged++;
            }
        }

        Assert.That(lastAcknowledged, Is.Not.Empty);
        TestContext.Out.WriteLine($"50 kills; after {aheadOfAcknowledged} of them the store held a save that had committed but not been acknowledged");
    }
}
