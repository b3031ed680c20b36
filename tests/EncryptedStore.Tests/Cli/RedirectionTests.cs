namespace EncryptedStore.Tests.Cli;

/// <summary>
/// Output redirected to a regular file, as scripts and CI logs do: stdout and stderr sharing one file
/// (<c>&gt; log 2&gt;&amp;1</c>) and several commands writing to one redirection must append, never overwrite.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class RedirectionTests
{
    [Test]
    public void StdoutAndStderrToOneFile_BothKeptInOrder()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com"));
        var log = sandbox.File("log.txt");

        var result = Shell(sandbox, $"dotnet \"$DLL\" list > '{log}' 2>&1");

        var text = File.ReadAllText(log);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            Assert.That(text, Does.StartWith("id\tuser_name\t"), "the table, written first, is still there");
            Assert.That(text, Does.Contain("ada@example.com").And.EndWith("1 token(s).\n"));
        });
    }

    [Test]
    public void SeveralCommandsToOneRedirection_EachOutputFollowsTheLast()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com"));
        var log = sandbox.File("log.txt");

        var result = Shell(sandbox, $"{{ dotnet \"$DLL\" stats --field token_count; dotnet \"$DLL\" list --field user_name; dotnet \"$DLL\" stats --field format_version; }} > '{log}'");

        var lines = File.ReadAllLines(log);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            Assert.That(lines, Has.Length.EqualTo(3), string.Join(" | ", lines));
            Assert.That(lines.ElementAtOrDefault(0), Is.EqualTo("1"));
            Assert.That(lines.ElementAtOrDefault(1), Is.EqualTo("ada@example.com"));
            Assert.That(lines.ElementAtOrDefault(2), Does.Match("^[0-9]+$"));
        });
    }

    private static CliResult Shell(CliSandbox sandbox, string script) =>
        CliRunner.RunProgram("/bin/sh", ["-c", script], null, sandbox.Path, new Dictionary<string, string?>
        {
            ["DLL"] = CliRunner.DllPath,
            ["TOKENSTORE_STORE"] = sandbox.StorePath,
            ["TOKENSTORE_KEY_FILE"] = sandbox.KeyPath,
        });
}
