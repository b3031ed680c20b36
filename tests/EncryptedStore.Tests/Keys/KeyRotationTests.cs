using System.Text;
using EncryptedStore.Tests.Support;
using LiteDB;
using Microsoft.Extensions.Time.Testing;

namespace EncryptedStore.Tests.Keys;

public class KeyRotationTests : StoreFolderTest
{
    [Test]
    [Category("Slow")]
    public void RotateKeys_10kTokens_EveryLookupPathAnswersBeforeDuringAndAfter()
    {
        using var store = StoreFixture.Open(StorePath);
        var tokens = Generate(10_000);
        foreach (var chunk in tokens.Chunk(1000))
        {
            store.SaveTokens(chunk);
        }

        var sample = tokens.Where((_, i) => i % 97 == 0).ToList();
        Assert.That(LookupFailures(store, sample), Is.Empty, "before rotation");

        using var rotating = new CancellationTokenSource();
        using var lookupsDuring = new CountdownEvent(200);
        var failuresDuring = new ConcurrentBagOfStrings();
        var reader = new Thread(() =>
        {
            while (!rotating.IsCancellationRequested)
            {
                foreach (var failure in LookupFailures(store, sample))
                {
                    failuresDuring.Add(failure);
                }

                if (!lookupsDuring.IsSet)
                {
                    lookupsDuring.Signal();
                }
            }
        });
        reader.Start();

        // Two tokens saved mid-rotation, with ids on either side of the rotation's cursor, so the count
        // below does not depend on where a random id would fall: the early one lies behind the cursor
        // and is never scanned, the late one is scanned but is already under the new keys.
        var savedBehindCursor = StoreFixture.Token("during-early@example.com");
        savedBehindCursor.Id = new string('0', 32);
        var savedAheadOfCursor = StoreFixture.Token("during-late@example.com");
        savedAheadOfCursor.Id = new string('f', 32);
        OAuthToken? updatedDuring = null;
        var firstBatch = true;
        var result = store.RotateKeys(
            new KeyRotationOptions { RotateIndexKey = true, BatchSize = 500 },
            new InlineProgress<KeyRotationProgress>(_ =>
            {
                if (!firstBatch)
                {
                    return;
                }

                firstBatch = false;
                // Mid-rotation: the reader must have done lookups against half-rotated data, and saves go on.
                Assert.That(lookupsDuring.Wait(TimeSpan.FromSeconds(60)), Is.True, "reader made no progress during rotation");
                store.SaveToken(savedBehindCursor);
                store.SaveToken(savedAheadOfCursor);
                updatedDuring = new OAuthToken { Id = tokens[^1].Id, AccessToken = "1000.access.updated-during-rotation" };
                store.SaveToken(updatedDuring);
            }));
        rotating.Cancel();
        reader.Join();

        var statistics = store.GetStatistics();
        var data = statistics.Keys.Single(k => k.Purpose == StoreKeyPurpose.Data && k.State == StoreKeyState.Active);
        var index = statistics.Keys.Single(k => k.Purpose == StoreKeyPurpose.Index && k.State == StoreKeyState.Active);
        tokens[^1].AccessToken = "1000.access.updated-during-rotation";
        Assert.Multiple(() =>
        {
            Assert.That(failuresDuring, Is.Empty, "lookups during rotation");
            Assert.That(LookupFailures(store, sample.Append(savedBehindCursor).Append(savedAheadOfCursor).Append(tokens[^1]).ToList()), Is.Empty, "after rotation");
            Assert.That(result.RecordsScanned, Is.EqualTo(10_001), "the 10,000 tokens and the one saved ahead of the cursor");
            Assert.That(result.Resumed, Is.False);
            Assert.That(data.RecordCount, Is.EqualTo(10_002), "all records under the new data key");
            Assert.That(index.RecordCount, Is.EqualTo(10_002), "all records under the new index key");
            Assert.That(statistics.Keys.Where(k => k.State == StoreKeyState.Retired).Sum(k => k.RecordCount), Is.Zero);
            Assert.That(store.Verify().IsHealthy, Is.True);
        });
    }

