using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using EncryptedStore.Keys.Sources;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Keys.Sources;

[Parallelizable(ParallelScope.All)]
[UnsupportedOSPlatform("windows")]
public class CertificateMasterKeyTests
{
    public enum Algorithm
    {
        Rsa,
        Ec,
    }

    [TestCase(Algorithm.Rsa)]
    [TestCase(Algorithm.Ec)]
    public void FromCertificate_CreateThenReopen_ReadsEveryToken(Algorithm algorithm)
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = Make(algorithm);

        Save(path, certificate, StoreFixture.Token("a@example.com"), StoreFixture.Token("b@example.com"));

        using var key = MasterKey.FromCertificate(certificate);
        using var store = Open(path, key);
        Assert.Multiple(() =>
        {
            Assert.That(store.GetTokens(), Has.Count.EqualTo(2));
            Assert.That(File.Exists(MasterKey.WrappedKeyPathFor(path)), Is.True);
            Assert.That(File.GetUnixFileMode(MasterKey.WrappedKeyPathFor(path)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That(key.ToString(), Does.Contain("certificate").And.Contain(certificate.Subject));
        });
    }

    [TestCase(Algorithm.Rsa)]
    [TestCase(Algorithm.Ec)]
    public void Open_AnotherCertificate_ThrowsWrongKeyAndChangesNothing(Algorithm algorithm)
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = Make(algorithm);
        using var other = Make(algorithm);
        Save(path, certificate, StoreFixture.Token("a@example.com"));
        var before = StoreFiles.Sha256(MasterKey.WrappedKeyPathFor(path));

        using var wrong = MasterKey.FromCertificate(other);
        Assert.Multiple(() =>
        {
            Assert.That(() => Open(path, wrong), StoreError.WithCode(TokenStoreErrorCodes.WrongKey).And.Message.Contain(certificate.Subject));
            Assert.That(StoreFiles.Sha256(MasterKey.WrappedKeyPathFor(path)), Is.EqualTo(before));
        });
    }

    [TestCase(Algorithm.Rsa)]
    [TestCase(Algorithm.Ec)]
    public void Create_WithThePublicKeyOnly_OpensOnlyWithThePrivateKey(Algorithm algorithm)
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = Make(algorithm);
        using var publicOnly = TestCertificates.PublicOnly(certificate);
        using (var key = MasterKey.FromCertificate(publicOnly))
        {
            Open(path, key).Dispose();
        }

