using System.Globalization;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// Shared mode with a writer process killed (SIGKILL) at seeded moments, possibly while it holds the lock
/// file, has bumped the write generation, or is inside a commit or a checkpoint, while this process keeps
/// the same store open and reads from a second thread throughout. The survivor must go on without
/// waiting for the dead writer, see every save it acknowledged, and keep writing.
/// </summary>
[NonParallelizable]
[Category("Slow")]
public sealed class SharedCrashTests
{
    private const int Kills = 20;

    [Test]
    [CancelAfter(300_000)]
    public void SharedWriter_Killed20Times_SurvivorSeesEveryAcknowledgedSaveAndKeepsWorking()
    {
        using var dir = new TempDirectory();
        var path = dir.File("shared.db");
        var key = Convert.ToHexString(StoreFixture.Key);
        var random = new Random(20);
        var lastAcknowledged = new Dictionary<int, int>();
        var next = 0;
        var own = new List<OAuthToken>();

        using var survivor = new EncryptedTokenStore(new EncryptedTokenStoreOptions
        {
            FilePath = path,
            MasterKey = MasterKey.FromBytes(StoreFixture.Key),
            Sharing = StoreSharing.Shared,
            LockTimeout = TimeSpan.FromSeconds(30),
        });
        var first = StoreFixture.Token("survivor@example.com", "1000.SURVIVOR");
        survivor.SaveToken(first);
        own.Add(first);

        // A reader thread in the survivor, racing the writer (and its death) for the lock all along.
        using var stop = new CancellationTokenSource();
        long reads = 0;
        var readerErrors = new List<string>();
        var reader = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (survivor.FindTokenById(first.Id!) is not OAuthToken { AccessToken: var access } || access != first.AccessToken)
                    {
                        lock (readerErrors)
                        {
                            readerErrors.Add("wrong token");
                        }
                    }

                    Interlocked.Increment(ref reads);
                    _ = survivor.FindToken(new OAuthToken { UserSignature = new UserSignature($"user{Interlocked.Read(ref reads) % 50}@example.com"), ClientId = "1000.CRASHTEST" });
                }
                catch (Exception e) when (e is TokenStoreException or ObjectDisposedException)
                {
                    lock (readerErrors)
                    {
                        readerErrors.Add(e is TokenStoreException t ? t.Code : e.GetType().Name);
                    }
                }
            }
        });
        reader.Start();

        try
        {
            for (var kill = 0; kill < Kills; kill++)
            {
                List<int> acknowledged;
                using (var child = ChildProcess.StartTestHost("save-loop", path, key, next.ToString(CultureInfo.InvariantCulture), "shared"))
                {
                    Assert.That(child.WaitForLine("opened"), Is.Not.Null, child.StandardError);
                    acknowledged = child.AcknowledgedUntilKilled(random);
                }

                foreach (var sequence in acknowledged)
                {
                    lastAcknowledged[sequence % 50] = sequence;
                }

                next = (acknowledged.Count == 0 ? next : acknowledged.Max() + 1) + 1;
                var mine = StoreFixture.Token($"survivor{kill}@example.com", "1000.SURVIVOR");
                survivor.SaveToken(mine);
                own.Add(mine);

                Assert.Multiple(() =>
                {
                    foreach (var (user, sequence) in lastAcknowledged)
                    {
                        var token = (OAuthToken?)survivor.FindToken(new OAuthToken { UserSignature = new UserSignature($"user{user}@example.com"), ClientId = "1000.CRASHTEST" });
                        Assert.That(token, Is.Not.Null, $"kill {kill}: user {user} lost");
                        var saved = int.Parse(token!.AccessToken!["1000.access.".Length..], CultureInfo.InvariantCulture);
                        Assert.That(saved, Is.GreaterThanOrEqualTo(sequence), $"kill {kill}: user {user} lost acknowledged save {sequence}");
                    }

                    Assert.That(StoreFixture.Fields(survivor.FindTokenById(mine.Id!)), Is.EqualTo(StoreFixture.Fields(mine)), $"kill {kill}: the survivor's own save");
                    if (kill % 5 == 4)
                    {
                        var verification = survivor.Verify();
                        Assert.That(verification.IsHealthy, Is.True, $"kill {kill}: {string.Join("; ", verification.Problems)}");
                    }
                });
            }
        }
        finally
        {
            stop.Cancel();
            reader.Join();
        }

        Assert.Multiple(() =>
        {
            Assert.That(readerErrors, Is.Empty, "errors in the survivor's reader thread");
            Assert.That(Interlocked.Read(ref reads), Is.GreaterThan(0));
            Assert.That(lastAcknowledged, Is.Not.Empty);
        });

        survivor.Dispose();
        using var exclusive = StoreFixture.Open(path);
        var stored = exclusive.GetTokens().Cast<OAuthToken>().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(exclusive.Verify().IsHealthy, Is.True);
            Assert.That(stored.Select(t => t.UserSignature!.Name), Is.Unique, "duplicate records");
            Assert.That(own.Select(t => t.Id), Is.SubsetOf(stored.Select(t => t.Id)), "the survivor's saves");
        });
        TestContext.Out.WriteLine($"{Kills} kills; the survivor's reader answered {Interlocked.Read(ref reads)} lookups meanwhile");
    }
}
