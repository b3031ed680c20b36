using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// The key list and the key ring of a database store edited with SQL behind the store's back, as a database
/// administrator without the master key could: a key's creation time moved, a key-ring element deleted. The metadata's
/// MAC covers both, so opening fails with <c>INTEGRITY</c>, and so does an open instance's next call once the state
/// counter moves (an instance rereads the state only then: an edit that leaves the counter alone is seen at the next
/// open, or after the next key change of any instance).
/// </summary>
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
[NonParallelizable]
public sealed class StateTamperTests(StoreKind kind)
{
    private FleetTables _tables = null!;
    private OAuthToken _alice = null!;

    [SetUp]
    public void SetUp()
    {
        _tables = new FleetTables(kind);
        _alice = StoreFixture.Token("alice@example.com");
        using var store = _tables.Open();
        store.SaveToken(_alice);
    }

    [TearDown]
    public void TearDown() => _tables?.Dispose();

    [Test]
    public void Open_KeyCreationTimeEditedInTheDatabase_IsIntegrity()
    {
        Assert.That(_tables.Execute("UPDATE {table} SET created = @created", _tables.Table("keys"), ("@created", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc))), Is.GreaterThan(0));

        Assert.That(() => _tables.Open().Dispose(), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
    }

    [Test]
    public void Open_KeyRingElementDeletedInTheDatabase_IsIntegrity()
    {
        var keyRing = _tables.Table("keyring");
        var first = _tables.Scalar("SELECT MIN(id) FROM {table}", keyRing);
        Assert.That(_tables.Execute("DELETE FROM {table} WHERE id = @id", keyRing, ("@id", first)), Is.EqualTo(1));

        Assert.That(() => _tables.Open().Dispose(), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
    }

    [Test]
    public void OpenInstance_KeyListEditedAndStateCounterMoved_NextCallIsIntegrityNeverAToken()
    {
        using var store = _tables.Open();
        Assert.That(StoreFixture.Fields(store.FindTokenById(_alice.Id!)), Is.EqualTo(StoreFixture.Fields(_alice)));

        _tables.Execute("UPDATE {table} SET created = @created", _tables.Table("keys"), ("@created", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
        _tables.Execute("UPDATE {table} SET state_generation = state_generation + 1", _tables.Table("store"));

        Assert.That(() => store.FindTokenById(_alice.Id!), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
    }
}
