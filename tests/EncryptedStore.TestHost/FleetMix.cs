using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace EncryptedStore.TestHost;

/// <summary>
/// <c>fleet-mix STORE KEYHEX SECONDS WORKER THREADS JOURNAL [reads-only]</c>: one "machine" of the fleet concurrency
/// test on a database store. Its threads run seeded random calls for SECONDS and journal each one, with its start and
/// end on the machine-wide monotonic clock, as lines <c>KIND REGISTER STAMP START END RESULT</c> that the test checks
/// against every other process's journal. Three kinds of token, each field a register (a stamp, or none):
/// <list type="bullet">
/// <item><c>u N</c>: a record with a fixed id, saved whole (every field carries the stamp) and deleted by id;</item>
/// <item><c>m N.a</c>, <c>m N.r</c>: a record the test created, refreshed by user and client with only its access token
/// or only its refresh token (two processes refreshing one token: the merge rule must keep the other field);</item>
/// <item><c>c N</c>: a record inserted by user and client without an id, by every process in the same 300 ms
/// (N is the slot of the monotonic clock), so inserts race: one record must come of them.</item>
/// </list>
/// A read whose fields do not agree is journalled as <c>error:TORN</c>; a thrown call as <c>error:CODE</c>.
/// </summary>
internal static class FleetMix
{
    public const string ClientId = "1000.FLEET";
    public const int RegisterUsers = 16;
    public const int MergeUsers = 4;

    private static readonly long SlotTicks = Stopwatch.Frequency * 3 / 10;

    private static int _errorsShown;

