using System.Text.Json;
using LiteDB;

namespace EncryptedStore.Tests.Cli;

/// <summary><c>verify</c> on a store whose file was altered behind the library's back.</summary>
[Parallelizable(ParallelScope.All)]
[Category("Slow")]
public class VerifyCommandTests
{
    [Test]
    public void Verify_RecordAlteredInTheFile_ListsTheProblemAndExitsFour()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com", id: "1"), CliTokens.Token("bob@example.com", id: "2"));
        using (var database = new LiteDatabase(new ConnectionString { Filename = sandbox.StorePath, Connection = ConnectionType.Direct }))
        {
            // Flip one bit of record 1's ciphertext, as corruption or tampering would.
            var tokens = database.GetCollection("tokens");
            var record = tokens.FindById("1");
            var ciphertext = record["ct"].AsBinary;
            ciphertext[^1] ^= 0x01;
            record["ct"] = ciphertext;
            tokens.Update(record);
        }

        var table = sandbox.Run("verify");
        var json = sandbox.Run("verify", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(table.ExitCode, Is.EqualTo(4), table.ToString());
            Assert.That(table.StdOut, Does.Contain("INTEGRITY"));
            Assert.That(table.StdErr, Does.Contain("FAILED: 2 token(s)"));
            Assert.That(json.ExitCode, Is.EqualTo(4), json.ToString());
            var result = JsonDocument.Parse(json.StdOut).RootElement;
            Assert.That(result.GetProperty("healthy").GetBoolean(), Is.False);
            Assert.That(result.GetProperty("records_checked").GetInt32(), Is.EqualTo(2));
            Assert.That(result.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("record_id").GetString()), Is.EqualTo(ZohoCsvImportTests.Ids("1")));
        });
    }
}
