using System.Runtime.Versioning;
using System.Text.Json;
using EncryptedStore.Cli;
using EncryptedStore.Cli.Stores;
using MySqlConnector;
using Npgsql;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// <c>--store mysql://…</c> and <c>postgresql://…</c> before any server is asked: the URI's parts, a password in it refused
/// without being echoed, TLS required off this machine, the prefix checked, file-only commands refused. No server needed.
/// </summary>
[Parallelizable(ParallelScope.All)]
[UnsupportedOSPlatform("windows")]
public class DatabaseStoreUriTests
{
    private const string Password = "pw-Zq81-never-shown";

    [TestCase("mysql://app@db.example.com/tokens", TokenDatabaseKind.MySql, "mysql://app@db.example.com:3306/tokens", "encryptedstore_")]
    [TestCase("MySQL://app@127.0.0.1:3307/tokens?prefix=myapp_", TokenDatabaseKind.MySql, "mysql://app@127.0.0.1:3307/tokens?prefix=myapp_", "myapp_")]
    [TestCase("postgresql://app%40corp@db.example.com/tokens", TokenDatabaseKind.PostgreSql, "postgresql://app%40corp@db.example.com:5432/tokens", "encryptedstore_")]
    [TestCase("postgres://app@[::1]:6432/tokens?prefix=a1", TokenDatabaseKind.PostgreSql, "postgresql://app@[::1]:6432/tokens?prefix=a1", "a1")]
    public void Parse_Uri_GivesKindServerPrefixAndDisplay(string value, TokenDatabaseKind kind, string display, string prefix)
    {
        var location = StoreLocation.Parse(value, "--store", passwordVariable: null, insecure: false);

        Assert.Multiple(() =>
        {
            Assert.That(location.IsDatabase, Is.True);
            Assert.That(location.Database!.Kind, Is.EqualTo(kind));
            Assert.That(location.Database.TablePrefix, Is.EqualTo(prefix));
            Assert.That(location.Display, Is.EqualTo(display));
        });
    }

    [TestCase("tokens.db")]
    [TestCase("./mysql/tokens.db")]
    [TestCase("mysql:tokens.db")]
    public void Parse_NotAUri_IsAFile(string value)
    {
        var location = StoreLocation.Parse(value, "--store", passwordVariable: null, insecure: false);

        Assert.That(location.FilePath, Is.EqualTo(value));
    }

    [TestCase("mysql://app@db.example.com/tokens", false, "Required")]
    [TestCase("mysql://app@localhost/tokens", false, "Preferred")]
    [TestCase("mysql://app@127.0.0.1:3307/tokens", false, "Preferred")]
    [TestCase("mysql://app@[::1]/tokens", false, "Preferred")]
    [TestCase("mysql://app@db.example.com/tokens?socket=/run/mysqld/mysqld.sock", false, "Preferred")]
    [TestCase("mysql://app@db.example.com/tokens", true, "Preferred")]
    [TestCase("mysql://app@db.example.com/tokens?sslmode=verify-full", false, "VerifyFull")]
    [TestCase("mysql://app@localhost/tokens?sslmode=require", false, "Required")]
    public void Parse_MySql_TlsRequiredUnlessThisMachine(string value, bool insecure, string sslMode)
    {
        var location = StoreLocation.Parse(value, "--store", passwordVariable: null, insecure);

        Assert.That(new MySqlConnectionStringBuilder(location.ConnectionString!).SslMode.ToString(), Is.EqualTo(sslMode));
    }

    [TestCase("postgresql://app@db.example.com/tokens", false, "Require")]
    [TestCase("postgresql://app@localhost/tokens", false, "Prefer")]
    [TestCase("postgresql://app@db.example.com/tokens?socket=/var/run/postgresql", false, "Prefer")]
    [TestCase("postgresql://app@db.example.com/tokens", true, "Prefer")]
    [TestCase("postgresql://app@db.example.com/tokens?sslmode=verify-ca", false, "VerifyCA")]
    public void Parse_PostgreSql_TlsRequiredUnlessThisMachine(string value, bool insecure, string sslMode)
    {
        var location = StoreLocation.Parse(value, "--store", passwordVariable: null, insecure);

        Assert.That(new NpgsqlConnectionStringBuilder(location.ConnectionString!).SslMode.ToString(), Is.EqualTo(sslMode));
    }

