using System.Globalization;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Caching;

public class TokenCacheTests : StoreFolderTest
{
    [Test]
    public void FindTokenById_Warm_IsServedFromCacheAsAFreshCopy()
    {
        using var store = StoreFixture.Open(StorePath);
        var token = StoreFixture.Token("a@example.com");
        store.SaveToken(token);

        var first = (OAuthToken)store.FindTokenById(token.Id!);
        first.AccessToken = "mutated by the caller";
        var second = (OAuthToken)store.FindTokenById(token.Id!);
        Assert.Multiple(() =>
        {
            Assert.That(store.CachedTokenCount, Is.EqualTo(1));
            Assert.That(second, Is.Not.SameAs(first));
            Assert.That(second.AccessToken, Is.EqualTo(token.AccessToken), "a caller's change must not reach the cache");
        });
    }

    [Test]
    public void LookupMap_ManyUpdatesEachLookedUpByAccessToken_KeepsOnlyTheCurrentValues()
    {
        // Attack of the security issue: the map from lookup values to entries was never pruned; after 500 updates
        // each followed by a lookup, it held 500 keys, each keeping an old plaintext access token in memory.
        using var store = StoreFixture.Open(StorePath);
        var token = StoreFixture.Token("a@example.com");
        store.SaveToken(token);
        for (var i = 0; i < 500; i++)
        {
            token.AccessToken = "1000.access.round." + i.ToString(CultureInfo.InvariantCulture);
            store.SaveToken(token);
            Assert.That(((OAuthToken?)store.FindToken(new OAuthToken { AccessToken = token.AccessToken }))?.Id, Is.EqualTo(token.Id));
        }

        Assert.Multiple(() =>
        {
            Assert.That(store.CachedTokenCount, Is.EqualTo(1));
            Assert.That(store.CachedLookupCount, Is.EqualTo(1), "only the current access token leads to the entry");
        });
    }

    [Test]
    [NonParallelizable]
    public void WarmLookups_AllocateNothingButTheReturnedCopy()
    {
        // Issue 15's cheap wins: no closure, no user signature, no copy of the entry on a hit (a meter listener of
        // another test would add its tags, hence not in parallel).
        using var store = StoreFixture.Open(StorePath);
        var token = StoreFixture.Token("a@example.com");
        store.SaveToken(token);
        var queries = Enumerable.Range(0, 200).Select(_ => new OAuthToken { AccessToken = token.AccessToken }).ToArray();
        for (var i = 0; i < 100; i++)
        {
            store.FindTokenById(token.Id!);
            store.FindToken(queries[i]);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var copy = new OAuthToken();
        var oneToken = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            copy = (OAuthToken)store.FindTokenById(token.Id!);
        }

        var byId = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 100; i < 200; i++)
        {
            store.FindToken(queries[i]);
        }

