using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// Key administration made by one instance of a database store is honoured by another, already open and warm (its
/// keys unwrapped, its cache full), at its very next call: a revoked key no longer decrypts, a destroyed key no longer
/// decrypts even a row restored behind the store's back, a changed master key locks out the instance that still has the
/// old one.
/// </summary>
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
[NonParallelizable]
public sealed class KeyChangesAcrossInstancesTests(StoreKind kind)
{
    private FleetTables _tables = null!;

    [SetUp]
    public void SetUp() => _tables = new FleetTables(kind);

    [TearDown]
    public void TearDown() => _tables?.Dispose();

    [Test]
    public void RevokeKey_InOneInstance_TheOtherNoLongerDecryptsWithIt()
    {
        using var a = _tables.Open();
        using var b = _tables.Open();
        var token = StoreFixture.Token("ann@example.com");
        a.SaveToken(token);
        var old = ActiveDataKey(a);
        Assert.That(StoreFixture.Fields(b.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)), "b unwrapped the old key and cached the token");

        // A rotation cancelled before its first batch leaves the record under the old key, which is then revoked.
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            Assert.Throws<OperationCanceledException>(() => a.RotateKeys(cancellationToken: cancelled.Token));
        }

        a.RevokeKey(old);

        var error = Assert.Throws<TokenStoreException>(() => b.FindTokenById(token.Id!));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.KeyUnavailable));
            Assert.That(error.Message, Does.Contain($"version {old}"));
            Assert.That(() => b.FindToken(new OAuthToken { AccessToken = token.AccessToken }), StoreError.WithCode(TokenStoreErrorCodes.KeyUnavailable));
        });
    }

    [Test]
    public void DestroyKey_InOneInstance_TheOtherCannotDecryptARowRestoredUnderIt()
    {
        using var a = _tables.Open();
        using var b = _tables.Open();
        var token = StoreFixture.Token("ann@example.com");
        a.SaveToken(token);
        var old = ActiveDataKey(a);
        var records = _tables.Table("records");
        var oldPayload = (byte[])_tables.Scalar("SELECT payload FROM {table} WHERE id = @id", records, ("@id", token.Id))!;
        Assert.That(b.FindTokenById(token.Id!), Is.Not.Null, "b unwrapped the old key and cached the token");

        a.RotateKeys();
        a.RevokeKey(old);
        a.DestroyKey(old);
        // A database administrator restores the row from a backup taken before the rotation.
        _tables.Execute("UPDATE {table} SET data_key = @version, payload = @payload WHERE id = @id", records, ("@version", old), ("@payload", oldPayload), ("@id", token.Id));

        using var c = _tables.Open();
        Assert.Multiple(() =>
        {
            Assert.That(() => b.FindTokenById(token.Id!), StoreError.WithCode(TokenStoreErrorCodes.KeyUnavailable), "the warm instance");
            Assert.That(() => c.FindTokenById(token.Id!), StoreError.WithCode(TokenStoreErrorCodes.KeyUnavailable), "a new instance");
            Assert.That(b.GetStatistics().Keys.Single(k => k.Version == old).State, Is.EqualTo(StoreKeyState.Destroyed));
        });
    }

    [Test]
    public void ChangeMasterKey_InOneInstance_TheOtherFailsWithWrongKeyAndTheNewKeyOpens()
    {
        using var a = _tables.Open();
        using var b = _tables.Open();
        var token = StoreFixture.Token("ann@example.com");
        a.SaveToken(token);
        Assert.That(b.GetTokens(), Has.Count.EqualTo(1));

        a.ChangeMasterKey(MasterKey.FromBytes(StoreFixture.OtherKey));

        using var withNewKey = _tables.Open(StoreFixture.OtherKey);
        Assert.Multiple(() =>
        {
            Assert.That(() => b.GetTokens(), StoreError.WithCode(TokenStoreErrorCodes.WrongKey), "the instance with the old master key, at its next call");
            Assert.That(() => b.SaveToken(StoreFixture.Token("bob@example.com")), StoreError.WithCode(TokenStoreErrorCodes.WrongKey), "nor may it write");
            Assert.That(() => _tables.Open(), StoreError.WithCode(TokenStoreErrorCodes.WrongKey), "a new instance with the old master key");
            Assert.That(StoreFixture.Fields(withNewKey.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)));
            Assert.That(a.GetTokens(), Has.Count.EqualTo(1), "the bob save was refused");
        });
    }

    private static int ActiveDataKey(EncryptedTokenStore store) =>
        store.GetStatistics().Keys.Single(k => k is { Purpose: StoreKeyPurpose.Data, State: StoreKeyState.Active }).Version;
}
