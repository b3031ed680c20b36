using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Internal;
using EncryptedStore.Tests.Support;
using LiteDB;

namespace EncryptedStore.Tests.Contract;

/// <summary>
/// Programmer errors, values the store refuses (and then writes nothing), values it must carry
/// exactly, files that are not stores, and secrets that must never reach a message; on every kind of
/// store, except the tests about files that are not stores.
/// </summary>
[TestFixture(StoreKind.File)]
[TestFixture(StoreKind.Memory)]
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
public class BadInputTests(StoreKind kind)
{
    private static readonly int FieldCount = TokenFields.Names.Length;

    // ---- Programmer errors --------------------------------------------------------------------

    [Test]
    public void SaveTokenAndFindToken_NullToken_ThrowArgumentNullException()
    {
        using var host = new StoreHost(kind);
        var store = host.Store;

        Assert.Multiple(() =>
        {
            Assert.That(() => store.SaveToken(null!), Throws.ArgumentNullException);
            Assert.That(() => store.FindToken(null!), Throws.ArgumentNullException);
        });
    }

    [Test]
    public void SaveTokenAndFindToken_TokenOfAnotherType_ThrowInvalidToken()
    {
        using var host = new StoreHost(kind);
        var store = host.Store;
        store.SaveToken(StoreFixture.Token("alice@example.com"));

        Assert.Multiple(() =>
        {
            Assert.That(() => store.SaveToken(new ForeignToken()), StoreError.WithCode(TokenStoreErrorCodes.InvalidToken));
            Assert.That(() => store.FindToken(new ForeignToken()), StoreError.WithCode(TokenStoreErrorCodes.InvalidToken));
            Assert.That(store.GetTokens(), Has.Count.EqualTo(1));
        });
    }

    private static IEnumerable<TestCaseData> BadIds()
    {
        var methods = new (string Name, Action<EncryptedTokenStore, string> Call)[]
        {
            ("FindTokenById", (s, id) => s.FindTokenById(id)),
            ("TryFindTokenById", (s, id) => s.TryFindTokenById(id)),
            ("DeleteToken", (s, id) => s.DeleteToken(id)),
        };
        var ids = new (string Name, string? Id)[]
        {
            ("null", null),
            ("empty", string.Empty),
            ("space", " "),
            ("whitespace", "\t\n "),
            ("control character", "ab\u0000cd"),
            ("129 characters", new string('a', Guard.MaxIdLength + 1)),
        };
        foreach (var method in methods)
        {
            foreach (var id in ids)
            {
                yield return new TestCaseData(method.Call, id.Id).SetArgDisplayNames(method.Name, id.Name);
            }
        }
    }

    [TestCaseSource(nameof(BadIds))]
    public void IdMethods_InvalidId_ThrowArgumentException(Action<EncryptedTokenStore, string> call, string? id)
    {
        using var host = new StoreHost(kind);
        var store = host.Store;
        store.SaveToken(StoreFixture.Token("alice@example.com"));

        Assert.Multiple(() =>
        {
            Assert.That(() => call(store, id!), Throws.InstanceOf<ArgumentException>());
            Assert.That(store.GetTokens(), Has.Count.EqualTo(1));
        });
    }

    // ---- Values the store refuses ---------------------------------------------------------------

    private static IEnumerable<TestCaseData> RefusedValues()
    {
        var values = new (string Name, string Value)[]
        {
            ("1 MB", new string('x', 1 << 20)),
            ("one character over the limit", new string('x', TokenFields.MaxValueLength + 1)),
            ("NUL", "a\u0000b"),
            ("line feed", "a\nb"),
            ("tab", "a\tb"),
            ("DEL", "a\u007Fb"),
            ("C1 control", "a\u0085b"),
            ("lone high surrogate", "a\uD800b"),
            ("lone low surrogate", "a\uDC00b"),
            ("reversed surrogate pair", "a\uDC00\uD800b"),
            ("high surrogate at the end", "ab\uD83D"),
        };
        for (var field = 0; field < FieldCount; field++)
        {
            foreach (var (name, value) in values)
            {
                yield return new TestCaseData(field, value).SetArgDisplayNames(TokenFields.Names[field], name);
            }
        }
    }