    [Test]
    [Category("Slow")]
    public void RotateKeys_ChildKilledAtSeededPoints_NextOpenFinishesAndNothingIsLost()
    {
        const int count = 1000;
        const int batch = 50;
        var expected = Generate(count);
        using (var store = StoreFixture.Open(StorePath))
        {
            store.SaveTokens(expected);
        }

        var random = new Random(20261128);
        var interrupted = 0;
        for (var kill = 0; kill < 20; kill++)
        {
            var rotateIndex = kill % 2 == 1;
            var killAfterBatches = random.Next(0, count / batch);
            using (var child = ChildProcess.StartTestHost("rotate", StorePath, Convert.ToHexString(StoreFixture.Key), rotateIndex ? "index" : "data", batch.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                Assert.That(child.WaitForLine("opened"), Is.Not.Null, child.StandardError);
                for (var i = 0; i < killAfterBatches; i++)
                {
                    Assert.That(child.WaitForLine("progress"), Is.Not.Null);
                }

                // A little jitter so the kill also lands inside a batch's transaction, not only between batches.
                Thread.Sleep(random.Next(0, 15));
                child.Kill();
                interrupted++;
            }

            using var reopened = StoreFixture.Open(StorePath);

            // Opening returns at once and resumes the rotation in the background.
            reopened.WaitForBackgroundRotation();
            var statistics = reopened.GetStatistics();
            var activeData = statistics.Keys.Single(k => k.Purpose == StoreKeyPurpose.Data && k.State == StoreKeyState.Active);
            var activeIndex = statistics.Keys.Single(k => k.Purpose == StoreKeyPurpose.Index && k.State == StoreKeyState.Active);
            Assert.Multiple(() =>
            {
                Assert.That(statistics.TokenCount, Is.EqualTo(count), $"kill {kill}");
                Assert.That(activeData.RecordCount, Is.EqualTo(count), $"kill {kill}: all records under the active data key");
                Assert.That(activeIndex.RecordCount, Is.EqualTo(count), $"kill {kill}: all records under the active index key");
            });
            AssertSameTokens(reopened, expected);
        }

        Assert.That(interrupted, Is.EqualTo(20));
    }

    [Test]
    public void RevokeKey_RecordUnderRevokedKey_FailsNamingTheKeyAndDestroyIsRefused()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var store = Open(clock);
        var old = StoreFixture.Token("old@example.com");
        store.SaveToken(old);
        clock.Advance(TimeSpan.FromDays(91));
        var fresh = StoreFixture.Token("new@example.com");
        store.SaveToken(fresh);

        var oldKey = store.GetStatistics().Keys.Single(k => k.Purpose == StoreKeyPurpose.Data && k.State == StoreKeyState.Retired);
        Assert.That(oldKey.RecordCount, Is.EqualTo(1));
        store.RevokeKey(oldKey.Version);

        var failure = Assert.Throws<TokenStoreException>(() => store.FindTokenById(old.Id!));
        var refused = Assert.Throws<TokenStoreException>(() => store.DestroyKey(oldKey.Version));
        var active = store.GetStatistics().Keys.Single(k => k.Purpose == StoreKeyPurpose.Data && k.State == StoreKeyState.Active);
        var activeRefused = Assert.Throws<TokenStoreException>(() => store.RevokeKey(active.Version));
        Assert.Multiple(() =>
        {
            Assert.That(failure!.Code, Is.EqualTo(TokenStoreErrorCodes.KeyUnavailable));
            Assert.That(failure.Message, Does.Contain(oldKey.ProtectionKeyId.ToString()));
            Assert.That(failure.Message, Does.Contain($"version {oldKey.Version}"));
            Assert.That(((OAuthToken)store.FindTokenById(fresh.Id!)).RefreshToken, Is.EqualTo(fresh.RefreshToken));
            Assert.That(refused!.Code, Is.EqualTo(TokenStoreErrorCodes.KeyInUse));
            Assert.That(activeRefused!.Code, Is.EqualTo(TokenStoreErrorCodes.KeyInUse));
            Assert.That(store.Verify().Problems.Select(p => p.RecordId), Is.EqualTo(new[] { old.Id }));
        });

        // A rotation skips the unreadable record and reports it rather than failing.
        var result = store.RotateKeys();
        Assert.That(result.FailedRecordIds, Is.EqualTo(new[] { old.Id }));
    }

