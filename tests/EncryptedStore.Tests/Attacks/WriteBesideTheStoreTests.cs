using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;
using LiteDB;
using Microsoft.Extensions.Time.Testing;

namespace EncryptedStore.Tests.Attacks;

/// <summary>
/// The attacks of the security-hardening issue, by someone who can write beside the store (a shared or synced
/// folder, another local account, malware) but has no master key. Each was carried out against the build before
/// the hardening and succeeded there (the attack's effect is named in each test); each must fail now.
/// </summary>
public sealed class WriteBesideTheStoreTests
{
    private TempDirectory _dir = null!;
    private string _path = null!;
    private FakeTimeProvider _clock = null!;

    private string JournalPath => StorePaths.JournalPathFor(Path.GetFullPath(_path));

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _path = _dir.File("tokens.db");
        _clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void Journal_ForgedWithoutTheKeyHoldingAnEarlierRecord_DoesNotRollTheTokenBack()
    {
        // Before: the journal's checksum was a plain SHA-256 and its header held only the store id, so this
        // forged journal rolled the token back to its earlier access token at the next open, and Verify saw nothing.
        var (token, _) = SaveTwiceAndForgeAJournalOfTheFirstRecord();

        using var reopened = Open();
        Assert.Multiple(() =>
        {
            Assert.That(((OAuthToken)reopened.FindTokenById(token.Id!)).AccessToken, Is.EqualTo("1000.access.ann.now"));
            Assert.That(reopened.Verify().IsHealthy, Is.True);
            Assert.That(File.Exists(JournalPath), Is.False);
        });
    }

    [Test]
    public void Journal_OlderCopyOfTheStoresOwnJournalPutBack_DoesNotRollTheTokenBack()
    {
        // Before: a copy of the journal taken mid-session still named the store and held valid entries, so
        // putting it back after a clean close replayed a superseded save over a later one.
        var token = StoreFixture.Token("ann@example.com");
        byte[] copy;
        using (var store = Open())
        {
            store.SaveToken(token);
            store.Journal!.Paused = true;
            token.AccessToken = "1000.access.ann.second";
            store.SaveToken(token);
            copy = StoreFiles.ReadBypassingLock(JournalPath);
            token.AccessToken = "1000.access.ann.third";
            store.SaveToken(token);
            store.Journal.ApplyPendingOrThrow();
        }

        StoreFiles.WriteOwnerOnly(JournalPath, copy);

        using var reopened = Open();
        Assert.That(((OAuthToken)reopened.FindTokenById(token.Id!)).AccessToken, Is.EqualTo("1000.access.ann.third"));
    }

    [Test]
    public void Compact_WithAJournalLeftBeside_DoesNotApplyItWithoutTheKey()
    {
        // Before: Compact replayed whatever journal lay beside the store, and needs no master key.
        var (token, earlierRecord) = SaveTwiceAndForgeAJournalOfTheFirstRecord();

        EncryptedTokenStore.Compact(_path);

        using var plain = StoreFiles.OpenPlain(_path);
        var stored = BsonSerializer.Serialize(plain.GetCollection("tokens").FindById(token.Id!));
        Assert.Multiple(() =>
        {
            Assert.That(stored, Is.Not.EqualTo(earlierRecord), "the compacted file holds the later record");
            Assert.That(File.Exists(JournalPath), Is.True, "left for an open with the key to judge");
        });
    }

    [Test]
    public void KeyState_RevokedDataKeyMadeActiveAgain_OpeningFailsWithIntegrity()
    {
        // Before: only a 'state' string marked the key revoked; with it set back to Active, its 'created' to now and
        // the metadata's data key version pointing at it, new saves used the revoked key and Verify passed.
        int revoked;
        using (var store = Open())
        {
            store.SaveToken(StoreFixture.Token("old@example.com"));
            _clock.Advance(TimeSpan.FromDays(91));
            store.SaveToken(StoreFixture.Token("new@example.com"));
            store.RotateKeys();
            revoked = store.GetStatistics().Keys.First(k => k.Purpose == StoreKeyPurpose.Data && k.State == StoreKeyState.Retired).Version;
            store.RevokeKey(revoked);
        }

        using (var plain = StoreFiles.OpenPlain(_path))
        {
            var keys = plain.GetCollection("keys");
            foreach (var active in keys.Find(Query.EQ("kind", "Data")).Where(k => k["state"].AsString == "Active").ToList())
            {
                active["state"] = "Retired";
                keys.Update(active);
            }

            var key = keys.FindById(revoked);
            key["state"] = "Active";
            key["created"] = _clock.GetUtcNow().UtcDateTime;
            keys.Update(key);
            var meta = plain.GetCollection("meta");
            var metadata = meta.FindById("store");
            metadata["dataKey"] = revoked;
            meta.Update(metadata);
        }

        Assert.That(() => Open().Dispose(), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
    }

    [Test]
    public void KeyRing_DataProtectionRevocationDeleted_OpeningFailsWithIntegrity()
    {
        // Before: the key ring's XML was not bound to anything; deleting Data Protection's revocation element went unnoticed.
        using (var store = Open())
        {
            store.SaveToken(StoreFixture.Token("ann@example.com"));
            store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true });
            foreach (var version in store.GetStatistics().Keys.Where(k => k.State == StoreKeyState.Retired).Select(k => k.Version).ToList())
            {
                store.RevokeKey(version);
            }
        }

        using (var plain = StoreFiles.OpenPlain(_path))
        {
            var ring = plain.GetCollection("keyring");
            var revocation = ring.FindAll().Single(e => e["xml"].AsString.StartsWith("<revocation", StringComparison.Ordinal));
            ring.Delete(revocation["_id"]);
        }