    [TestCaseSource(nameof(RefusedValues))]
    public void SaveToken_RefusedValue_ThrowsInvalidTokenAndLeavesStoreUnchanged(int field, string value)
    {
        using var host = new StoreHost(kind);
        var seeded = StoreFixture.Token("seeded@example.com");
        host.Store.SaveToken(seeded);
        var before = host.Fingerprint();
        var insert = StoreFixture.Token("new@example.com");
        TokenFields.Set(insert, field, value);
        var update = StoreFixture.Copy(seeded);
        TokenFields.Set(update, field, value);
        var store = host.Store;

        Assert.Multiple(() =>
        {
            Assert.That(() => store.SaveToken(insert), StoreError.WithCode(TokenStoreErrorCodes.InvalidToken).And.Message.Contains(TokenFields.Names[field]), "insert");
            Assert.That(insert.Id, Is.Null);
            Assert.That(() => store.SaveToken(update), StoreError.WithCode(TokenStoreErrorCodes.InvalidToken), "update");
            Assert.That(store.GetTokens().Select(StoreFixture.Fields), Is.EqualTo(new[] { StoreFixture.Fields(seeded) }));
        });

        // A file: byte-for-byte the same, and no LiteDB log left behind; a server: the same rows in every table.
        Assert.That(host.Fingerprint(), Is.EqualTo(before), "the store's persisted state is unchanged");
    }

    [TestCase(" ", TestName = "{m}(blank)")]
    [TestCase("a\u0001b", TestName = "{m}(control character)")]
    public void SaveToken_InvalidId_ThrowsInvalidToken(string id)
    {
        using var host = new StoreHost(kind);
        var store = host.Store;
        var token = StoreFixture.Token("alice@example.com");
        token.Id = id;

        Assert.Multiple(() =>
        {
            Assert.That(() => store.SaveToken(token), StoreError.WithCode(TokenStoreErrorCodes.InvalidToken));
            Assert.That(store.GetTokens(), Is.Empty);
        });
    }

