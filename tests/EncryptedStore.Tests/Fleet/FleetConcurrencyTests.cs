using System.Globalization;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// Four real processes ("machines", TestHost <c>fleet-mix</c>) with four threads each, for 30 s on one database store,
/// in the default mode (a call never returns what another instance changed before the call began). Every call is
/// journalled with its start and end on the machine-wide monotonic clock; afterwards every read and the final state
/// are checked against the acknowledged writes (<see cref="RegisterHistory"/>): 0 stale reads, 0 lost updates, the
/// merge rule kept when two processes refresh different fields of one token, one record per user and client when
/// several processes insert it at once.
/// </summary>
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
[NonParallelizable]
[Category("Slow")]
public sealed class FleetConcurrencyTests(StoreKind kind)
{
    private const int Processes = 4;
    private const int ThreadsPerProcess = 4;
    private const int Seconds = 30;
    /// <summary>As TestHost's <c>FleetMix</c> uses them.</summary>
    private const string ClientId = "1000.FLEET";

    private const int MergeUsers = 4;
    private static readonly string[] Kinds = ["save", "delete", "id", "user", "access", "merged"];

    private FleetTables _tables = null!;
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _tables = new FleetTables(kind);
        _dir = new TempDirectory();
    }

    [TearDown]
    public void TearDown()
    {
        _tables?.Dispose();
        _dir?.Dispose();
    }

    [Test]
    [CancelAfter(240_000)]
    public void FourProcessesFourThreads_ThirtySeconds_NoStaleReadNoLostUpdateOneRecordPerUser()
    {
        using (var setup = _tables.Open())
        {
            // The tokens two processes refresh by user and client, one field each: created before the run, stamp "init".
            setup.SaveTokens(Enumerable.Range(0, MergeUsers).Select(m => new OAuthToken
            {
                UserSignature = new UserSignature($"fleet.m{m}@example.com"),
                ClientId = ClientId,
                ClientSecret = "secret",
                AccessToken = $"1000.maccess.init{m}",
                RefreshToken = $"1000.mrefresh.init{m}",
                ExpiresIn = "1767225600000",
            }).ToList());
        }

        var journals = Enumerable.Range(0, Processes).Select(p => _dir.File($"journal-{p}.txt")).ToList();
        var key = Convert.ToHexString(StoreFixture.Key);
        // The last process only reads, so its cache stays warm: a cache blind to the others' writes would show.
        var children = Enumerable.Range(0, Processes)
            .Select(p => ChildProcess.StartTestHost("fleet-mix", _tables.Spec, key, Text(Seconds), Text(p), Text(ThreadsPerProcess), journals[p], p == Processes - 1 ? "reads-only" : "mixed"))
            .ToList();
        var stderr = string.Empty;
        try
        {
            foreach (var child in children)
            {
                Assert.That(child.WaitForLine("done", TimeSpan.FromSeconds(Seconds) + ChildProcess.LineTimeout), Is.Not.Null, child.StandardError);
                var exitCode = child.WaitForExit();
                stderr += child.StandardError;
                Assert.That(exitCode, Is.Zero, stderr);
            }
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }

        var calls = journals.SelectMany(File.ReadLines).Select(Call.Parse).ToList();
        using var store = _tables.Open();
        var final = store.GetTokens().Cast<OAuthToken>().ToList();
        var errors = calls.Where(c => c.Result.StartsWith("error", StringComparison.Ordinal)).ToList();
        var violations = Violations(calls, final);
        var kinds = calls.GroupBy(c => c.Kind).ToDictionary(g => g.Key, g => g.Count());
        var races = calls.Where(c => c.Kind == "save" && c.Register.StartsWith('c')).GroupBy(c => c.Register).Count(g => g.Select(c => c.Stamp.Split('.')[0]).Distinct().Count() > 1);
        TestContext.Out.WriteLine($"{kind}: {calls.Count} journalled calls ({string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"))}); "
            + $"{races} insert slots raced by several processes; {final.Count} tokens at the end");
        Assert.Multiple(() =>
        {
            Assert.That(errors.Select(e => e.ToString()), Is.Empty, "calls that threw; the first in full: " + stderr);
            Assert.That(violations, Is.Empty, "stale reads, lost updates, or values no write left");
            Assert.That(Kinds, Is.SubsetOf(kinds.Keys), "every kind of call ran");
            Assert.That(races, Is.GreaterThan(0), "inserts of one user raced between processes");
            Assert.That(final.Select(t => t.Id), Is.Unique, "duplicate ids");
            Assert.That(final.Select(t => t.UserSignature!.Name), Is.Unique, "two records for one user and client");
            Assert.That(store.Verify().Problems, Is.Empty);
        });
    }

    /// <summary>Every read, and the final state, checked against the history of its register.</summary>
    private static List<string> Violations(List<Call> calls, List<OAuthToken> final)
    {
        var violations = new List<string>();
        var byUser = final.ToDictionary(t => t.UserSignature!.Name, StringComparer.Ordinal);
        foreach (var register in calls.Where(c => c.Kind != "error").GroupBy(c => c.Register))
        {
            var initial = register.Key.StartsWith('m') ? "init" + register.Key[1..register.Key.IndexOf('.', StringComparison.Ordinal)] : "none";
            var history = new RegisterHistory(initial, register
                .Where(c => c.Kind is "save" or "delete")
                .Select(c => (c.Kind == "save" ? c.Stamp : "none", c.Start, c.End)));
            foreach (var read in register.Where(c => c.Kind is "id" or "user" or "access" or "merged"))
            {
                if (read.Kind == "access")
                {
                    // Looked up by this thread's last access token: another record, or another stamp, is wrong.
                    if (read.Result != "none" && read.Result != read.Stamp)
                    {
                        violations.Add($"{read}: found another stamp by access token");
                    }
                }
                else if (!history.Explains(read.Result, read.Start, read.End))
                {
                    violations.Add($"{read}: no write explains this value (stale or never written)");
                }
            }

            var finalValue = FinalValue(register.Key, byUser);
            if (!history.ExplainsFinal(finalValue))
            {
                violations.Add($"{register.Key}: final value {finalValue} is not the last acknowledged write's (a lost update)");
            }
        }

        return violations;
    }

    /// <summary>What the store holds at the end for a register: <c>uN</c>, <c>mN.a</c>, <c>mN.r</c> or <c>cN</c>.</summary>
    private static string FinalValue(string register, Dictionary<string, OAuthToken> byUser)
    {
        var (user, field) = register.Split('.') is [var name, var part] ? (name, part) : (register, "a");
        if (!byUser.TryGetValue($"fleet.{user}@example.com", out var token))
        {
            return "none";
        }

        var (value, prefix) = (user[0], field) switch
        {
            ('u', _) => (token.AccessToken, "1000.access."),
            ('c', _) => (token.AccessToken, "1000.caccess."),
            (_, "a") => (token.AccessToken, "1000.maccess."),
            _ => (token.RefreshToken, "1000.mrefresh."),
        };
        return value is not null && value.StartsWith(prefix, StringComparison.Ordinal) ? value[prefix.Length..] : $"unexpected '{value}'";
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record Call(string Kind, string Register, string Stamp, long Start, long End, string Result)
    {
        public static Call Parse(string line)
        {
            var parts = line.Split(' ');
            return new Call(parts[0], parts[1], parts[2], long.Parse(parts[3], CultureInfo.InvariantCulture), long.Parse(parts[4], CultureInfo.InvariantCulture), parts[5]);
        }

        public override string ToString() => $"{Kind} {Register} {Stamp} -> {Result}";
    }
}
