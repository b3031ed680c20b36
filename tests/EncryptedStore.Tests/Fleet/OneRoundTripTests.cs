using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// The one-round-trip paths of a database store against another instance's changes: a save by id commits only while
/// nothing changed since the cached or read state it merged with was current (otherwise it merges with the other
/// instance's values, or inserts again what it deleted), and an uncached read that learns, with the record, that another instance
/// changed the keys catches up before it decrypts.
/// </summary>
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
[NonParallelizable]
public sealed class OneRoundTripTests(StoreKind kind)
{
    private FleetTables _tables = null!;

    [SetUp]
    public void SetUp() => _tables = new FleetTables(kind);

    [TearDown]
    public void TearDown() => _tables?.Dispose();

    [Test]
    public void SaveById_OfATokenAnotherInstanceChangedSinceItWasRead_MergesWithTheirValues([Values(0, 100)] int cacheSize)
    {
        using var a = _tables.Open(cacheSize: cacheSize);
        using var b = _tables.Open();
        var token = StoreFixture.Token("ann@example.com");
        a.SaveToken(token);
        Assert.That(a.FindTokenById(token.Id!), Is.Not.Null, "a reads (and with a cache, caches) the token");

        b.SaveToken(new OAuthToken { Id = token.Id, RefreshToken = "1000.refresh.from-b", ExpiresIn = "1800000000000" });

        // a refreshes the access token only: the refresh token and expiry are b's, not those a cached.
        var refresh = new OAuthToken { Id = token.Id, AccessToken = "1000.access.from-a" };
        a.SaveToken(refresh);

        var expected = StoreFixture.Copy(token);
        expected.RefreshToken = "1000.refresh.from-b";
        expected.ExpiresIn = "1800000000000";
        expected.AccessToken = "1000.access.from-a";
        using var c = _tables.Open();
        Assert.Multiple(() =>
        {
            Assert.That(StoreFixture.Fields(refresh), Is.EqualTo(StoreFixture.Fields(expected)), "the saved token filled from the merge");
            Assert.That(StoreFixture.Fields(c.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(expected)), "what the database holds");
            Assert.That(StoreFixture.Fields(a.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(expected)), "what a reads");
            Assert.That(StoreFixture.Fields(b.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(expected)), "what b reads");
        });
    }

