using EncryptedStore.Cli.Backup;
using EncryptedStore.Cli.Keys;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Cli.Backup;

public class BackupFileTests
{
    [Test]
    public void WriteRead_SameKeyFile_RoundTripsEveryField()
    {
        using var dir = new TempDirectory();
        var keyPath = dir.File("master.key");
        MasterKey.CreateKeyFile(keyPath);
        var ada = CliTokens.Token("ada@example.com", id: "1");
        var sparse = new OAuthToken { Id = "2", AccessToken = "1000.only-access" };
        using var key = KeySource.FromKeyFile(keyPath);

        BackupFile.Write(dir.File("b"), [ada, sparse], key, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var read = BackupFile.Read(dir.File("b"), key);

        Assert.That(read, Has.Count.EqualTo(2));
        Assert.Multiple(() =>
        {
            ZohoCsvImportTests.AssertSame(read[0], ada);
            Assert.That(read[0].Id, Is.EqualTo("1"));
            Assert.That(read[1].AccessToken, Is.EqualTo("1000.only-access"));
            Assert.That(read[1].UserSignature, Is.Null);
            Assert.That(read[1].RefreshToken, Is.Null);
        });
    }

    [Test]
    public void Read_PassphraseBackupWithKeyBytes_WrongKeyNamingTheKind()
    {
        using var dir = new TempDirectory();
        var keyPath = dir.File("master.key");
        MasterKey.CreateKeyFile(keyPath);
        var variable = "TS_TEST_PASS_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "a long enough passphrase");
        try
        {
            using var passphrase = KeySource.FromEnvironment(variable);
            using var keyBytes = KeySource.FromKeyFile(keyPath);
            BackupFile.Write(dir.File("b"), [CliTokens.Token("ada@example.com")], passphrase, DateTimeOffset.UnixEpoch);

            var error = Assert.Throws<TokenStoreException>(() => BackupFile.Read(dir.File("b"), keyBytes));

            Assert.Multiple(() =>
            {
                Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.WrongKey));
                Assert.That(error.Message, Does.Contain("passphrase"));
                Assert.That(BackupFile.Read(dir.File("b"), passphrase), Has.Count.EqualTo(1));
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [TestCase(20, TokenStoreErrorCodes.WrongKey, TestName = "Read_SaltChanged_WrongKey")]
    [TestCase(80, TokenStoreErrorCodes.Integrity, TestName = "Read_NonceChanged_Integrity")]
    [TestCase(-1, TokenStoreErrorCodes.Integrity, TestName = "Read_TagChanged_Integrity")]
    [TestCase(-30, TokenStoreErrorCodes.Integrity, TestName = "Read_CiphertextChanged_Integrity")]
    public void Read_ByteChanged_Refused(int offset, string code)
    {
        using var dir = new TempDirectory();
        var keyPath = dir.File("master.key");
        MasterKey.CreateKeyFile(keyPath);
        using var key = KeySource.FromKeyFile(keyPath);
        BackupFile.Write(dir.File("b"), [CliTokens.Token("ada@example.com")], key, DateTimeOffset.UnixEpoch);
        var bytes = File.ReadAllBytes(dir.File("b"));
        bytes[offset >= 0 ? offset : bytes.Length + offset] ^= 0x80;
        File.WriteAllBytes(dir.File("b"), bytes);

        var error = Assert.Throws<TokenStoreException>(() => BackupFile.Read(dir.File("b"), key));

        Assert.That(error!.Code, Is.EqualTo(code));
    }
}
