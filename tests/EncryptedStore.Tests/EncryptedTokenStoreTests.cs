using EncryptedStore.Storage.LiteDb;
using System.Runtime.Versioning;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Tests;

public class EncryptedTokenStoreTests
{
    private const int FileAccessibleByOthersEvent = 17;

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
    public void Open_StoreFileAccessibleByOthers_LogsAWarningNamingPathAndMode(UnixFileMode extra, string mode)
    {
        StoreFixture.Open(_path).Dispose();
        File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        var warnings = OpenAndCollectPermissionWarnings();

        Assert.That(warnings, Is.EqualTo(new[] { $"Store file '{_path}' is accessible by other users (mode {mode}); chmod 600 it" }));
    }

    [Test]
    [Platform(Exclude = "Win")]
    [UnsupportedOSPlatform("windows")]
    public void Open_LogFileAccessibleByOthers_LogsAWarningNamingTheLog()
    {
        StoreFixture.Open(_path).Dispose();
        var log = _dir.File("tokens-log.db");
        File.WriteAllBytes(log, []);
        File.SetUnixFileMode(log, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);

        var warnings = OpenAndCollectPermissionWarnings();

        Assert.That(warnings, Is.EqualTo(new[] { $"Store file '{log}' is accessible by other users (mode 660); chmod 600 it" }));
    }

    [Test]
    [Platform(Exclude = "Win")]
    [UnsupportedOSPlatform("windows")]
    public void Open_OwnerOnlyFilesOrExecuteBitOnly_LogsNoPermissionWarning()
    {
        StoreFixture.Open(_path).Dispose();
        File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

        Assert.That(OpenAndCollectPermissionWarnings(), Is.Empty);
    }

    /// <summary>Opens the store at <see cref="_path"/> with a capturing logger and returns the permission warnings it logged.</summary>
    private List<string> OpenAndCollectPermissionWarnings()
    {
        var logs = new CapturingLoggerProvider();
        using (var factory = logs.CreateFactory())
        using (var key = MasterKey.FromBytes(StoreFixture.Key))
        using (new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = _path, MasterKey = key, LoggerFactory = factory }))
        {
        }

        return logs.Entries
            .Where(e => e.EventId.Id == FileAccessibleByOthersEvent)
            .Select(e => e.Level == LogLevel.Warning ? e.Message : $"{e.Level}: {e.Message}")
            .ToList();
    }
}
