using Microsoft.Extensions.Logging.Abstractions;
using EncryptedStore.Keys;
using EncryptedStore.Crypto;
using EncryptedStore.Storage.LiteDb;
using System.Globalization;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// The save journal: a <c>SaveToken</c> update by id is acknowledged after one append and fsync of the
/// journal and applied to LiteDB in the background. These tests check that such a save is durable (a
/// killed process's journal is replayed), visible at once to every lookup, never reordered against other
/// writes, refused like any other save when it would duplicate a value, and that the journal format
/// rejects torn, stale and foreign entries.
/// </summary>
public class SaveJournalTests : StoreFolderTest
{
    private string JournalPath => StorePaths.JournalPathFor(Path.GetFullPath(StorePath));

    private EncryptedTokenStore Open(int cacheSize = 10_000, bool journal = true, byte[]? key = null) => new(new EncryptedTokenStoreOptions
    {
        FilePath = StorePath,
        MasterKey = MasterKey.FromBytes(key ?? StoreFixture.Key),
        CacheSize = cacheSize,
        UseSaveJournal = journal,
    });

    [Test]
    public void SaveToken_UpdateById_GoesThroughTheJournalWithOneFsync()
    {
        using var store = Open();
        var token = StoreFixture.Token("ann@example.com");
        store.SaveToken(token);
        Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(1), "the insert took the journal too (JournaledInsertTests)");

        token.AccessToken = "1000.access.renewed";
        store.SaveToken(token);
        var afterFirst = store.Journal!.SyncCount;
        token.AccessToken = "1000.access.renewed.again";
        store.SaveToken(token);

