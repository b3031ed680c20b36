using System.Globalization;
using EncryptedStore.Caching;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Caching;

/// <summary>
/// A full cache makes room one entry at a time (CLOCK: an entry read since the hand last passed it gets a second
/// chance), never by emptying itself, and an evicted entry takes its lookup values with it.
/// </summary>
public class TokenCacheEvictionTests
{
    [Test]
    public void Add_NewTokensIntoAFullCache_EvictOneEachAndNeverEmptyIt()
    {
        var cache = new TokenCache(4);
        var counts = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            Add(cache, Token(i));
            counts.Add(cache.Count);
        }

        Assert.Multiple(() =>
        {
            Assert.That(counts, Is.EqualTo(Enumerable.Range(1, 3).Concat(Enumerable.Repeat(4, 17))));
            Assert.That(Enumerable.Range(0, 20).Where(i => cache.Get(Id(i)) is not null), Is.EqualTo(Enumerable.Range(16, 4)), "none was read: the oldest go first");
        });
    }

    [Test]
    public void Get_TokenReadBetweenNewTokens_SurvivesAStreamOfOthers()
    {
        var cache = new TokenCache(4);
        Add(cache, Token(0));
        var evictedAt = new List<int>();
        for (var i = 1; i < 100; i++)
        {
            Add(cache, Token(i));
            if (cache.Get(Id(0)) is null)
            {
                evictedAt.Add(i);
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(evictedAt, Is.Empty, "the token read again and again was evicted");
            Assert.That(cache.Count, Is.EqualTo(4));
        });
    }

    [Test]
    public void Evict_TokenFoundByLookupValues_TakesThemOutOfTheLookupMap()
    {
        var cache = new TokenCache(2);
        for (var i = 0; i < 10; i++)
        {
            var token = Token(i);
            Add(cache, token, AccessKey(i));
            Add(cache, token, UserKey(i));
        }

        Assert.Multiple(() =>
        {
            Assert.That(cache.Count, Is.EqualTo(2));
            Assert.That(cache.LookupCount, Is.EqualTo(4), "two lookup values for each of the two cached tokens, none of the evicted");
            Assert.That(Enumerable.Range(0, 10).Where(i => cache.GetByLookup(AccessKey(i)) is not null), Is.EqualTo(Enumerable.Range(8, 2)));
            Assert.That(Enumerable.Range(0, 10).Where(i => cache.GetByLookup(UserKey(i)) is not null), Is.EqualTo(Enumerable.Range(8, 2)));
        });
    }

    [Test]
    public void EndWrite_NewStateOfAnotherTokenInAFullCache_EvictsOne()
    {
        var cache = new TokenCache(3);
        Enumerable.Range(0, 3).ToList().ForEach(i => Add(cache, Token(i)));

        cache.BeginWrite();
        cache.EndWrite(new CachedToken(Token(3)));

        Assert.Multiple(() =>
        {
            Assert.That(cache.Count, Is.EqualTo(3));
            Assert.That(cache.Get(Id(3)), Is.Not.Null, "write-through");
            Assert.That(cache.Get(Id(0)), Is.Null, "the oldest unread entry made room");
        });
    }

    [Test]
    public void EndWrite_NewStateOfAReadToken_KeepsItsSecondChance()
    {
        var cache = new TokenCache(3);
        Enumerable.Range(0, 3).ToList().ForEach(i => Add(cache, Token(i)));
        Assert.That(cache.Get(Id(0)), Is.Not.Null);
        var saved = Token(0);
        saved.AccessToken = "1000.access.saved";

        cache.BeginWrite();
        cache.EndWrite(new CachedToken(saved));
        Add(cache, Token(3));

        Assert.Multiple(() =>
        {
            Assert.That(cache.Get(Id(0))?.Get(TokenFields.AccessToken), Is.EqualTo("1000.access.saved"));
            Assert.That(cache.Get(Id(1)), Is.Null, "the unread entry after it made room");
            Assert.That(cache.Count, Is.EqualTo(3));
        });
    }

    [Test]
    public void EndWrite_TouchedToken_FreesItsSlotForTheNextWithoutEvicting()
    {
        var cache = new TokenCache(3);
        Enumerable.Range(0, 3).ToList().ForEach(i => Add(cache, Token(i)));

        cache.BeginWrite();
        cache.EndWrite(touchedIds: [Id(1)]);
        Add(cache, Token(3));
        Add(cache, Token(4));

        Assert.Multiple(() =>
        {
            Assert.That(cache.Count, Is.EqualTo(3));
            Assert.That(Enumerable.Range(0, 5).Where(i => cache.Get(Id(i)) is not null), Is.EqualTo(Enumerable.Range(2, 3)), "3 took the free slot; 4 evicted 0");
        });
    }

    [Test]
    public void Clear_FullCache_EmptiesItAndItFillsAgain()
    {
        var cache = new TokenCache(2);
        for (var i = 0; i < 5; i++)
        {
            Add(cache, Token(i), AccessKey(i));
        }

        cache.Clear();
        Assert.That((cache.Count, cache.LookupCount), Is.EqualTo((0, 0)));

        for (var i = 5; i < 8; i++)
        {
            Add(cache, Token(i), AccessKey(i));
        }

        Assert.Multiple(() =>
        {
            Assert.That(cache.Count, Is.EqualTo(2));
            Assert.That(cache.LookupCount, Is.EqualTo(2));
            Assert.That(Enumerable.Range(0, 8).Where(i => cache.Get(Id(i)) is not null), Is.EqualTo(Enumerable.Range(6, 2)));
        });
    }

    [TestCase(false)]
    [TestCase(true)]
    public void FindToken_HotSetInACacheSmallerThanTheStore_IsServedFromTheCache(bool byLookup)
    {
        using var dir = new TempDirectory();
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = dir.File("tokens.db"), MasterKey = MasterKey.FromBytes(StoreFixture.Key), CacheSize = 8 });
        store.WaitForWarmCache(); // the warm-up of the empty store is over: the cache holds only what the test reads
        var tokens = Enumerable.Range(0, 60).Select(i => StoreFixture.Token($"u{i}@example.com")).ToList();
        store.SaveTokens(tokens);
        var hot = tokens.Take(4).ToList();
        hot.ForEach(t => Read(store, t, byLookup));

        // Behind the store's back: from now on only the cache can answer for the hot set.
        hot.ForEach(t => Assert.That(store.BackingFile.Records.Delete(t.Id!), Is.True));

        var missed = new List<string>();
        foreach (var cold in tokens.Skip(hot.Count))
        {
            Assert.That(store.TryFindTokenById(cold.Id!)?.Id, Is.EqualTo(cold.Id), "read from the file");
            missed.AddRange(hot.Where(t => Read(store, t, byLookup) is null).Select(t => $"{t.UserSignature!.Name} after {cold.UserSignature!.Name}"));
        }

        Assert.Multiple(() =>
        {
            Assert.That(missed, Is.Empty, "hot tokens that the cache no longer held");
            Assert.That(store.CachedTokenCount, Is.EqualTo(8));
            Assert.That(StoreFixture.Fields(Read(store, hot[0], byLookup)), Is.EqualTo(StoreFixture.Fields(hot[0])));
        });
    }

    private static OAuthToken? Read(EncryptedTokenStore store, OAuthToken token, bool byLookup) => byLookup
        ? (OAuthToken?)store.FindToken(new OAuthToken { UserSignature = new UserSignature(token.UserSignature!.Name), ClientId = token.ClientId })
        : store.TryFindTokenById(token.Id!);

    private static void Add(TokenCache cache, OAuthToken token, LookupKey? key = null) => cache.Add(cache.BeginRead(), token, key);

    private static string Id(int i) => "id-" + i.ToString(CultureInfo.InvariantCulture);

    private static OAuthToken Token(int i)
    {
        var token = StoreFixture.Token($"u{i}@example.com");
        token.Id = Id(i);
        return token;
    }

    private static LookupKey AccessKey(int i) => new(BlindIndex.AccessToken, Token(i).AccessToken!);

    private static LookupKey UserKey(int i) => new(BlindIndex.UserClient, $"u{i}@example.com", Token(i).ClientId);
}
