using EncryptedStore.Storage.LiteDb;
using System.Globalization;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;
using LiteDB;
using Microsoft.Extensions.Time.Testing;

namespace EncryptedStore.Tests.Contract;

/// <summary><see cref="EncryptedTokenStore.PurgeExpired"/> on every kind of store, with a fake clock.</summary>
[TestFixture(StoreKind.File)]
[TestFixture(StoreKind.Memory)]
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
public class PurgeExpiredTests(StoreKind kind)
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private StoreHost _host = null!;
    private FakeTimeProvider _clock = null!;
    private int _users;

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeTimeProvider(Now);
        _users = 0;
        _host = new StoreHost(kind, options => options.TimeProvider = _clock);
    }

    [TearDown]
    public void TearDown() => _host?.Dispose();

    [TestCase(null)]
    [TestCase("")]
    public void PurgeExpired_ExpiredWithoutRefreshToken_RemovesItForGood(string? refreshToken)
    {
        var store = _host.Store;
        var id = Save(store, Now.AddHours(-2), refreshToken);

        Assert.That(store.PurgeExpired(TimeSpan.FromHours(1)), Is.EqualTo(1));
        Assert.That(store.TryFindTokenById(id), Is.Null);

        Assert.That(_host.Reopen().TryFindTokenById(id), Is.Null);
    }

    [Test]
    public void PurgeExpired_ExpiredWithRefreshToken_KeepsIt()
    {
        var store = _host.Store;
        var id = Save(store, Now.AddDays(-400), refreshToken: "1000.refresh.alive");

        Assert.Multiple(() =>
        {
            Assert.That(store.PurgeExpired(TimeSpan.Zero), Is.Zero);
            Assert.That(store.TryFindTokenById(id), Is.Not.Null);
        });
    }

    [Test]
    public void PurgeExpired_NotExpiredOrExpiredWithinOlderThan_KeepsThem()
    {
        var store = _host.Store;
        var future = Save(store, Now.AddHours(1), refreshToken: null);
        var recent = Save(store, Now.AddMinutes(-30), refreshToken: null);
        var old = Save(store, Now.AddMinutes(-90), refreshToken: null);

        var purged = store.PurgeExpired(TimeSpan.FromHours(1));

        Assert.Multiple(() =>
        {
            Assert.That(purged, Is.EqualTo(1));
            Assert.That(store.TryFindTokenById(future), Is.Not.Null);
            Assert.That(store.TryFindTokenById(recent), Is.Not.Null);
            Assert.That(store.TryFindTokenById(old), Is.Null);
        });
    }

    [Test]
    public void PurgeExpired_ExpiryExactlyAtTheCutoff_KeepsItAndOneMillisecondEarlierIsPurged()
    {
        var store = _host.Store;
        var atCutoff = Save(store, Now.AddHours(-1), refreshToken: null);
        var justBefore = Save(store, Now.AddHours(-1).AddMilliseconds(-1), refreshToken: null);

        store.PurgeExpired(TimeSpan.FromHours(1));

        Assert.Multiple(() =>
        {
            Assert.That(store.TryFindTokenById(atCutoff), Is.Not.Null);
            Assert.That(store.TryFindTokenById(justBefore), Is.Null);
        });
    }

    [Test]
    public void PurgeExpired_ClockMovesPastExpiry_UsesTheStoresTimeProvider()
    {
        var store = _host.Store;
        var id = Save(store, Now.AddHours(1), refreshToken: null);
        var before = store.PurgeExpired(TimeSpan.Zero);

        _clock.Advance(TimeSpan.FromHours(2));
        var after = store.PurgeExpired(TimeSpan.Zero);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.Zero);
            Assert.That(after, Is.EqualTo(1));
            Assert.That(store.TryFindTokenById(id), Is.Null);
        });
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("soon")]
    [TestCase(" 1000")]
    [TestCase("1000 ")]
    [TestCase("1.5")]
    [TestCase("1e3")]
    [TestCase("0x10")]
    [TestCase("1,000")]
    [TestCase("-")]
    [TestCase("99999999999999999999999")]
    public void PurgeExpired_UnparsableOrMissingExpiry_KeepsIt(string? expiresIn)
    {
        var store = _host.Store;
        var token = NewToken(refreshToken: null);
        token.ExpiresIn = expiresIn;
        store.SaveToken(token);

        Assert.Multiple(() =>
        {
            Assert.That(store.PurgeExpired(TimeSpan.Zero), Is.Zero);
            Assert.That(store.TryFindTokenById(token.Id!), Is.Not.Null);
        });
    }

    [Test]
    public void PurgeExpired_ExtremeValues_NoOverflow()
    {
        var store = _host.Store;
        var earliest = SaveRaw(store, long.MinValue.ToString(CultureInfo.InvariantCulture));
        var latest = SaveRaw(store, long.MaxValue.ToString(CultureInfo.InvariantCulture));
        var epoch = SaveRaw(store, "0");

        var withLongestMargin = store.PurgeExpired(TimeSpan.MaxValue);
        var withNoMargin = store.PurgeExpired(TimeSpan.Zero);

        Assert.Multiple(() =>
        {
            Assert.That(withLongestMargin, Is.EqualTo(1), "only an expiry before now minus TimeSpan.MaxValue");
            Assert.That(store.TryFindTokenById(earliest), Is.Null);
            Assert.That(withNoMargin, Is.EqualTo(1), "1970 is past");
            Assert.That(store.TryFindTokenById(epoch), Is.Null);
            Assert.That(store.TryFindTokenById(latest), Is.Not.Null);
        });
    }

    [Test]
    public void PurgeExpired_PurgedTokensWereCached_LookupsNoLongerFindThem()
    {
        var store = _host.Store;
        var token = NewToken(refreshToken: null);
        token.ExpiresIn = Now.AddDays(-1).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        store.SaveToken(token);
        Assert.That(store.FindTokenById(token.Id!), Is.Not.Null);
        Assert.That(store.FindToken(new OAuthToken { AccessToken = token.AccessToken }), Is.Not.Null);
        Assert.That(store.CachedTokenCount, Is.EqualTo(1), "the lookups must have warmed the cache");

        store.PurgeExpired(TimeSpan.Zero);

        Assert.Multiple(() =>
        {
            Assert.That(store.TryFindTokenById(token.Id!), Is.Null);
            Assert.That(store.FindToken(new OAuthToken { AccessToken = token.AccessToken }), Is.Null);
            Assert.That(store.CachedTokenCount, Is.Zero);
        });
    }

    [Test]
    public void PurgeExpired_ARecordIsDamaged_ThrowsIntegrityAndDeletesNothing()
    {
        StoreHost.RequireFile(kind, "damages a record in the LiteDB file; the server kinds' tamper tests change rows in their own tests");
        Save(_host.Store, Now.AddDays(-1), refreshToken: null);
        Save(_host.Store, Now.AddDays(-1), refreshToken: null);
        _host.Close();

        using (var file = LiteDbFiles.Open(_host.Path, flushToDisk: true, TimeSpan.Zero, shared: false))
        {
            var record = file.Records.FindAll().Last();
            var payload = record["ct"].AsBinary;
            payload[^1] ^= 0x01;
            record["ct"] = new BsonValue(payload);
            file.Records.Update(record);
        }

        var reopened = _host.Reopen();
        var e = Assert.Throws<TokenStoreException>(() => reopened.PurgeExpired(TimeSpan.Zero));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.Integrity));
            Assert.That(reopened.GetStatistics().TokenCount, Is.EqualTo(2));
        });
    }

    [TestCase(-1L)]
    [TestCase(long.MinValue)]
    public void PurgeExpired_NegativeOlderThan_ThrowsArgumentOutOfRange(long ticks)
    {
        var store = _host.Store;
        Save(store, Now.AddDays(-1), refreshToken: null);

        Assert.Multiple(() =>
        {
            Assert.That(() => store.PurgeExpired(TimeSpan.FromTicks(ticks)), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(store.GetTokens(), Has.Count.EqualTo(1));
        });
    }

    private OAuthToken NewToken(string? refreshToken)
    {
        var token = StoreFixture.Token($"user{++_users}@example.com");
        token.RefreshToken = refreshToken;
        return token;
    }

    private string Save(EncryptedTokenStore store, DateTimeOffset expires, string? refreshToken)
    {
        var token = NewToken(refreshToken);
        token.ExpiresIn = expires.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        store.SaveToken(token);
        return token.Id!;
    }

    private string SaveRaw(EncryptedTokenStore store, string expiresIn)
    {
        var token = NewToken(refreshToken: null);
        token.ExpiresIn = expiresIn;
        store.SaveToken(token);
        return token.Id!;
    }
}