    [Test]
    public void DestroyKey_AfterRotationAndCompaction_KeyMaterialIsGoneFromTheFile()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var token = StoreFixture.Token("kept@example.com");
        using (var store = Open(clock))
        {
            store.SaveToken(token);
            store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true });
        }

        var retired = ReadKeyDocuments().Where(d => d["state"].AsString == "Retired").ToList();
        Assert.That(retired, Has.Count.EqualTo(2), "the first data and index keys are retired");
        var secrets = retired.Select(d => d["wrapped"].AsBinary).ToList();
        var retiredProtectionKey = retired[0]["protectionKey"].AsGuid.ToString();
        var keyRingValues = ReadKeyRingValues(retiredProtectionKey);
        Assert.That(keyRingValues, Is.Not.Empty);
        secrets.AddRange(keyRingValues.Select(Encoding.ASCII.GetBytes));
        secrets.AddRange(keyRingValues.Select(Convert.FromBase64String));

        using (var store = Open(clock))
        {
            foreach (var version in retired.Select(d => d["_id"].AsInt32))
            {
                store.RevokeKey(version);
                store.DestroyKey(version);
            }

            Assert.That(store.GetStatistics().Keys.Count(k => k.State == StoreKeyState.Destroyed), Is.EqualTo(2));
        }

        EncryptedTokenStore.Compact(StorePath);
        var bytes = File.ReadAllBytes(StorePath);
        Assert.That(secrets.Where(s => bytes.AsSpan().IndexOf(s) >= 0), Is.Empty, "destroyed key material still in the file");
        using var reopened = Open(clock);
        Assert.That(((OAuthToken)reopened.FindTokenById(token.Id!)).RefreshToken, Is.EqualTo(token.RefreshToken));
    }

    [Test]
    [Category("Slow")]
    public void Compact_WhileStoreIsOpen_IsRefusedAsLocked()
    {
        using var store = StoreFixture.Open(StorePath);
        var error = Assert.Throws<TokenStoreException>(() => EncryptedTokenStore.Compact(StorePath));
        Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.StoreLocked));
    }

    [Test]
    public void SaveToken_AfterKeyLifetime_UsesANewDataKeyAndOldRecordsStillRead()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var store = Open(clock, TimeSpan.FromDays(30));
        var first = StoreFixture.Token("first@example.com");
        store.SaveToken(first);
        clock.Advance(TimeSpan.FromDays(29));
        store.SaveToken(StoreFixture.Token("second@example.com"));
        var beforeLifetime = store.GetStatistics().Keys.Count(k => k.Purpose == StoreKeyPurpose.Data);

        clock.Advance(TimeSpan.FromDays(2));
        store.SaveToken(StoreFixture.Token("third@example.com"));
        var statistics = store.GetStatistics();
        var data = statistics.Keys.Where(k => k.Purpose == StoreKeyPurpose.Data).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(beforeLifetime, Is.EqualTo(1));
            Assert.That(data, Has.Count.EqualTo(2));
            Assert.That(data.Single(k => k.State == StoreKeyState.Active).RecordCount, Is.EqualTo(1));
            Assert.That(data.Single(k => k.State == StoreKeyState.Retired).RecordCount, Is.EqualTo(2));
            Assert.That(((OAuthToken)store.FindTokenById(first.Id!)).AccessToken, Is.EqualTo(first.AccessToken));
        });
    }

    [Test]
    public void Options_KeyLifetimeBelowMinimum_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Open(TimeProvider.System, TimeSpan.FromDays(1)));
        Assert.That(File.Exists(StorePath), Is.False);
    }

    [Test]
    public void ChangeMasterKey_OldKeyStopsNewKeyOpensTokensIntact()
    {
        var token = StoreFixture.Token("user@example.com");
        using (var store = StoreFixture.Open(StorePath))
        {
            store.SaveToken(token);
            using var next = MasterKey.FromPassphrase("correct horse battery staple");
            store.ChangeMasterKey(next);
            Assert.That(((OAuthToken)store.FindTokenById(token.Id!)).RefreshToken, Is.EqualTo(token.RefreshToken), "still usable in the same process");
        }

        var old = Assert.Throws<TokenStoreException>(() => StoreFixture.Open(StorePath));
        using var key = MasterKey.FromPassphrase("correct horse battery staple");
        using var reopened = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = StorePath, MasterKey = key });
        Assert.Multiple(() =>
        {
            Assert.That(old!.Code, Is.EqualTo(TokenStoreErrorCodes.WrongKey));
            Assert.That(((OAuthToken)reopened.FindTokenById(token.Id!)).RefreshToken, Is.EqualTo(token.RefreshToken));
            Assert.That(reopened.Verify().IsHealthy, Is.True);
        });
    }

    [Test]
    [Category("Slow")]
    public void ChangeMasterKey_ChildKilledMidway_OneOfTheTwoKeysStillOpens()
    {
        var expected = Generate(50);
        var current = StoreFixture.Key;
        using (var store = StoreFixture.Open(StorePath))
        {
            store.SaveTokens(expected);
            store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true });
        }

        var random = new Random(77);
        var changed = 0;
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var next = System.Security.Cryptography.SHA256.HashData(current);
            using (var child = ChildProcess.StartTestHost("change-master-key", StorePath, Convert.ToHexString(current), Convert.ToHexString(next)))
            {
                Assert.That(child.WaitForLine("opened"), Is.Not.Null, child.StandardError);
                Thread.Sleep(random.Next(0, 20));
                child.Kill();
            }

            EncryptedTokenStore store;
            try
            {
                store = StoreFixture.Open(StorePath, current);
            }
            catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.WrongKey)
            {
                store = StoreFixture.Open(StorePath, next);
                current = next;
                changed++;
            }

            using (store)
            {
                AssertSameTokens(store, expected);
            }
        }

        TestContext.Out.WriteLine($"{changed} of 8 changes had committed when the child was killed");
    }

    private EncryptedTokenStore Open(TimeProvider clock, TimeSpan? lifetime = null) => new(new EncryptedTokenStoreOptions
    {
        FilePath = StorePath,
        MasterKey = MasterKey.FromBytes(StoreFixture.Key),
        TimeProvider = clock,
        KeyLifetime = lifetime ?? TimeSpan.FromDays(90),
    });

    private List<BsonDocument> ReadKeyDocuments()
    {
        using var copy = new TempDirectory();
        File.Copy(StorePath, copy.File("copy.db"));
        using var database = new LiteDatabase($"Filename={copy.File("copy.db")}");
        return database.GetCollection("keys").FindAll().ToList();
    }

    private List<string> ReadKeyRingValues(string protectionKeyId)
    {
        using var copy = new TempDirectory();
        File.Copy(StorePath, copy.File("copy.db"));
        using var database = new LiteDatabase($"Filename={copy.File("copy.db")}");
        return database.GetCollection("keyring").FindAll()
            .Select(d => System.Xml.Linq.XElement.Parse(d["xml"].AsString))
            .Where(x => (string?)x.Attribute("id") == protectionKeyId)
            .SelectMany(x => x.Descendants().Where(e => e.Name.LocalName == "value" && e.Name.NamespaceName.StartsWith("urn:encryptedstore", StringComparison.Ordinal)))
            .Select(e => e.Value)
            .ToList();
    }

    private static List<OAuthToken> Generate(int count) =>
        Enumerable.Range(0, count)
            .Select(i => StoreFixture.Token($"user{i}@example.com", i % 2 == 0 ? "1000.CLIENTA" : "1000.CLIENTB"))
            .ToList();

    private static void AssertSameTokens(EncryptedTokenStore store, List<OAuthToken> expected)
    {
        var stored = store.GetTokens().Cast<OAuthToken>().ToDictionary(t => t.Id!);
        Assert.That(stored, Has.Count.EqualTo(expected.Count));
        foreach (var token in expected)
        {
            var actual = stored[token.Id!];
            Assert.That(
                (actual.UserSignature?.Name, actual.ClientId, actual.ClientSecret, actual.AccessToken, actual.RefreshToken, actual.GrantToken, actual.ExpiresIn),
                Is.EqualTo((token.UserSignature?.Name, token.ClientId, token.ClientSecret, token.AccessToken, token.RefreshToken, token.GrantToken, token.ExpiresIn)),
                $"token {token.Id}");
        }
    }

    /// <summary>Looks every token up by every path the contract has; returns what failed.</summary>
    private static List<string> LookupFailures(EncryptedTokenStore store, List<OAuthToken> tokens)
    {
        var failures = new List<string>();
        foreach (var token in tokens)
        {
            void Check(string path, Func<IToken?> find)
            {
                try
                {
                    if (find() is not OAuthToken found || found.Id != token.Id || found.RefreshToken != token.RefreshToken)
                    {
                        failures.Add($"{token.Id} by {path}: not found");
                    }
                }
                catch (TokenStoreException e)
                {
                    failures.Add($"{token.Id} by {path}: {e.Code}");
                }
            }

            Check("id", () => store.FindTokenById(token.Id!));
            Check("user", () => store.FindToken(new OAuthToken { UserSignature = new UserSignature(token.UserSignature!.Name), ClientId = token.ClientId }));
            Check("access", () => store.FindToken(new OAuthToken { AccessToken = token.AccessToken }));
            Check("grant", () => store.FindToken(new OAuthToken { GrantToken = token.GrantToken, ClientId = token.ClientId, ClientSecret = token.ClientSecret }));
            Check("refresh", () => store.FindToken(new OAuthToken { RefreshToken = token.RefreshToken, ClientId = token.ClientId, ClientSecret = token.ClientSecret }));
        }

        return failures;
    }

    private sealed class ConcurrentBagOfStrings : System.Collections.Concurrent.ConcurrentBag<string>;
}
