using EncryptedStore.Benchmarks.Soak;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Benchmarks;

/// <summary>The benchmark project's soak run, for a few seconds: many threads on one store, every answer checked, with a rotation, a compaction and a master-key change meanwhile.</summary>
public class SoakRunnerTests
{
    private static readonly string[] MaintenanceSteps = ["RotateKeys", "Compact", "ChangeMasterKey", "close,"];

    [Test]
    [Category("Slow")]
    public void Run_FewSecondsOnFourThreads_EveryOperationKindRunsWithoutError()
    {
        using var dir = new TempDirectory();
        var report = SoakRunner.Run(new SoakOptions
        {
            Duration = TimeSpan.FromSeconds(2.5),
            Threads = 4,
            SharedTokens = 200,
            SlotsPerThread = 16,
            StorePath = dir.File("soak.db"),
            FlushToDisk = false,
        });

        Assert.Multiple(() =>
        {
            Assert.That(report.Errors, Is.Empty, string.Join(Environment.NewLine, report.FirstErrors));
            Assert.That(Enum.GetValues<SoakOperation>().Where(o => report.Operations[o] == 0), Is.Empty, "operation kinds that never ran");
            Assert.That(report.TokensAtEnd, Is.GreaterThan(200), "the shared tokens and some of the threads' own");
            Assert.That(report.Events.Select(e => e.Name.Split(' ')[0]), Is.EqualTo(MaintenanceSteps), "the maintenance steps, in order");
            Assert.That(report.Events.Where(e => e.Failed).Select(e => $"{e.Name}: {e.Outcome}"), Is.Empty);
        });
    }

    [TestCase("30s", 30)]
    [TestCase("5m", 300)]
    [TestCase("1h", 3_600)]
    [TestCase(" 2M ", 120)]
    [TestCase("24h", 86_400)]
    [TestCase("86400s", 86_400)]
    public void ParseDuration_WholeNumberWithUnit_ReturnsIt(string text, int seconds) =>
        Assert.That(SoakDuration.Parse(text), Is.EqualTo(TimeSpan.FromSeconds(seconds)));

    [TestCase("")]
    [TestCase("30")]
    [TestCase("s")]
    [TestCase("0s")]
    [TestCase("-5m")]
    [TestCase("1.5h")]
    [TestCase("5 m")]
    [TestCase("10d")]
    [TestCase("25h")]
    [TestCase("1441m")]
    [TestCase("86401s")]
    [TestCase("99999999999999999999h")]
    public void ParseDuration_MalformedOrOverTheCap_Throws(string text) =>
        Assert.That(() => SoakDuration.Parse(text), Throws.TypeOf<FormatException>());
}
