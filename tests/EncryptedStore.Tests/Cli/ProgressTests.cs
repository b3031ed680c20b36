using EncryptedStore.Cli.Output;
using Microsoft.Extensions.Time.Testing;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// Progress on stderr: plain lines when stderr is not a terminal, none for short work or with <c>--quiet</c>.
/// The line format against a real child process is checked in <see cref="InterruptTests"/>.
/// </summary>
public class ProgressTests
{
    [Test]
    public void Run_NotATerminal_FirstLineAfterTwoSecondsThenAtMostEveryFive()
    {
        var (console, error) = Console();
        var time = new FakeTimeProvider();

        ProgressReporter.Run(console, time, "Importing tokens", "imported", 20_000, progress =>
        {
            progress.Report((1_000, 0));        // at 0 s: too early
            time.Advance(TimeSpan.FromSeconds(2.5));
            progress.Report((5_000, 0));        // 2.5 s: the first line
            time.Advance(TimeSpan.FromSeconds(1));
            progress.Report((7_000, 0));        // 3.5 s: within 5 s of the first
            time.Advance(TimeSpan.FromSeconds(5));
            progress.Report((17_000, 0));       // 8.5 s: the second line
            progress.Report((20_000, 0));       // done: the command's result says it
            return 0;
        });

        Assert.That(error.ToString().ReplaceLineEndings("\n"), Is.EqualTo(
            "imported 5,000 of 20,000 (25%), 2,000/s, about 8 s left\n"
            + "imported 17,000 of 20,000 (85%), 2,000/s, about 2 s left\n"));
    }

    [Test]
    public void Run_Quiet_PrintsNothing()
    {
        var (console, error) = Console();
        console.Quiet = true;
        var time = new FakeTimeProvider();

        ProgressReporter.Run(console, time, "Verifying tokens", "verified", 10, progress =>
        {
            time.Advance(TimeSpan.FromMinutes(1));
            progress.Report((5, 10));
            return 0;
        });

        Assert.That(error.ToString(), Is.Empty);
    }

    [TestCase(0.2, "1 s")]
    [TestCase(7, "7 s")]
    [TestCase(185, "3 min 5 s")]
    [TestCase(3900, "1 h 5 min")]
    public void Duration_IsShortAndReadable(double seconds, string expected) =>
        Assert.That(ProgressReporter.Duration(TimeSpan.FromSeconds(seconds)), Is.EqualTo(expected));

    [Test]
    public void Import_SmallSource_ShowsNoProgress()
    {
        using var sandbox = CliSandbox.Create();
        var csv = InterruptTests.WriteCsv(sandbox, 3);

        var result = sandbox.Run("import", "--from", "zoho-csv", csv);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            Assert.That(result.StdErr, Does.Not.Contain("checked").And.Not.Contain(" of 3 ("));
            Assert.That(sandbox.Tokens(), Has.Count.EqualTo(3));
        });
    }

    private static (CliConsole Console, StringWriter Error) Console()
    {
        var error = new StringWriter();
        return (new CliConsole(new StringWriter(), error, new StringReader(string.Empty), inputIsTerminal: false, outputIsTerminal: false, errorIsTerminal: false), error);
    }
}
