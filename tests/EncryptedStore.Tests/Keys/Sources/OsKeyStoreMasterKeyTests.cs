using System.Runtime.Versioning;
using System.Text;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Keys.Sources;

/// <summary>
/// <see cref="MasterKey.FromOsKeyStore(string, OsKeyStoreOptions)"/> with stores on disk, against a real gnome-keyring on a
/// private D-Bus session (<see cref="SecretServiceSession"/>). Each test uses names of its own in the shared session; the
/// tests that lock the keyring or need a bus without one start their own.
/// </summary>
[Platform("Linux")]
[SupportedOSPlatform("linux")]
[Parallelizable(ParallelScope.All)]
public sealed class OsKeyStoreMasterKeyTests : SecretServiceFixture
{
    [Test]
    public void FromOsKeyStore_CreateThenReopen_KeyIsInTheKeyringAndInNoFileOnDisk()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var name = NewName();
        var token = StoreFixture.Token("a@example.com");
        using (var key = Key(Session, name))
        using (var store = Open(path, key))
        {
            store.SaveToken(token);
        }

        var secret = Session.ReadWithSecretTool(name);
        int count;
        using (var key = Key(Session, name, create: false))
        using (var store = Open(path, key))
        {
            count = store.GetTokens().Count;
        }

        Assert.That(secret, Is.Not.Null.And.Length.EqualTo(MasterKey.GeneratedKeyLength), "secret-tool finds the key the store made");
        var needles = new[] { secret!, Encoding.ASCII.GetBytes(Convert.ToHexString(secret!)), Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret!)), Encoding.ASCII.GetBytes(Convert.ToBase64String(secret!)) };
        var files = Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).Concat(Directory.GetFiles(Session.Root, "*", SearchOption.AllDirectories))
            .Where(f => new FileInfo(f).Length > 0) // the bus's socket and the like hold nothing
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(count, Is.EqualTo(1));
            Assert.That(files, Has.Some.Contain("keyrings"), "the keyring's own file is among those scanned");
            Assert.That(files.Where(f => needles.Any(n => Contains(ReadAll(f), n))), Is.Empty, "files holding the master key");
            Assert.That(File.Exists(MasterKey.WrappedKeyPathFor(path)), Is.False);
        });
    }

    [Test]
    public void Open_ExistingStoreWithAnUnknownName_ThrowsMasterKeyNotFoundAndMakesNoKey()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using (var key = Key(Session, NewName()))
        {
            Open(path, key).Dispose();
        }

        var typo = NewName();
        using var wrong = Key(Session, typo);
        Assert.Multiple(() =>
        {
            Assert.That(() => Open(path, wrong), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyNotFound).And.Message.Contain(typo));
            Assert.That(Session.CountItems(typo), Is.Zero, "opening never makes a key");
        });
    }

    [Test]
    public void Create_WithCreateIfMissingFalse_ThrowsMasterKeyNotFoundAndMakesNoKey()
    {
        using var dir = new TempDirectory();
        var name = NewName();
        using var key = Key(Session, name, create: false);

        Assert.Multiple(() =>
        {
            Assert.That(() => Open(dir.File("tokens.db"), key), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyNotFound));
            Assert.That(Session.CountItems(name), Is.Zero);
        });
    }

    [Test]
    public void Open_AnotherStoresKey_ThrowsWrongKey()
    {
        using var dir = new TempDirectory();
        using (var key = Key(Session, NewName()))
        {
            Open(dir.File("a.db"), key).Dispose();
        }

        var other = NewName();
        using (var key = Key(Session, other))
        {
            Open(dir.File("b.db"), key).Dispose();
        }

        using var wrong = Key(Session, other);
        Assert.That(() => Open(dir.File("a.db"), wrong), StoreError.WithCode(TokenStoreErrorCodes.WrongKey));
    }

    [Test]
    public void DeleteFromOsKeyStore_KeyOfAStore_StoreNoLongerOpensAndSecondDeleteIsFalse()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var name = NewName();
        using (var key = Key(Session, name))
        {
            Open(path, key).Dispose();
        }

        var options = new OsKeyStoreOptions { SessionBusAddress = Session.BusAddress };
        var first = MasterKey.DeleteFromOsKeyStore(name, options);
        var second = MasterKey.DeleteFromOsKeyStore(name, options);

        using var gone = Key(Session, name, create: false);
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.True);
            Assert.That(second, Is.False);
            Assert.That(() => Open(path, gone), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyNotFound));
        });
    }

    [Test]
    public void ChangeMasterKey_FromKeyFileToOsKeyStoreAndBack_EachKeyOpensOnlyWhenInForce()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var name = NewName();
        using (var store = StoreFixture.Open(path))
        {
            store.SaveToken(StoreFixture.Token("a@example.com"));
            using var osKey = Key(Session, name);
            store.ChangeMasterKey(osKey);
        }

        using (var osKey = Key(Session, name, create: false))
        {
            Assert.That(() => StoreFixture.Open(path), StoreError.WithCode(TokenStoreErrorCodes.WrongKey));
            using var store = Open(path, osKey);
            Assert.That(store.GetTokens(), Has.Count.EqualTo(1));
            using var bytes = MasterKey.FromBytes(StoreFixture.Key);
            store.ChangeMasterKey(bytes);
        }

        using var stale = Key(Session, name, create: false);
        Assert.Multiple(() =>
        {
            Assert.That(() => Open(path, stale), StoreError.WithCode(TokenStoreErrorCodes.WrongKey));
            Assert.That(() => StoreFixture.Open(path).Dispose(), Throws.Nothing);
        });
    }

    [Test]
    public void Open_KeyringLocked_ThrowsMasterKeyLockedThenOpensOnceUnlocked()
    {
        using var session = SecretServiceSession.Start();
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var name = NewName();
        using (var key = Key(session, name))
        {
            Open(path, key).Dispose();
        }

        session.Lock();
        using var locked = Key(session, name, create: false);
        Assert.That(() => Open(path, locked), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyLocked));
        session.Unlock();
        Assert.That(() => Open(path, locked).Dispose(), Throws.Nothing);
    }

    [Test]
    public void Create_KeyringLocked_ThrowsMasterKeyLockedAndCreatesNoStore()
    {
        using var session = SecretServiceSession.Start();
        using var dir = new TempDirectory();
        session.Lock();
        using var key = Key(session, NewName());

        Assert.Multiple(() =>
        {
            Assert.That(() => Open(dir.File("tokens.db"), key), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyLocked));
            Assert.That(StoreFiles.Names(dir.Path), Is.Empty, "files left by the refused creation");
        });
    }

    [Test]
    public void Open_NoSecretServiceOnTheBus_ThrowsMasterKeyUnavailable()
    {
        using var session = SecretServiceSession.StartWithoutSecretService();
        using var dir = new TempDirectory();
        using var key = Key(session, NewName());

        Assert.That(() => Open(dir.File("tokens.db"), key), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable).And.Message.Contain("Secret Service"));
    }

    [Test]
    public void Open_NoSessionBus_ThrowsMasterKeyUnavailable()
    {
        using var dir = new TempDirectory();
        using var key = MasterKey.FromOsKeyStore(NewName(), new OsKeyStoreOptions { SessionBusAddress = "unix:path=" + dir.File("no-bus") });

        Assert.That(() => Open(dir.File("tokens.db"), key), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable));
    }

    private static MasterKey Key(SecretServiceSession session, string name, bool create = true) =>
        MasterKey.FromOsKeyStore(name, new OsKeyStoreOptions { SessionBusAddress = session.BusAddress, CreateIfMissing = create });

    private static EncryptedTokenStore Open(string path, MasterKey key) => new(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = key });

    private static string NewName() => "test-" + Guid.NewGuid().ToString("N")[..12];

    private static byte[] ReadAll(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (IOException)
        {
            return StoreFiles.ReadBypassingLock(path);
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