    [Test]
    public void SaveById_UncachedRightAfterOpening_MergesWithTheStoredRecord()
    {
        using var b = _tables.Open();
        var token = StoreFixture.Token("ann@example.com");
        b.SaveToken(token);
        b.SaveToken(new OAuthToken { Id = token.Id, RefreshToken = "1000.refresh.from-b" });

        using var a = _tables.Open();
        var refresh = new OAuthToken { Id = token.Id, AccessToken = "1000.access.from-a" };
        a.SaveToken(refresh);

        var expected = StoreFixture.Copy(token);
        expected.RefreshToken = "1000.refresh.from-b";
        expected.AccessToken = "1000.access.from-a";
        Assert.Multiple(() =>
        {
            Assert.That(StoreFixture.Fields(refresh), Is.EqualTo(StoreFixture.Fields(expected)));
            Assert.That(StoreFixture.Fields(b.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(expected)));
            Assert.That(b.GetTokens(), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void SaveById_OfATokenAnotherInstanceDeletedSinceItWasCached_StoresOnlyTheNewValues()
    {
        using var a = _tables.Open();
        using var b = _tables.Open();
        var token = StoreFixture.Token("ann@example.com");
        a.SaveToken(token);
        Assert.That(a.FindTokenById(token.Id!), Is.Not.Null, "a caches the token");

        b.DeleteToken(token.Id!);
        var again = new OAuthToken { Id = token.Id, UserSignature = new UserSignature("bob@example.com"), ClientId = "1000.CLIENTB", AccessToken = "1000.access.bob" };
        a.SaveToken(again);

        var stored = (OAuthToken)b.FindTokenById(token.Id!);
        Assert.Multiple(() =>
        {
            Assert.That(stored.UserSignature?.Name, Is.EqualTo("bob@example.com"));
            Assert.That(stored.RefreshToken, Is.Null, "nothing of the deleted token comes back");
            Assert.That(stored.ClientSecret, Is.Null, "nothing of the deleted token comes back");
            Assert.That(b.GetTokens(), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void SaveById_WithARefreshTokenAnotherRecordHolds_ThrowsDuplicateAndChangesNothing([Values] bool cached)
    {
        using var a = _tables.Open();
        var ann = StoreFixture.Token("ann@example.com");
        var bob = StoreFixture.Token("bob@example.com");
        a.SaveToken(ann);
        a.SaveToken(bob);
        if (cached)
        {
            a.FindTokenById(ann.Id!);
        }

        var clash = new OAuthToken { Id = ann.Id, RefreshToken = bob.RefreshToken, AccessToken = "1000.access.new" };
        Assert.That(() => a.SaveToken(clash), StoreError.WithCode(TokenStoreErrorCodes.DuplicateToken));

        using var c = _tables.Open();
        Assert.Multiple(() =>
        {
            Assert.That(StoreFixture.Fields(c.FindTokenById(ann.Id!)), Is.EqualTo(StoreFixture.Fields(ann)));
            Assert.That(StoreFixture.Fields(a.FindTokenById(ann.Id!)), Is.EqualTo(StoreFixture.Fields(ann)));
            Assert.That(StoreFixture.Fields(c.FindTokenById(bob.Id!)), Is.EqualTo(StoreFixture.Fields(bob)));
        });
    }

    [Test]
    public void FindById_UncachedAfterAnotherInstanceRevokedItsKey_ThrowsKeyUnavailable([Values(0, 100)] int cacheSize)
    {
        using var a = _tables.Open(cacheSize: cacheSize);
        using var b = _tables.Open();
        var (_, bob) = SaveTwoAndReadTheFirst(b, a);
        var old = b.GetStatistics().Keys.Single(k => k.State == StoreKeyState.Active && k.Purpose == StoreKeyPurpose.Data).Version;

        // A rotation cancelled before its first batch leaves both records under the old key, which b then revokes.
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            Assert.Throws<OperationCanceledException>(() => b.RotateKeys(cancellationToken: cancelled.Token));
        }

        b.RevokeKey(old);

        // a has never read bob: the record and the news of the revocation come in one round trip, and the news wins.
        Assert.That(() => a.FindTokenById(bob.Id!), StoreError.WithCode(TokenStoreErrorCodes.KeyUnavailable));
    }

    [Test]
    public void FindById_UncachedAfterAnotherInstanceRotatedTheKeys_CatchesUpAndReadsTheRewrittenRecord([Values(0, 100)] int cacheSize)
    {
        using var a = _tables.Open(cacheSize: cacheSize);
        using var b = _tables.Open();
        var (ann, bob) = SaveTwoAndReadTheFirst(b, a);

        // b rotates and destroys the first keys: every record a could read now is under keys a has not seen.
        var old = b.GetStatistics().Keys.Where(k => k.State == StoreKeyState.Active).Select(k => k.Version).ToList();
        b.RotateKeys(new KeyRotationOptions { RotateIndexKey = true });
        foreach (var version in old)
        {
            b.RevokeKey(version);
            b.DestroyKey(version);
        }

        Assert.Multiple(() =>
        {
            Assert.That(StoreFixture.Fields(a.FindTokenById(bob.Id!)), Is.EqualTo(StoreFixture.Fields(bob)), "a token a never read");
            Assert.That(StoreFixture.Fields(a.FindTokenById(ann.Id!)), Is.EqualTo(StoreFixture.Fields(ann)), "a token a had read");
        });
    }

    /// <summary><paramref name="writer"/> saves ann and bob; <paramref name="reader"/> reads ann (unwrapping the keys, which stay in its memory).</summary>
    private static (OAuthToken Ann, OAuthToken Bob) SaveTwoAndReadTheFirst(EncryptedTokenStore writer, EncryptedTokenStore reader)
    {
        var ann = StoreFixture.Token("ann@example.com");
        var bob = StoreFixture.Token("bob@example.com");
        writer.SaveToken(ann);
        writer.SaveToken(bob);
        Assert.That(StoreFixture.Fields(reader.FindTokenById(ann.Id!)), Is.EqualTo(StoreFixture.Fields(ann)), "the reader unwraps the keys");
        return (ann, bob);
    }
}