    public static int Run(string spec, byte[] key, int seconds, int worker, int threads, string journalPath, bool readsOnly)
    {
        using var store = FleetStore.Open(spec, key);
        Console.WriteLine("opened");
        using var start = new Barrier(threads);
        var journals = new StringBuilder[threads];
        var workers = Enumerable.Range(0, threads).Select(thread => new Thread(() =>
        {
            start.SignalAndWait();
            journals[thread] = Work(store, seconds, worker, thread, readsOnly);
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());

        File.WriteAllText(journalPath, string.Concat(journals.Select(j => j.ToString())));
        Console.WriteLine($"done {journals.Sum(j => j.ToString().Count(c => c == '\n'))}");
        return 0;
    }

    public static string RegisterId(int user) => "f" + user.ToString("x31", CultureInfo.InvariantCulture);

    public static string RegisterUser(int user) => $"fleet.u{user}@example.com";

    public static string MergeUser(int user) => $"fleet.m{user}@example.com";

    public static string RaceUser(long slot) => $"fleet.c{slot}@example.com";

    private static StringBuilder Work(EncryptedTokenStore store, int seconds, int worker, int thread, bool readsOnly)
    {
        // A fixed seed per process and thread: a failing run replays the same calls.
        var random = new Random((worker * 7919) + thread);
        var journal = new StringBuilder();
        var lastStamp = new Dictionary<int, string>();
        var deadline = Stopwatch.GetTimestamp() + (seconds * Stopwatch.Frequency);
        for (var sequence = 0; Stopwatch.GetTimestamp() < deadline; sequence++)
        {
            var stamp = $"{worker}.{thread}.{sequence}";
            var user = random.Next(RegisterUsers);
            var merge = random.Next(MergeUsers);
            var roll = readsOnly ? random.Next(60, 100) : random.Next(100);
            var began = Stopwatch.GetTimestamp();
            var lines = new List<(string Kind, string Register, string Stamp, string Result)>();
            try
            {
                switch (roll)
                {
                    case < 30:
                        store.SaveToken(Whole(user, stamp));
                        lastStamp[user] = stamp;
                        lines.Add(("save", $"u{user}", stamp, "ok"));
                        break;
                    case < 38:
                        store.DeleteToken(RegisterId(user));
                        lines.Add(("delete", $"u{user}", "-", "ok"));
                        break;
                    case < 48:
                        store.SaveToken(new OAuthToken { UserSignature = new UserSignature(MergeUser(merge)), ClientId = ClientId, AccessToken = "1000.maccess." + stamp, ExpiresIn = "1767225600000" });
                        lines.Add(("save", $"m{merge}.a", stamp, "ok"));
                        break;
                    case < 56:
                        store.SaveToken(new OAuthToken { UserSignature = new UserSignature(MergeUser(merge)), ClientId = ClientId, RefreshToken = "1000.mrefresh." + stamp });
                        lines.Add(("save", $"m{merge}.r", stamp, "ok"));
                        break;
                    case < 60:
                        var slot = Stopwatch.GetTimestamp() / SlotTicks;
                        store.SaveToken(Race(slot, stamp));
                        lines.Add(("save", $"c{slot}", stamp, "ok"));
                        break;
                    case < 80:
                        lines.Add(("id", $"u{user}", "-", StampOf(store.TryFindTokenById(RegisterId(user)), user)));
                        break;
                    case < 90:
                        lines.Add(("user", $"u{user}", "-", StampOf(store.FindToken(new OAuthToken { UserSignature = new UserSignature(RegisterUser(user)), ClientId = ClientId }), user)));
                        break;
                    case < 94:
                        var own = lastStamp.GetValueOrDefault(user, "-");
                        lines.Add(("access", $"u{user}", own, own == "-" ? "none" : StampOf(store.FindToken(new OAuthToken { AccessToken = "1000.access." + own }), user)));
                        break;
                    default:
                        var found = store.FindToken(new OAuthToken { UserSignature = new UserSignature(MergeUser(merge)), ClientId = ClientId }) as OAuthToken;
                        lines.Add(("merged", $"m{merge}.a", "-", Field(found?.AccessToken, "1000.maccess.")));
                        lines.Add(("merged", $"m{merge}.r", "-", Field(found?.RefreshToken, "1000.mrefresh.")));
                        break;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                lines = [("error", $"u{user}", "-", "error:" + (e is TokenStoreException t ? t.Code : e.GetType().Name))];
                if (Interlocked.Increment(ref _errorsShown) <= 5)
                {
                    // For the test's failure message: the first few errors in full.
                    Console.Error.WriteLine($"worker {worker} thread {thread} call {sequence} (roll {roll}): {e}");
                }
            }

            var ended = Stopwatch.GetTimestamp();
            foreach (var (kind, register, written, result) in lines)
            {
                journal.Append(CultureInfo.InvariantCulture, $"{kind} {register} {written} {began} {ended} {result}\n");
            }
        }

        return journal;
    }

    private static OAuthToken Whole(int user, string stamp) => new()
    {
        Id = RegisterId(user),
        UserSignature = new UserSignature(RegisterUser(user)),
        ClientId = ClientId,
        ClientSecret = "secret",
        AccessToken = "1000.access." + stamp,
        RefreshToken = "1000.refresh." + stamp,
        RedirectURL = "https://app.example.com/" + stamp,
        ExpiresIn = "1767225600000",
    };

    private static OAuthToken Race(long slot, string stamp) => new()
    {
        UserSignature = new UserSignature(RaceUser(slot)),
        ClientId = ClientId,
        ClientSecret = "secret",
        AccessToken = "1000.caccess." + stamp,
        RefreshToken = "1000.crefresh." + stamp,
        ExpiresIn = "1767225600000",
    };

    /// <summary>The stamp a register token carries, checking every field carries the same one and that it is the user's record.</summary>
    private static string StampOf(IToken? found, int user)
    {
        if (found is not OAuthToken token)
        {
            return "none";
        }

        var stamp = token.AccessToken?["1000.access.".Length..];
        return token.Id == RegisterId(user) && token.UserSignature?.Name == RegisterUser(user)
            && token.RefreshToken == "1000.refresh." + stamp && token.RedirectURL == "https://app.example.com/" + stamp
            ? stamp!
            : "error:TORN";
    }

    private static string Field(string? value, string prefix) =>
        value is null ? "none" : value.StartsWith(prefix, StringComparison.Ordinal) ? value[prefix.Length..] : "error:TORN";
}
