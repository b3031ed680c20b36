using EncryptedStore.Cli;

namespace EncryptedStore.Tests.Cli;

/// <summary>Parse errors name positions and options, never a value the user typed (it may be a secret).</summary>
public sealed class ParseErrorTests
{
    private const string Secret = "1000.0123456789abcdef0123456789abcdef.fedcba9876543210";

    [Test]
    public void MistypedOption_ItsValueIsNotEchoed()
    {
        var result = CliRunner.Run(["put", "--acess-token", Secret, "--user", "ada@example.com"]);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2));
            Assert.That(result.AllOutput, Does.Not.Contain(Secret));
            Assert.That(result.StdErr, Does.Contain("--acess-token").And.Contain("unexpected value at position 3 (not shown"), "the option stays, the value is named by position");
        });
    }

    [TestCase("Unrecognized command or argument '1000.SECRET.TOKEN'.", "Unrecognized command or argument argument 2.")]
    [TestCase("Option '--client-secret' expects a single argument but 2 were provided: 1000.SECRET.TOKEN", "Option '--client-secret' expects a single argument but 2 were provided: argument 2")]
    [TestCase("Required argument missing for command: 'put'.", "Required argument missing for command: 'put'.")]
    public void WithoutValues_ReplacesEachTypedValueByItsPosition(string message, string expected)
    {
        Assert.That(CliApp.WithoutValues(message, ["put", "1000.SECRET.TOKEN", "--client-secret"], new HashSet<string> { "put" }), Is.EqualTo(expected));
    }
}
