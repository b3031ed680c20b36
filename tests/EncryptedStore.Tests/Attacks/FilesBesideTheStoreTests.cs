using System.Diagnostics;
using System.Runtime.Versioning;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Attacks;

/// <summary>
/// The file attacks of the security-hardening issue: links, FIFOs and files planted beside the store by someone
/// who can write in its folder. Before the hardening each one worked as its test says; each must fail now, with
/// nothing outside the store's own files changed.
/// </summary>
[Platform(Exclude = "Win")]
[UnsupportedOSPlatform("windows")]
public sealed class FilesBesideTheStoreTests
{
    private static readonly byte[] VictimBytes = "the victim's own file, which no store may touch"u8.ToArray();

    private TempDirectory _dir = null!;
    private string _path = null!;
    private string _victim = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _path = _dir.File("tokens.db");
        _victim = _dir.File("victim.txt");
        File.WriteAllBytes(_victim, VictimBytes);
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void LinkAtTheJournalPath_NextUpdate_LeavesTheTargetUntouchedAndSaves()
    {
        // Before: the next update overwrote the link's target with 2 MiB of journal.
        var token = StoreFixture.Token("ann@example.com");
        using (var store = StoreFixture.Open(_path))
        {
            store.SaveToken(token);
        }

        File.CreateSymbolicLink(_dir.File("tokens-journal.db"), _victim);
        using (var store = StoreFixture.Open(_path))
        {
            token.AccessToken = "1000.access.after-the-link";
            store.SaveToken(token);
        }

        using var reopened = StoreFixture.Open(_path);
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllBytes(_victim), Is.EqualTo(VictimBytes));
            Assert.That(((OAuthToken)reopened.FindTokenById(token.Id!)).AccessToken, Is.EqualTo("1000.access.after-the-link"));
        });
    }

    [TestCase("tokens-log.db", StoreSharing.Exclusive, TestName = "{m}(log: was truncated to 0 bytes)")]
    [TestCase("tokens-lock.db", StoreSharing.Shared, TestName = "{m}(shared mode's lock file: its first bytes were overwritten)")]
    [TestCase("tokens.db", StoreSharing.Exclusive, TestName = "{m}(the store file itself)")]
    public void LinkAtAStoreFilePath_Open_IsRefusedAndTheTargetUntouched(string name, StoreSharing sharing)
    {
        if (name != "tokens.db")
        {
            StoreFixture.Open(_path).Dispose();
        }

        File.Delete(_dir.File(name));
        File.CreateSymbolicLink(_dir.File(name), _victim);

        var e = Assert.Throws<TokenStoreException>(() => Open(sharing).Dispose());

        Assert.Multiple(() =>
        {
            Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.UnsafeFile));
            Assert.That(e.Message, Does.Contain("symbolic link"));
            Assert.That(File.ReadAllBytes(_victim), Is.EqualTo(VictimBytes));
        });
    }

    [Test]
    public void JournalPreCreatedOpenToEveryone_IsNotUsedAndAnOpenDescriptorOnItSeesNoRecord()
    {
        // Before: a journal created 0666 in advance was used as it was, and a descriptor held open on it read every
        // journaled record, even after the store closed.
        var token = StoreFixture.Token("ann@example.com");
        using (var store = StoreFixture.Open(_path))
        {
            store.SaveToken(token);
        }

        var planted = _dir.File("tokens-journal.db");
        File.WriteAllBytes(planted, []);
        File.SetUnixFileMode(planted, (UnixFileMode)0x1B6);
        using var spy = new FileStream(planted, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using (var store = StoreFixture.Open(_path))
        {
            token.AccessToken = "1000.access.journaled";
            store.SaveToken(token);
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(1), "the store made a journal of its own");
            Assert.That(File.GetUnixFileMode(planted), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }

        Assert.Multiple(() =>
        {
            Assert.That(spy.Length, Is.Zero, "nothing was written into the planted file");
            Assert.That(Directory.GetFiles(_dir.Path, "tokens-journal.db.quarantined-*"), Has.Length.EqualTo(1), "it was moved aside");
        });
    }

    [Test]
    public void FifoAtTheJournalPath_Open_DoesNotHang()
    {
        // Before: a FIFO at the journal path made the next open (and `tokenstore list`) wait forever.
        StoreFixture.Open(_path).Dispose();
        MakeFifo(_dir.File("tokens-journal.db"));

        var open = Task.Run(() =>
        {
            using var store = StoreFixture.Open(_path);
            return store.GetTokens().Count;
        });

        Assert.That(open.Wait(TimeSpan.FromSeconds(30)), Is.True, "the open returned");
        Assert.That(Directory.GetFiles(_dir.Path, "tokens-journal.db.quarantined-*"), Has.Length.EqualTo(1));
    }

    [Test]
    public void StoreFileOfAnotherUser_Open_IsRefused()
    {
        Assume.That(Environment.UserName, Is.EqualTo("root"), "changing a file's owner needs root");
        StoreFixture.Open(_path).Dispose();
        File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Run("chown", "65534", _path);

        var e = Assert.Throws<TokenStoreException>(() => StoreFixture.Open(_path).Dispose());

        Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.UnsafeFile));
        Assert.That(e.Message, Does.Contain("another user"));
    }

    [Test]
    public void KeyFileThroughALink_IsRefused()
    {
        var real = _dir.File("real.key");
        MasterKey.CreateKeyFile(real);
        File.CreateSymbolicLink(_dir.File("master.key"), real);

        Assert.That(() => MasterKey.FromKeyFile(_dir.File("master.key")), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey).And.Message.Contains("symbolic link"));
    }

    private EncryptedTokenStore Open(StoreSharing sharing) => new(new EncryptedTokenStoreOptions
    {
        FilePath = _path,
        MasterKey = MasterKey.FromBytes(StoreFixture.Key),
        Sharing = sharing,
        LockTimeout = TimeSpan.Zero,
    });

    private static void MakeFifo(string path) => Run("mkfifo", path);

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"{program} {string.Join(' ', arguments)}");
    }
}
