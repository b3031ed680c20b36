using System.Collections.Concurrent;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Contract;

/// <summary>
/// Several threads on one store, started together by a barrier; fixed amounts of work, no sleeps.
/// Every thread records what it saw, and the test thread asserts on it afterwards.
/// </summary>
[TestFixture(StoreKind.File)]
[TestFixture(StoreKind.Memory)]
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
public class EncryptedTokenStoreConcurrencyTests(StoreKind kind)
{
    private const int Writers = 4;
    private const int UsersPerWriter = 6;
    private const int Readers = 2;
    private const int ReadsPerReader = 200;

    [Test]
    public void SaveAndFind_DistinctUsersOnSeveralThreads_AllEndConsistent()
    {
        using var host = new StoreHost(kind);
        var store = host.Store;
        var bystander = StoreFixture.Token("bystander@example.com");
        store.SaveToken(bystander);
        var problems = new ConcurrentQueue<string>();
        var ids = new ConcurrentDictionary<string, string>();
        using var start = new Barrier(Writers + Readers);

        void Writer(int writer)
        {
            start.SignalAndWait();
            for (var i = 0; i < UsersPerWriter; i++)
            {
                var user = $"w{writer}-u{i}@example.com";
                var token = StoreFixture.Token(user);
                store.SaveToken(token);
                ids[user] = token.Id!;

                // The SDK's next steps: find by user and client, then refresh and save the same object.
                var query = new OAuthToken { UserSignature = new(user), ClientId = token.ClientId };
                if (store.FindToken(query) is not OAuthToken found || found.Id != token.Id || found.RefreshToken != token.RefreshToken)
                {
                    problems.Enqueue($"{user}: FindToken returned another record");
                }

                var current = (OAuthToken)store.FindTokenById(token.Id!);
                current.AccessToken = "1000.access.refreshed." + user;
                store.SaveToken(current);
                if (current.Id != token.Id)
                {
                    problems.Enqueue($"{user}: the refresh changed the id");
                }
            }
        }

        void Reader()
        {
            start.SignalAndWait();
            for (var i = 0; i < ReadsPerReader; i++)
            {
                if (StoreFixture.Fields(store.FindTokenById(bystander.Id!)).SequenceEqual(StoreFixture.Fields(bystander)) is false)
                {
                    problems.Enqueue("the bystander token read back changed");
                }
            }
        }

        var failures = RunTogether(Enumerable.Range(0, Writers).Select(w => (Action)(() => Writer(w))).Concat(Enumerable.Repeat(Reader, Readers)));

        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Empty);
            Assert.That(problems, Is.Empty);
            Assert.That(ids.Values, Has.Count.EqualTo(Writers * UsersPerWriter).And.Unique);
        });
        var reopened = host.Reopen();
        Assert.That(reopened.GetTokens(), Has.Count.EqualTo((Writers * UsersPerWriter) + 1));
        Assert.Multiple(() =>
        {
            foreach (var (user, id) in ids)
            {
                var stored = (OAuthToken)reopened.FindTokenById(id);
                Assert.That(stored.UserSignature?.Name, Is.EqualTo(user));
                Assert.That(stored.AccessToken, Is.EqualTo("1000.access.refreshed." + user));
                Assert.That(stored.RefreshToken, Is.EqualTo(StoreFixture.Token(user).RefreshToken));
            }
        });
    }

    [Test]
    public void SaveToken_SameUserFromSeveralThreads_KeepsOneRecord()
    {
        // Reference pitfall: update-then-insert without uniqueness duplicates rows under concurrent saves.
        const int savesPerThread = 5;
        using var host = new StoreHost(kind);
        var store = host.Store;
        var savedIds = new ConcurrentBag<string>();
        var written = new ConcurrentBag<string>();
        using var start = new Barrier(Writers);

        void Saver(int thread)
        {
            start.SignalAndWait();
            for (var i = 0; i < savesPerThread; i++)
            {
                var token = StoreFixture.Token("alice@example.com");
                token.AccessToken = $"1000.access.t{thread}.{i}";
                store.SaveToken(token);
                written.Add(token.AccessToken);
                savedIds.Add(token.Id!);
            }
        }

        var failures = RunTogether(Enumerable.Range(0, Writers).Select(t => (Action)(() => Saver(t))));

        var tokens = host.Reopen().GetTokens();
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Empty);
            Assert.That(savedIds.Distinct().ToList(), Has.Count.EqualTo(1));
            Assert.That(tokens, Has.Count.EqualTo(1));
            Assert.That(written, Contains.Item(((OAuthToken)tokens[0]).AccessToken));
        });
    }

    /// <summary>
    /// Runs each action on its own thread, waits for all, and returns what they threw. The join bound
    /// only turns a deadlock into a failure instead of a hung run; nothing here measures time.
    /// </summary>
    private static List<Exception> RunTogether(IEnumerable<Action> actions)
    {
        var failures = new ConcurrentQueue<Exception>();
        var threads = actions.Select(action => new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        foreach (var thread in threads)
        {
            if (!thread.Join(TimeSpan.FromMinutes(2)))
            {
                failures.Enqueue(new TimeoutException("a thread did not finish: deadlock?"));
            }
        }

        return failures.ToList();
    }
}