        using var withoutPrivateKey = MasterKey.FromCertificate(publicOnly);
        using var withPrivateKey = MasterKey.FromCertificate(certificate);
        Assert.Multiple(() =>
        {
            Assert.That(() => Open(path, withoutPrivateKey), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable).And.Message.Contain("private key"));
            Assert.That(() => Open(path, withPrivateKey).Dispose(), Throws.Nothing);
        });
    }

    [TestCase(Algorithm.Rsa, Algorithm.Ec)]
    [TestCase(Algorithm.Ec, Algorithm.Rsa)]
    public void ChangeMasterKey_ToANewCertificate_KeepsEveryTokenAndTouchesNoRecord(Algorithm from, Algorithm to)
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var oldCertificate = Make(from);
        using var newCertificate = Make(to);
        var tokens = Enumerable.Range(0, 50).Select(i => StoreFixture.Token($"user{i}@example.com")).ToArray();
        Save(path, oldCertificate, tokens);
        var recordsBefore = RawRecords(path);

        using (var oldKey = MasterKey.FromCertificate(oldCertificate))
        using (var newKey = MasterKey.FromCertificate(newCertificate))
        using (var store = Open(path, oldKey))
        {
            store.ChangeMasterKey(newKey);
        }

        var entries = WrappedKeyFile.Read(path);
        using var reopened = MasterKey.FromCertificate(newCertificate);
        using var stale = MasterKey.FromCertificate(oldCertificate);
        Assert.Multiple(() =>
        {
            Assert.That(RawRecords(path), Is.EqualTo(recordsBefore), "no record was rewritten");
            Assert.That(entries.Select(e => e.Recipient), Is.EqualTo(new[] { CertificateKeyWrapper.RecipientOf(newCertificate) }));
            Assert.That(() => Open(path, stale), StoreError.WithCode(TokenStoreErrorCodes.WrongKey));
        });
        using var store2 = Open(path, reopened);
        Assert.That(tokens.Select(t => ((OAuthToken?)store2.FindTokenById(t.Id!))?.RefreshToken), Is.EqualTo(tokens.Select(t => t.RefreshToken)));
    }

    [Test]
    public void ChangeMasterKey_FromCertificateToKeyFileAndBack_DeletesThenWritesTheWrappedKey()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = TestCertificates.Rsa();
        Save(path, certificate, StoreFixture.Token("a@example.com"));

        using (var key = MasterKey.FromCertificate(certificate))
        using (var store = Open(path, key))
        using (var bytes = MasterKey.FromBytes(StoreFixture.Key))
        {
            store.ChangeMasterKey(bytes);
        }

        Assert.That(File.Exists(MasterKey.WrappedKeyPathFor(path)), Is.False, "a wrapped key of a store that no longer uses it");
        using (var store = StoreFixture.Open(path))
        using (var key = MasterKey.FromCertificate(certificate))
        {
            store.ChangeMasterKey(key);
        }

        int count;
        using (var again = MasterKey.FromCertificate(certificate))
        using (var reopened = Open(path, again))
        {
            count = reopened.GetTokens().Count;
        }

        Assert.Multiple(() =>
        {
            Assert.That(count, Is.EqualTo(1));
            Assert.That(WrappedKeyFile.Read(path), Has.Count.EqualTo(1));
            Assert.That(() => StoreFixture.Open(path), StoreError.WithCode(TokenStoreErrorCodes.WrongKey));
        });
    }

    [Test]
    public void Open_ChangeInterruptedBeforeTheStoreCommitted_OldCertificateStillOpens()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var oldCertificate = TestCertificates.Rsa();
        using var newCertificate = TestCertificates.Ec();
        Save(path, oldCertificate, StoreFixture.Token("a@example.com"));

        // A process killed after the new wrapped key was added beside the store and before the store committed.
        using (var newKey = MasterKey.FromCertificate(newCertificate))
        {
            _ = newKey.Prepare(path);
        }

        using var old = MasterKey.FromCertificate(oldCertificate);
        using var next = MasterKey.FromCertificate(newCertificate);
        Assert.Multiple(() =>
        {
            Assert.That(WrappedKeyFile.Read(path), Has.Count.EqualTo(2));
            Assert.That(() => Open(path, old).Dispose(), Throws.Nothing);
            Assert.That(() => Open(path, next), StoreError.WithCode(TokenStoreErrorCodes.WrongKey));
        });
    }

    [Test]
    public void Open_SameCertificateWrappedTwice_TriesTheOlderKeyWhenTheNewerFails()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = TestCertificates.Rsa();
        Save(path, certificate, StoreFixture.Token("a@example.com"));
        using (var again = MasterKey.FromCertificate(certificate))
        {
            _ = again.Prepare(path);
        }

        using var key = MasterKey.FromCertificate(certificate);
        using var store = Open(path, key);
        Assert.That(store.GetTokens(), Has.Count.EqualTo(1));
    }

    [TestCase("wrappedKey", TestName = "{m}(wrapped key bytes)")]
    [TestCase("recipient", TestName = "{m}(recipient)")]
    public void Open_WrappedKeyFileAltered_ThrowsWrongKey(string field)
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = TestCertificates.Rsa();
        Save(path, certificate, StoreFixture.Token("a@example.com"));
        var entry = WrappedKeyFile.Read(path).Single();
        var altered = field == "wrappedKey"
            ? entry with { WrappedKey = entry.WrappedKey.Select((b, i) => i == 10 ? (byte)(b ^ 1) : b).ToArray() }
            : entry with { Recipient = "sha256:" + new string('0', 64) };
        WrappedKeyFile.Write(path, [altered]);

        using var key = MasterKey.FromCertificate(certificate);
        Assert.That(() => Open(path, key), StoreError.WithCode(TokenStoreErrorCodes.WrongKey));
    }

    [Test]
    public void Open_WrappedKeyFileNotJson_ThrowsIntegrity()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = TestCertificates.Rsa();
        Save(path, certificate, StoreFixture.Token("a@example.com"));
        File.Delete(MasterKey.WrappedKeyPathFor(path));
        StoreFiles.WriteOwnerOnly(MasterKey.WrappedKeyPathFor(path), "{ not json"u8.ToArray());

        using var key = MasterKey.FromCertificate(certificate);
        Assert.That(() => Open(path, key), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
    }

    [Test]
    public void Open_WrappedKeyFileLost_ThrowsWrongKeyNamingTheFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = TestCertificates.Rsa();
        Save(path, certificate, StoreFixture.Token("a@example.com"));
        File.Delete(MasterKey.WrappedKeyPathFor(path));

        using var key = MasterKey.FromCertificate(certificate);
        Assert.That(() => Open(path, key), StoreError.WithCode(TokenStoreErrorCodes.WrongKey).And.Message.Contain("-masterkey.json"));
    }

    [Test]
    public void Open_WrappedKeyFileOpenToOthers_ThrowsUnsafeFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = TestCertificates.Rsa();
        Save(path, certificate, StoreFixture.Token("a@example.com"));
        File.SetUnixFileMode(MasterKey.WrappedKeyPathFor(path), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite);

        using var key = MasterKey.FromCertificate(certificate);
        Assert.That(() => Open(path, key), StoreError.WithCode(TokenStoreErrorCodes.UnsafeFile));
    }

    /// <summary>
    /// Anyone with the public certificate can wrap a key of their choosing to it, so a wrapped key (or a store) planted
    /// by another user must never be used: it would make the owner save tokens under a key the planter knows.
    /// </summary>
    [Test]
    public void Open_WrappedKeyFileOfAnotherUser_ThrowsUnsafeFile()
    {
        Assume.That(Environment.UserName, Is.EqualTo("root"), "changing a file's owner needs root");
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = TestCertificates.Rsa();
        Save(path, certificate, StoreFixture.Token("a@example.com"));
        using (var chown = System.Diagnostics.Process.Start("chown", ["65534", MasterKey.WrappedKeyPathFor(path)]))
        {
            chown.WaitForExit();
            Assert.That(chown.ExitCode, Is.Zero);
        }

        using var key = MasterKey.FromCertificate(certificate);
        Assert.That(() => Open(path, key), StoreError.WithCode(TokenStoreErrorCodes.UnsafeFile).And.Message.Contain("another user"));
    }

    [Test]
    public void FromCertificate_InMemoryStore_ThrowsInvalidMasterKey()
    {
        using var certificate = TestCertificates.Rsa();
        using var key = MasterKey.FromCertificate(certificate);

        Assert.That(() => Open(EncryptedTokenStoreOptions.InMemory, key), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey));
    }

    [TestCase(Algorithm.Rsa)]
    [TestCase(Algorithm.Ec)]
    public void FromCertificateFile_Pkcs12WithPassword_OpensWhatTheCertificateMade(Algorithm algorithm)
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = Make(algorithm);
        var pfx = dir.File("store.pfx");
        StoreFiles.WriteOwnerOnly(pfx, certificate.Export(X509ContentType.Pkcs12, "pfx password"));
        Save(path, certificate, StoreFixture.Token("a@example.com"));

        using var key = MasterKey.FromCertificateFile(pfx, "pfx password");
        using var store = Open(path, key);
        Assert.That(store.GetTokens(), Has.Count.EqualTo(1));
    }

    [Test]
    public void FromCertificateFile_WrongPassword_ThrowsInvalidMasterKeyWithoutThePassword()
    {
        using var dir = new TempDirectory();
        using var certificate = TestCertificates.Rsa();
        var pfx = dir.File("store.pfx");
        StoreFiles.WriteOwnerOnly(pfx, certificate.Export(X509ContentType.Pkcs12, "pfx password"));

        Assert.That(() => MasterKey.FromCertificateFile(pfx, "not the password"),
            StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey).And.Message.Not.Contain("not the password"));
    }

    [Test]
    public void FromCertificateFile_PemWithKey_OpensWhatThePkcs12Made()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = TestCertificates.Ec();
        using var ecKey = certificate.GetECDsaPrivateKey()!;
        var pem = dir.File("store.pem");
        StoreFiles.WriteOwnerOnly(pem, System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n" + ecKey.ExportPkcs8PrivateKeyPem()));
        Save(path, certificate, StoreFixture.Token("a@example.com"));

        using var key = MasterKey.FromCertificateFile(pem);
        using var store = Open(path, key);
        Assert.That(store.GetTokens(), Has.Count.EqualTo(1));
    }

    [Test]
    public void FromCertificateFile_PrivateKeyOpenToOthers_ThrowsInvalidMasterKey()
    {
        using var dir = new TempDirectory();
        using var certificate = TestCertificates.Rsa();
        var pfx = dir.File("store.pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pkcs12, "pfx password"));
        File.SetUnixFileMode(pfx, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        Assert.That(() => MasterKey.FromCertificateFile(pfx, "pfx password"), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey).And.Message.Contain("chmod 600"));
    }

    [Test]
    public void FromCertificateFile_Missing_ThrowsInvalidMasterKey()
    {
        using var dir = new TempDirectory();

        Assert.That(() => MasterKey.FromCertificateFile(dir.File("none.pfx")), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey));
    }

    [Test]
    [NonParallelizable]
    public void FromCertificateStore_ByThumbprint_FindsTheCertificateAndItsKey()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = TestCertificates.Rsa("EncryptedStore thumbprint test " + Guid.NewGuid().ToString("N"));
        using var persisted = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.PersistKeySet | X509KeyStorageFlags.Exportable);
        using var my = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        my.Open(OpenFlags.ReadWrite);
        my.Add(persisted);
        try
        {
            Save(path, certificate, StoreFixture.Token("a@example.com"));
            using var bySha1 = MasterKey.FromCertificateStore(certificate.Thumbprint);
            using var bySha256 = MasterKey.FromCertificateStore(certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256));
            Assert.Multiple(() =>
            {
                Assert.That(() => Open(path, bySha1).Dispose(), Throws.Nothing);
                Assert.That(() => Open(path, bySha256).Dispose(), Throws.Nothing);
                Assert.That(() => MasterKey.FromCertificateStore(new string('A', 40)), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable));
                Assert.That(() => MasterKey.FromCertificateStore("not hex"), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey));
            });
        }
        finally
        {
            my.Remove(persisted);
        }
    }

    private static X509Certificate2 Make(Algorithm algorithm) => algorithm == Algorithm.Rsa ? TestCertificates.Rsa() : TestCertificates.Ec();

    private static EncryptedTokenStore Open(string path, MasterKey key) => new(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = key });

    private static void Save(string path, X509Certificate2 certificate, params OAuthToken[] tokens)
    {
        using var key = MasterKey.FromCertificate(certificate);
        using var store = Open(path, key);
        store.SaveTokens(tokens);
    }

    /// <summary>Every record's stored bytes, by id, read with LiteDB directly.</summary>
    private static Dictionary<string, string> RawRecords(string path)
    {
        using var db = StoreFiles.OpenPlain(path);
        return db.GetCollection("tokens").FindAll().ToDictionary(d => d["_id"].AsString, d => LiteDB.JsonSerializer.Serialize(d));
    }
}