    [Test]
    public void SaveToken_ValuesAtMaximumLength_RoundTrip()
    {
        using var host = new StoreHost(kind);
        var token = new OAuthToken();
        for (var field = 0; field < FieldCount; field++)
        {
            TokenFields.Set(token, field, new string((char)('a' + field), TokenFields.MaxValueLength));
        }

        host.Store.SaveToken(token);

        var reopened = host.Reopen();
        Assert.That(StoreFixture.Fields(reopened.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)));
    }

    [TestCase("user name")]
    [TestCase("client id")]
    [TestCase("access token")]
    [TestCase("refresh token")]
    [TestCase("grant token")]
    public void FindToken_LoneSurrogateWhereStoredValueHasReplacementCharacter_ReturnsNull(string field)
    {
        // UTF-8 cannot carry a lone surrogate; a lossy encoder turns it into U+FFFD. A query with one
        // can match no stored value (saves refuse it), so it must find nothing, not a record holding
        // U+FFFD in that place, and must not report the store as tampered with.
        using var host = new StoreHost(kind);
        var store = host.Store;
        var stored = new OAuthToken
        {
            UserSignature = new("a\uFFFDb@example.com"),
            ClientId = "1000.\uFFFD",
            ClientSecret = "secret",
            AccessToken = "1000.access.\uFFFD",
            RefreshToken = "1000.refresh.\uFFFD",
            GrantToken = "1000.grant.\uFFFD",
        };
        store.SaveToken(stored);
        static string Lone(string value) => value.Replace('\uFFFD', '\uD800');
        var query = field switch
        {
            "user name" => new OAuthToken { UserSignature = new(Lone(stored.UserSignature.Name)), ClientId = stored.ClientId },
            "client id" => new OAuthToken { UserSignature = stored.UserSignature, ClientId = Lone(stored.ClientId) },
            "access token" => new OAuthToken { AccessToken = Lone(stored.AccessToken) },
            "refresh token" => new OAuthToken { RefreshToken = Lone(stored.RefreshToken), ClientId = stored.ClientId, ClientSecret = "secret" },
            _ => new OAuthToken { GrantToken = Lone(stored.GrantToken), ClientId = stored.ClientId, ClientSecret = "secret" },
        };

        Assert.That(store.FindToken(query), Is.Null);
    }

    // ---- Values the store must carry exactly ----------------------------------------------------

    [TestCase("'; DROP TABLE oauthtoken; --", TestName = "{m}(SQL injection)")]
    [TestCase("\"double\" and 'single' quotes, back\\slash", TestName = "{m}(quotes and backslash)")]
    [TestCase("a,b;c|d,\"e\"", TestName = "{m}(CSV delimiters)")]
    [TestCase("{\"$gt\": \"\"}", TestName = "{m}(document query operator)")]
    [TestCase("$.u = 1 OR 1 = 1", TestName = "{m}(LiteDB expression)")]
    [TestCase("NULL", TestName = "{m}(the word NULL)")]
    [TestCase("🔑🎉 emoji 👩‍💻", TestName = "{m}(emoji and ZWJ sequence)")]
    [TestCase("中文字符 日本語 한국어", TestName = "{m}(CJK)")]
    [TestCase("𠜎𠜱 astral plane", TestName = "{m}(astral CJK)")]
    [TestCase("Ünïcødé ñ ß", TestName = "{m}(Latin diacritics)")]
    [TestCase("e\u0301 vs \u00e9", TestName = "{m}(unnormalised combining mark)")]
    [TestCase("<key>&amp;</key>", TestName = "{m}(XML)")]
    [TestCase(" leading and trailing spaces ", TestName = "{m}(surrounding spaces)")]
    [TestCase("\u00A0nbsp\u200Bzero-width\uFEFFbom", TestName = "{m}(invisible format characters)")]
    public void SaveToken_UnusualValueInEveryField_RoundTripsExactly(string value)
    {
        using var host = new StoreHost(kind);
        var token = new OAuthToken();
        for (var field = 0; field < FieldCount; field++)
        {
            TokenFields.Set(token, field, value);
        }

        host.Store.SaveToken(token);

        var reopened = host.Reopen();
        var byUser = new OAuthToken { UserSignature = new(value), ClientId = value };
        var byRefresh = new OAuthToken { RefreshToken = value, ClientId = value, ClientSecret = value };
        Assert.Multiple(() =>
        {
            Assert.That(StoreFixture.Fields(reopened.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)));
            Assert.That(reopened.FindToken(byUser), Is.Not.Null, "found by user and client");
            Assert.That(byUser.Id, Is.EqualTo(token.Id));
            Assert.That(reopened.FindToken(byRefresh), Is.Not.Null, "found by refresh token");
            Assert.That(reopened.FindToken(new OAuthToken { AccessToken = value }), Is.Not.Null, "found by access token");
        });
    }

    // ---- Files that are not stores --------------------------------------------------------------

    private static IEnumerable<TestCaseData> NotStores()
    {
        TestCaseData Case(string name, Action<string> make) => new TestCaseData(make).SetArgDisplayNames(name);

        yield return Case("16 KiB of random bytes", path => File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(16 * 1024)));
        yield return Case("100 random bytes", path => File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(100)));
        yield return Case("the C# SDK's CSV token file", path => File.WriteAllText(path,
            "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\n"
            + "1,alice@example.com,1000.CLIENTA,secret,1000.refresh,1000.access,,1767225600000,,https://www.zohoapis.com\n"));
        yield return Case("a SQLite database header", path =>
        {
            var bytes = new byte[16 * 1024];
            Encoding.ASCII.GetBytes("SQLite format 3\0").CopyTo(bytes, 0);
            File.WriteAllBytes(path, bytes);
        });
        yield return Case("a LiteDB file with another collection", path =>
        {
            using var db = StoreFiles.OpenPlain(path);
            db.GetCollection("customers").Insert(new BsonDocument { ["name"] = "Alice" });
        });
        yield return Case("a LiteDB file with its own meta collection", path =>
        {
            using var db = StoreFiles.OpenPlain(path);
            db.GetCollection("meta").Insert(new BsonDocument { ["_id"] = "settings", ["theme"] = "dark" });
        });
        yield return Case("a password-protected LiteDB file", path =>
        {
            using var db = new LiteDatabase(new ConnectionString { Filename = path, Password = "hunter22", Connection = ConnectionType.Direct });
            db.GetCollection("customers").Insert(new BsonDocument { ["name"] = "Alice" });
        });
    }

    [TestCaseSource(nameof(NotStores))]
    public void Open_FileThatIsNotAStore_ThrowsNotAStoreAndLeavesFileUnchanged(Action<string> make)
    {
        StoreHost.RequireFile(kind, "opens files that are not stores");
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        make(path);

        FailedOpen.Expect(path, () => StoreFixture.Open(path), TokenStoreErrorCodes.NotAStore);
    }

    private static IEnumerable<TestCaseData> MetadataEdits()
    {
        TestCaseData Case(string name, Action<BsonDocument> edit, string code) => new TestCaseData(edit, code).SetArgDisplayNames(name);

        yield return Case("format 99", m => m["format"] = 99, TokenStoreErrorCodes.UnsupportedVersion);
        yield return Case("format as text", m => m["format"] = "1", TokenStoreErrorCodes.Integrity);
        yield return Case("salt removed", m => m.Remove("salt"), TokenStoreErrorCodes.Integrity);
        yield return Case("iteration count huge", m => m["iterations"] = int.MaxValue, TokenStoreErrorCodes.Integrity);
        yield return Case("check value altered", m => m["check"] = new byte[m["check"].AsBinary.Length], TokenStoreErrorCodes.WrongKey);
    }

    [TestCaseSource(nameof(MetadataEdits))]
    public void Open_StoreWithEditedMetadata_FailsAndLeavesFileUnchanged(Action<BsonDocument> edit, string code)
    {
        StoreHost.RequireFile(kind, "edits the metadata document of a LiteDB file");
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using (var store = StoreFixture.Open(path))
        {
            store.SaveToken(StoreFixture.Token("seeded@example.com"));
        }

        using (var db = StoreFiles.OpenPlain(path))
        {
            var meta = db.GetCollection("meta");
            var document = meta.FindById("store");
            edit(document);
            Assert.That(meta.Update(document), Is.True);
        }

        var exception = FailedOpen.Expect(path, () => StoreFixture.Open(path), code);

        if (code == TokenStoreErrorCodes.UnsupportedVersion)
        {
            Assert.That(exception.Message, Does.Contain("99"));
        }
    }

    // ---- Secrets never reach a message ----------------------------------------------------------

    [Test]
    public void ExceptionsAndToString_WithSecretsAround_NeverShowASecret()
    {
        const string passphrase = "Zq9-correct-horse-passphrase";
        const string shortPassphrase = "Zq9#x";
        var secretKey = Convert.ToBase64String(StoreFixture.OtherKey);
        using var host = new StoreHost(kind);
        var alice = Secretive("alice");
        var bob = Secretive("bob");
        var secrets = StoreFixture.Fields(alice).Skip(1).Concat(StoreFixture.Fields(bob).Skip(1)).OfType<string>()
            .Concat([passphrase, shortPassphrase, secretKey, Convert.ToHexString(StoreFixture.Key), Convert.ToBase64String(StoreFixture.Key)])
            .Concat(host.Database is null ? [] : [DatabasePassword(host.Database)])
            .ToList();
        var exceptions = new List<Exception>();
        void Capture(Action action)
        {
            var exception = Assert.Catch(() => action());
            exceptions.Add(exception!);
        }

        var store = host.Store;
        store.SaveToken(alice);
        store.SaveToken(bob);
        var duplicate = Secretive("carol");
        duplicate.RefreshToken = alice.RefreshToken;
        Capture(() => store.SaveToken(duplicate));
        var invalid = Secretive("dave");
        invalid.AccessToken += "\u0001";
        Capture(() => store.SaveToken(invalid));
        var sandbox = Secretive("alice");
        sandbox.ClientId = "1000.ZQSANDBOX";
        sandbox.RefreshToken += ".sandbox";
        sandbox.AccessToken += ".sandbox";
        sandbox.GrantToken += ".sandbox";
        store.SaveToken(sandbox);
        Capture(() => store.FindToken(new OAuthToken { UserSignature = alice.UserSignature }));
        Capture(() => store.FindTokenById("no-such-id"));
        Capture(() => store.SaveToken(new OAuthToken { ClientSecret = alice.ClientSecret }));
        host.Close();

        // A tampered blind index: the lookup value is a secret the message must not repeat. (The fleet
        // tests tamper with a server store's rows; this edits the LiteDB document.)
        if (kind == StoreKind.File)
        {
            using (var db = StoreFiles.OpenPlain(host.Path))
            {
                var tokens = db.GetCollection("tokens");
                var (a, b) = (tokens.FindById(alice.Id), tokens.FindById(bob.Id));
                var (aliceHash, bobHash) = (a["r"], b["r"]);
                a["r"] = "placeholder";
                tokens.Update(a);
                b["r"] = aliceHash;
                tokens.Update(b);
                a["r"] = bobHash;
                tokens.Update(a);
            }

            var tampered = host.Reopen();
            Capture(() => tampered.FindToken(new OAuthToken { RefreshToken = alice.RefreshToken, ClientId = alice.ClientId, ClientSecret = alice.ClientSecret }));
            host.Close();
        }

        // An in-memory store has no master key to get wrong.
        if (kind != StoreKind.Memory)
        {
            Capture(() => host.OpenAnother(StoreFixture.OtherKey).Dispose());
        }

        Capture(() => MasterKey.FromPassphrase(shortPassphrase));
        var variable = "ES_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "base64:" + secretKey + "!!not-base64");
        try
        {
            Capture(() => MasterKey.FromEnvironment(variable));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        var passphraseKey = MasterKey.FromPassphrase(passphrase);
        var keyBytes = MasterKey.FromBytes(StoreFixture.Key);
        var texts = exceptions.SelectMany(e => new[] { e.Message, e.ToString() })
            .Concat(
            [
                alice.ToString(),
                alice.UserSignature!.ToString(),
                passphraseKey.ToString(),
                keyBytes.ToString(),
                Options(host, passphraseKey).ToString(),
                Options(host, keyBytes).ToString(),
                host.Database?.ToString() ?? string.Empty,
            ])
            .ToList();

        string[] provoked =
        [
            TokenStoreErrorCodes.DuplicateToken, TokenStoreErrorCodes.InvalidToken, TokenStoreErrorCodes.AmbiguousMatch,
            TokenStoreErrorCodes.NotFound, TokenStoreErrorCodes.InvalidToken,
            .. kind == StoreKind.File ? [TokenStoreErrorCodes.Integrity] : Array.Empty<string>(),
            .. kind != StoreKind.Memory ? [TokenStoreErrorCodes.WrongKey] : Array.Empty<string>(),
            TokenStoreErrorCodes.InvalidMasterKey, TokenStoreErrorCodes.InvalidMasterKey,
        ];
        Assert.That(exceptions.OfType<TokenStoreException>().Select(e => e.Code), Is.EqualTo(provoked), "the exceptions this test meant to provoke");
        Assert.Multiple(() =>
        {
            foreach (var secret in secrets)
            {
                Assert.That(texts.Where(t => t.Contains(secret, StringComparison.Ordinal)), Is.Empty, $"'{secret}' appears");
            }

            Assert.That(alice.ToString(), Does.Contain(alice.Id), "the id, which is not secret, is shown");
        });
    }

    private static EncryptedTokenStoreOptions Options(StoreHost host, MasterKey key) => host.Database is null
        ? new EncryptedTokenStoreOptions { FilePath = host.Path, MasterKey = key }
        : new EncryptedTokenStoreOptions { Database = host.Database, MasterKey = key };

    /// <summary>The password in the server's connection string, which no message may show.</summary>
    private static string DatabasePassword(TokenDatabase database)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = database.ConnectionString };
        Assert.That(builder.TryGetValue("Password", out var password) && password is string { Length: > 0 }, Is.True, "the test server's connection string has a password");
        return (string)password!;
    }

    private static OAuthToken Secretive(string user) => new()
    {
        UserSignature = new($"zq.{user}.secret@example.com"),
        ClientId = "1000.ZQSECRETCLIENT",
        ClientSecret = $"zq-{user}-client-secret-31415",
        RefreshToken = $"1000.zq{user}refresh.27182818",
        AccessToken = $"1000.zq{user}access.16180339",
        GrantToken = $"1000.zq{user}grant.14142135",
        ExpiresIn = "1767225600000",
        RedirectURL = $"https://zq-{user}-redirect.example/cb",
        APIDomain = $"https://zq-{user}-api.example",
    };

    /// <summary>An <see cref="IToken"/> that is not an <see cref="OAuthToken"/>.</summary>
    private sealed class ForeignToken : IToken
    {
    }
}
