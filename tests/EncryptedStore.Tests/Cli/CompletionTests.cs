using System.Runtime.Versioning;

namespace EncryptedStore.Tests.Cli;

/// <summary><c>tokenstore completion</c>: scripts made from the command tree that a real shell accepts and completes with.</summary>
[Parallelizable(ParallelScope.All)]
[UnsupportedOSPlatform("windows")]
public class CompletionTests
{
    [Test]
    public void Bash_ScriptIsValid_AndCompletesCommandsOptionsAndValues()
    {
        Assume.That(File.Exists("/bin/bash"), "needs bash");
        using var sandbox = CliSandbox.Create(withStore: false);
        var generated = sandbox.RunBare(null, null, "completion", "bash");
        var script = sandbox.File("tokenstore.bash");
        File.WriteAllText(script, generated.StdOut);

        var syntax = CliRunner.RunProgram("/bin/bash", ["-n", script], null, sandbox.Path);
        var completed = CliRunner.RunProgram("/bin/bash", ["-c", $"""
            source '{script}'
            complete_words() {"{"} COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _tokenstore; echo "${"{"}COMPREPLY[*]{"}"}"; {"}"}
            complete_words tokenstore li
            complete_words tokenstore import --from ''
            complete_words tokenstore get --client-
            complete_words tokenstore stat
            """], null, sandbox.Path);

        var lines = completed.StdOut.Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(generated.ExitCode, Is.EqualTo(0), generated.ToString());
            Assert.That(syntax.ExitCode, Is.EqualTo(0), syntax.ToString());
            Assert.That(completed.ExitCode, Is.EqualTo(0), completed.ToString());
            Assert.That(lines[0], Is.EqualTo("list"));
            Assert.That(lines[1], Is.EqualTo("backup mysql sqlite zoho-csv"));
            Assert.That(lines[2], Is.EqualTo("--client-id --client-secret"));
            Assert.That(lines[3], Is.EqualTo("stats status"));
        });
    }

    [Test]
    public void Bash_OneOptionNameInTwoCommands_CompletesAsEachCommandMeansIt()
    {
        Assume.That(File.Exists("/bin/bash"), "needs bash");
        using var sandbox = CliSandbox.Create(withStore: false);
        var script = sandbox.File("tokenstore.bash");
        File.WriteAllText(script, sandbox.RunBare(null, null, "completion", "bash").StdOut);

        var completed = CliRunner.RunProgram("/bin/bash", ["-c", $"""
            source '{script}'
            complete_words() {"{"} COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _tokenstore; echo "${"{"}COMPREPLY[*]{"}"}"; {"}"}
            complete_words tokenstore import --from ''
            complete_words tokenstore copy --from mas
            complete_words tokenstore export --to ''
            complete_words tokenstore --store mas
            """], null, sandbox.Path);

        var lines = completed.StdOut.Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(completed.ExitCode, Is.EqualTo(0), completed.ToString());
            Assert.That(lines[0], Is.EqualTo("backup mysql sqlite zoho-csv"));
            Assert.That(lines[1], Is.EqualTo("master.key"), "copy --from takes a store: file names");
            Assert.That(lines[2], Is.EqualTo("backup zoho-csv"));
            Assert.That(lines[3], Is.EqualTo("master.key"));
        });
    }

    [TestCase("zsh", "compdef _tokenstore tokenstore")]
    [TestCase("fish", "complete -c tokenstore")]
    public void OtherShells_ScriptCoversCommandsAndOptions(string shell, string marker)
    {
        var result = CliRunner.Run(["completion", shell]);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            Assert.That(result.StdOut, Does.Contain(marker).And.Contain("change-master-key").And.Contain("no-open").And.Contain("zoho-csv"));
        });
    }
}
