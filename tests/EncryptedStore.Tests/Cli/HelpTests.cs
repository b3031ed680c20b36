using System.CommandLine;
using EncryptedStore.Cli;
using EncryptedStore.Cli.Commands;
using EncryptedStore.Cli.Output;

namespace EncryptedStore.Tests.Cli;

/// <summary>Every command's help ends with realistic examples.</summary>
public class HelpTests
{
    [Test]
    public void EveryCommand_HasTwoToFourExamples_ThatStartWithTheToolAndNameTheCommand()
    {
        var root = CreateRoot();

        Assert.Multiple(() =>
        {
            foreach (var command in root.Subcommands.Prepend(root))
            {
                var examples = HelpExamples.For(command);
                Assert.That(examples, Has.Count.InRange(2, 4), command.Name);
                Assert.That(examples, Has.All.Contain("tokenstore"), command.Name);
                if (command != root)
                {
                    Assert.That(examples, Has.All.Contain(" " + command.Name), command.Name);
                }
            }
        });
    }

    [Test]
    public void EveryCommand_HelpShowsItsExamples()
    {
        var root = CreateRoot();

        Assert.Multiple(() =>
        {
            foreach (var command in root.Subcommands)
            {
                using var output = new StringWriter();
                root.Parse([command.Name, "--help"]).Invoke(new InvocationConfiguration { Output = output });
                Assert.That(output.ToString(), Does.Contain("Examples:\n  " + HelpExamples.For(command)[0]), command.Name);
            }
        });
    }

    private static RootCommand CreateRoot()
    {
        var console = CliConsole.FromSystemConsole();
        return RootCommandFactory.Create(new CommandEnvironment(new GlobalOptions(), console, TimeProvider.System, Interruption.None(console)));
    }

    [TestCase("get")]
    [TestCase("status")]
    public void Help_FromTheTool_HasAnExamplesSection(string command)
    {
        var help = CliRunner.Run([command, "--help"]);

        Assert.Multiple(() =>
        {
            Assert.That(help.ExitCode, Is.EqualTo(0), help.ToString());
            Assert.That(help.StdOut, Does.Contain("Examples:").And.Contain($"tokenstore {command}"));
        });
    }
}
