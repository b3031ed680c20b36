using EncryptedStore.Tests.Support;
using LiteDB;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// Records edited behind the store's back with plain LiteDB (the file has no LiteDB password): every
/// read of an altered record fails with <c>INTEGRITY</c>; none returns wrong plaintext.
/// </summary>
public class TamperTests
{
    private const string Alice = "alice@example.com";
    private const string Bob = "bob@example.com";

    /// <summary>The blind-index fields with a unique index; a record without the value holds its own id there.</summary>
    private static readonly string[] UniqueIndexFields = ["uc", "a", "r", "g"];

    private TempDirectory _dir = null!;
    private string _path = null!;
    private OAuthToken _alice = null!;
    private OAuthToken _bob = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        var original = _dir.File("original.db");
        _alice = StoreFixture.Token(Alice);
        _bob = StoreFixture.Token(Bob);
        using (var store = StoreFixture.Open(original))
        {
            store.SaveToken(_alice);
            store.SaveToken(_bob);
        }

        _path = _dir.File("tampered.db");
        StoreFiles.CopyClosed(original, _path);
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [TestCase(0, TestName = "{m}(nonce)")]
    [TestCase(12, TestName = "{m}(tag)")]
    [TestCase(28, TestName = "{m}(first ciphertext byte)")]
    [TestCase(-1, TestName = "{m}(last ciphertext byte)")]
    public void Read_FlippedBitInPayload_ThrowsIntegrity(int offset)
    {
        EditTokens(tokens =>
        {
            var document = tokens.FindById(_alice.Id);
            var payload = document["ct"].AsBinary;
            payload[offset >= 0 ? offset : payload.Length + offset] ^= 0x01;
            document["ct"] = payload;
            tokens.Update(document);
        });

        using var store = StoreFixture.Open(_path);
        Assert.Multiple(() =>
        {
            Assert.That(() => store.FindTokenById(_alice.Id!), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(() => store.TryFindTokenById(_alice.Id!), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(() => store.FindToken(new OAuthToken { UserSignature = new(Alice), ClientId = _alice.ClientId }), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(() => store.GetTokens(), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(StoreFixture.Fields(store.FindTokenById(_bob.Id!)), Is.EqualTo(StoreFixture.Fields(_bob)), "the untouched record still reads");
        });
    }

    [Test]
    public void Read_TruncatedPayload_ThrowsIntegrity()
    {
        EditTokens(tokens =>
        {
            var document = tokens.FindById(_alice.Id);
            document["ct"] = document["ct"].AsBinary[..20];
            tokens.Update(document);
        });

        using var store = StoreFixture.Open(_path);
        Assert.That(() => store.FindTokenById(_alice.Id!), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
    }

    [Test]
    public void Read_PayloadsSwappedBetweenRecords_ThrowsIntegrityForBoth()
    {
        EditTokens(tokens =>
        {
            var alice = tokens.FindById(_alice.Id);
            var bob = tokens.FindById(_bob.Id);
            (alice["ct"], bob["ct"]) = (bob["ct"], alice["ct"]);
            tokens.Update(alice);
            tokens.Update(bob);
        });

        using var store = StoreFixture.Open(_path);
        Assert.Multiple(() =>
        {
            Assert.That(() => store.FindTokenById(_alice.Id!), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(() => store.FindTokenById(_bob.Id!), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(() => store.FindToken(new OAuthToken { AccessToken = _bob.AccessToken }), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
        });
    }

    [Test]
    public void Read_PayloadCopiedUnderAnotherId_ThrowsIntegrity()
    {
        EditTokens(tokens =>
        {
            var forged = tokens.FindById(_alice.Id);
            forged["_id"] = "forged";
            foreach (var unique in UniqueIndexFields)
            {
                forged[unique] = "forged";
            }

            forged.Remove("u");
            tokens.Insert(forged);
        });

        using var store = StoreFixture.Open(_path);
        Assert.Multiple(() =>
        {
            Assert.That(() => store.FindTokenById("forged"), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(StoreFixture.Fields(store.FindTokenById(_alice.Id!)), Is.EqualTo(StoreFixture.Fields(_alice)));
        });
    }

    [TestCase(2, TokenStoreErrorCodes.Integrity, TestName = "{m}(the index key's version)")]
    [TestCase(99, TokenStoreErrorCodes.KeyUnavailable, TestName = "{m}(a version that does not exist)")]
    public void Read_KeyVersionChanged_Fails(int version, string code)
    {
        EditTokens(tokens =>
        {
            var document = tokens.FindById(_alice.Id);
            document["kv"] = version;
            tokens.Update(document);
        });

        using var store = StoreFixture.Open(_path);
        Assert.That(() => store.FindTokenById(_alice.Id!), StoreError.WithCode(code));
    }

    private static IEnumerable<TestCaseData> BlindIndexes()
    {
        var alice = StoreFixture.Token(Alice);
        TestCaseData Case(string field, Func<OAuthToken> query) => new TestCaseData(field, query).SetArgDisplayNames(field);

        yield return Case("u", () => new() { UserSignature = new(Alice) });
        yield return Case("uc", () => new() { UserSignature = new(Alice), ClientId = alice.ClientId });
        yield return Case("a", () => new() { AccessToken = alice.AccessToken });
        yield return Case("r", () => new() { RefreshToken = alice.RefreshToken, ClientId = alice.ClientId, ClientSecret = alice.ClientSecret });
        yield return Case("g", () => new() { GrantToken = alice.GrantToken, ClientId = alice.ClientId, ClientSecret = alice.ClientSecret });
    }

    [TestCaseSource(nameof(BlindIndexes))]
    public void FindToken_BlindIndexSwappedBetweenRecords_ThrowsIntegrityNotTheOtherToken(string field, Func<OAuthToken> aliceQuery)
    {
        EditTokens(tokens =>
        {
            var alice = tokens.FindById(_alice.Id);
            var bob = tokens.FindById(_bob.Id);
            var (aliceHash, bobHash) = (alice[field], bob[field]);

            // The unique indexes refuse two records with one value, so move through a placeholder.
            alice[field] = "placeholder";
            tokens.Update(alice);
            bob[field] = aliceHash;
            tokens.Update(bob);
            alice[field] = bobHash;
            tokens.Update(alice);
        });

        using var store = StoreFixture.Open(_path);
        var query = aliceQuery();
        Assert.Multiple(() =>
        {
            Assert.That(() => store.FindToken(query), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(query.RefreshToken, Is.Not.EqualTo(_bob.RefreshToken), "nothing of Bob's token reached the query");
            Assert.That(query.Id, Is.Null);
        });
    }

    private void EditTokens(Action<ILiteCollection<BsonDocument>> edit)
    {
        using var db = StoreFiles.OpenPlain(_path);
        edit(db.GetCollection("tokens"));
    }
}
