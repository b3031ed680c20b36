using System.Runtime.Versioning;
using System.Text.Json;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// Output conventions (issue 17): data on stdout, messages on stderr; tab-separated lines when piped and tables sized
/// to the terminal; no escape codes with NO_COLOR; --json, --field and --quiet; '-' as stdout and stdin for files.
/// Child processes of the built tool; a terminal comes from util-linux 'script' with a chosen width.
/// </summary>
[Parallelizable(ParallelScope.All)]
[UnsupportedOSPlatform("windows")]
public class OutputConventionsTests
{
    private const string Script = "/usr/bin/script";
    private const string Escape = "\u001b";
    private static readonly string[] BoxDrawing = ["│", "─", "╭", "┌", "┃"];
    private static readonly string[] NarrowHeader = ["id", "user_name", "client_id", "expiry_time"];
    private static readonly string[] ListHeader = ["id", "user_name", "client_id", "refresh_token", "access_token", "expiry_time"];

    [Test]
    public void List_Piped_TabSeparatedWithHeaderAndMessagesOnStderr()
    {
        using var sandbox = SandboxWithTwoTokens(out var ada, out var bob);

        var list = sandbox.Run("list");

        var lines = list.StdOut.TrimEnd('\n').Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
            Assert.That(lines[0].Split('\t'), Is.EqualTo(ListHeader));
            Assert.That(lines.Skip(1).Select(l => l.Split('\t')[0]), Is.EquivalentTo(new[] { ada.Id, bob.Id }));
            Assert.That(lines.Skip(1).Select(l => l.Split('\t')[5]), Is.All.EqualTo(CliTokens.ExpiryTime), "plain values when piped");
            Assert.That(lines.Skip(1).Select(l => l.Split('\t').Length), Is.All.EqualTo(6));
            Assert.That(list.StdOut, Does.Not.Contain(Escape).And.Not.Contain("token(s)"));
            Assert.That(BoxDrawing.Where(list.StdOut.Contains), Is.Empty);
            Assert.That(list.StdErr.Trim(), Is.EqualTo("2 token(s)."));
            Assert.That(list.AllOutput, Does.Not.Contain(ada.RefreshToken));
        });
    }

    [Test]
    public void List_Terminal80Columns_IdsWholeHeadersWholeNoEscapesWithNoColor()
    {
        using var sandbox = SandboxWithTwoTokens(out var ada, out var bob);

        var terminal = InTerminal(sandbox, 80, "list");

        var lines = terminal.StdOut.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(terminal.ExitCode, Is.EqualTo(0), terminal.ToString());
            Assert.That(lines.Take(3), Has.All.Length.LessThanOrEqualTo(80), "a line wider than the terminal would wrap");
            Assert.That(lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(NarrowHeader));
            Assert.That(lines.Count(l => l.StartsWith(ada.Id!, StringComparison.Ordinal) || l.StartsWith(bob.Id!, StringComparison.Ordinal)), Is.EqualTo(2));
            Assert.That(terminal.StdOut, Does.Contain("ada@example.com"));
            Assert.That(terminal.StdOut, Does.Not.Contain(Escape), "NO_COLOR: no escape codes at all");
            Assert.That(BoxDrawing.Where(terminal.StdOut.Contains), Is.Empty);
            Assert.That(terminal.StdOut, Does.Contain("Hidden to fit 80 columns: refresh_token, access_token"));
        });
    }

    [Test]
    public void List_WideTerminal_ShowsTheSecretColumnsRedacted()
    {
        using var sandbox = SandboxWithTwoTokens(out var ada, out _);

        var terminal = InTerminal(sandbox, 200, "list");

        var header = terminal.StdOut.Replace("\r", "", StringComparison.Ordinal).Split('\n')[0];
        Assert.Multiple(() =>
        {
            Assert.That(terminal.ExitCode, Is.EqualTo(0), terminal.ToString());
            Assert.That(header.Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(ListHeader));
            Assert.That(terminal.StdOut, Does.Contain("1000…(70 chars)").And.Contain(CliTokens.ClientA));
            Assert.That(terminal.StdOut, Does.Not.Contain(ada.RefreshToken).And.Not.Contain("Hidden"));
        });
    }

    [Test]
    public void Put_PrintsOnlyTheIdOnStdout_FieldJsonAndFromJsonWork()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com");
        var bob = CliTokens.Token("bob@example.com", id: "bob1");
        var file = sandbox.File("bob.json");
        File.WriteAllText(file, CommandsEndToEndTests.TokenJson(bob));

        var plain = sandbox.RunWithInput(ada.RefreshToken + "\n", "put", "--user", "ada@example.com", "--client-id", CliTokens.ClientA, "--refresh-token", "-");
        var fromFile = sandbox.Run("put", "--from-json", file, "--field", "user_name");
        var asJson = sandbox.Run("put", "--id", "bob1", "--expiry-time", "1767225600001", "--json");
        var legacy = sandbox.RunWithInput(CommandsEndToEndTests.TokenJson(CliTokens.Token("cy@example.com", id: "cy1")), "put", "--json");

        var id = plain.StdOut.Trim();
        Assert.Multiple(() =>
        {
            Assert.That(plain.ExitCode, Is.EqualTo(0), plain.ToString());
            Assert.That(plain.StdOut, Does.Match("^[0-9a-f]{32}\n$"), "only the new id");
            Assert.That(plain.StdErr.Trim(), Is.EqualTo($"Saved token {id}."));
            Assert.That(fromFile.StdOut, Is.EqualTo("bob@example.com\n"), fromFile.ToString());
            Assert.That(JsonDocument.Parse(asJson.StdOut).RootElement.GetProperty("expiry_time").GetString(), Is.EqualTo("1767225600001"), asJson.ToString());
            Assert.That(JsonDocument.Parse(legacy.StdOut).RootElement.GetProperty("id").GetString(), Is.EqualTo("cy1"), legacy.ToString());
            Assert.That(JsonDocument.Parse(asJson.StdOut).RootElement.GetProperty("user_name").GetString(), Is.EqualTo("bob@example.com"), "the rest kept");
            Assert.That(sandbox.Tokens().Keys, Is.EquivalentTo(new[] { id, "bob1", "cy1" }));
        });
    }

    [Test]
    public void Json_RedactedSecret_IsAnObjectWithItsLength_RevealGivesTheString()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com", id: "ada1");
        ada.GrantToken = null;
        sandbox.Save(ada);

        var redacted = sandbox.Run("get", "--id", "ada1", "--json");
        var revealed = sandbox.Run("list", "--json", "--reveal");

        var token = JsonDocument.Parse(redacted.StdOut).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(token.GetProperty("refresh_token").ValueKind, Is.EqualTo(JsonValueKind.Object), redacted.ToString());
            Assert.That(token.GetProperty("refresh_token").GetProperty("redacted").GetBoolean(), Is.True);
            Assert.That(token.GetProperty("refresh_token").GetProperty("length").GetInt32(), Is.EqualTo(ada.RefreshToken!.Length));
            Assert.That(token.GetProperty("grant_token").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(token.GetProperty("user_name").GetString(), Is.EqualTo("ada@example.com"));
            Assert.That(redacted.AllOutput, Does.Not.Contain(ada.RefreshToken).And.Not.Contain("chars)"));
            Assert.That(JsonDocument.Parse(revealed.StdOut).RootElement[0].GetProperty("refresh_token").GetString(), Is.EqualTo(ada.RefreshToken));
        });
    }

    [Test]
    public void Field_RawValuesOneALine_SecretNeedsReveal()
    {
        using var sandbox = SandboxWithTwoTokens(out var ada, out var bob);

        var ids = sandbox.Run("list", "--field", "id");
        var secret = sandbox.Run("get", "--id", ada.Id!, "--field", "access_token");
        var revealed = sandbox.Run("get", "--id", ada.Id!, "--field", "access_token", "--reveal");
        var unknown = sandbox.Run("list", "--field", "nope");
        var count = sandbox.Run("stats", "--field", "token_count");

        Assert.Multiple(() =>
        {
            Assert.That(ids.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EquivalentTo(new[] { ada.Id, bob.Id }), ids.ToString());
            Assert.That(secret.ExitCode, Is.EqualTo(2), secret.ToString());
            Assert.That(secret.StdErr, Does.StartWith("error: --field access_token is a secret; add --reveal"));
            Assert.That(secret.StdOut, Is.Empty);
            Assert.That(revealed.StdOut, Is.EqualTo(ada.AccessToken + "\n"), revealed.ToString());
            Assert.That(revealed.StdErr, Does.StartWith("warning: --reveal"));
            Assert.That(unknown.ExitCode, Is.EqualTo(2), unknown.ToString());
            Assert.That(unknown.StdErr, Does.Contain("user_name"));
            Assert.That(count.StdOut, Is.EqualTo("2\n"), count.ToString());
        });
    }

    [Test]
    public void Quiet_NoMessagesOnStderr_DataStillOnStdout_ErrorsStillShown()
    {
        using var sandbox = SandboxWithTwoTokens(out var ada, out _);

        var list = sandbox.Run("-q", "list");
        var delete = sandbox.Run("delete", ada.Id!, "--quiet");
        var missing = sandbox.Run("--quiet", "delete", ada.Id!);

        Assert.Multiple(() =>
        {
            Assert.That(list.StdErr, Is.Empty, list.ToString());
            Assert.That(list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(3));
            Assert.That(delete.ExitCode, Is.EqualTo(0), delete.ToString());
            Assert.That(delete.AllOutput.Trim(), Is.Empty);
            CommandsEndToEndTests.AssertError(missing, 5, "error: NOT_FOUND");
        });
    }

    [Test]
    public void JsonOnCommandsThatReport_OneDocumentOnStdout()
    {
        using var sandbox = SandboxWithTwoTokens(out var ada, out _);

        var delete = sandbox.Run("delete", ada.Id!, "--json");
        var rotate = sandbox.Run("rotate", "--json");
        var purge = sandbox.Run("purge", "--yes", "--json");
        var compact = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "compact", "--json");
        var init = sandbox.RunBare(null, null, "--store", sandbox.File("new.db"), "init", "--create-key-file", sandbox.File("new.key"), "--json");

        Assert.Multiple(() =>
        {
            Assert.That(JsonDocument.Parse(delete.StdOut).RootElement.GetProperty("deleted")[0].GetString(), Is.EqualTo(ada.Id), delete.ToString());
            Assert.That(delete.StdErr, Does.Contain("Deleted token"));
            Assert.That(JsonDocument.Parse(rotate.StdOut).RootElement.GetProperty("records_rewritten").GetInt32(), Is.EqualTo(1), rotate.ToString());
            Assert.That(rotate.StdErr, Does.Contain("Rotated: 1 of 1"));
            Assert.That(JsonDocument.Parse(purge.StdOut).RootElement.GetProperty("deleted").GetInt32(), Is.EqualTo(1), purge.ToString());
            Assert.That(JsonDocument.Parse(compact.StdOut).RootElement.GetProperty("size_after_bytes").GetInt64(), Is.GreaterThan(0), compact.ToString());
            Assert.That(JsonDocument.Parse(init.StdOut).RootElement.GetProperty("key_file").GetString(), Is.EqualTo(sandbox.File("new.key")), init.ToString());
            Assert.That(init.StdErr, Does.Contain("Created store"));
        });
    }

    [Test]
    public void ExportDash_BackupToStdout_ImportDashReadsItFromStdin()
    {
        using var sandbox = SandboxWithTwoTokens(out var ada, out var bob);
        var backup = sandbox.File("piped.backup");
        var other = sandbox.File("other.db");
        var tool = $"dotnet '{CliRunner.DllPath}' --key-file '{sandbox.KeyPath}'";

        var export = CliRunner.RunProgram("/bin/sh", ["-c", $"{tool} --store '{sandbox.StorePath}' export --to backup - > '{backup}'"], null, sandbox.Path);
        var init = sandbox.RunBare(null, null, "--store", other, "--key-file", sandbox.KeyPath, "init");
        var import = CliRunner.RunProgram("/bin/sh", ["-c", $"{tool} --store '{other}' import --from backup - < '{backup}'"], null, sandbox.Path);
        var list = sandbox.RunBare(null, null, "--store", other, "--key-file", sandbox.KeyPath, "list", "--field", "id");

        Assert.Multiple(() =>
        {
            Assert.That(export.ExitCode, Is.EqualTo(0), export.ToString());
            Assert.That(export.StdErr, Does.Contain("Wrote an encrypted backup of 2 token(s) to stdout"));
            Assert.That(File.ReadAllBytes(backup)[..8], Is.EqualTo("TSBACKUP"u8.ToArray()));
            Assert.That(init.ExitCode, Is.EqualTo(0), init.ToString());
            Assert.That(import.ExitCode, Is.EqualTo(0), import.ToString());
            Assert.That(import.StdErr, Does.Contain("Imported 2 of 2 token(s) from backup on stdin"));
            Assert.That(list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EquivalentTo(new[] { ada.Id, bob.Id }));
        });
    }

    [Test]
    [Category("Slow")]
    public void Demo_Piped_PlainLinesAndTryCommandsOnOneLine()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        var folder = sandbox.File("demo");

        var demo = sandbox.RunBare(null, null, "demo", "--dir", folder);

        var tryLine = demo.StdOut.Split('\n').Single(l => l.StartsWith("Try ", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(demo.ExitCode, Is.EqualTo(0), demo.ToString());
            Assert.That(tryLine, Does.EndWith(" list").And.Contain("--key-file"), "the command is whole on its line");
            Assert.That(demo.StdOut, Does.Contain("== 6. list =="));
            Assert.That(BoxDrawing.Where(demo.StdOut.Contains), Is.Empty);
            Assert.That(demo.StdOut, Does.Not.Contain(Escape));
        });
    }

    private static CliSandbox SandboxWithTwoTokens(out OAuthToken ada, out OAuthToken bob)
    {
        var sandbox = CliSandbox.Create();
        ada = CliTokens.Token("ada@example.com", id: "0123456789abcdef0123456789abcdef");
        bob = CliTokens.Token("bob@example.com", CliTokens.ClientB, id: "fedcba9876543210fedcba9876543210");
        sandbox.Save(ada, bob);
        return sandbox;
    }

    /// <summary>Runs <c>tokenstore</c> with stdout and stderr on a terminal <paramref name="columns"/> wide (NO_COLOR=1, as every run here).</summary>
    private static CliResult InTerminal(CliSandbox sandbox, int columns, params string[] args)
    {
        Assume.That(File.Exists(Script), "needs util-linux 'script' to give the tool a terminal");
        var command = $"stty cols {columns}; dotnet '{CliRunner.DllPath}' --store '{sandbox.StorePath}' --key-file '{sandbox.KeyPath}' {string.Join(' ', args)}";
        return CliRunner.RunProgram(Script, ["-qec", command, "/dev/null"], null, sandbox.Path);
    }
}