        var byMatch = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Multiple(() =>
        {
            Assert.That(byId, Is.EqualTo(100 * oneToken), "FindTokenById: the returned token only");
            Assert.That(byMatch, Is.Zero, "FindToken fills the caller's token");
            Assert.That(queries.Skip(100).Select(StoreFixture.Fields), Has.All.EqualTo(StoreFixture.Fields(copy)));
        });
    }

    [Test]
    public void LookupKey_ToString_NamesTheIndexNotTheValue()
    {
        var key = new EncryptedStore.Caching.LookupKey(EncryptedStore.Crypto.BlindIndex.AccessToken, "1000.secret.access.token");

        Assert.That(key.ToString(), Does.Contain("AccessToken").And.Not.Contain("secret"));
    }

    [Test]
    public void FindToken_WarmedByEveryKey_ServesEachFromTheCache()
    {
        using var store = StoreFixture.Open(StorePath);
        var token = StoreFixture.Token("a@example.com");
        store.SaveToken(token);
        var queries = new Func<OAuthToken>[]
        {
            () => new OAuthToken { AccessToken = token.AccessToken },
            () => new OAuthToken { UserSignature = new UserSignature("a@example.com"), ClientId = token.ClientId },
            () => new OAuthToken { ClientId = token.ClientId, ClientSecret = token.ClientSecret, RefreshToken = token.RefreshToken },
            () => new OAuthToken { ClientId = token.ClientId, ClientSecret = token.ClientSecret, GrantToken = token.GrantToken },
        };
        foreach (var query in queries)
        {
            Assert.That(store.FindToken(query()), Is.Not.Null);
        }

        store.FindTokenById(token.Id!);

        // Behind the store's back: from now on only the cache can answer.
        Assert.That(store.BackingFile.Records.Delete(token.Id!), Is.True);

        Assert.Multiple(() =>
        {
            for (var i = 0; i < queries.Length; i++)
            {
                Assert.That(StoreFixture.Fields(store.FindToken(queries[i]())), Is.EqualTo(StoreFixture.Fields(token)), $"query {i} missed the cache");
            }

            Assert.That(store.TryFindTokenById(token.Id!), Is.Not.Null, "by id");
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public void SaveToken_AfterCachedRead_NextReadSeesTheSave(bool byLookup)
    {
        using var store = StoreFixture.Open(StorePath);
        var token = StoreFixture.Token("a@example.com");
        store.SaveToken(token);
        Read(store, token, byLookup);

        store.SaveToken(new OAuthToken { Id = token.Id, AccessToken = "1000.access.second", ExpiresIn = "2" });
        var after = Read(store, token, byLookup);
        Assert.Multiple(() =>
        {
            Assert.That(after.AccessToken, Is.EqualTo("1000.access.second"));
            Assert.That(after.ExpiresIn, Is.EqualTo("2"));
        });
    }

    [Test]
    public void DeleteToken_AfterCachedRead_IsNotFound()
    {
        using var store = StoreFixture.Open(StorePath);
        var token = StoreFixture.Token("a@example.com");
        store.SaveToken(token);
        Read(store, token, byLookup: true);
        Read(store, token, byLookup: false);

        store.DeleteToken(token.Id!);
        Assert.Multiple(() =>
        {
            Assert.That(store.TryFindTokenById(token.Id!), Is.Null);
            Assert.That(store.FindToken(new OAuthToken { UserSignature = new UserSignature("a@example.com"), ClientId = token.ClientId }), Is.Null);
            Assert.That(store.FindToken(new OAuthToken { AccessToken = token.AccessToken }), Is.Null);
        });
    }

    [Test]
    public void DeleteTokens_AfterCachedReads_NothingIsServed()
    {
        using var store = StoreFixture.Open(StorePath);
        var tokens = Enumerable.Range(0, 5).Select(i => StoreFixture.Token($"u{i}@example.com")).ToList();
        store.SaveTokens(tokens);
        tokens.ForEach(t => Read(store, t, byLookup: false));

        store.DeleteTokens();
        Assert.That(tokens.Select(t => store.TryFindTokenById(t.Id!)), Is.All.Null);
        Assert.That(store.CachedTokenCount, Is.Zero);
    }

    [Test]
    public void ChangedLookupValue_OldValueNoLongerFindsTheToken()
    {
        using var store = StoreFixture.Open(StorePath);
        var token = StoreFixture.Token("a@example.com");
        store.SaveToken(token);
        var oldAccess = token.AccessToken;
        Assert.That(store.FindToken(new OAuthToken { AccessToken = oldAccess }), Is.Not.Null);

        store.SaveToken(new OAuthToken { Id = token.Id, AccessToken = "1000.access.rotated" });
        Assert.Multiple(() =>
        {
            Assert.That(store.FindToken(new OAuthToken { AccessToken = oldAccess }), Is.Null);
            Assert.That(((OAuthToken?)store.FindToken(new OAuthToken { AccessToken = "1000.access.rotated" }))?.Id, Is.EqualTo(token.Id));
        });
    }

    [Test]
    public void RotateKeys_WithWarmCache_CachedAndFreshReadsAgree()
    {
        using var store = StoreFixture.Open(StorePath);
        var tokens = Enumerable.Range(0, 50).Select(i => StoreFixture.Token($"u{i}@example.com")).ToList();
        store.SaveTokens(tokens);
        tokens.ForEach(t => Read(store, t, byLookup: true));

        store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true });
        Assert.Multiple(() =>
        {
            foreach (var token in tokens)
            {
                Assert.That(Read(store, token, byLookup: true).RefreshToken, Is.EqualTo(token.RefreshToken));
                Assert.That(Read(store, token, byLookup: false).RefreshToken, Is.EqualTo(token.RefreshToken));
            }
        });
    }

    [Test]
    public void RevokeKey_CachedTokenUnderRevokedKey_IsNoLongerServed()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = StorePath, MasterKey = MasterKey.FromBytes(StoreFixture.Key), TimeProvider = clock });
        var old = StoreFixture.Token("old@example.com");
        store.SaveToken(old);
        Read(store, old, byLookup: false);
        clock.Advance(TimeSpan.FromDays(91));
        store.SaveToken(StoreFixture.Token("new@example.com"));

        store.RevokeKey(store.GetStatistics().Keys.Single(k => k.Purpose == StoreKeyPurpose.Data && k.State == StoreKeyState.Retired).Version);
        var error = Assert.Throws<TokenStoreException>(() => store.FindTokenById(old.Id!));
        Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.KeyUnavailable));
    }

    [Test]
    public void Dispose_ClearsTheCacheAndRefusesCalls()
    {
        var store = StoreFixture.Open(StorePath);
        var token = StoreFixture.Token("a@example.com");
        store.SaveToken(token);
        Read(store, token, byLookup: false);
        store.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(store.CachedTokenCount, Is.Zero);
            Assert.Throws<ObjectDisposedException>(() => store.FindTokenById(token.Id!));
        });
    }

    [Test]
    public void CacheSizeZero_ReadsTheFileEveryTime()
    {
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = StorePath, MasterKey = MasterKey.FromBytes(StoreFixture.Key), CacheSize = 0 });
        var token = StoreFixture.Token("a@example.com");
        store.SaveToken(token);
        Read(store, token, byLookup: false);
        Read(store, token, byLookup: true);
        Assert.That(store.CachedTokenCount, Is.Zero);
    }

    [Test]
    public void CacheSize_IsABound()
    {
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = StorePath, MasterKey = MasterKey.FromBytes(StoreFixture.Key), CacheSize = 10 });
        var tokens = Enumerable.Range(0, 35).Select(i => StoreFixture.Token($"u{i}@example.com")).ToList();
        store.SaveTokens(tokens);
        foreach (var token in tokens)
        {
            Read(store, token, byLookup: false);
            Assert.That(store.CachedTokenCount, Is.LessThanOrEqualTo(10));
        }
    }

    [TestCase(10_000)]
    [TestCase(0)]
    [Category("Slow")]
    public void ConcurrentWriterAndReaders_NoReadIsOlderThanTheLastAcknowledgedSave(int cacheSize)
    {
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = StorePath, MasterKey = MasterKey.FromBytes(StoreFixture.Key), CacheSize = cacheSize });
        var token = StoreFixture.Token("a@example.com");
        token.AccessToken = "v0";
        store.SaveToken(token);
        var acknowledged = 0;
        var stale = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var done = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 3).Select(r => new Thread(() =>
        {
            while (!done.IsCancellationRequested)
            {
                var floor = Volatile.Read(ref acknowledged);
                var found = r == 0
                    ? (OAuthToken)store.FindTokenById(token.Id!)
                    : (OAuthToken)store.FindToken(new OAuthToken { UserSignature = new UserSignature("a@example.com"), ClientId = token.ClientId })!;
                var version = int.Parse(found.AccessToken![1..], CultureInfo.InvariantCulture);
                if (version < floor)
                {
                    stale.Add($"reader {r} saw v{version} after v{floor} was acknowledged");
                }
            }
        })).ToList();
        readers.ForEach(t => t.Start());

        for (var version = 1; version <= 1500; version++)
        {
            store.SaveToken(new OAuthToken { Id = token.Id, AccessToken = $"v{version}" });
            Volatile.Write(ref acknowledged, version);
        }

        done.Cancel();
        readers.ForEach(t => t.Join());
        Assert.That(stale, Is.Empty);
    }

    [Test]
    [Category("Slow")]
    public void SecondProcess_WhileStoreIsOpen_CannotOpenItSoNoCacheCanGoStale()
    {
        var token = StoreFixture.Token("a@example.com");
        using (var store = StoreFixture.Open(StorePath))
        {
            store.SaveToken(token);
            Read(store, token, byLookup: false);
            using var child = ChildProcess.StartTestHost("open", StorePath, Convert.ToHexString(StoreFixture.Key));
            Assert.That(child.WaitForLine("error"), Is.EqualTo($"error {TokenStoreErrorCodes.StoreLocked}"));
            store.SaveToken(new OAuthToken { Id = token.Id, AccessToken = "1000.access.latest" });
        }

        using var after = ChildProcess.StartTestHost("open", StorePath, Convert.ToHexString(StoreFixture.Key));
        Assert.That(after.WaitForLine("opened"), Is.EqualTo("opened 1"));
    }

    private static OAuthToken Read(EncryptedTokenStore store, OAuthToken token, bool byLookup) => byLookup
        ? (OAuthToken)store.FindToken(new OAuthToken { UserSignature = new UserSignature(token.UserSignature!.Name), ClientId = token.ClientId })!
        : (OAuthToken)store.FindTokenById(token.Id!);
}
