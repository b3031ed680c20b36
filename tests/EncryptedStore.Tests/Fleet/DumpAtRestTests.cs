using System.Text;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// What a database administrator or a stolen backup holds: a <c>mysqldump</c> or <c>pg_dump</c> of the store's tables,
/// taken while the store is open, after saves, a refresh and a delete. No token value, secret, user name (e-mail) or
/// client id appears in it, as text, UTF-16, hex (as <c>pg_dump</c> writes bytea) or base64, nor the master key.
/// </summary>
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
[NonParallelizable]
public sealed class DumpAtRestTests(StoreKind kind)
{
    private FleetTables _tables = null!;

    [SetUp]
    public void SetUp() => _tables = new FleetTables(kind);

    [TearDown]
    public void TearDown() => _tables?.Dispose();

    [Test]
    public void Dump_AfterSaveRefreshDelete_HoldsNoTokenValueInAnyEncoding()
    {
        var tokens = new[] { Distinctive("aa"), Distinctive("bb"), Distinctive("cc") };
        var values = tokens.SelectMany(t => StoreFixture.Fields(t).Skip(1).Where(v => v != t.ExpiresIn).OfType<string>()).ToList();
        using var store = _tables.Open();
        store.SaveTokens(tokens);
        tokens[0].AccessToken = "1000.zqaarefreshedaccess.99887766554433221100";
        values.Add(tokens[0].AccessToken!);
        store.SaveToken(tokens[0]);
        store.DeleteToken(tokens[2].Id!);
        // A second instance reads (and caches) them too: nothing it does may write plaintext either.
        using (var other = _tables.Open())
        {
            Assert.That(other.GetTokens(), Has.Count.EqualTo(2));
        }

        var dump = _tables.Dump();

        Assert.Multiple(() =>
        {
            // Positive control: record ids are kept in clear (lookups by id need them), so the scan must find them.
            Assert.That(tokens.Take(2).Select(t => StoreFiles.Contains(dump, t.Id!)), Is.All.True, $"control: the live records' ids are in the {kind} dump");
            foreach (var value in values)
            {
                foreach (var (encoding, form) in Forms(value))
                {
                    Assert.That(dump.AsSpan().IndexOf(form) >= 0, Is.False, $"'{value}' is in the dump ({encoding})");
                }
            }

            foreach (var (encoding, form) in Forms(StoreFixture.Key))
            {
                Assert.That(dump.AsSpan().IndexOf(form) >= 0, Is.False, $"the master key is in the dump ({encoding})");
            }
        });
        TestContext.Out.WriteLine($"{kind}: scanned a {dump.Length:N0}-byte dump of {string.Join(", ", _tables.TableNames())} for {values.Count} values");
    }

    private static OAuthToken Distinctive(string tag) => new()
    {
        UserSignature = new($"zq{tag}user.leakcheck@example.com"),
        ClientId = $"1000.ZQ{tag}CLIENTIDLEAKCHECK",
        ClientSecret = $"zq{tag}clientsecret0a1b2c3d4e5f",
        RefreshToken = $"1000.zq{tag}refresh.9f8e7d6c5b4a39281706",
        AccessToken = $"1000.zq{tag}access.00112233445566778899",
        GrantToken = $"1000.zq{tag}grant.aabbccddeeff00112233",
        ExpiresIn = "1767225600000",
        RedirectURL = $"https://zq{tag}redirect.example/callback",
        APIDomain = $"https://zq{tag}apidomain.example",
    };

    private static IEnumerable<(string Encoding, byte[] Form)> Forms(string value) =>
        new[] { ("UTF-8", Encoding.UTF8.GetBytes(value)), ("UTF-16", Encoding.Unicode.GetBytes(value)) }
            .Concat(Forms(Encoding.UTF8.GetBytes(value)).Skip(1));

    /// <summary>
    /// The raw bytes, their hex (both cases) and their base64 at each of the three alignments a value may have inside a
    /// longer encoded blob (without the last group, which depends on the bytes after it).
    /// </summary>
    private static IEnumerable<(string Encoding, byte[] Form)> Forms(byte[] bytes)
    {
        yield return ("raw", bytes);
        yield return ("hex", Encoding.ASCII.GetBytes(Convert.ToHexStringLower(bytes)));
        yield return ("HEX", Encoding.ASCII.GetBytes(Convert.ToHexString(bytes)));
        for (var skip = 0; skip < 3; skip++)
        {
            var base64 = Convert.ToBase64String(bytes[skip..]);
            yield return ($"base64+{skip}", Encoding.ASCII.GetBytes(base64[..^4]));
        }
    }
}
