using System.Text;

namespace EncryptedStore.Tests.Cli;

/// <summary><c>export --to backup</c> / <c>import --from backup</c>, and <c>export --to zoho-csv</c>.</summary>
[Parallelizable(ParallelScope.All)]
public class BackupAndExportTests
{
    [Test]
    [Category("Slow")]
    public void ExportBackupThenImport_IntoANewStore_RestoresEveryTokenWithItsId()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com", id: "1");
        var bob = CliTokens.Token("bob@example.com", CliTokens.ClientB);
        bob.GrantToken = null;
        sandbox.Save(ada, bob);
        var backup = sandbox.File("tokens.backup");

        var export = sandbox.Run("export", "--to", "backup", backup);
        var restoredStore = sandbox.File("restored.db");
        var init = sandbox.RunBare(null, null, "--store", restoredStore, "--key-file", sandbox.KeyPath, "init");
        var import = sandbox.RunBare(null, null, "--store", restoredStore, "--key-file", sandbox.KeyPath, "import", "--from", "backup", backup);
        var importAgain = sandbox.RunBare(null, null, "--store", restoredStore, "--key-file", sandbox.KeyPath, "import", "--from", "backup", backup);

        Assert.Multiple(() =>
        {
            Assert.That(export.ExitCode, Is.EqualTo(0), export.ToString());
            Assert.That(init.ExitCode, Is.EqualTo(0), init.ToString());
            Assert.That(import.ExitCode, Is.EqualTo(0), import.ToString());
            Assert.That(importAgain.ExitCode, Is.EqualTo(1), "every token is already there: " + importAgain);
            CommandsEndToEndTests.AssertOwnerOnly(backup);
        });

        using var restored = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = restoredStore, MasterKey = MasterKey.FromKeyFile(sandbox.KeyPath) });
        var tokens = restored.GetTokens().Cast<OAuthToken>().ToDictionary(t => t.Id!);
        Assert.Multiple(() =>
        {
            Assert.That(tokens.Keys, Is.EquivalentTo(ZohoCsvImportTests.Ids("1", bob.Id!)));
            ZohoCsvImportTests.AssertSame(tokens["1"], ada);
            ZohoCsvImportTests.AssertSame(tokens[bob.Id!], bob);
        });
    }

    [Test]
    public void ExportBackup_File_HoldsNoPlaintextValue()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com", id: "token-id-1");
        sandbox.Save(ada);
        var backup = sandbox.File("tokens.backup");

        var export = sandbox.Run("export", "--to", "backup", backup);

        Assert.That(export.ExitCode, Is.EqualTo(0), export.ToString());
        var bytes = File.ReadAllBytes(backup);
        Assert.Multiple(() =>
        {
            Assert.That(Encoding.ASCII.GetString(bytes, 0, 8), Is.EqualTo("TSBACKUP"));
            foreach (var value in CliTokens.Secrets(ada).Concat([ada.UserSignature!.Name, ada.ClientId!, ada.Id!, "refresh_token"]))
            {
                Assert.That(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(value)), Is.EqualTo(-1), value);
            }
        });
    }

    [Test]
    [Category("Slow")]
    public void ImportBackup_OtherKeyOrAlteredFile_WrongKeyOrIntegrity()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com"));
        var backup = sandbox.File("tokens.backup");
        Assert.That(sandbox.Run("export", "--to", "backup", backup).ExitCode, Is.EqualTo(0));
        var otherKey = sandbox.File("other.key");
        MasterKey.CreateKeyFile(otherKey);
        var otherStore = sandbox.File("other.db");
        using (new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = otherStore, MasterKey = MasterKey.FromKeyFile(otherKey) }))
        {
        }

        var altered = sandbox.File("altered.backup");
        var bytes = File.ReadAllBytes(backup);
        bytes[^20] ^= 0x01;
        File.WriteAllBytes(altered, bytes);
        var notABackup = sandbox.File("not.backup");
        File.WriteAllText(notABackup, "id,user_name\n");

        var wrongKey = sandbox.RunBare(null, null, "--store", otherStore, "--key-file", otherKey, "import", "--from", "backup", backup);
        var damaged = sandbox.Run("import", "--from", "backup", altered);
        var wrongFile = sandbox.Run("import", "--from", "backup", notABackup);
        var wipeBackup = sandbox.Run("import", "--from", "backup", backup, "--wipe-source");

        Assert.Multiple(() =>
        {
            CommandsEndToEndTests.AssertError(wrongKey, 3, "error: WRONG_KEY");
            CommandsEndToEndTests.AssertError(damaged, 4, "error: INTEGRITY");
            CommandsEndToEndTests.AssertError(wrongFile, 1, "error: ");
            CommandsEndToEndTests.AssertError(wipeBackup, 2, "error: --wipe-source is for plaintext sources");
        });
    }

    [Test]
    [Category("Slow")]
    public void ExportZohoCsv_NeedsRevealThenRoundTripsThroughImport()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com", id: "1");
        var bob = CliTokens.Token("bob@example.com", id: "2");
        bob.AccessToken = null;
        sandbox.Save(ada, bob);
        var csv = sandbox.File("sdk_tokens.txt");

        var refused = sandbox.Run("export", "--to", "zoho-csv", csv);
        var exported = sandbox.Run("export", "--to", "zoho-csv", csv, "--reveal");
        var again = sandbox.Run("export", "--to", "zoho-csv", csv, "--reveal");

        Assert.Multiple(() =>
        {
            CommandsEndToEndTests.AssertError(refused, 2, "error: --to zoho-csv writes every secret in plain text");
            Assert.That(exported.ExitCode, Is.EqualTo(0), exported.ToString());
            Assert.That(exported.StdErr, Does.StartWith("warning:"));
            CommandsEndToEndTests.AssertOwnerOnly(csv);
            CommandsEndToEndTests.AssertError(again, 1, "error: ");
        });
        var lines = File.ReadAllLines(csv);
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Is.EqualTo("id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain"));
            Assert.That(lines[1], Is.EqualTo(ZohoCsvImportTests.Row(ada)));
            Assert.That(lines[2], Is.EqualTo(ZohoCsvImportTests.Row(bob)));
        });

        var otherStore = sandbox.File("other.db");
        Assert.That(sandbox.RunBare(null, null, "--store", otherStore, "--key-file", sandbox.KeyPath, "init").ExitCode, Is.EqualTo(0));
        var import = sandbox.RunBare(null, null, "--store", otherStore, "--key-file", sandbox.KeyPath, "import", "--from", "zoho-csv", csv);
        Assert.That(import.ExitCode, Is.EqualTo(0), import.ToString());
    }
}
