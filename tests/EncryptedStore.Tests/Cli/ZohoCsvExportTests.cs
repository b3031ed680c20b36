using System.Globalization;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// <c>export --to zoho-csv</c> gives the SDK's FileStore a file it keeps working with: the FileStore makes its next
/// id with <c>int.Parse</c> of every id in the file, so our 32-hex ids would make its next insert throw.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class ZohoCsvExportTests
{
    private static readonly string[] RenumberedIds = ["1000000001", "1000000002", "1000000003"];
    private static readonly string[] SdkIds = ["1", "2", "10"];

    [Test]
    public void Export_StoreIds_RenumberedForTheSdkWithAMappingAndTheFileStoreNextIdIsNew()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com");
        var bob = CliTokens.Token("bob@example.com");
        var adaSandbox = CliTokens.Token("ada@example.com", CliTokens.ClientB);
        sandbox.Save(ada, bob, adaSandbox);
        var stored = sandbox.Tokens();
        Assert.That(stored.Keys.Any(id => int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _)), Is.False,
            "the store makes ids the SDK cannot parse, which is what this test is about");
        var csv = sandbox.File("sdk_tokens.txt");

        var result = sandbox.Run("export", "--to", "zoho-csv", csv, "--reveal");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var rows = File.ReadAllLines(csv).Skip(1).Select(line => line.Split(',')).ToList();
        var map = File.ReadAllLines(csv + ".ids.csv");
        var fileIds = rows.Select(r => r[0]).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(fileIds, Is.EqualTo(RenumberedIds));
            Assert.That(map[0], Is.EqualTo("store_id,zoho_id"));
            Assert.That(map.Skip(1).Select(l => l.Split(',')[0]), Is.EquivalentTo(stored.Keys));
            Assert.That(result.StdErr, Does.Contain("numeric ids").And.Contain(".ids.csv"));
            CommandsEndToEndTests.AssertOwnerOnly(csv + ".ids.csv");
        });

        // Each row under its new id holds the token the map names.
        foreach (var pair in map.Skip(1).Select(l => l.Split(',')))
        {
            var row = rows.Single(r => r[0] == pair[1]);
            Assert.That(row[4], Is.EqualTo(stored[pair[0]].RefreshToken), $"row {pair[1]} holds store token {pair[0]}");
        }

        // The SDK's FileStore, at its next insert: the largest id + 1, every id parsed as an int.
        var next = fileIds.Max(id => int.Parse(id, CultureInfo.InvariantCulture)) + 1;
        Assert.That(fileIds, Does.Not.Contain(next.ToString(CultureInfo.InvariantCulture)));
    }

    [Test]
    public void Export_IdsTheSdkMade_KeptAsTheyAreWithNoMapping()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com", id: "1"), CliTokens.Token("bob@example.com", id: "2"), CliTokens.Token("eve@example.com", id: "10"));
        var csv = sandbox.File("sdk_tokens.txt");

        var result = sandbox.Run("export", "--to", "zoho-csv", csv, "--reveal");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            Assert.That(File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')[0]), Is.EquivalentTo(SdkIds));
            Assert.That(File.Exists(csv + ".ids.csv"), Is.False);
            Assert.That(result.StdErr, Does.Not.Contain("numeric ids"));
        });
    }

    [Test]
    public void Export_MappingFileAlreadyThere_RefusedAndNothingWritten()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com"));
        var csv = sandbox.File("sdk_tokens.txt");
        File.WriteAllText(csv + ".ids.csv", "mine");

        var result = sandbox.Run("export", "--to", "zoho-csv", csv, "--reveal");

        Assert.Multiple(() =>
        {
            CommandsEndToEndTests.AssertError(result, 1, "error: ");
            Assert.That(result.StdErr, Does.Contain(".ids.csv"));
            Assert.That(File.Exists(csv), Is.False);
            Assert.That(File.ReadAllText(csv + ".ids.csv"), Is.EqualTo("mine"));
        });
    }
}
