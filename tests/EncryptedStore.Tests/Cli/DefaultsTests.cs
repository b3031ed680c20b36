using System.Runtime.Versioning;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// Defaults for the global options from <c>TOKENSTORE_*</c> variables and the config file, their precedence, the
/// config file's checks, the passphrase asked on the terminal while stdin carries data, and plain parse errors (issue 17).
/// </summary>
[Parallelizable(ParallelScope.All)]
[UnsupportedOSPlatform("windows")]
public class DefaultsTests
{
    private const string Passphrase = "correct-horse-battery-staple";

    [Test]
    public void Environment_StoreAndKeyFile_CommandsNeedNoOptions()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com", id: "ada1"));

        var list = sandbox.RunBare(null, Variables(("TOKENSTORE_STORE", sandbox.StorePath), ("TOKENSTORE_KEY_FILE", sandbox.KeyPath)), "list", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
            Assert.That(list.StdOut, Does.Contain("ada@example.com"));
        });
    }

    [Test]
    public void ConfigFile_RelativePaths_ResolveAgainstItsFolder()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com", id: "ada1"));
        var configHome = WriteConfig(sandbox, """{ "store": "../../tokens.db", "key_file": "../../master.key", "lock_timeout": 5 }""");
        Directory.CreateDirectory(sandbox.File("elsewhere"));

        var get = CliRunner.Run(["get", "--id", "ada1", "--json"], null, Variables(("XDG_CONFIG_HOME", configHome)), sandbox.File("elsewhere"));

        Assert.Multiple(() =>
        {
            Assert.That(get.ExitCode, Is.EqualTo(0), get.ToString());
            Assert.That(get.StdOut, Does.Contain("ada@example.com"));
        });
    }

    [Test]
    public void Precedence_FlagOverEnvironmentOverConfigFile()
    {
        using var sandbox = CliSandbox.Create();
        var configHome = WriteConfig(sandbox, """{ "store": "from-config.db", "key_file": "../../master.key" }""");
        var environment = Variables(("XDG_CONFIG_HOME", configHome), ("TOKENSTORE_STORE", sandbox.StorePath));

        var environmentWins = sandbox.RunBare(null, environment, "list");
        var flagWins = sandbox.RunBare(null, environment, "--store", sandbox.File("from-flag.db"), "list");

        Assert.Multiple(() =>
        {
            Assert.That(environmentWins.ExitCode, Is.EqualTo(0), "the environment's store, not the config file's: " + environmentWins);
            Assert.That(flagWins.ExitCode, Is.EqualTo(5), flagWins.ToString());
            Assert.That(flagWins.StdErr, Does.Contain("from-flag.db"));
        });
    }

    [Test]
    public void MasterKey_OptionReplacesKeyDefaults_TwoOnOneLayerIsAUsageError()
    {
        using var sandbox = CliSandbox.Create();
        var environment = Variables(("TOKENSTORE_STORE", sandbox.StorePath), ("TOKENSTORE_OS_KEY", "not-used"), ("TOKENSTORE_PASSPHRASE_ENV", "NOT_SET_EITHER"));

        var twoInEnvironment = sandbox.RunBare(null, environment, "list");
        var optionGiven = sandbox.RunBare(null, environment, "--key-file", sandbox.KeyPath, "list");

        Assert.Multiple(() =>
        {
            Assert.That(twoInEnvironment.ExitCode, Is.EqualTo(2), twoInEnvironment.ToString());
            Assert.That(twoInEnvironment.StdErr, Does.Contain("TOKENSTORE_PASSPHRASE_ENV and TOKENSTORE_OS_KEY"));
            Assert.That(optionGiven.ExitCode, Is.EqualTo(0), optionGiven.ToString());
        });
    }

    [TestCase("{ \"store\": ", "is not valid JSON")]
    [TestCase("{ \"stor\": \"tokens.db\" }", "unknown setting 'stor'")]
    [TestCase("{ \"passphrase\": \"hunter2hunter2\" }", "\"passphrase_env\"")]
    [TestCase("{ \"lock_timeout\": \"soon\" }", "\"lock_timeout\" must be a whole number")]
    [TestCase("{ \"store\": \"tokens.db\" }", "writable by other users")]
    public void ConfigFile_Problem_IsAUsageErrorNamingTheFile(string json, string expected)
    {
        using var sandbox = CliSandbox.Create();
        var configHome = WriteConfig(sandbox, json);
        var path = Path.Combine(configHome, "tokenstore", "config.json");
        if (expected.Contains("writable", StringComparison.Ordinal))
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.OtherWrite);
        }

        var list = sandbox.RunBare(null, Variables(("XDG_CONFIG_HOME", configHome)), "--key-file", sandbox.KeyPath, "--store", sandbox.StorePath, "list");

        Assert.Multiple(() =>
        {
            Assert.That(list.ExitCode, Is.EqualTo(2), list.ToString());
            Assert.That(list.StdErr, Does.Contain(path).And.Contain(expected));
            Assert.That(list.AllOutput, Does.Not.Contain("hunter2"));
        });
    }

    [Test]
    public void Passphrase_StdinCarriesTheToken_IsAskedOnTheTerminal()
    {
        Assume.That(File.Exists("/usr/bin/script"), "needs util-linux 'script' to give the tool a terminal");
        using var sandbox = CliSandbox.Create(withStore: false);
        new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = sandbox.StorePath, MasterKey = MasterKey.FromPassphrase(Passphrase) }).Dispose();
        File.WriteAllText(sandbox.File("token.json"), """{ "user_name": "ada@example.com", "client_id": "1000.ABC", "refresh_token": "1000.refreshrefreshrefresh" }""");
        var command = $"dotnet '{CliRunner.DllPath}' --store '{sandbox.StorePath}' put --from-json - < token.json";

        var put = CliRunner.RunProgram("/usr/bin/script", ["-qec", command, "/dev/null"], Passphrase + "\n", sandbox.Path);

        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = sandbox.StorePath, MasterKey = MasterKey.FromPassphrase(Passphrase) });
        Assert.Multiple(() =>
        {
            Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
            Assert.That(put.StdOut, Does.Contain("Master passphrase:"), "the prompt is on the terminal");
            Assert.That(store.GetTokens().Cast<OAuthToken>().Single().UserSignature?.Name, Is.EqualTo("ada@example.com"));
        });
    }

    [Test]
    public void Passphrase_NoKeyAndNoTerminal_IsAUsageErrorNamingTheDefaults()
    {
        using var sandbox = CliSandbox.Create();

        var list = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "list");

        Assert.Multiple(() =>
        {
            Assert.That(list.ExitCode, Is.EqualTo(2), list.ToString());
            Assert.That(list.StdErr, Does.Contain("TOKENSTORE_KEY_FILE").And.Contain("no terminal"));
        });
    }

    [Test]
    public void ChangeMasterKey_NoNewKeyOption_AsksForANewPassphraseTwice()
    {
        Assume.That(File.Exists("/usr/bin/script"), "needs util-linux 'script' to give the tool a terminal");
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com", id: "ada1"));
        var command = $"dotnet '{CliRunner.DllPath}' --store '{sandbox.StorePath}' --key-file '{sandbox.KeyPath}' change-master-key --key-ring-only";

        var change = CliRunner.RunProgram("/usr/bin/script", ["-qec", command, "/dev/null"], $"{Passphrase}\n{Passphrase}\n", sandbox.Path);

        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = sandbox.StorePath, MasterKey = MasterKey.FromPassphrase(Passphrase) });
        Assert.Multiple(() =>
        {
            Assert.That(change.ExitCode, Is.EqualTo(0), change.ToString());
            Assert.That(change.StdOut, Does.Contain("New master passphrase:").And.Contain("Repeat the passphrase:"));
            Assert.That(store.FindTokenById("ada1"), Is.Not.Null);
        });
    }

    [TestCase("--lock-timeout abc list", "--lock-timeout must be a whole number of seconds")]
    [TestCase("list --lock-timeout 1.5", "--lock-timeout must be a whole number of seconds")]
    [TestCase("rotate --batch-size many", "--batch-size must be a whole number")]
    [TestCase("import --from foo tokens.csv", "--from must be one of: zoho-csv, sqlite, mysql, backup.")]
    [TestCase("export --to foo out.backup", "--to must be one of: backup, zoho-csv.")]
    public void WrongOptionValue_PlainMessage(string args, string expected)
    {
        var result = CliRunner.Run(args.Split(' '));

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.StdErr, Does.Contain(expected));
            Assert.That(result.StdErr, Does.Not.Contain("System.").And.Not.Contain("\t"));
        });
    }

    [Test]
    public void ClientOption_BothSpellingsOnPutAndGet()
    {
        using var sandbox = CliSandbox.Create();

        var put = sandbox.Run("put", "--user", "ada@example.com", "--client", "1000.ABC", "--refresh-token", "1000.refreshrefresh");
        var get = sandbox.Run("get", "--user", "ada@example.com", "--client-id", "1000.ABC", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
            Assert.That(get.ExitCode, Is.EqualTo(0), get.ToString());
            Assert.That(get.StdOut, Does.Contain("1000.ABC"));
        });
    }

    /// <summary>Writes <paramref name="json"/> as <c>HOME/tokenstore/config.json</c> (0600) and returns HOME, two folders below the sandbox.</summary>
    internal static string WriteConfig(CliSandbox sandbox, string json)
    {
        var home = sandbox.File("config");
        var path = Path.Combine(home, "tokenstore", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return home;
    }

    internal static Dictionary<string, string?> Variables(params (string Name, string? Value)[] variables) =>
        variables.ToDictionary(v => v.Name, v => v.Value);
}
