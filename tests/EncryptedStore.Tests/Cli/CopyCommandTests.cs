using System.Runtime.Versioning;
using System.Text.Json;
using EncryptedStore.Cli;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// <c>tokenstore copy --from A --to B</c> between store files: every token identical after, re-encrypted under the target's
/// key; a target that holds tokens refused without <c>--merge</c>; with <c>--merge</c>, one refused token leaves the target
/// as it was. The database directions are in <see cref="DatabaseCopyTests"/>.
/// </summary>
[Parallelizable(ParallelScope.All)]
[UnsupportedOSPlatform("windows")]
public class CopyCommandTests
{
    [Test]
    public void Copy_FileToNewFileUnderAnotherKey_EveryTokenIdenticalAndOnlyTheNewKeyOpensIt()
    {
        using var sandbox = CliSandbox.Create();
        var tokens = Enumerable.Range(0, 12).Select(i => CliTokens.Token($"user{i}@example.com", i % 2 == 0 ? CliTokens.ClientA : CliTokens.ClientB)).ToArray();
        sandbox.Save(tokens);
        var target = sandbox.File("copy/target.db");
        var targetKey = sandbox.File("target.key");
        MasterKey.CreateKeyFile(targetKey);

        var copy = sandbox.Run("copy", "--to", target, "--to-key-file", targetKey, "--json");

        var source = sandbox.Tokens();
        var copied = Tokens(target, targetKey);
        var wrongKey = sandbox.RunBare(null, null, "--store", target, "--key-file", sandbox.KeyPath, "list");
        using var json = JsonDocument.Parse(copy.StdOut);
        Assert.Multiple(() =>
        {
            Assert.That(copy.ExitCode, Is.EqualTo(0), copy.ToString());
            Assert.That(copy.StdErr, Does.Contain("Copied 12 token(s)").And.Contain("(created)").And.Contain("target.key"));
            Assert.That(json.RootElement.GetProperty("copied").GetInt32(), Is.EqualTo(12));
            Assert.That(json.RootElement.GetProperty("target_created").GetBoolean(), Is.True);
            AssertIdentical(copied, source);
            Assert.That(wrongKey.ExitCode, Is.EqualTo(ExitCodes.WrongKey), wrongKey.ToString());
            Assert.That(copy.AllOutput, Does.Not.Contain(tokens[0].RefreshToken).And.Not.Contain(tokens[0].ClientSecret));
        });
    }

    [Test]
    public void Copy_IntoAFileThatHoldsTokens_IsRefusedWithoutMerge_AndMergeUpdatesById()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com", id: "ada1");
        var bob = CliTokens.Token("bob@example.com", id: "bob1");
        sandbox.Save(ada, bob);
        var target = sandbox.File("target.db");
        var adaOld = CliTokens.Token("ada@example.com", generation: 1, id: "ada1");
        Save(target, sandbox.KeyPath, adaOld);

        var refused = sandbox.Run("copy", "--from", sandbox.StorePath, "--to", target);
        var afterRefusal = Tokens(target, sandbox.KeyPath);
        var merged = sandbox.Run("copy", "--from", sandbox.StorePath, "--to", target, "--merge", "--json");