    [Test]
    public void Parse_SocketAndPassword_GoIntoTheConnectionStringOnly()
    {
        var variable = "TS_TEST_PARSE_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, Password);
        try
        {
            var location = StoreLocation.Parse("mysql://app@localhost/tokens?socket=/tmp/my.sock", "--store", variable, insecure: false);
            var builder = new MySqlConnectionStringBuilder(location.ConnectionString!);

            Assert.Multiple(() =>
            {
                Assert.That(builder.Server, Is.EqualTo("/tmp/my.sock"));
                Assert.That(builder.ConnectionProtocol, Is.EqualTo(MySqlConnectionProtocol.UnixSocket));
                Assert.That(builder.Password, Is.EqualTo(Password));
                Assert.That(location.Display + location.Database + location.PasswordSource, Does.Not.Contain(Password));
                Assert.That(location.PasswordSource, Does.Contain(variable));
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [TestCase("mysql://app:" + Password + "@db.example.com/tokens")]
    [TestCase("postgresql://app:" + Password + "@127.0.0.1/tokens")]
    [TestCase("postgres://app:" + Password + "@db.example.com:5432/tokens?prefix=a_")]
    [TestCase("mysql://app@db.example.com/tokens?password=" + Password)]
    public void Store_PasswordInTheUri_IsAUsageErrorThatDoesNotEchoIt(string uri)
    {
        using var sandbox = CliSandbox.Create(withStore: false);

        var flag = sandbox.RunBare(null, null, "--store", uri, "--key-file", sandbox.KeyPath, "list");
        var variable = sandbox.RunBare(null, DefaultsTests.Variables(("TOKENSTORE_STORE", uri)), "--key-file", sandbox.KeyPath, "status");

        Assert.Multiple(() =>
        {
            foreach (var result in new[] { flag, variable })
            {
                Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
                Assert.That(result.StdErr, Does.Contain("a password in the URI is refused").And.Contain("--db-password-env"));
                Assert.That(result.AllOutput, Does.Not.Contain(Password));
            }
        });
    }

    [TestCase("mysql://app@db.example.com/tokens?sslmode=disable", "TLS is required")]
    [TestCase("postgresql://app@db.example.com/tokens?sslmode=prefer", "TLS is required")]
    [TestCase("mysql://app@db.example.com/tokens?prefix=1bad", "prefix must start with a letter")]
    [TestCase("mysql://app@db.example.com/tokens?prefix=a;drop", "prefix must start with a letter")]
    [TestCase("mysql://app@db.example.com/tokens?tls=off", "unknown URI parameter 'tls'")]
    [TestCase("mysql://app@db.example.com/", "must name one database")]
    [TestCase("mysql://db.example.com/tokens", "not a valid database URI")]
    [TestCase("postgresql://app@db.example.com/tokens?sslmode=sometimes", "sslmode must be one of")]
    public void Store_BadUri_IsAUsageErrorBeforeAnyServerIsAsked(string uri, string message)
    {
        using var sandbox = CliSandbox.Create(withStore: false);

        var result = sandbox.RunBare(null, null, "--store", uri, "--key-file", sandbox.KeyPath, "list");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
            Assert.That(result.StdErr, Does.Contain(message).And.StartWith("error: --store: "));
        });
    }

    [Test]
    public void Store_DbInsecure_AllowsNoTlsToAnotherMachine()
    {
        var insecure = StoreLocation.Parse("mysql://app@db.example.com/tokens?sslmode=disable", "--store", passwordVariable: null, insecure: true);

        Assert.That(new MySqlConnectionStringBuilder(insecure.ConnectionString!).SslMode, Is.EqualTo(MySqlSslMode.None));
    }

    [Test]
    public void Store_PasswordVariableNotSet_IsAUsageErrorNamingIt()
    {
        using var sandbox = CliSandbox.Create(withStore: false);

        var result = sandbox.RunBare(null, null, "--store", "mysql://app@localhost/tokens", "--db-password-env", "TS_TEST_NOT_SET_ANYWHERE", "--key-file", sandbox.KeyPath, "list");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
            Assert.That(result.StdErr, Does.Contain("'TS_TEST_NOT_SET_ANYWHERE'").And.Contain("is not set"));
        });
    }

    [Test]
    public void Compact_DatabaseStore_IsAUsageErrorNamingWhatCompactsIt()
    {
        using var sandbox = CliSandbox.Create(withStore: false);

        var result = sandbox.RunBare(null, null, "--store", "postgresql://app@db.example.com/tokens", "compact");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
            Assert.That(result.StdErr, Does.Contain("postgresql://app@db.example.com:5432/tokens is a database store")
                .And.Contain("OPTIMIZE TABLE").And.Contain("VACUUM"));
        });
    }

    [Test]
    public void Status_NoOpen_DatabaseUriFromTheConfigFile_IsShownAsWrittenAndNotAsked()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        var configHome = DefaultsTests.WriteConfig(sandbox, """{ "store": "mysql://app@db.example.com/tokens?prefix=app_", "db_password_env": "TS_TEST_APP_PW" }""");
        var environment = DefaultsTests.Variables(("XDG_CONFIG_HOME", configHome), ("TS_TEST_APP_PW", Password));

        var status = sandbox.RunBare(null, environment, "--key-file", sandbox.KeyPath, "status", "--no-open", "--json");

        using var json = JsonDocument.Parse(status.StdOut);
        var store = json.RootElement.GetProperty("store");
        Assert.Multiple(() =>
        {
            Assert.That(status.ExitCode, Is.EqualTo(0), status.ToString());
            Assert.That(json.RootElement.GetProperty("settings").GetProperty("store").GetProperty("value").GetString(), Is.EqualTo("mysql://app@db.example.com:3306/tokens?prefix=app_"));
            Assert.That(store.GetProperty("kind").GetString(), Is.EqualTo("mysql"));
            Assert.That(store.GetProperty("table_prefix").GetString(), Is.EqualTo("app_"));
            Assert.That(store.GetProperty("exists").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(store.GetProperty("tls").GetString(), Does.StartWith("TLS required"));
            Assert.That(store.GetProperty("password_variable").GetString(), Is.EqualTo("TS_TEST_APP_PW"));
            Assert.That(store.GetProperty("password_set").GetBoolean(), Is.True);
            Assert.That(status.AllOutput, Does.Not.Contain(Password));
        });
    }
}
