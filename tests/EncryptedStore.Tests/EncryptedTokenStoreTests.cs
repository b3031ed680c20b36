using EncryptedStore.Storage.LiteDb;
using System.Runtime.Versioning;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Tests;

public class EncryptedTokenStoreTests : StoreFolderTest
{

    [TestCase("tokens")]
    [TestCase("keys")]
    [TestCase("keyring")]
    public void Open_CollectionMissing_ThrowsIntegrity(string collection)
    {
        // A damaged file header can lose a collection's name; without its tokens the store would look empty.
        using (var store = StoreFixture.Open(StorePath))
        {
            store.SaveToken(StoreFixture.Token("a@example.com"));
        }

        using (var file = LiteDbFiles.Open(StorePath, flushToDisk: true, TimeSpan.Zero, shared: false))
        {
            Assert.That(file.Database.DropCollection(collection), Is.True);
        }

        var e = Assert.Throws<TokenStoreException>(() => StoreFixture.Open(StorePath).Dispose());

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
        StoreFixture.Open(StorePath).Dispose();
        File.SetUnixFileMode(StorePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        AssertRefused(StorePath, mode);
    }

    [Test]
    [Platform(Exclude = "Win")]
    [UnsupportedOSPlatform("windows")]
    public void Open_LogFileAccessibleByOthers_IsRefusedNamingTheLog()
    {
        StoreFixture.Open(StorePath).Dispose();
        var log = Dir.File("tokens-log.db");
        File.WriteAllBytes(log, []);
        File.SetUnixFileMode(log, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);

        AssertRefused(log, "660");
    }

    [Test]
    [Platform(Exclude = "Win")]
    [UnsupportedOSPlatform("windows")]
    public void Open_OwnerOnlyFilesOrExecuteBitOnly_Opens()
    {
        StoreFixture.Open(StorePath).Dispose();
        File.SetUnixFileMode(StorePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

        Assert.That(() => StoreFixture.Open(StorePath).Dispose(), Throws.Nothing);
    }

    private void AssertRefused(string file, string mode)
    {
        var before = StoreFiles.Sha256(StorePath);
        var e = Assert.Throws<TokenStoreException>(() => StoreFixture.Open(StorePath).Dispose());
        Assert.Multiple(() =>
        {
            Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.UnsafeFile));
            Assert.That(e.Message, Does.Contain(file).And.Contain($"mode {mode}").And.Contain("chmod 600"));
            Assert.That(StoreFiles.Sha256(StorePath), Is.EqualTo(before));
        });
    }
}
