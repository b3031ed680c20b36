using EncryptedStore.Cli;
using EncryptedStore.Cli.Import;
using MySqlConnector;

namespace EncryptedStore.Tests.Cli.Import;

/// <summary>
/// The SDK's MySQL table holds every token in plaintext: <c>import --from mysql</c> requires TLS to any server
/// that is not this machine. (No connection is made: the decision is taken on the connection string.)
/// </summary>
public sealed class MySqlSourceTests
{
    [TestCase("Server=db.example.com;User ID=app;Password=pw", MySqlSslMode.Required, TestName = "{m}(default Preferred becomes Required)")]
    [TestCase("Server=db.example.com;User ID=app;Password=pw;SslMode=VerifyFull", MySqlSslMode.VerifyFull, TestName = "{m}(a stricter mode stays)")]
    [TestCase("Server=localhost;User ID=app;Password=pw", MySqlSslMode.Preferred, TestName = "{m}(localhost)")]
    [TestCase("Server=127.0.0.1;User ID=app;Password=pw;SslMode=None", MySqlSslMode.None, TestName = "{m}(loopback may turn TLS off)")]
    [TestCase("Server=/run/mysqld/mysqld.sock;Protocol=Unix;User ID=app", MySqlSslMode.Preferred, TestName = "{m}(a socket)")]
    public void SslMode_ByServer_IsRequiredUnlessLocal(string connectionString, MySqlSslMode expected)
    {
        Assert.That(new MySqlSource(connectionString, "oauthtoken").SslMode, Is.EqualTo(expected));
    }

    [Test]
    public void TlsTurnedOffForARemoteServer_IsRefusedUnlessInsecure()
    {
        const string connectionString = "Server=db.example.com;User ID=app;Password=hunter2hunter2;SslMode=None";

        var refused = Assert.Throws<CliException>(() => _ = new MySqlSource(connectionString, "oauthtoken"));
        Assert.Multiple(() =>
        {
            Assert.That(refused!.ExitCode, Is.EqualTo(ExitCodes.Usage));
            Assert.That(refused.Message, Does.Contain("--db-insecure").And.Not.Contain("hunter2"));
            Assert.That(new MySqlSource(connectionString, "oauthtoken", insecure: true).SslMode, Is.EqualTo(MySqlSslMode.None));
        });
    }
}