        Assert.Multiple(() =>
        {
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(3));
            Assert.That(store.Journal!.SyncCount - afterFirst, Is.GreaterThanOrEqualTo(1), "the save's own fsync");
            Assert.That(File.Exists(JournalPath), Is.True);
        });
    }

    [TestCase(10_000)]
    [TestCase(0)]
    public void JournaledSave_IsSeenAtOnceByEveryLookup(int cacheSize)
    {
        using var store = Open(cacheSize);
        store.Journal!.Paused = true;
        var ann = StoreFixture.Token("ann@example.com");
        var bob = StoreFixture.Token("bob@example.com");
        store.SaveTokens([ann, bob]);
        var oldAccess = ann.AccessToken;

        ann.AccessToken = "1000.access.renewed";
        ann.ExpiresIn = "1893456000000";
        store.SaveToken(ann);
        Assert.That(store.Journal!.PendingSaveCount, Is.EqualTo(1), "the save waits in the journal");

        Assert.Multiple(() =>
        {
            Assert.That(StoreFixture.Fields(store.FindTokenById(ann.Id!)), Is.EqualTo(StoreFixture.Fields(ann)), "by id");
            Assert.That(store.FindToken(new OAuthToken { AccessToken = oldAccess }), Is.Null, "by the old access token");
            Assert.That(StoreFixture.Fields(store.FindToken(new OAuthToken { AccessToken = "1000.access.renewed" })), Is.EqualTo(StoreFixture.Fields(ann)), "by the new access token");
            Assert.That(StoreFixture.Fields(store.FindToken(new OAuthToken { UserSignature = new UserSignature("ann@example.com"), ClientId = ann.ClientId })), Is.EqualTo(StoreFixture.Fields(ann)), "by user");
            Assert.That(store.GetTokens().Cast<OAuthToken>().Select(t => t.AccessToken), Is.EquivalentTo(new[] { "1000.access.renewed", bob.AccessToken }), "listing");
        });
    }

    [Test]
    public void Dispose_AppliesTheJournalAndDeletesIt()
    {
        var token = StoreFixture.Token("ann@example.com");
        using (var store = Open())
        {
            store.Journal!.Paused = true;
            store.SaveToken(token);
            for (var i = 0; i < 20; i++)
            {
                token.AccessToken = $"1000.access.{i}";
                store.SaveToken(token);
            }

            Assert.That(store.Journal!.PendingSaveCount, Is.EqualTo(1), "20 saves of one record pend as one");
        }

        Assert.That(File.Exists(JournalPath), Is.False);
        using var reopened = Open(journal: false);
        Assert.That(((OAuthToken)reopened.FindTokenById(token.Id!)).AccessToken, Is.EqualTo("1000.access.19"));
    }

    [Test]
    public void ApplierRunning_ManySaves_EndUpInLiteDb()
    {
        using var store = Open(cacheSize: 0);
        var tokens = Enumerable.Range(0, 16).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        store.SaveTokens(tokens);
        for (var i = 0; i < 400; i++)
        {
            var token = tokens[i % tokens.Count];
            token.AccessToken = $"1000.access.{i}";
            store.SaveToken(token);
        }

        store.Journal!.ApplyPendingOrThrow();

        Assert.Multiple(() =>
        {
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(400));
            Assert.That(store.Journal!.PendingSaveCount, Is.Zero);
            Assert.That(store.Verify().IsHealthy, Is.True);
            foreach (var token in tokens)
            {
                Assert.That(StoreFixture.Fields(store.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)));
            }
        });
    }

    [Test]
    public void SaveToken_AccessTokenOfAnotherRecord_IsRefusedAsDuplicateAndChangesNothing()
    {
        using var store = Open();
        var ann = StoreFixture.Token("ann@example.com");
        var bob = StoreFixture.Token("bob@example.com");
        store.SaveTokens([ann, bob]);
        var annBefore = StoreFixture.Fields(store.FindTokenById(ann.Id!));

        var clash = StoreFixture.Copy(ann);
        clash.AccessToken = bob.AccessToken;
        var error = Assert.Throws<TokenStoreException>(() => store.SaveToken(clash));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.DuplicateToken));
            Assert.That(store.Journal!.JournaledSaveCount, Is.Zero);
            Assert.That(StoreFixture.Fields(store.FindTokenById(ann.Id!)), Is.EqualTo(annBefore));
        });
    }

    [Test]
    public void SaveToken_AccessTokenOfAPendingRecord_IsRefusedAsDuplicate()
    {
        using var store = Open();
        store.Journal!.Paused = true;
        var ann = StoreFixture.Token("ann@example.com");
        var bob = StoreFixture.Token("bob@example.com");
        store.SaveTokens([ann, bob]);
        ann.AccessToken = "1000.access.new-for-ann";
        store.SaveToken(ann);

        var clash = StoreFixture.Copy(bob);
        clash.AccessToken = "1000.access.new-for-ann";
        var error = Assert.Throws<TokenStoreException>(() => store.SaveToken(clash));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.DuplicateToken));
            Assert.That(((OAuthToken)store.FindTokenById(bob.Id!)).AccessToken, Is.EqualTo(bob.AccessToken));
            Assert.That(((OAuthToken)store.FindTokenById(ann.Id!)).AccessToken, Is.EqualTo("1000.access.new-for-ann"));
        });
    }

    [Test]
    public void ValueMovedBetweenPendingRecords_IsAppliedInOrderAndSurvivesReopen()
    {
        var ann = StoreFixture.Token("ann@example.com");
        var bob = StoreFixture.Token("bob@example.com");
        var annOld = ann.AccessToken;
        using (var store = Open())
        {
            store.Journal!.Paused = true;
            store.SaveTokens([ann, bob]);

            // Ann gives up her access token, then Bob takes it: free, since Ann's pending save moved off it.
            ann.AccessToken = "1000.access.ann.next";
            store.SaveToken(ann);
            bob.AccessToken = annOld;
            store.SaveToken(bob);
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(2));
            store.Journal!.ApplyPendingOrThrow();
            Assert.That((store.FindToken(new OAuthToken { AccessToken = annOld }) as OAuthToken)?.Id, Is.EqualTo(bob.Id));
        }

        using var reopened = Open();
        Assert.Multiple(() =>
        {
            Assert.That((reopened.FindToken(new OAuthToken { AccessToken = annOld }) as OAuthToken)?.Id, Is.EqualTo(bob.Id));
            Assert.That((reopened.FindToken(new OAuthToken { AccessToken = "1000.access.ann.next" }) as OAuthToken)?.Id, Is.EqualTo(ann.Id));
            Assert.That(reopened.Verify().IsHealthy, Is.True);
        });
    }

    [Test]
    public void OrdinaryWrite_AfterJournaledSaves_IsNotUndoneByThem()
    {
        var ann = StoreFixture.Token("ann@example.com");
        using (var store = Open())
        {
            store.Journal!.Paused = true;
            store.SaveToken(ann);
            ann.AccessToken = "1000.access.journaled";
            store.SaveToken(ann);

            // An ordinary write (here a delete) applies the journal first, so the journaled save cannot land after it.
            store.DeleteToken(ann.Id!);
            Assert.That(store.TryFindTokenById(ann.Id!), Is.Null);
        }

        using var reopened = Open();
        Assert.That(reopened.TryFindTokenById(ann.Id!), Is.Null);
    }

    [Test]
    public void RotateKeys_AfterJournaledSaves_RewritesTheirNewValues()
    {
        using var store = Open(cacheSize: 0);
        store.Journal!.Paused = true;
        var tokens = Enumerable.Range(0, 10).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        store.SaveTokens(tokens);
        foreach (var token in tokens)
        {
            token.AccessToken += ".renewed";
            store.SaveToken(token);
        }

        var result = store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true });

        Assert.Multiple(() =>
        {
            Assert.That(result.RecordsRewritten, Is.EqualTo(10));
            foreach (var token in tokens)
            {
                Assert.That((store.FindToken(new OAuthToken { AccessToken = token.AccessToken }) as OAuthToken)?.Id, Is.EqualTo(token.Id));
            }
        });
    }

    [Test]
    public void ReadersDuringJournaledSaves_NeverSeeAValueGoBack()
    {
        using var store = Open();
        var token = StoreFixture.Token("ann@example.com");
        token.AccessToken = "1000.access.0";
        store.SaveToken(token);
        var id = token.Id!;
        var stop = false;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var reads = new int[2];
        using var reading = new CountdownEvent(reads.Length);
        var readers = Enumerable.Range(0, reads.Length).Select(r => new Thread(() =>
        {
            var seen = 0;
            while (!Volatile.Read(ref stop))
            {
                var value = int.Parse(((OAuthToken)store.FindTokenById(id)).AccessToken!["1000.access.".Length..], CultureInfo.InvariantCulture);
                if (value < seen)
                {
                    failures.Enqueue($"read {value} after {seen}");
                }

                seen = value;
                if (++reads[r] == 1)
                {
                    reading.Signal();
                }
            }
        })).ToList();
        readers.ForEach(r => r.Start());
        Assert.That(reading.Wait(TimeSpan.FromSeconds(30)), Is.True, "both readers started");

        for (var i = 1; i <= 500; i++)
        {
            token.AccessToken = $"1000.access.{i}";
            store.SaveToken(token);
            var read = int.Parse(((OAuthToken)store.FindTokenById(id)).AccessToken!["1000.access.".Length..], CultureInfo.InvariantCulture);
            Assert.That(read, Is.EqualTo(i), "the writer reads its own save");
        }

        Volatile.Write(ref stop, true);
        readers.ForEach(r => r.Join());
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Empty);
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(501), "the insert and 500 updates");
        });
    }

    [Test]
    public void KilledWithSavesOnlyInTheJournal_NextOpenReplaysThem()
    {
        var acknowledged = KillWriterWithSavesOnlyInTheJournal(120);

        var inJournal = JournalEntriesOf(StorePath);
        Assert.That(inJournal, Has.Count.GreaterThanOrEqualTo(120), "the paused applier left every save in the journal");

        using var store = Open();
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(JournalPath), Is.False, "replayed, then deleted");
            Assert.That(store.Verify().IsHealthy, Is.True);
            foreach (var user in Enumerable.Range(0, 50))
            {
                var last = acknowledged.Where(s => s % 50 == user).Max();
                var stored = (OAuthToken?)store.FindToken(new OAuthToken { UserSignature = new UserSignature($"user{user}@example.com"), ClientId = "1000.CRASHTEST" });
                Assert.That(stored?.AccessToken, Does.StartWith("1000.access.").And.Not.StartWith("1000.access.start."), $"user {user}");

                // The writer went on until the kill: a later save of the same user may be there too.
                var saved = int.Parse(stored!.AccessToken!["1000.access.".Length..], CultureInfo.InvariantCulture);
                Assert.That(saved, Is.GreaterThanOrEqualTo(last), $"user {user}: acknowledged {last}");
                Assert.That((saved - last) % 50, Is.Zero, $"user {user}: holds another user's save");
            }
        });
    }

    [Test]
    [Category("Slow")]
    public void SaveLoopThroughTheJournal_Killed20Times_EveryAcknowledgedSaveSurvives()
    {
        var key = Convert.ToHexString(StoreFixture.Key);
        var random = new Random(20);
        var lastAcknowledged = new Dictionary<int, int>();
        var next = 0;
        for (var kill = 0; kill < 20; kill++)
        {
            List<int> acknowledged;
            using (var child = ChildProcess.StartTestHost("journal-save-loop", StorePath, key, next.ToString(CultureInfo.InvariantCulture)))
            {
                Assert.That(child.WaitForLine("opened"), Is.Not.Null, child.StandardError);
                acknowledged = child.AcknowledgedUntilKilled(random);
            }

            foreach (var sequence in acknowledged)
            {
                lastAcknowledged[sequence % 50] = sequence;
            }

            next = (acknowledged.Count == 0 ? next : acknowledged.Max() + 1) + 1;
            using var store = Open();
            var verification = store.Verify();
            Assert.Multiple(() =>
            {
                Assert.That(verification.IsHealthy, Is.True, $"kill {kill}: {string.Join("; ", verification.Problems)}");
                foreach (var (user, sequence) in lastAcknowledged)
                {
                    var stored = (OAuthToken?)store.FindToken(new OAuthToken { UserSignature = new UserSignature($"user{user}@example.com"), ClientId = "1000.CRASHTEST" });
                    Assert.That(stored?.AccessToken, Does.Not.StartWith("1000.access.start."), $"kill {kill}: user {user} lost every save");
                    var saved = int.Parse(stored!.AccessToken!["1000.access.".Length..], CultureInfo.InvariantCulture);
                    Assert.That(saved, Is.GreaterThanOrEqualTo(sequence), $"kill {kill}: user {user} lost acknowledged save {sequence}");
                }
            });
        }

        Assert.That(lastAcknowledged, Is.Not.Empty);
    }

    [Test]
    public void WrongKey_LeavesTheJournalOfAKilledProcessInPlace()
    {
        KillWriterWithSavesOnlyInTheJournal(10);

        var journal = File.ReadAllBytes(JournalPath);
        var error = Assert.Throws<TokenStoreException>(() => Open(key: StoreFixture.OtherKey).Dispose());

        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.WrongKey));
            Assert.That(File.ReadAllBytes(JournalPath), Is.EqualTo(journal));
        });
    }

    [Test]
    public void ChangeMasterKey_ThenSavesOnlyInTheJournal_ACrashCopyReplaysThemWithTheNewKey()
    {
        // The journal's MAC key comes from the master key: after a change the store starts a new journal under the new
        // key, so saves acknowledged after the change survive a crash and replay with the new key.
        var token = StoreFixture.Token("ann@example.com");
        var copy = Dir.File("crash-copy.db");
        using (var store = Open())
        {
            store.SaveToken(token);
            token.AccessToken = "1000.access.before-the-change";
            store.SaveToken(token);
            using (var newKey = MasterKey.FromBytes(StoreFixture.OtherKey))
            {
                store.ChangeMasterKey(newKey);
            }

            store.Journal!.Paused = true;
            token.AccessToken = "1000.access.after-the-change";
            store.SaveToken(token);
            Assert.That(store.Journal.PendingSaveCount, Is.EqualTo(1), "the save is only in the journal");

            // What a crash leaves: the files as they are on the disk now, the journal included.
            foreach (var (from, to) in new[] { (StorePath, copy), (StorePaths.LogPathFor(Path.GetFullPath(StorePath)), StorePaths.LogPathFor(copy)), (JournalPath, StorePaths.JournalPathFor(copy)) })
            {
                if (File.Exists(from))
                {
                    StoreFiles.WriteOwnerOnly(to, StoreFiles.ReadBypassingLock(from));
                }
            }
        }

        using var crashed = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = copy, MasterKey = MasterKey.FromBytes(StoreFixture.OtherKey) });
        Assert.Multiple(() =>
        {
            Assert.That(((OAuthToken)crashed.FindTokenById(token.Id!)).AccessToken, Is.EqualTo("1000.access.after-the-change"));
            Assert.That(File.Exists(StorePaths.JournalPathFor(copy)), Is.False, "replayed, then deleted");
            Assert.That(crashed.Verify().IsHealthy, Is.True);
        });
    }

    [Test]
    public void JournalOfAnotherStore_IsMovedAsideWithoutBeingApplied()
    {
        using (var store = Open())
        {
            store.SaveToken(StoreFixture.Token("ann@example.com"));
        }

        using (var foreign = SaveJournal.Create(JournalPath, storeId: new byte[16], epoch: new byte[16], macKey: new byte[32], flushToDisk: false))
        {
            Assert.That(foreign.Append(LiteDB.BsonSerializer.Serialize(new LiteDB.BsonDocument { ["_id"] = "0123456789abcdef0123456789abcdef" })), Is.Not.Null);
        }

        using var reopened = Open();
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(JournalPath), Is.False);
            Assert.That(Directory.GetFiles(Dir.Path, "*-journal.db.quarantined-*"), Has.Length.EqualTo(1), "moved aside, named in the warning");
            Assert.That(reopened.GetTokens(), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void Compact_OfAStoreLeftWithAJournal_KeepsTheJournaledSaves()
    {
        var acknowledged = KillWriterWithSavesOnlyInTheJournal(60);

        EncryptedTokenStore.Compact(StorePath);

        using var store = Open();
        var last = acknowledged.Max();
        var stored = ((OAuthToken)store.FindToken(new OAuthToken { UserSignature = new UserSignature($"user{last % 50}@example.com"), ClientId = "1000.CRASHTEST" })!).AccessToken!;
        Assert.That(int.Parse(stored["1000.access.".Length..], CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(last), "the writer went on until the kill, so a later save may be there");
    }

    [Test]
    public void Journal_TornLastEntry_IsIgnored()
    {
        var storeId = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var path = Dir.File("torn-journal.db");
        using (var journal = SaveJournal.Create(path, storeId, Epoch, MacKey(), flushToDisk: false))
        {
            for (var i = 0; i < 3; i++)
            {
                journal.Append(new byte[] { (byte)i, 1, 2, 3 });
            }
        }

        Assert.That(FirstBytes(path, storeId), Is.EqualTo(new byte[] { 0, 1, 2 }));

        // The third entry starts at 64 + 2 * (12 + 4 + 16); flip a byte of its record.
        using (var file = File.OpenWrite(path))
        {
            file.Position = SaveJournal.HeaderSize + (2 * 32) + 12;
            file.WriteByte(0xFF);
        }

        Assert.That(FirstBytes(path, storeId), Is.EqualTo(new byte[] { 0, 1 }));
    }

    [Test]
    public void Journal_ResetRegion_DropsItsEntriesAndKeepsTheOtherRegionsInOrder()
    {
        var storeId = new byte[16];
        var path = Dir.File("regions-journal.db");
        using var journal = SaveJournal.Create(path, storeId, Epoch, MacKey(), flushToDisk: false);
        journal.Append([1]);
        journal.Append([2]);
        var first = journal.SwitchRegion();
        journal.Append([3]);
        Assert.That(FirstBytes(path, storeId), Is.EqualTo(new byte[] { 1, 2, 3 }));

        journal.Reset(first);
        Assert.That(FirstBytes(path, storeId), Is.EqualTo(new byte[] { 3 }));

        // Back in the first region: the new entry overwrites the old first one, and the stale second one is not read.
        journal.SwitchRegion();
        journal.Append([4]);
        Assert.Multiple(() =>
        {
            Assert.That(FirstBytes(path, storeId), Is.EqualTo(new byte[] { 3, 4 }));
            Assert.That(SaveJournal.Read(path, [.. Enumerable.Repeat((byte)9, 16)], Epoch, MacKey()).Belongs, Is.False, "another store's id");
            Assert.That(SaveJournal.Read(path, storeId, [.. Enumerable.Repeat((byte)9, 16)], MacKey()).Belongs, Is.False, "another journal's epoch");
            Assert.That(SaveJournal.Read(path, storeId, Epoch, new byte[32]).Entries, Is.Empty, "entries written under another MAC key");
        });
    }

    [Test]
    public void Journal_FullRegion_RefusesTheAppend()
    {
        using var journal = SaveJournal.Create(Dir.File("full-journal.db"), new byte[16], Epoch, MacKey(), flushToDisk: false);
        var record = new byte[100_000];
        var appended = 0;
        while (journal.Append(record) is not null)
        {
            appended++;
        }

        Assert.That(appended, Is.EqualTo((SaveJournal.RegionSize - 64) / (record.Length + 28)), "a header of 64 bytes, then entries of 28 bytes plus the record");
    }

    [Test]
    public void UniqueValueFilter_OnceBuilt_SavesNewValuesWithoutAskingLiteDb()
    {
        using var store = Open();
        var tokens = Enumerable.Range(0, 20).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        store.SaveTokens(tokens);
        tokens[0].AccessToken = "1000.access.first-journaled";
        store.SaveToken(tokens[0]);
        Assert.That(store.Journal!.WaitForUniqueValues(), Is.True, "the first journaled save starts building the filter");
        var probes = store.Journal!.UniqueValueProbeCount;

        for (var i = 0; i < 100; i++)
        {
            var token = tokens[i % tokens.Count];
            token.AccessToken = $"1000.access.fresh.{i}";
            store.SaveToken(token);
        }

        Assert.Multiple(() =>
        {
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(101));
            Assert.That(store.Journal!.UniqueValueProbeCount, Is.EqualTo(probes), "no new value needed LiteDB's index");
        });
    }

    [Test]
    public void UniqueValueFilter_OnceBuilt_StillCatchesEveryDuplicate()
    {
        using var store = Open();
        var (ann, bob) = SaveTwoThenBuildTheFilter(store);

        // Values that reached the store by three routes after or before the build: the bulk load, an
        // ordinary insert after it, and a journaled save.
        var carl = StoreFixture.Token("carl@example.com");
        store.SaveToken(carl);
        var attempts = new[] { bob.AccessToken!, carl.AccessToken!, ann.AccessToken! };
        var dave = StoreFixture.Token("dave@example.com");
        store.SaveToken(dave);
        foreach (var taken in attempts)
        {
            var clash = StoreFixture.Copy(dave);
            clash.AccessToken = taken;
            var error = Assert.Throws<TokenStoreException>(() => store.SaveToken(clash), taken);
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.DuplicateToken), taken);
        }

        Assert.That(((OAuthToken)store.FindTokenById(dave.Id!)).AccessToken, Is.EqualTo(dave.AccessToken));
    }

    [Test]
    public void UniqueValueFilter_AfterIndexKeyRotation_StillCatchesDuplicates()
    {
        using var store = Open();
        var (ann, bob) = SaveTwoThenBuildTheFilter(store);

        store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true });
        ann.AccessToken = "1000.access.ann.after-rotation";
        store.SaveToken(ann);
        store.Journal!.WaitForUniqueValues();
        var clash = StoreFixture.Copy(ann);
        clash.AccessToken = bob.AccessToken;
        var error = Assert.Throws<TokenStoreException>(() => store.SaveToken(clash));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.DuplicateToken));
            Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(2));
        });
    }

    [Test]
    public void UniqueValueFilter_MayContain_IsTrueForEveryValueAddedAndPerIndex()
    {
        var filter = new EncryptedStore.Engine.UniqueValueFilter();
        var hashes = new IndexHashes
        {
            [BlindIndex.UserClient] = Enumerable.Repeat((byte)1, 32).ToArray(),
            [BlindIndex.AccessToken] = Enumerable.Repeat((byte)2, 32).ToArray(),
        };
        filter.Add(new StoredRecord("id", 1, 2, [], hashes));

        Assert.Multiple(() =>
        {
            Assert.That(filter.MayContain(BlindIndex.AccessToken, Enumerable.Repeat((byte)2, 32).ToArray()), Is.True);
            Assert.That(filter.MayContain(BlindIndex.UserClient, Enumerable.Repeat((byte)1, 32).ToArray()), Is.True);
            Assert.That(filter.MayContain(BlindIndex.AccessToken, Enumerable.Repeat((byte)1, 32).ToArray()), Is.False, "another index's value");
            Assert.That(filter.MayContain(BlindIndex.RefreshToken, Enumerable.Repeat((byte)3, 32).ToArray()), Is.False);
            Assert.That(filter.Added, Is.EqualTo(2), "an id standing in for an absent value is not a value");
        });
    }

    /// <summary>Saves Ann and Bob, then Ann again through the journal, and waits for the filter of unique values that save started.</summary>
    private static (OAuthToken Ann, OAuthToken Bob) SaveTwoThenBuildTheFilter(EncryptedTokenStore store)
    {
        var ann = StoreFixture.Token("ann@example.com");
        var bob = StoreFixture.Token("bob@example.com");
        store.SaveTokens([ann, bob]);
        ann.AccessToken = "1000.access.ann.journaled";
        store.SaveToken(ann);
        Assert.That(store.Journal!.WaitForUniqueValues(), Is.True, "the journaled save built the filter");
        return (ann, bob);
    }

    /// <summary>
    /// Runs a TestHost writer with its applier paused and kills it (SIGKILL) once it acknowledged
    /// <paramref name="saves"/> journaled saves, which then exist only in the journal; returns their numbers.
    /// </summary>
    private List<int> KillWriterWithSavesOnlyInTheJournal(int saves)
    {
        using var child = ChildProcess.StartTestHost("journal-save-loop", StorePath, Convert.ToHexString(StoreFixture.Key), "0", "paused");
        Assert.That(child.WaitForLine("opened"), Is.Not.Null, child.StandardError);
        var acknowledged = Enumerable.Range(0, saves).Select(_ => ChildProcess.AckSequence(child.WaitForLine("ack"))).ToList();
        child.Kill();
        return acknowledged;
    }

    private static readonly byte[] Epoch = [.. Enumerable.Range(100, 16).Select(i => (byte)i)];

    /// <summary>A MAC key for format tests (a fresh copy: the journal clears the one it is given).</summary>
    private static byte[] MacKey() => [.. Enumerable.Repeat((byte)7, 32)];

    private static byte[] FirstBytes(string path, byte[] storeId) => [.. SaveJournal.Read(path, storeId, Epoch, MacKey()).Entries.Select(e => e.Record[0])];

    /// <summary>The entries of the store's journal that its master key vouches for, read without opening the store (which would replay them).</summary>
    private static IReadOnlyList<JournalEntry> JournalEntriesOf(string path)
    {
        using var storage = LiteDbFiles.Open(path, flushToDisk: false, TimeSpan.Zero, shared: false);
        using var masterKey = MasterKey.FromBytes(StoreFixture.Key);
        using var keys = StoreKeys.Open(storage, storage.ReadFormat()!.Value, masterKey, TimeProvider.System, loggerFactory: null, NullLogger.Instance);
        var macKey = keys.KeyEncryptionKey.DeriveSubkey("journal");
        return SaveJournal.Read(StorePaths.JournalPathFor(storage.Path), keys.State.Metadata.StoreId, keys.State.Metadata.JournalEpoch, macKey).Entries;
    }
}
