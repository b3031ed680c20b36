using EncryptedStore.Internal;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Internal;

/// <summary>
/// Each instrument of the <c>EncryptedStore</c> meter records what a real store operation did. The meter is
/// process-global, so these tests run alone and filter by the store's file name where an instrument carries it.
/// </summary>
[NonParallelizable]
public sealed class StoreMetricsTests
{
    private const string Lookups = "encryptedstore.lookups";
    private const string LookupDuration = "encryptedstore.lookup.duration";
    private const string Saves = "encryptedstore.saves";
    private const string SaveDuration = "encryptedstore.save.duration";
    private const string Kind = "encryptedstore.lookup.kind";
    private const string Result = "encryptedstore.lookup.result";
    private const string SavePathTag = "encryptedstore.save.path";
    private const string Operation = "encryptedstore.save.operation";
    private const string FileName = "metrics.db";

    private TempDirectory _dir = null!;
    private string _path = null!;
    private TelemetryCapture _capture = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _path = _dir.File(FileName);
        _capture = new TelemetryCapture();
    }

    [TearDown]
    public void TearDown()
    {
        _capture.Dispose();
        _dir.Dispose();
    }

    [Test]
    public void FindTokenById_TwoWarmLookups_CountsTwoHits()
    {
        using var store = StoreFixture.Open(_path);
        var token = StoreFixture.Token("ann@example.com");
        store.SaveToken(token);
        store.FindTokenById(token.Id!);
        _capture.Clear();

        store.FindTokenById(token.Id!);
        store.FindTokenById(token.Id!);

        Assert.Multiple(() =>
        {
            Assert.That(_capture.Sum(Lookups, (Kind, "by_id"), (Result, "hit")), Is.EqualTo(2));
            Assert.That(_capture.Sum(Lookups, (Result, "miss")) + _capture.Sum(Lookups, (Result, "not_found")), Is.Zero);
            Assert.That(_capture.Of(LookupDuration, (Kind, "by_id")), Has.Count.EqualTo(2));
            Assert.That(_capture.Of(LookupDuration).Select(m => m.Value), Has.All.GreaterThan(0).And.All.LessThan(1));
        });
    }

    [Test]
    public void FindTokenById_ColdThenUnknown_CountsMissThenNotFound()
    {
        using (var writer = StoreFixture.Open(_path))
        {
            writer.SaveToken(StoreFixture.Token("ann@example.com"));
        }

        // Cold: without the warm-up after open, which would have cached the token.
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = _path, MasterKey = MasterKey.FromBytes(StoreFixture.Key), WarmCache = false });
        var id = ((OAuthToken)store.GetTokens()[0]).Id!;
        _capture.Clear();

        store.FindTokenById(id);
        store.TryFindTokenById("no-such-id");

        Assert.Multiple(() =>
        {
            Assert.That(_capture.Sum(Lookups, (Kind, "by_id"), (Result, "miss")), Is.EqualTo(1));
            Assert.That(_capture.Sum(Lookups, (Kind, "by_id"), (Result, "not_found")), Is.EqualTo(1));
            Assert.That(_capture.Sum(Lookups, (Result, "hit")), Is.Zero);
        });
    }

    [Test]
    public void FindToken_ColdWarmAndUnknown_CountsMissHitAndNotFound()
    {
        using var store = StoreFixture.Open(_path);
        store.SaveToken(StoreFixture.Token("ann@example.com"));
        _capture.Clear();

        store.FindToken(new OAuthToken { UserSignature = new UserSignature("ann@example.com"), ClientId = "1000.CLIENTA" });
        store.FindToken(new OAuthToken { UserSignature = new UserSignature("ann@example.com"), ClientId = "1000.CLIENTA" });
        store.FindToken(new OAuthToken { AccessToken = "1000.access.nobody" });
        store.GetTokens();

        Assert.Multiple(() =>
        {
            Assert.That(_capture.Sum(Lookups, (Kind, "by_match"), (Result, "miss")), Is.EqualTo(1));
            Assert.That(_capture.Sum(Lookups, (Kind, "by_match"), (Result, "hit")), Is.EqualTo(1));
            Assert.That(_capture.Sum(Lookups, (Kind, "by_match"), (Result, "not_found")), Is.EqualTo(1));
            Assert.That(_capture.Sum(Lookups, (Kind, "all"), (Result, "miss")), Is.EqualTo(1));
            Assert.That(_capture.Of(LookupDuration, (Kind, "by_match")), Has.Count.EqualTo(3));
        });
    }

    [Test]
    public void SaveToken_UpdateById_CountsOneJournaledUpdate()
    {
        using var store = StoreFixture.Open(_path);
        var token = StoreFixture.Token("ann@example.com");
        store.SaveToken(token);
        var journaled = store.Journal!.JournaledSaveCount;
        _capture.Clear();

        store.SaveToken(new OAuthToken { Id = token.Id, AccessToken = "1000.access.renewed" });

        Assert.Multiple(() =>
        {
            Assert.That(store.Journal!.JournaledSaveCount - journaled, Is.EqualTo(1), "the save took the journal");
            Assert.That(_capture.Sum(Saves, (SavePathTag, "journal"), (Operation, "update")), Is.EqualTo(1));
            Assert.That(_capture.Sum(Saves, (SavePathTag, "transaction")), Is.Zero);
            Assert.That(_capture.Of(SaveDuration, (SavePathTag, "journal")), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void SaveToken_NewToken_CountsOneJournaledInsert()
    {
        using var store = StoreFixture.Open(_path);
        _capture.Clear();

        store.SaveToken(StoreFixture.Token("ann@example.com"));

        Assert.Multiple(() =>
        {
            Assert.That(_capture.Sum(Saves, (SavePathTag, "journal"), (Operation, "insert")), Is.EqualTo(1));
            Assert.That(_capture.Sum(Saves, (SavePathTag, "transaction")), Is.Zero);
            Assert.That(_capture.Of(SaveDuration, (SavePathTag, "journal")), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void SaveTokensAndDeletes_Transactions_CountInsertsUpdatesAndDeletes()
    {
        using var store = StoreFixture.Open(_path);
        var ann = StoreFixture.Token("ann@example.com");
        store.SaveToken(ann);
        var bob = StoreFixture.Token("bob@example.com");
        var cid = StoreFixture.Token("cid@example.com");
        _capture.Clear();

        store.SaveTokens([bob, cid, new OAuthToken { UserSignature = new UserSignature("ann@example.com"), ClientId = "1000.CLIENTA", ExpiresIn = "1" }]);
        store.DeleteToken(bob.Id!);
        store.DeleteToken(bob.Id!);
        store.DeleteTokens();

        Assert.Multiple(() =>
        {
            Assert.That(_capture.Sum(Saves, (SavePathTag, "transaction"), (Operation, "insert")), Is.EqualTo(2));
            Assert.That(_capture.Sum(Saves, (SavePathTag, "transaction"), (Operation, "update")), Is.EqualTo(1));
            Assert.That(_capture.Sum(Saves, (SavePathTag, "transaction"), (Operation, "delete")), Is.EqualTo(3), "bob, then ann and cid; the second delete of bob removed nothing");
            Assert.That(_capture.Of(SaveDuration, (SavePathTag, "transaction")), Has.Count.EqualTo(4), "one per call");
        });
    }

    [Test]
    public void JournalPending_PausedApplier_ReportsOneThenZeroOnceApplied()
    {
        using var store = StoreFixture.Open(_path);
        var token = StoreFixture.Token("ann@example.com");
        store.SaveToken(token);
        store.Journal!.Paused = true;

        store.SaveToken(new OAuthToken { Id = token.Id, AccessToken = "1000.access.renewed" });
        _capture.Observe();
        var pending = _capture.Of("encryptedstore.journal.pending", (StoreMetrics.FileNameTag, FileName)).Select(m => m.Value).ToList();
        store.Journal.ApplyPendingOrThrow();
        _capture.Clear();
        _capture.Observe();

        Assert.Multiple(() =>
        {
            Assert.That(pending, Is.EqualTo((double[])[1]));
            Assert.That(_capture.Of("encryptedstore.journal.pending", (StoreMetrics.FileNameTag, FileName)).Select(m => m.Value), Is.EqualTo((double[])[0]));
        });
    }

    [Test]
    public void JournalBatches_ApplyingPendingSaves_CountsOneBatchForTheStore()
    {
        using var store = StoreFixture.Open(_path);
        var token = StoreFixture.Token("ann@example.com");
        store.SaveToken(token);
        store.Journal!.Paused = true;
        store.SaveToken(new OAuthToken { Id = token.Id, AccessToken = "1000.access.renewed" });
        store.SaveToken(new OAuthToken { Id = token.Id, RefreshToken = "1000.refresh.renewed" });

        store.Journal.ApplyPendingOrThrow();

        Assert.That(_capture.Sum("encryptedstore.journal.batches", (StoreMetrics.FileNameTag, FileName)), Is.EqualTo(1));
    }

    [Test]
    public void JournalPending_DisposedStore_IsNoLongerReported()
    {
        var store = StoreFixture.Open(_path);
        store.Dispose();

        _capture.Observe();

        Assert.That(_capture.Of("encryptedstore.journal.pending", (StoreMetrics.FileNameTag, FileName)), Is.Empty);
    }

    [Test]
    public void RotationRecords_RotateFiveTokens_CountsFiveRecords()
    {
        using var store = StoreFixture.Open(_path);
        store.SaveTokens([.. Enumerable.Range(0, 5).Select(i => StoreFixture.Token($"user{i}@example.com"))]);
        _capture.Clear();

        var result = store.RotateKeys(new KeyRotationOptions { BatchSize = 2 });

        Assert.Multiple(() =>
        {
            Assert.That(result.RecordsRewritten, Is.EqualTo(5));
            Assert.That(_capture.Sum("encryptedstore.rotation.records", (StoreMetrics.FileNameTag, FileName)), Is.EqualTo(5));
        });
    }

    [Test]
    public void LockWait_FreeStore_RecordsNoWaitAcquired()
    {
        using var store = StoreFixture.Open(_path);

        var waits = _capture.Of("encryptedstore.lock.wait.duration", (StoreMetrics.FileNameTag, FileName), ("encryptedstore.lock.mode", "exclusive"));

        Assert.That(waits.Select(m => (m.Value, m.Tags["encryptedstore.lock.result"])), Is.EqualTo(new[] { (0.0, (object?)"acquired") }));
    }

    [Test]
    public void LockWait_StoreHeldElsewhere_RecordsTheTimedOutWait()
    {
        using var holder = StoreFixture.Open(_path);
        _capture.Clear();

        Assert.That(
            () => new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = _path, MasterKey = MasterKey.FromBytes(StoreFixture.Key), LockTimeout = TimeSpan.FromMilliseconds(200) }),
            StoreError.WithCode(TokenStoreErrorCodes.StoreLocked));

        var waits = _capture.Of("encryptedstore.lock.wait.duration", (StoreMetrics.FileNameTag, FileName), ("encryptedstore.lock.result", "timed_out"));
        Assert.That(waits.Select(m => m.Value), Has.Exactly(1).Items.And.All.GreaterThanOrEqualTo(0.2));
    }

    [Test]
    public void LockWait_SharedStoreLookup_RecordsTheLockFileAcquired()
    {
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = _path, MasterKey = MasterKey.FromBytes(StoreFixture.Key), Sharing = StoreSharing.Shared });
        store.SaveToken(StoreFixture.Token("ann@example.com"));
        _capture.Clear();

        store.GetTokens();

        Assert.That(_capture.Of("encryptedstore.lock.wait.duration", (StoreMetrics.FileNameTag, FileName), ("encryptedstore.lock.mode", "shared"), ("encryptedstore.lock.result", "acquired")), Is.Not.Empty);
    }

    [Test]
    public void IntegrityFailures_TamperedRecord_CountsTheFailure()
    {
        string id;
        using (var writer = StoreFixture.Open(_path))
        {
            var token = StoreFixture.Token("ann@example.com");
            writer.SaveToken(token);
            id = token.Id!;
        }

        using (var db = StoreFiles.OpenPlain(_path))
        {
            var tokens = db.GetCollection("tokens");
            var document = tokens.FindById(id);
            var payload = document["ct"].AsBinary;
            payload[^1] ^= 0x01;
            document["ct"] = payload;
            tokens.Update(document);
        }

        using var store = StoreFixture.Open(_path);
        _capture.Clear();

        Assert.That(() => store.FindTokenById(id), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
        Assert.That(_capture.Sum("encryptedstore.integrity.failures"), Is.EqualTo(1));
    }

    [Test]
    public void Instruments_NoListener_AreDisabledAndReadNoClock()
    {
        using var store = StoreFixture.Open(_path);
        var token = StoreFixture.Token("ann@example.com");
        store.SaveToken(token);
        _capture.Dispose();

        store.FindTokenById(token.Id!);

        Assert.Multiple(() =>
        {
            Assert.That(StoreMetrics.Lookups.Enabled, Is.False, "no listener enables the instrument");
            Assert.That(StoreMetrics.LookupDuration.Enabled, Is.False);
            Assert.That(StoreMetrics.Start(StoreMetrics.LookupDuration), Is.Zero, "no clock read without a listener");
        });
    }
}
