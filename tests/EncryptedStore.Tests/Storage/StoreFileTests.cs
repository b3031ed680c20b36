using System.Runtime.Versioning;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>Closing and reopening a store file: the right key reads everything, a wrong one changes nothing.</summary>
public class StoreFileTests
{
    private const string Passphrase = "correct horse battery staple";

    private TempDirectory _templates = null!;
    private string _passphraseStore = null!;
    private OAuthToken _passphraseToken = null!;

    /// <summary>One passphrase store for the fixture: each PBKDF2 derivation costs about 0.3 s.</summary>
    [OneTimeSetUp]
    public void CreatePassphraseStore()
    {
        _templates = new TempDirectory();
        _passphraseStore = _templates.File("passphrase.db");
        _passphraseToken = StoreFixture.Token("alice@example.com");
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = _passphraseStore, MasterKey = MasterKey.FromPassphrase(Passphrase) });
        store.SaveToken(_passphraseToken);
    }

    [OneTimeTearDown]
    public void DeleteTemplates() => _templates.Dispose();

    [Test]
    public void Open_ClosedStoreWithRightKey_ReturnsEverything()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var saved = new[] { StoreFixture.Token("alice@example.com"), StoreFixture.Token("alice@example.com", "1000.CLIENTB"), StoreFixture.Token("bob@example.com") };
        using (var store = StoreFixture.Open(path))
        {
            foreach (var token in saved)
            {
                store.SaveToken(token);
            }
        }

        using var reopened = StoreFixture.Open(path);
        Assert.Multiple(() =>
        {
            Assert.That(reopened.GetTokens().Select(StoreFixture.Fields), Is.EquivalentTo(saved.Select(StoreFixture.Fields)));
            Assert.That(reopened.FindToken(new OAuthToken { RefreshToken = saved[2].RefreshToken, ClientId = saved[2].ClientId, ClientSecret = saved[2].ClientSecret }), Is.Not.Null, "the blind indexes work after reopen");
        });
    }

    [Test]
    public void Open_WrongKeyBytes_ThrowsWrongKeyAndLeavesFileUnchanged()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var token = StoreFixture.Token("alice@example.com");
        using (var store = StoreFixture.Open(path))
        {
            store.SaveToken(token);
        }

        FailedOpen.Expect(path, () => StoreFixture.Open(path, StoreFixture.OtherKey), TokenStoreErrorCodes.WrongKey);

        using var reopened = StoreFixture.Open(path);
        Assert.That(StoreFixture.Fields(reopened.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)), "the right key still opens it");
    }

    [Test]
    public void Open_PassphraseStoreWithRightPassphrase_ReturnsEverything()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        StoreFiles.CopyClosed(_passphraseStore, path);

        using (var store = OpenWithPassphrase(path, Passphrase))
        {
            Assert.That(StoreFixture.Fields(store.FindTokenById(_passphraseToken.Id!)), Is.EqualTo(StoreFixture.Fields(_passphraseToken)));
        }

        Assert.That(StoreFiles.Contains(File.ReadAllBytes(path), Passphrase), Is.False, "the passphrase is not in the file");
    }

    [Test]
    public void Open_PassphraseStoreWithWrongPassphrase_ThrowsWrongKeyAndLeavesFileUnchanged()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        StoreFiles.CopyClosed(_passphraseStore, path);

        FailedOpen.Expect(path, () => OpenWithPassphrase(path, "incorrect horse battery staple"), TokenStoreErrorCodes.WrongKey);
    }

    [Test]
    public void Open_PassphraseStoreWithKeyBytes_ThrowsWrongKeyWithHint()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        StoreFiles.CopyClosed(_passphraseStore, path);

        var exception = FailedOpen.Expect(path, () => StoreFixture.Open(path), TokenStoreErrorCodes.WrongKey);

        Assert.That(exception.Message, Does.Contain("created with a passphrase"));
    }

    [Test]
    public void Open_KeyStoreWithPassphrase_ThrowsWrongKeyWithHint()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using (StoreFixture.Open(path))
        {
        }

        var exception = FailedOpen.Expect(path, () => OpenWithPassphrase(path, Passphrase), TokenStoreErrorCodes.WrongKey);

        Assert.That(exception.Message, Does.Contain("created with key bytes"));
    }

    [Test]
    [Category("Slow")]
    public void Open_StoreOpenElsewhere_ThrowsStoreLockedUntilItCloses()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var token = StoreFixture.Token("alice@example.com");
        using (var first = StoreFixture.Open(path))
        {
            first.SaveToken(token);
            Assert.That(() => StoreFixture.Open(path).Dispose(), StoreError.WithCode(TokenStoreErrorCodes.StoreLocked));
            Assert.That(StoreFixture.Fields(first.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)), "the failed second open did not disturb the first");
        }

        using var second = StoreFixture.Open(path);
        Assert.That(second.GetTokens(), Has.Count.EqualTo(1));
    }

    [Test]
    [Platform(Exclude = "Win", Reason = "Unix file modes")]
    [UnsupportedOSPlatform("windows")]
    public void Open_NewStore_FileAndLogAreOwnerOnly()
    {
        const UnixFileMode ownerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");

        using var store = StoreFixture.Open(path);
        store.SaveToken(StoreFixture.Token("alice@example.com"));

        Assert.Multiple(() =>
        {
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(ownerReadWrite));
            Assert.That(File.GetUnixFileMode(StorePaths.LogPathFor(path)), Is.EqualTo(ownerReadWrite));
        });
    }

    [Test]
    public void LogPathFor_StorePath_IsLiteDbsNameBesideIt()
    {
        Assert.That(StorePaths.LogPathFor(Path.Combine("/data", "tokens.db")), Is.EqualTo(Path.Combine("/data", "tokens-log.db")));
    }

    [Test]
    public void Open_FolderDoesNotExist_ThrowsIoErrorAndCreatesNothing()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "missing", "tokens.db");

        Assert.That(() => StoreFixture.Open(path).Dispose(), StoreError.WithCode(TokenStoreErrorCodes.IoError));
        Assert.That(Directory.GetFileSystemEntries(dir.Path), Is.Empty);
    }

    [TestCase("", true, TestName = "{m}(no file path)")]
    [TestCase("   ", true, TestName = "{m}(blank file path)")]
    [TestCase("tokens.db", false, TestName = "{m}(a file without a master key)")]
    public void Open_IncompleteOptions_ThrowsArgumentException(string fileName, bool withKey)
    {
        using var dir = new TempDirectory();
        var path = string.IsNullOrWhiteSpace(fileName) ? fileName : dir.File(fileName);
        var options = new EncryptedTokenStoreOptions { FilePath = path, MasterKey = withKey ? MasterKey.FromBytes(StoreFixture.Key) : null };

        Assert.Multiple(() =>
        {
            Assert.That(() => new EncryptedTokenStore(options).Dispose(), Throws.ArgumentException);
            Assert.That(Directory.GetFileSystemEntries(dir.Path), Is.Empty);
        });
    }

    private static EncryptedTokenStore OpenWithPassphrase(string path, string passphrase) =>
        new(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = MasterKey.FromPassphrase(passphrase) });
}