        using var json = JsonDocument.Parse(merged.StdOut);
        Assert.Multiple(() =>
        {
            Assert.That(refused.ExitCode, Is.EqualTo(ExitCodes.Error), refused.ToString());
            Assert.That(refused.StdErr, Does.Contain("already holds 1 token(s)").And.Contain("--merge"));
            Assert.That(afterRefusal.Keys, Is.EquivalentTo(ZohoCsvImportTests.Ids("ada1")));
            ZohoCsvImportTests.AssertSame(afterRefusal["ada1"], adaOld);
            Assert.That(merged.ExitCode, Is.EqualTo(0), merged.ToString());
            Assert.That(merged.StdErr, Does.Contain("1 added, 1 updated."));
            Assert.That(json.RootElement.GetProperty("updated").GetInt32(), Is.EqualTo(1));
            AssertIdentical(Tokens(target, sandbox.KeyPath), sandbox.Tokens());
        });
    }

    [Test]
    public void Copy_MergeWithAConflictingToken_WritesNothing()
    {
        using var sandbox = CliSandbox.Create();
        var tokens = Enumerable.Range(0, 5).Select(i => CliTokens.Token($"user{i}@example.com")).ToArray();
        sandbox.Save(tokens);
        var target = sandbox.File("target.db");

        // Another user's token holding a source token's access token: SaveTokens refuses that one, and with it the whole copy.
        var conflicting = CliTokens.Token("someone@example.com", id: "other1");
        conflicting.AccessToken = tokens[3].AccessToken;
        Save(target, sandbox.KeyPath, conflicting);

        var merged = sandbox.Run("copy", "--to", target, "--merge");

        var after = Tokens(target, sandbox.KeyPath);
        Assert.Multiple(() =>
        {
            Assert.That(merged.ExitCode, Is.EqualTo(ExitCodes.Error), merged.ToString());
            Assert.That(merged.StdErr, Does.Contain("DUPLICATE_TOKEN").And.Contain("Nothing was copied"));
            Assert.That(after.Keys, Is.EquivalentTo(ZohoCsvImportTests.Ids("other1")));
            ZohoCsvImportTests.AssertSame(after["other1"], conflicting);
        });
    }

    [TestCase("--to-key-file", "--to-passphrase-env", "give at most one key for the target")]
    [TestCase("--to-cert-password-env", null, "--to-cert-password-env is the password of a --to-cert file")]
    public void Copy_TargetKeyOptionsMisused_IsAUsageError(string first, string? second, string message)
    {
        using var sandbox = CliSandbox.Create();
        string[] args = second is null ? ["copy", "--to", sandbox.File("t.db"), first, "X"] : ["copy", "--to", sandbox.File("t.db"), first, "X", second, "Y"];

        var result = sandbox.Run(args);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
            Assert.That(result.StdErr, Does.Contain(message));
            Assert.That(File.Exists(sandbox.File("t.db")), Is.False);
        });
    }

    [Test]
    public void Copy_SameStoreOrMissingSource_IsRefused()
    {
        using var sandbox = CliSandbox.Create();

        var same = sandbox.Run("copy", "--to", Path.Combine(sandbox.Path, ".", "tokens.db"));
        var missing = sandbox.Run("copy", "--from", sandbox.File("none.db"), "--to", sandbox.File("t.db"));

        Assert.Multiple(() =>
        {
            Assert.That(same.ExitCode, Is.EqualTo(ExitCodes.Usage), same.ToString());
            Assert.That(same.StdErr, Does.Contain("name the same store"));
            Assert.That(missing.ExitCode, Is.EqualTo(ExitCodes.NotFound), missing.ToString());
            Assert.That(File.Exists(sandbox.File("t.db")), Is.False);
        });
    }

    /// <summary>Asserts that both stores hold the same ids with every field equal.</summary>
    internal static void AssertIdentical(Dictionary<string, OAuthToken> actual, Dictionary<string, OAuthToken> expected)
    {
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var (id, token) in expected)
        {
            if (actual.TryGetValue(id, out var other))
            {
                ZohoCsvImportTests.AssertSame(other, token);
            }
        }
    }

    internal static Dictionary<string, OAuthToken> Tokens(string path, string keyPath)
    {
        using var store = Open(path, keyPath);
        return store.GetTokens().Cast<OAuthToken>().ToDictionary(t => t.Id!);
    }

    private static void Save(string path, string keyPath, params OAuthToken[] tokens)
    {
        using var store = Open(path, keyPath);
        store.SaveTokens(tokens);
    }

    private static EncryptedTokenStore Open(string path, string keyPath) =>
        new(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = MasterKey.FromKeyFile(keyPath) });
}
