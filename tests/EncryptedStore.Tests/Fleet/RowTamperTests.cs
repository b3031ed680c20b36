using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// Rows of a database store edited with SQL behind the store's back, as a database administrator (or an attacker with
/// the database's credentials but not the master key) could: payloads or ids swapped between two records, a blind index
/// value swapped, a byte of a payload altered. Every read of a touched record fails with <c>INTEGRITY</c>, none returns
/// the other record's plaintext, the untouched record still reads, and <c>Verify</c> names the touched records.
/// </summary>
/// <remarks>The schema as the server storage creates it: table <c>{prefix}records</c>, columns <c>id</c>, <c>payload</c>, <c>h_user_client</c>, <c>h_access</c>.</remarks>
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
[NonParallelizable]
public sealed class RowTamperTests(StoreKind kind)
{
    private FleetTables _tables = null!;
    private OAuthToken _alice = null!;
    private OAuthToken _bob = null!;
    private OAuthToken _carol = null!;
    private string _records = null!;

    [SetUp]
    public void SetUp()
    {
        _tables = new FleetTables(kind);
        (_alice, _bob, _carol) = (StoreFixture.Token("alice@example.com"), StoreFixture.Token("bob@example.com"), StoreFixture.Token("carol@example.com"));
        using (var store = _tables.Open())
        {
            store.SaveTokens([_alice, _bob, _carol]);
        }

        _records = _tables.Table("records");
    }

    [TearDown]
    public void TearDown() => _tables?.Dispose();

    [Test]
    public void Read_PayloadsSwappedBetweenTwoRows_IntegrityForBothNeverTheOtherToken()
    {
        Swap("payload", _alice.Id!, _bob.Id!);

        AssertBothTampered();
    }

    [Test]
    public void Read_IdsSwappedBetweenTwoRows_IntegrityForBothNeverTheOtherToken()
    {
        // The id is the primary key: move one out of the way first.
        _tables.Execute("UPDATE {table} SET id = @to WHERE id = @from", _records, ("@to", "placeholder"), ("@from", _alice.Id));
        _tables.Execute("UPDATE {table} SET id = @to WHERE id = @from", _records, ("@to", _alice.Id), ("@from", _bob.Id));
        _tables.Execute("UPDATE {table} SET id = @to WHERE id = @from", _records, ("@to", _bob.Id), ("@from", "placeholder"));

        AssertBothTampered();
    }

    [TestCase("h_user_client")]
    [TestCase("h_access")]
    public void FindToken_BlindIndexSwappedBetweenTwoRows_IntegrityNeverTheOtherToken(string column)
    {
        Swap(column, _alice.Id!, _bob.Id!);

        using var store = _tables.Open();
        var byUser = new OAuthToken { UserSignature = new UserSignature("alice@example.com"), ClientId = _alice.ClientId };
        var byAccess = new OAuthToken { AccessToken = _alice.AccessToken };
        var query = column == "h_access" ? byAccess : byUser;
        Assert.Multiple(() =>
        {
            Assert.That(() => store.FindToken(query), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(query.RefreshToken, Is.Null, "nothing of Bob's token reached the query");
            Assert.That(StoreFixture.Fields(store.FindTokenById(_carol.Id!)), Is.EqualTo(StoreFixture.Fields(_carol)), "the untouched record still reads");
            Assert.That(Problems(store), Is.SupersetOf(new[] { _alice.Id, _bob.Id }).And.Not.Contains(_carol.Id), "Verify names the touched records");
        });
    }

    [TestCase(0, TestName = "{m}(first byte)")]
    [TestCase(20, TestName = "{m}(a middle byte)")]
    [TestCase(-1, TestName = "{m}(last byte)")]
    public void Read_OneByteOfAPayloadAltered_IntegrityForThatRecordOnly(int offset)
    {
        var payload = (byte[])_tables.Scalar("SELECT payload FROM {table} WHERE id = @id", _records, ("@id", _alice.Id))!;
        payload[offset >= 0 ? offset : payload.Length + offset] ^= 0x01;
        _tables.Execute("UPDATE {table} SET payload = @payload WHERE id = @id", _records, ("@payload", payload), ("@id", _alice.Id));

        using var store = _tables.Open();
        Assert.Multiple(() =>
        {
            Assert.That(() => store.FindTokenById(_alice.Id!), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(() => store.FindToken(new OAuthToken { AccessToken = _alice.AccessToken }), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(StoreFixture.Fields(store.FindTokenById(_bob.Id!)), Is.EqualTo(StoreFixture.Fields(_bob)), "the untouched record still reads");
            Assert.That(Problems(store), Is.EqualTo(new[] { _alice.Id }), "Verify names the altered record");
        });
    }

    /// <summary>Swaps a column's values between two rows (read, then written back crosswise, as parameters).</summary>
    private void Swap(string column, string first, string second)
    {
        var sql = $"SELECT {column} FROM {{table}} WHERE id = @id";
        var (a, b) = (_tables.Scalar(sql, _records, ("@id", first)), _tables.Scalar(sql, _records, ("@id", second)));
        Assert.That(a, Is.Not.EqualTo(b), $"two different {column} values to swap");
        var update = $"UPDATE {{table}} SET {column} = @value WHERE id = @id";

        if (column.StartsWith("h_", StringComparison.Ordinal))
        {
            // A unique index refuses one value in two rows: go through NULL.
            _tables.Execute(update, _records, ("@value", null), ("@id", first));
        }

        _tables.Execute(update, _records, ("@value", a), ("@id", second));
        _tables.Execute(update, _records, ("@value", b), ("@id", first));
    }

    private void AssertBothTampered()
    {
        using var store = _tables.Open();
        Assert.Multiple(() =>
        {
            Assert.That(() => store.FindTokenById(_alice.Id!), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(() => store.FindTokenById(_bob.Id!), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(() => store.FindToken(new OAuthToken { UserSignature = new UserSignature("alice@example.com"), ClientId = _alice.ClientId }), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(() => store.FindToken(new OAuthToken { AccessToken = _bob.AccessToken }), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(() => store.GetTokens(), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
            Assert.That(StoreFixture.Fields(store.FindTokenById(_carol.Id!)), Is.EqualTo(StoreFixture.Fields(_carol)), "the untouched record still reads");
            Assert.That(Problems(store), Is.EquivalentTo(new[] { _alice.Id, _bob.Id }), "Verify names both records");
        });
    }

    /// <summary>The ids of the records Verify reports, each with code INTEGRITY.</summary>
    private static List<string?> Problems(EncryptedTokenStore store)
    {
        var problems = store.Verify().Problems;
        Assert.That(problems.Select(p => p.Code), Is.All.EqualTo(TokenStoreErrorCodes.Integrity), string.Join("; ", problems));
        return problems.Select(p => p.RecordId).Distinct().ToList();
    }
}
