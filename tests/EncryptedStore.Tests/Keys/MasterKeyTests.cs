using EncryptedStore.Storage;
using System.Runtime.Versioning;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Keys;

public class MasterKeyTests
{
    // ---- FromPassphrase ------------------------------------------------------------------------

    [TestCase("", TestName = "{m}(empty)")]
    [TestCase("1234567", TestName = "{m}(one character short)")]
    public void FromPassphrase_TooShort_ThrowsInvalidMasterKey(string passphrase)
    {
        Assert.That(() => MasterKey.FromPassphrase(passphrase), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey));
    }

    [Test]
    public void FromPassphrase_MinimumLength_IsAPassphraseKey()
    {
        using var key = MasterKey.FromPassphrase("12345678");

        Assert.That(key.Kind, Is.EqualTo(MasterKeyKind.Passphrase));
    }

    [Test]
    public void FromPassphrase_Null_ThrowsArgumentNullException()
    {
        Assert.That(() => MasterKey.FromPassphrase(null!), Throws.ArgumentNullException);
    }

    // ---- FromBytes -----------------------------------------------------------------------------

    [TestCase(0)]
    [TestCase(MasterKey.MinKeyLength - 1)]
    [TestCase(MasterKey.MaxKeyLength + 1)]
    public void FromBytes_LengthOutOfRange_ThrowsInvalidMasterKey(int length)
    {
        Assert.That(() => MasterKey.FromBytes(new byte[length]), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey));
    }

    [TestCase(MasterKey.MinKeyLength)]
    [TestCase(MasterKey.MaxKeyLength)]
    public void FromBytes_LengthAtBound_IsAKey(int length)
    {
        using var key = MasterKey.FromBytes(new byte[length]);

        Assert.That(key.Kind, Is.EqualTo(MasterKeyKind.Key));
    }

    [Test]
    public void FromBytes_CallerChangesItsArrayAfterwards_KeyIsUnaffected()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var bytes = (byte[])StoreFixture.Key.Clone();
        var key = MasterKey.FromBytes(bytes);
        Array.Clear(bytes);

        using (new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = key }))
        {
        }

        Assert.That(() => StoreFixture.Open(path).Dispose(), Throws.Nothing, "the store was created with the original key bytes");
    }

    // ---- CreateKeyFile / FromKeyFile -----------------------------------------------------------

    [Test]
    [Platform(Exclude = "Win", Reason = "Unix file modes")]
    [UnsupportedOSPlatform("windows")]
    public void CreateKeyFile_NewPath_Writes32RandomBytesOwnerOnly()
    {
        using var dir = new TempDirectory();
        var first = dir.File("first.key");
        var second = dir.File("second.key");

        MasterKey.CreateKeyFile(first);
        MasterKey.CreateKeyFile(second);

        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllBytes(first), Has.Length.EqualTo(MasterKey.GeneratedKeyLength));
            Assert.That(File.GetUnixFileMode(first), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That(File.ReadAllBytes(first), Is.Not.EqualTo(File.ReadAllBytes(second)), "each key file is random");
        });
    }

    [Test]
    public void CreateKeyFile_FileExists_ThrowsInvalidMasterKeyAndLeavesItUnchanged()
    {
        using var dir = new TempDirectory();
        var path = dir.File("master.key");
        MasterKey.CreateKeyFile(path);
        var before = StoreFiles.Sha256(path);

        Assert.Multiple(() =>
        {
            Assert.That(() => MasterKey.CreateKeyFile(path), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey));
            Assert.That(StoreFiles.Sha256(path), Is.EqualTo(before));
        });
    }

    [Test]
    public void FromKeyFile_CreatedKeyFile_OpensTheStoreItCreated()
    {
        using var dir = new TempDirectory();
        var keyPath = dir.File("master.key");
        var storePath = dir.File("tokens.db");
        MasterKey.CreateKeyFile(keyPath);
        var token = StoreFixture.Token("alice@example.com");
        using (var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = storePath, MasterKey = MasterKey.FromKeyFile(keyPath) }))
        {
            store.SaveToken(token);
        }

        using var reopened = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = storePath, MasterKey = MasterKey.FromKeyFile(keyPath) });
        Assert.Multiple(() =>
        {
            Assert.That(StoreFixture.Fields(reopened.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)));
            Assert.That(() => StoreFixture.Open(dir.File("other.db"), File.ReadAllBytes(keyPath)).Dispose(), Throws.Nothing, "the file's bytes are the key");
        });
    }

    [TestCase(-1, TestName = "{m}(missing)")]
    [TestCase(0, TestName = "{m}(empty)")]
    [TestCase(MasterKey.MinKeyLength - 1, TestName = "{m}(one byte short)")]
    [TestCase(MasterKey.MaxKeyLength + 1, TestName = "{m}(one byte too long)")]
    public void FromKeyFile_MissingOrWrongSize_ThrowsInvalidMasterKey(int length)
    {
        using var dir = new TempDirectory();
        var path = dir.File("master.key");
        if (length >= 0)
        {
            File.WriteAllBytes(path, new byte[length]);
        }

        Assert.That(() => MasterKey.FromKeyFile(path), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey).And.Message.Contains(path));
    }

    [TestCase(UnixFileMode.GroupRead, "640")]
    [TestCase(UnixFileMode.OtherRead | UnixFileMode.GroupRead, "644")]
    [TestCase(UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, "666")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void FromKeyFile_AccessibleByOthers_IsRefusedNamingTheMode(UnixFileMode extra, string mode)
    {
        // Attack: a key file others can read (or replace) was accepted silently. Fails against a build without the check.
        using var dir = new TempDirectory();
        var path = dir.File("master.key");
        MasterKey.CreateKeyFile(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        Assert.That(() => MasterKey.FromKeyFile(path), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey).And.Message.Contains($"mode {mode}").And.Message.Contains("chmod 600"));
        File.SetUnixFileMode(path, UnixFileMode.UserRead);
        Assert.That(() => MasterKey.FromKeyFile(path).Dispose(), Throws.Nothing, "0400 is owner-only");
    }

    // ---- FromEnvironment -----------------------------------------------------------------------

    [Test]
    public void FromEnvironment_Base64Value_IsTheKeyBytes()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using (StoreFixture.Open(path))
        {
        }

        WithVariable("base64:" + Convert.ToBase64String(StoreFixture.Key), name =>
        {
            using var key = MasterKey.FromEnvironment(name);
            Assert.Multiple(() =>
            {
                Assert.That(key.Kind, Is.EqualTo(MasterKeyKind.Key));
                Assert.That(key.ToString(), Does.Contain(name));
                Assert.That(() => new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = key }).Dispose(), Throws.Nothing, "it opens the store made with the same bytes");
            });
        });
    }

    [Test]
    public void FromEnvironment_OtherValue_IsAPassphrase()
    {
        WithVariable("a long enough passphrase", name =>
        {
            using var key = MasterKey.FromEnvironment(name);
            Assert.Multiple(() =>
            {
                Assert.That(key.Kind, Is.EqualTo(MasterKeyKind.Passphrase));
                Assert.That(key.ToString(), Does.Contain(name).And.Not.Contain("a long enough passphrase"));
            });
        });
    }

    [TestCase(null, TestName = "{m}(unset)")]
    [TestCase("", TestName = "{m}(empty)")]
    [TestCase("short", TestName = "{m}(passphrase too short)")]
    [TestCase("base64:not*base64!", TestName = "{m}(invalid base64)")]
    [TestCase("base64:AAAA", TestName = "{m}(base64 key too short)")]
    public void FromEnvironment_UnusableValue_ThrowsInvalidMasterKey(string? value)
    {
        WithVariable(value, name =>
            Assert.That(() => MasterKey.FromEnvironment(name), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey)));
    }

    [Test]
    public void ToString_AnySource_NamesTheSourceOnly()
    {
        using var passphrase = MasterKey.FromPassphrase("Zq9 secret passphrase");
        using var bytes = MasterKey.FromBytes(StoreFixture.Key);

        Assert.Multiple(() =>
        {
            Assert.That(passphrase.ToString(), Is.EqualTo("MasterKey(passphrase)"));
            Assert.That(bytes.ToString(), Is.EqualTo("MasterKey(key bytes)"));
        });
    }

    /// <summary>Runs <paramref name="test"/> with a variable of a unique name set to <paramref name="value"/>, then removes it.</summary>
    private static void WithVariable(string? value, Action<string> test)
    {
        var name = "ES_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, value);
        try
        {
            test(name);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}
