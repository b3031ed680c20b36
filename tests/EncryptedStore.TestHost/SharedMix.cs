using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace EncryptedStore.TestHost;

/// <summary>
/// One process of the multi-process concurrency test: opens the store in shared mode and runs
/// <c>threads</c> threads for <c>seconds</c>, each doing seeded random saves, lookups (by id, user, access
/// token) and deletes on users shared with the other processes (or lookups only). Every operation goes to a journal
/// (one line each, with its start and end on the machine-wide monotonic clock) that the test checks
/// afterwards. A user's record always has the same id, so each user is one register: a save writes a
/// stamp (process.thread.sequence), a delete clears it, and a read returns a stamp or none.
/// </summary>
/// <remarks>
/// Journal line: <c>KIND USER STAMP START END RESULT</c>, where KIND is save, delete, id, user or access;
/// STAMP is the stamp written or looked up (or -); RESULT is the stamp read, none, ok, or
/// <c>error:CODE</c>. A read whose fields do not all carry one stamp is journalled as error:TORN.
/// </remarks>
internal static class SharedMix
{
    public const string ClientId = "1000.SHARED";

    /// <param name="readsOnly">Only look up: this process's cache then stays warm, so a cache that missed another process's write would serve stale tokens.</param>
    public static int Run(string path, byte[] key, int seconds, int worker, int threads, int users, string journalPath, bool readsOnly)
    {
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions
        {
            FilePath = path,
            MasterKey = MasterKey.FromBytes(key),
            Sharing = StoreSharing.Shared,
            LockTimeout = TimeSpan.FromSeconds(60),
        });
        Console.WriteLine("opened");
        using var start = new Barrier(threads);
        var journals = new StringBuilder[threads];
        var workers = Enumerable.Range(0, threads).Select(thread => new Thread(() =>
        {
            start.SignalAndWait();
            journals[thread] = Work(store, seconds, worker, thread, users, readsOnly);
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());

        File.WriteAllText(journalPath, string.Concat(journals.Select(j => j.ToString())));
        var operations = journals.Sum(j => j.ToString().Count(c => c == '\n'));
        Console.WriteLine($"done {operations}");
        return 0;
    }

    public static string Id(int user) => user.ToString("x32", CultureInfo.InvariantCulture);

    public static string User(int user) => $"user{user}@example.com";

    private static StringBuilder Work(EncryptedTokenStore store, int seconds, int worker, int thread, int users, bool readsOnly)
    {
        // A fixed seed per process and thread (HashCode.Combine is randomised per process, so it was not one):
        // each thread's sequence of calls is the same in every run, and a failing run can be replayed.
        var random = new Random((worker * 7919) + thread);
        var journal = new StringBuilder();
        var lastStamp = new Dictionary<int, string>();
        var deadline = Stopwatch.GetTimestamp() + (seconds * Stopwatch.Frequency);
        for (var sequence = 0; Stopwatch.GetTimestamp() < deadline; sequence++)
        {
            var user = random.Next(users);
            var roll = readsOnly ? random.Next(50, 95) : random.Next(100);
            var began = Stopwatch.GetTimestamp();
            string kind, stamp = "-", result;
            try
            {
                switch (roll)
                {
                    case < 40:
                        kind = "save";
                        stamp = $"{worker}.{thread}.{sequence}";
                        store.SaveToken(Token(user, stamp));
                        lastStamp[user] = stamp;
                        result = "ok";
                        break;
                    case < 50:
                        kind = "delete";
                        store.DeleteToken(Id(user));
                        result = "ok";
                        break;
                    case < 75:
                        kind = "id";
                        result = StampOf(store.TryFindTokenById(Id(user)), user);
                        break;
                    case < 95:
                        kind = "user";
                        result = StampOf(store.FindToken(new OAuthToken { UserSignature = new UserSignature(User(user)), ClientId = ClientId }), user);
                        break;
                    default:
                        kind = "access";
                        stamp = lastStamp.GetValueOrDefault(user, "-");
                        result = stamp == "-"
                            ? "none"
                            : StampOf(store.FindToken(new OAuthToken { AccessToken = "1000.access." + stamp }), user);
                        break;
                }
            }
            catch (TokenStoreException e)
            {
                kind = "error";
                result = "error:" + e.Code;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                kind = "error";
                result = "error:" + e.GetType().Name;
            }

            var ended = Stopwatch.GetTimestamp();
            journal.Append(CultureInfo.InvariantCulture, $"{kind} {user} {stamp} {began} {ended} {result}\n");
        }

        return journal;
    }

    private static OAuthToken Token(int user, string stamp) => new()
    {
        Id = Id(user),
        UserSignature = new UserSignature(User(user)),
        ClientId = ClientId,
        ClientSecret = "secret",
        AccessToken = "1000.access." + stamp,
        RefreshToken = "1000.refresh." + stamp,
        RedirectURL = "https://app.example.com/" + stamp,
        ExpiresIn = "1767225600000",
    };

    /// <summary>The stamp a token carries, checking every field carries the same one and that it is the user's record.</summary>
    private static string StampOf(IToken? found, int user)
    {
        if (found is not OAuthToken token)
        {
            return "none";
        }

        var stamp = token.AccessToken?["1000.access.".Length..];
        return token.Id == Id(user) && token.UserSignature?.Name == User(user)
            && token.RefreshToken == "1000.refresh." + stamp && token.RedirectURL == "https://app.example.com/" + stamp
            ? stamp!
            : "error:TORN";
    }
}
