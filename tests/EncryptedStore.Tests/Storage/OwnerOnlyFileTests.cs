using System.Runtime.Versioning;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

[Platform(Exclude = "Win")]
[UnsupportedOSPlatform("windows")]
public class OwnerOnlyFileTests
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Test]
    public void Open_NewStore_DataAndLogFilesAreOwnerOnly()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var store = StoreFixture.Open(path);
        store.SaveToken(StoreFixture.Token("a@example.com"));

        // The log holds the committed pages until the checkpoint at close, so it exists now.
        Assert.Multiple(() =>
        {
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(OwnerReadWrite));
            Assert.That(File.GetUnixFileMode(dir.File("tokens-log.db")), Is.EqualTo(OwnerReadWrite));
        });
    }

    [Test]
    public void CreateKeyFile_NewFile_IsOwnerOnly()
    {
        using var dir = new TempDirectory();
        var path = dir.File("master.key");

        MasterKey.CreateKeyFile(path);

        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(OwnerReadWrite));
    }
}
