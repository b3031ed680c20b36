using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using EncryptedStore.Tests.Keys.Sources;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Cli;

/// <summary><c>--cert</c> and <c>--systemd-credential</c> end to end, as child processes of the built tool.</summary>
[Parallelizable(ParallelScope.All)]
[UnsupportedOSPlatform("windows")]
public class MasterKeySourceCommandsTests
{
    [Test]
    [Category("Slow")]
    public void Cert_InitWithThePublicCertificate_PutAndGetWithThePkcs12()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        using var certificate = TestCertificates.Rsa();
        var pem = sandbox.File("store.crt");
        File.WriteAllText(pem, certificate.ExportCertificatePem());
        var pfx = sandbox.File("store.pfx");
        StoreFiles.WriteOwnerOnly(pfx, certificate.Export(X509ContentType.Pkcs12, "cert password"));
        var environment = new Dictionary<string, string?> { ["CERT_PASSWORD"] = "cert password" };
        var token = CliTokens.Token("a@example.com");

        var init = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "init", "--cert", pem);
        var put = sandbox.RunBare(null, environment, "--store", sandbox.StorePath, "--cert", pfx, "--cert-password-env", "CERT_PASSWORD",
            "put", "--user", token.UserSignature!.Name, "--client-id", token.ClientId!, "--refresh-token", token.RefreshToken!);
        var getWithoutKey = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "--cert", pem, "list");
        var get = sandbox.RunBare(null, environment, "--store", sandbox.StorePath, "--cert", pfx, "--cert-password-env", "CERT_PASSWORD", "list");

        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.EqualTo(0), init.ToString());
            Assert.That(init.StdErr, Does.Contain("-masterkey.json"));
            Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
            Assert.That(getWithoutKey.ExitCode, Is.EqualTo(3), getWithoutKey.ToString());
            Assert.That(getWithoutKey.StdErr, Does.Contain("MASTER_KEY_UNAVAILABLE").And.Contain("private key"));
            Assert.That(get.ExitCode, Is.EqualTo(0), get.ToString());
            Assert.That(get.StdOut, Does.Contain("a@example.com"));
            Assert.That(sandbox.Runs.Select(r => r.AllOutput), Has.None.Contain("cert password").And.None.Contain(token.RefreshToken!));
        });
    }

    [Test]
    [Category("Slow")]
    public void ChangeMasterKey_FromKeyFileToCertificateAndToAnother_KeyRingOnlyKeepsEveryToken()
    {
        using var sandbox = CliSandbox.Create();
        using var first = TestCertificates.Ec();
        using var second = TestCertificates.Rsa();
        var firstPem = WritePem(sandbox, "first.pem", first);
        var secondPem = WritePem(sandbox, "second.pem", second);
        var tokens = Enumerable.Range(0, 5).Select(i => CliTokens.Token($"u{i}@example.com")).ToArray();
        sandbox.Save(tokens);

        var toFirst = sandbox.Run("change-master-key", "--new-cert", firstPem);
        var renew = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "--cert", firstPem, "change-master-key", "--new-cert", secondPem, "--key-ring-only");
        var oldKeyFile = sandbox.Run("list");
        var oldCertificate = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "--cert", firstPem, "list");
        var list = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "--cert", secondPem, "list", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(toFirst.ExitCode, Is.EqualTo(0), toFirst.ToString());
            Assert.That(renew.ExitCode, Is.EqualTo(0), renew.ToString());
            Assert.That(oldKeyFile.ExitCode, Is.EqualTo(3), oldKeyFile.ToString());
            Assert.That(oldCertificate.ExitCode, Is.EqualTo(3), oldCertificate.ToString());
            Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
            Assert.That(tokens.Select(t => t.UserSignature!.Name), Is.All.Matches<string>(mail => list.StdOut.Contains(mail, StringComparison.Ordinal)));
        });
    }

    [Test]
    [Category("Slow")]
    public void Export_BackupWithACertificateKey_NeedsABackupKeyAndRoundTrips()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        using var certificate = TestCertificates.Rsa();
        var pem = WritePem(sandbox, "store.pem", certificate);
        var backupKey = sandbox.File("backup.key");
        MasterKey.CreateKeyFile(backupKey);
        var init = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "--cert", pem, "init");
        var token = CliTokens.Token("a@example.com");
        var put = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "--cert", pem,
            "put", "--user", token.UserSignature!.Name, "--client-id", token.ClientId!, "--refresh-token", token.RefreshToken!);

        var refused = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "--cert", pem, "export", "--to", "backup", sandbox.File("a.backup"));
        var export = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "--cert", pem, "export", "--to", "backup", sandbox.File("b.backup"), "--backup-key-file", backupKey);
        var initCopy = sandbox.RunBare(null, null, "--store", sandbox.File("copy.db"), "--key-file", sandbox.KeyPath, "init");
        var import = sandbox.RunBare(null, null, "--store", sandbox.File("copy.db"), "--key-file", sandbox.KeyPath, "import", "--from", "backup", sandbox.File("b.backup"), "--backup-key-file", backupKey);

        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.EqualTo(0), init.ToString());
            Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
            Assert.That(refused.ExitCode, Is.EqualTo(2), refused.ToString());
            Assert.That(refused.StdErr, Does.Contain("--backup-key-file"));
            Assert.That(File.Exists(sandbox.File("a.backup")), Is.False);
            Assert.That(export.ExitCode, Is.EqualTo(0), export.ToString());
            Assert.That(initCopy.ExitCode, Is.EqualTo(0), initCopy.ToString());
            Assert.That(import.ExitCode, Is.EqualTo(0), import.ToString());
            Assert.That(import.StdErr, Does.Contain("Imported 1 of 1"));
        });
    }

    [Test]
    public void SystemdCredential_InitAndList_UnderACredentialsDirectory()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        var credentials = sandbox.File("credentials");
        Directory.CreateDirectory(credentials, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        StoreFiles.WriteOwnerOnly(Path.Combine(credentials, "tokenstore"), StoreFixture.Key);
        var underSystemd = new Dictionary<string, string?> { [MasterKey.CredentialsDirectoryVariable] = credentials };
        var notUnderSystemd = new Dictionary<string, string?> { [MasterKey.CredentialsDirectoryVariable] = null };

        var init = sandbox.RunBare(null, underSystemd, "--store", sandbox.StorePath, "--systemd-credential", "tokenstore", "init");
        var list = sandbox.RunBare(null, underSystemd, "--store", sandbox.StorePath, "--systemd-credential", "tokenstore", "list");
        var outside = sandbox.RunBare(null, notUnderSystemd, "--store", sandbox.StorePath, "--systemd-credential", "tokenstore", "list");

        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.EqualTo(0), init.ToString());
            Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
            Assert.That(outside.ExitCode, Is.EqualTo(3), outside.ToString());
            Assert.That(outside.StdErr, Does.Contain("MASTER_KEY_UNAVAILABLE").And.Contain("LoadCredentialEncrypted="));
        });
    }

    [Test]
    public void TwoKeyOptions_IsAUsageError()
    {
        using var sandbox = CliSandbox.Create();

        var both = sandbox.Run("--os-key", "app", "list");

        Assert.Multiple(() =>
        {
            Assert.That(both.ExitCode, Is.EqualTo(2), both.ToString());
            Assert.That(both.StdErr, Does.Contain("--key-file").And.Contain("--os-key"));
        });
    }

    private static string WritePem(CliSandbox sandbox, string name, X509Certificate2 certificate)
    {
        var path = sandbox.File(name);
        var key = certificate.GetRSAPrivateKey()?.ExportPkcs8PrivateKeyPem() ?? certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();
        StoreFiles.WriteOwnerOnly(path, System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n" + key));
        return path;
    }
}
