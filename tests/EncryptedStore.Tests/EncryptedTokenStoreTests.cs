using EncryptedStore.Storage.LiteDb;
using System.Runtime.Versioning;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Tests;

public class EncryptedTokenStoreTests
{

    private TempDirectory _dir = null!;
    private string _path = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _path = _dir.File("tokens.db");
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [TestCase("tokens")]
    [TestCase("keys")]
    [TestCase("keyring")]
    public void Open_CollectionMissing_ThrowsIntegrity(string collection)
    {
        // A damaged file header can lose a collection's name; without its tokens the store would look empty.
        using (var store = StoreFixture.Open(_path))
        {
            store.SaveToken(StoreFixture.Token("a@example.com"));
        }

        using (var file = LiteDbFiles.Open(_path, flushToDisk: true, TimeSpan.Zero, shared: false))
        {
            Assert.That(file.Database.DropCollection(collection), Is.True);
        }

        var e = Assert.Throws<TokenStoreException>(() => StoreFixture.Open(_path).Dispose());

        Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.Integrity));
    }

    [TestCase(UnixFileMode.OtherRead, "604")]
    [TestCase(UnixFileMode.GroupRead | UnixFileMode.OtherRead, "644")]
    [TestCase(UnixFileMode.GroupWrite, "620")]
    [Platform(Exclude = "Win")]
    [UnsupportedOSPlatform("windows")]
    public void Open_StoreFileAccessibleByOthers_IsRefusedNamingPathAndModeAndLeftUnchanged(UnixFileMode extra, string mode)
    {
        // Was a warning in the log only; records must not be readable by other users, so the file is refused.
        StoreFixture.Open(_path).Dispose();
        File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        AssertRefused(_path, mode);
    }

    [Test]
    [Platform(Exclude = "Win")]
    [UnsupportedOSPlatform("windows")]
    public void Open_LogFileAccessibleByOthers_IsRefusedNamingTheLog()
    {
        StoreFixture.Open(_path).Dispose();
        var log = _dir.File("tokens-log.db");
        File.WriteAllBytes(log, []);
        File.SetUnixFileMode(log, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);

        AssertRefused(log, "660");
    }

    [Test]
    [Platform(Exclude = "Win")]
    [UnsupportedOSPlatform("windows")]
    public void Open_OwnerOnlyFilesOrExecuteBitOnly_Opens()
    {
        StoreFixture.Open(_path).Dispose();
        File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

        Assert.That(() => StoreFixture.Open(_path).Dispose(), Throws.Nothing);
    }

    private void AssertRefused(string file, string mode)
    {
        var before = StoreFiles.Sha256(_path);
        var e = Assert.Throws<TokenStoreException>(() => StoreFixture.Open(_path).Dispose());
        Assert.Multiple(() =>
        {
            Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.UnsafeFile));
            Assert.That(e.Message, Does.Contain(file).And.Contain($"mode {mode}").And.Contain("chmod 600"));
            Assert.That(StoreFiles.Sha256(_path), Is.EqualTo(before));
        });
    }
}