        Assert.That(() => Open().Dispose(), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
    }

    [TestCase("indexKey")]
    [TestCase("created")]
    [TestCase("journalApplied")]
    public void Metadata_FieldEditedWithoutTheKey_OpeningFailsWithIntegrity(string field)
    {
        using (var store = Open())
        {
            store.SaveToken(StoreFixture.Token("ann@example.com"));
        }

        using (var plain = StoreFiles.OpenPlain(_path))
        {
            var meta = plain.GetCollection("meta");
            var metadata = meta.FindById("store");
            metadata[field] = field == "created" ? new BsonValue(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc)) : new BsonValue(metadata[field].IsNull ? 5L : metadata[field].AsInt32 + 2);
            meta.Update(metadata);
        }

        Assert.That(() => Open().Dispose(), StoreError.WithCode(TokenStoreErrorCodes.Integrity));
    }

    [Test]
    public void ChangeMasterKey_OldKeyRingSplicedBackIn_TheOldKeyReadsNoTokenSavedAfterTheChange()
    {
        // Before: ChangeMasterKey re-encrypted only the key ring; with the metadata and key ring of a copy taken before
        // the change spliced into today's file, the old master key read a token saved after the change.
        List<BsonDocument> oldMeta, oldRing;
        using (var store = Open())
        {
            store.SaveToken(StoreFixture.Token("before@example.com"));
        }

        using (var plain = StoreFiles.OpenPlain(_path))
        {
            oldMeta = [.. plain.GetCollection("meta").FindAll()];
            oldRing = [.. plain.GetCollection("keyring").FindAll()];
        }

        var after = StoreFixture.Token("after@example.com");
        using (var store = Open())
        using (var newKey = MasterKey.FromBytes(StoreFixture.OtherKey))
        {
            store.ChangeMasterKeyAndRotateKeys(newKey);
            store.SaveToken(after);
        }

        EncryptedTokenStore.Compact(_path);
        using (var plain = StoreFiles.OpenPlain(_path))
        {
            foreach (var (name, documents) in new[] { ("meta", oldMeta), ("keyring", oldRing) })
            {
                var collection = plain.GetCollection(name);
                collection.DeleteAll();
                collection.InsertBulk(documents);
            }
        }

        Assert.That(() =>
        {
            using var spliced = Open();
            return spliced.FindTokenById(after.Id!);
        }, Throws.InstanceOf<TokenStoreException>(), "the old master key must not read what was saved after the change");
    }

    [Test]
    public void Compact_UntilItsFileIsInPlace_KeepsTheStoreLocked()
    {
        // Before: Compact released the old file's lock before renaming the new one into place, so a writer that got in
        // between wrote into a file the rename then threw away.
        using (var store = Open())
        {
            store.SaveToken(StoreFixture.Token("ann@example.com"));
        }

        var full = Path.GetFullPath(_path);
        string? duringRename = null;
        Action<string> probe = path =>
        {
            if (path == full)
            {
                var e = Assert.Throws<TokenStoreException>(() => new EncryptedTokenStore(new EncryptedTokenStoreOptions
                {
                    FilePath = _path,
                    MasterKey = MasterKey.FromBytes(StoreFixture.Key),
                    LockTimeout = TimeSpan.Zero,
                }).Dispose());
                duringRename = e!.Code;
            }
        };
        EncryptedStore.Storage.LiteDb.LiteDbCompaction.BeforeRename += probe;
        try
        {
            EncryptedTokenStore.Compact(_path);
        }
        finally
        {
            EncryptedStore.Storage.LiteDb.LiteDbCompaction.BeforeRename -= probe;
        }

        Assert.That(duringRename, Is.EqualTo(TokenStoreErrorCodes.StoreLocked));
        using var reopened = Open();
        Assert.That(reopened.GetTokens(), Has.Count.EqualTo(1));
    }

    /// <summary>
    /// Saves a token, then a newer access token for it, and writes the journal an attacker without the key can make:
    /// the store's id and epoch (both readable) and the token's earlier record, under a MAC key of their own.
    /// </summary>
    private (OAuthToken Token, byte[] EarlierRecord) SaveTwiceAndForgeAJournalOfTheFirstRecord()
    {
        var token = StoreFixture.Token("ann@example.com");
        byte[] earlierRecord;
        using (var store = Open())
        {
            store.SaveToken(token);
            store.Journal!.ApplyPendingOrThrow();
            earlierRecord = BsonSerializer.Serialize(store.BackingFile.Records.FindById(token.Id!));
            token.AccessToken = "1000.access.ann.now";
            store.SaveToken(token);
        }

        var (storeId, epoch) = ReadableMetadata();
        using (var forged = SaveJournal.Create(JournalPath, storeId, epoch ?? new byte[16], macKey: [.. Enumerable.Repeat((byte)0x42, 32)], flushToDisk: false))
        {
            forged.Append(earlierRecord);
        }

        return (token, earlierRecord);
    }

    private EncryptedTokenStore Open() => new(new EncryptedTokenStoreOptions
    {
        FilePath = _path,
        MasterKey = MasterKey.FromBytes(StoreFixture.Key),
        TimeProvider = _clock,
    });

    /// <summary>What anyone who can read the file learns without the key: the store id and the journal's epoch.</summary>
    private (byte[] StoreId, byte[]? Epoch) ReadableMetadata()
    {
        using var plain = StoreFiles.OpenPlain(_path);
        var metadata = plain.GetCollection("meta").FindById("store");
        return (metadata["storeId"].AsBinary, metadata["journalEpoch"].IsBinary ? metadata["journalEpoch"].AsBinary : null);
    }
}
