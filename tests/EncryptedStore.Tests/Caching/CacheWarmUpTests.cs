using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Caching;

/// <summary>
/// The cache's warm-up after open (<see cref="EncryptedTokenStoreOptions.WarmCache"/>): every token in the cache up
/// to its size, so that the first save and lookup of each read no LiteDB; never a state older than a save, even
/// when saves run during the warm-up; off when asked.
/// </summary>
public class CacheWarmUpTests : StoreFolderTest
{
    private EncryptedTokenStore Open(bool warm = true, int cacheSize = 100_000, bool pausedJournal = false)
    {
        var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions
        {
            FilePath = StorePath,
            MasterKey = MasterKey.FromBytes(StoreFixture.Key),
            CacheSize = cacheSize,
            WarmCache = warm,
        });
        store.Journal!.Paused = pausedJournal;
        return store;
    }

    private List<OAuthToken> SaveTokens(int count)
    {
        var tokens = Enumerable.Range(0, count).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        using var store = Open(warm: false);
        store.SaveTokens(tokens);
        return tokens;
    }

    [Test]
    public void Open_WarmsEveryTokenIntoTheCache_AndTheFirstSaveReadsNoRecord()
    {
        var tokens = SaveTokens(300);

        using var store = Open();
        var warmed = store.WaitForWarmCache();
        var filterBuilt = store.Journal!.WaitForUniqueValues();
        var probes = store.Journal.UniqueValueProbeCount;
        var renewed = StoreFixture.Copy(tokens[42]);
        renewed.AccessToken = "1000.access.renewed";
        store.SaveToken(renewed);

        Assert.Multiple(() =>
        {
            Assert.That(warmed, Is.EqualTo(300));
            Assert.That(store.CachedTokenCount, Is.EqualTo(300));
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(1), "the first save of a token after open merged with the cached state");
            Assert.That(filterBuilt, Is.True, "the filter of unique values was built from open, before any save");
            Assert.That(store.Journal!.UniqueValueProbeCount - probes, Is.Zero, "the save asked LiteDB nothing");
            Assert.That(((OAuthToken)store.FindTokenById(renewed.Id!)).AccessToken, Is.EqualTo("1000.access.renewed"));
        });
    }

    [Test]
    public void Open_WithWarmCacheOff_CachesNothing()
    {
        SaveTokens(50);

        using var store = Open(warm: false);

        Assert.Multiple(() =>
        {
            Assert.That(store.WaitForWarmCache(), Is.Zero);
            Assert.That(store.CachedTokenCount, Is.Zero);
        });
    }

    [Test]
    public void Open_StoreLargerThanTheCache_FillsItWithoutEvicting()
    {
        SaveTokens(120);

        using var store = Open(cacheSize: 50);

        Assert.Multiple(() =>
        {
            Assert.That(store.WaitForWarmCache(), Is.EqualTo(50));
            Assert.That(store.CachedTokenCount, Is.EqualTo(50));
        });
    }

    [Test]
    [Repeat(3)]
    public void DeletesDuringTheWarmUp_AreNeverUndoneByTheScan()
    {
        // The warm-up reads in id order, 500 records per query; these deletes start at once, from the last ids, so many
        // land after the warm-up began and before it reaches their records. Caching a record read before its delete would
        // bring a deleted token back: a write that retires tokens sends the warm-up to fresh reads instead. (Each query
        // reads the state of its moment, so this also passes without that rule.)
        var ids = SaveTokens(5_000).Select(t => t.Id!).Order(StringComparer.Ordinal).ToList();
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions
        {
            FilePath = StorePath,
            MasterKey = MasterKey.FromBytes(StoreFixture.Key),
            FlushToDisk = false,
        });
        var deleted = ids.AsEnumerable().Reverse().Take(1_500).ToList();
        deleted.ForEach(store.DeleteToken);

        store.WaitForWarmCache();
        Assert.Multiple(() =>
        {
            Assert.That(deleted.Where(id => store.TryFindTokenById(id) is not null), Is.Empty, "deleted tokens found again");
            Assert.That(store.CachedTokenCount, Is.LessThanOrEqualTo(ids.Count - deleted.Count));
        });
    }

    [Test]
    [Repeat(3)]
    public void SavesDuringTheWarmUp_AreNeverHiddenByAnOlderState()
    {
        // The applier is paused, so LiteDB keeps every token's state at open while the saves are pending; a warm-up that
        // cached what it read without the cache's rule (the generation, then the pending saves) would cache those states
        // over the saves.
        var tokens = SaveTokens(2_000);
        using var store = Open(cacheSize: 2_000, pausedJournal: true);
        var latest = new Dictionary<string, string>(StringComparer.Ordinal);
        var random = new Random(7);
        for (var i = 0; i < 3_000; i++)
        {
            var token = StoreFixture.Copy(tokens[random.Next(tokens.Count)]);
            token.AccessToken = $"1000.access.saved.{i}";
            store.SaveToken(token);
            latest[token.Id!] = token.AccessToken;
        }

        store.WaitForWarmCache();
        Assert.Multiple(() =>
        {
            foreach (var token in tokens)
            {
                var expected = latest.GetValueOrDefault(token.Id!, token.AccessToken!);
                Assert.That(((OAuthToken)store.FindTokenById(token.Id!)).AccessToken, Is.EqualTo(expected), token.Id);
            }
        });
    }
}
