using System.Globalization;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// A <c>SaveToken</c> of a new token (no id) goes through the save journal like an update by id: one append and
/// fdatasync, applied to LiteDB in the background. These tests check that such an insert is found at once by every
/// lookup, merges and refuses exactly as the ordinary path does (the same code and message, against a stored or a
/// pending holder, with and without the filter of unique values), survives a kill, and that a batch in which a
/// record gave up a value another then took always applies.
/// </summary>
public class JournaledInsertTests : StoreFolderTest
{
    private EncryptedTokenStore Open(int cacheSize = 10_000, bool journal = true, string? path = null) => new(new EncryptedTokenStoreOptions
    {
        FilePath = path ?? StorePath,
        MasterKey = MasterKey.FromBytes(StoreFixture.Key),
        CacheSize = cacheSize,
        UseSaveJournal = journal,
    });

    [TestCase(10_000)]
    [TestCase(0)]
    public void SaveToken_NewToken_IsJournaledAndFoundAtOnceByEveryLookup(int cacheSize)
    {
        using var store = Open(cacheSize);
        store.Journal!.Paused = true;
        var ann = StoreFixture.Token("ann@example.com");
        var saved = StoreFixture.Copy(ann);

        store.SaveToken(ann);
        saved.Id = ann.Id;

        Assert.Multiple(() =>
        {
            Assert.That(ann.Id, Is.Not.Null, "the save gave the token its id");
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(1), "the insert took the journal");
            Assert.That(store.Journal!.PendingSaveCount, Is.EqualTo(1));
            Assert.That(store.BackingFile.Records.Count(), Is.Zero, "not in LiteDB yet");
            Assert.That(StoreFixture.Fields(store.FindTokenById(ann.Id!)), Is.EqualTo(StoreFixture.Fields(saved)));
            Assert.That(StoreFixture.Fields(store.FindToken(new OAuthToken { UserSignature = new UserSignature("ann@example.com"), ClientId = ann.ClientId })), Is.EqualTo(StoreFixture.Fields(saved)));
            Assert.That(StoreFixture.Fields(store.FindToken(new OAuthToken { AccessToken = ann.AccessToken })), Is.EqualTo(StoreFixture.Fields(saved)));
            Assert.That(StoreFixture.Fields(store.FindToken(new OAuthToken { UserSignature = new UserSignature("ann@example.com") })), Is.EqualTo(StoreFixture.Fields(saved)));
            Assert.That(store.GetTokens().Select(StoreFixture.Fields), Is.EqualTo(new[] { StoreFixture.Fields(saved) }));
            Assert.That(store.GetStatistics().TokenCount, Is.EqualTo(1));
        });
    }

    [Test]
    public void SaveToken_NewToken_OneFdatasyncAndInLiteDbOnceApplied()
    {
        using var store = Open();
        store.Journal!.Paused = true; // no region reset (an fdatasync too) between the two saves
        var ann = StoreFixture.Token("ann@example.com");
        store.SaveToken(ann);
        var syncs = store.Journal!.SyncCount;
        var bob = StoreFixture.Token("bob@example.com");
        store.SaveToken(bob);

        Assert.Multiple(() =>
        {
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(2));
            Assert.That(store.Journal!.SyncCount - syncs, Is.EqualTo(1), "one fdatasync for the insert");
        });

        store.Journal!.ApplyPendingOrThrow();
        Assert.That(store.BackingFile.Records.FindById(bob.Id!), Is.Not.Null);
    }

    [Test]
    public void SaveToken_WithoutIdMatchingAPendingInsert_MergesIntoIt()
    {
        using var store = Open();
        store.Journal!.Paused = true;
        var ann = StoreFixture.Token("ann@example.com");
        store.SaveToken(ann);

        // The SDK's save after a refresh: no id, the same user and client, a new access token.
        var renewed = new OAuthToken { UserSignature = new UserSignature("ann@example.com"), ClientId = ann.ClientId, AccessToken = "1000.access.ann.renewed" };
        store.SaveToken(renewed);

        // By refresh token, client id and secret, without a user: the same token again.
        var byRefresh = new OAuthToken { ClientId = ann.ClientId, ClientSecret = ann.ClientSecret, RefreshToken = ann.RefreshToken, ExpiresIn = "1800000000000" };
        store.SaveToken(byRefresh);

        Assert.Multiple(() =>
        {
            Assert.That(renewed.Id, Is.EqualTo(ann.Id));
            Assert.That(byRefresh.Id, Is.EqualTo(ann.Id));
            Assert.That(store.GetTokens(), Has.Count.EqualTo(1));
            var stored = (OAuthToken)store.FindTokenById(ann.Id!);
            Assert.That(stored.AccessToken, Is.EqualTo("1000.access.ann.renewed"));
            Assert.That(stored.ExpiresIn, Is.EqualTo("1800000000000"));
            Assert.That(stored.GrantToken, Is.EqualTo(ann.GrantToken), "merged with the pending insert");
        });
    }

    /// <summary>
    /// A new token holding a unique value another token holds, that other token stored or pending, with the filter
    /// of unique values built or not yet (the first save after an open): refused with the code and message the store
    /// gives without the journal, and nothing changes.
    /// </summary>
    [Test]
    public void SaveToken_NewTokenWithAValueTaken_IsRefusedExactlyAsWithoutTheJournal(
        [Values("access token", "refresh token", "grant token")] string field,
        [Values("stored", "pending")] string holder,
        [Values(true, false)] bool filterBuilt)
    {
        var withJournal = Clash(journal: true, field, holder, filterBuilt, StorePath);
        var without = Clash(journal: false, field, holder, filterBuilt, Dir.File("plain.db"));

        Assert.Multiple(() =>
        {
            Assert.That(withJournal.Code, Is.EqualTo(TokenStoreErrorCodes.DuplicateToken));
            Assert.That(withJournal.Code, Is.EqualTo(without.Code));
            Assert.That(withJournal.Message, Is.EqualTo(without.Message));
            Assert.That(withJournal.Tokens, Is.EqualTo(without.Tokens).AsCollection, "the store as the ordinary path leaves it");
            Assert.That(withJournal.Tokens, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void ValueGivenUpThenTakenByAnInsertThenHolderSavedAgain_AppliesAndSurvivesReopen()
    {
        // Ann gives up her access token (pending), a new token takes it (free: Ann's pending save moved off it), then Ann
        // is saved again without touching it. The batch holds Ann's last state only: applied in the order of the saves'
        // last entries, the insert would meet Ann's old value in LiteDB and the batch would fail every time.
        var ann = StoreFixture.Token("ann@example.com");
        var annOld = ann.AccessToken;
        var bob = StoreFixture.Token("bob@example.com");
        bob.AccessToken = annOld;
        using (var store = Open())
        {
            store.SaveToken(ann);
            store.Journal!.ApplyPendingOrThrow();
            store.Journal!.Paused = true;
            ann.AccessToken = "1000.access.ann.next";
            store.SaveToken(ann);
            store.SaveToken(bob);
            ann.ExpiresIn = "1800000000000";
            store.SaveToken(ann);
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(4), "every save took the journal");

            Assert.DoesNotThrow(() => store.Journal!.ApplyPendingOrThrow());
            Assert.That(store.Journal!.PendingSaveCount, Is.Zero);
        }

        using var reopened = Open();
        Assert.Multiple(() =>
        {
            Assert.That((reopened.FindToken(new OAuthToken { AccessToken = annOld }) as OAuthToken)?.Id, Is.EqualTo(bob.Id));
            Assert.That(((OAuthToken)reopened.FindTokenById(ann.Id!)).ExpiresIn, Is.EqualTo("1800000000000"));
            Assert.That(reopened.Verify().IsHealthy, Is.True);
        });
    }

    [Test]
    public void ValuesSwappedThroughPendingSaves_ApplyAndSurviveReopen()
    {
        // Ann and Bob swap access tokens through a third value, all pending: whichever of the two final states LiteDB
        // takes first meets the other's stored value.
        var ann = StoreFixture.Token("ann@example.com");
        var bob = StoreFixture.Token("bob@example.com");
        var (annOld, bobOld) = (ann.AccessToken, bob.AccessToken);
        using (var store = Open())
        {
            store.SaveTokens([ann, bob]);
            store.Journal!.Paused = true;
            ann.AccessToken = "1000.access.between";
            store.SaveToken(ann);
            bob.AccessToken = annOld;
            store.SaveToken(bob);
            ann.AccessToken = bobOld;
            store.SaveToken(ann);
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(3));

            Assert.DoesNotThrow(() => store.Journal!.ApplyPendingOrThrow());
        }

        using var reopened = Open();
        Assert.Multiple(() =>
        {
            Assert.That((reopened.FindToken(new OAuthToken { AccessToken = annOld }) as OAuthToken)?.Id, Is.EqualTo(bob.Id));
            Assert.That((reopened.FindToken(new OAuthToken { AccessToken = bobOld }) as OAuthToken)?.Id, Is.EqualTo(ann.Id));
            Assert.That(reopened.Verify().IsHealthy, Is.True);
        });
    }

    [Test]
    public void KilledWithInsertsOnlyInTheJournal_NextOpenHasEveryAcknowledgedInsertOnce()
    {
        List<int> acknowledged;
        using (var child = ChildProcess.StartTestHost("journal-insert-loop", StorePath, Convert.ToHexString(StoreFixture.Key), "paused"))
        {
            Assert.That(child.WaitForLine("opened"), Is.Not.Null, child.StandardError);
            acknowledged = [.. Enumerable.Range(0, 200).Select(_ => ChildProcess.AckSequence(child.WaitForLine("ack")))];
            child.Kill();
        }

        Assert.That(File.Exists(StorePaths.JournalPathFor(Path.GetFullPath(StorePath))), Is.True, "the inserts were only in the journal");
        using var store = Open();
        var tokens = store.GetTokens().Cast<OAuthToken>().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(store.Verify().IsHealthy, Is.True);
            foreach (var sequence in acknowledged)
            {
                var user = $"insert{sequence}@example.com";
                Assert.That(tokens.Count(t => t.UserSignature?.Name == user), Is.EqualTo(1), user);
            }

            Assert.That(tokens, Has.Count.GreaterThanOrEqualTo(acknowledged.Count), "the writer may have gone on until the kill");
            Assert.That(tokens.Select(t => t.UserSignature!.Name).Distinct().Count(), Is.EqualTo(tokens.Count), "no insert twice");
        });
    }

    /// <summary>Saves a holder of every value, then a new token taking the holder's <paramref name="field"/>; returns the refusal and the tokens left.</summary>
    private (string Code, string Message, List<string?[]> Tokens) Clash(bool journal, string field, string holder, bool filterBuilt, string path)
    {
        var ann = StoreFixture.Token("ann@example.com");
        if (holder == "stored")
        {
            using var first = Open(journal: journal, path: path);
            first.SaveToken(ann);
        }

        using var store = Open(journal: journal, path: path);
        if (holder == "pending")
        {
            store.Journal?.Paused = true;
            store.SaveToken(ann);
        }

        if (filterBuilt)
        {
            var again = StoreFixture.Copy(ann);
            again.ExpiresIn = "1800000000000";
            store.SaveToken(again);
            Assert.That(store.Journal?.WaitForUniqueValues() ?? true, Is.True, "the filter was built");
        }

        var clash = StoreFixture.Token("bob@example.com");
        switch (field)
        {
            case "access token": clash.AccessToken = ann.AccessToken; break;
            case "refresh token": clash.RefreshToken = ann.RefreshToken; break;
            default: clash.GrantToken = ann.GrantToken; break;
        }

        var error = Assert.Throws<TokenStoreException>(() => store.SaveToken(clash))!;
        Assert.That(clash.Id, Is.Null, "no id given to a refused token");
        var tokens = store.GetTokens().Select(StoreFixture.Fields).Select(f => f.Skip(1).ToArray()).ToList();
        return (error.Code, error.Message, tokens);
    }
}
