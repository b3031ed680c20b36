using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// No token value is readable in the store file, its LiteDB log or its save journal: not after close,
/// and not while the store is open (when committed pages still sit in the log, and the refresh in the journal).
/// </summary>
public class AtRestTests
{
    [Test]
    public void StoreFiles_AfterSaveUpdateDeleteAndClose_HoldNoTokenValue()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var (values, ids) = SaveUpdateDelete(path, closeAfter: true, out _);

        var files = new[] { path, StorePaths.LogPathFor(path) }.Where(File.Exists).ToList();
        var bytes = files.SelectMany(File.ReadAllBytes).ToArray();

        AssertNoLeak(bytes, values, ids, string.Join(", ", files.Select(Path.GetFileName)));
    }

    [Test]
    [Platform(Exclude = "Win", Reason = "reads the open files with cat, which Windows' mandatory locks would block")]
    public void StoreFiles_WhileStoreIsOpen_HoldNoTokenValue()
    {
        // .NET's own reads of an open store throw (the store holds an exclusive flock on both files),
        // so StoreFiles.ReadBypassingLock copies them with cat, which takes no lock: the view of any
        // other program of the same user while the application runs.
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var (values, ids) = SaveUpdateDelete(path, closeAfter: false, out var store);
        using (store)
        {
            var log = StorePaths.LogPathFor(path);
            Assert.That(File.Exists(log), Is.True, "LiteDB's log exists while the store is open");
            var journal = StorePaths.JournalPathFor(path);
            Assert.That(File.Exists(journal), Is.True, "the refresh went through the save journal");
            var dataBytes = StoreFiles.ReadBypassingLock(path);
            var logBytes = StoreFiles.ReadBypassingLock(log);
            var journalBytes = StoreFiles.ReadBypassingLock(journal);
            Assert.That(logBytes, Is.Not.Empty, "the committed pages are still in the log, which is the point of this test");
            Assert.That(StoreFiles.Contains(journalBytes, ids[0]), Is.True, "control: the refreshed record is in the journal");

            AssertNoLeak(dataBytes.Concat(logBytes).Concat(journalBytes).ToArray(), values, ids, "the open data, log and journal files");
        }
    }

    private static OAuthToken Distinctive(string tag) => new()
    {
        UserSignature = new($"zq{tag}user.leakcheck@example.com"),
        ClientId = $"1000.ZQ{tag}CLIENTIDLEAKCHECK",
        ClientSecret = $"zq{tag}clientsecret0a1b2c3d4e5f",
        RefreshToken = $"1000.zq{tag}refresh.9f8e7d6c5b4a39281706",
        AccessToken = $"1000.zq{tag}access.00112233445566778899",
        GrantToken = $"1000.zq{tag}grant.aabbccddeeff00112233",
        ExpiresIn = "1767225600000",
        RedirectURL = $"https://zq{tag}redirect.example/callback",
        APIDomain = $"https://zq{tag}apidomain.example",
    };

    /// <summary>Saves three tokens, refreshes one (so an old access token existed) and deletes one.</summary>
    private static (List<string> Values, List<string> Ids) SaveUpdateDelete(string path, bool closeAfter, out EncryptedTokenStore store)
    {
        var tokens = new[] { Distinctive("aa"), Distinctive("bb"), Distinctive("cc") };
        var values = tokens.SelectMany(t => StoreFixture.Fields(t).Skip(1).Where(v => v != t.ExpiresIn).OfType<string>()).ToList();
        store = StoreFixture.Open(path);
        foreach (var token in tokens)
        {
            store.SaveToken(token);
        }

        const string refreshedAccess = "1000.zqaarefreshedaccess.99887766554433221100";
        tokens[0].AccessToken = refreshedAccess;
        values.Add(refreshedAccess);
        store.SaveToken(tokens[0]);
        store.DeleteToken(tokens[2].Id!);
        if (closeAfter)
        {
            store.Dispose();
        }

        return (values, tokens.Select(t => t.Id!).ToList());
    }

    private static void AssertNoLeak(byte[] bytes, List<string> values, List<string> ids, string what)
    {
        Assert.Multiple(() =>
        {
            // Positive control: record ids are stored in clear, so the scan must find them.
            Assert.That(ids.Take(2).Select(id => StoreFiles.Contains(bytes, id)), Is.All.True, $"control: the live records' ids are visible in {what}");
            foreach (var value in values)
            {
                Assert.That(StoreFiles.Contains(bytes, value), Is.False, $"'{value}' found in {what}");

                // A value could straddle two LiteDB pages; its distinctive core is short enough not to.
                var core = value[value.IndexOf("zq", StringComparison.OrdinalIgnoreCase)..][..10];
                Assert.That(StoreFiles.Contains(bytes, core), Is.False, $"'{core}' found in {what}");
            }

            Assert.That(bytes.AsSpan().IndexOf(StoreFixture.Key) >= 0, Is.False, $"the master key bytes are in {what}");
        });
    }
}
