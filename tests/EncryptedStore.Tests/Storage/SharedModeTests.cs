using EncryptedStore.Storage.LiteDb;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// Shared mode within one process: two stores on one file exclude each other through the lock file
/// (flock is per open file, so they behave as two processes would), and each sees the other's writes.
/// The cross-process test is <see cref="MultiProcessTests"/>.
/// </summary>
public sealed class SharedModeTests
{
    private static readonly string[] Users = ["ann@example.com", "bob@example.com"];

    private TempDirectory _dir = null!;
    private string _path = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _path = _dir.File("shared.db");
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private EncryptedTokenStore OpenShared(TimeSpan? lockTimeout = null, byte[]? key = null) => new(new EncryptedTokenStoreOptions
    {
        FilePath = _path,
        MasterKey = MasterKey.FromBytes(key ?? StoreFixture.Key),
        Sharing = StoreSharing.Shared,
        LockTimeout = lockTimeout ?? EncryptedTokenStoreOptions.DefaultLockTimeout,
    });

    [Test]
    public void TwoStores_SaveUpdateDelete_EachSeesTheOthersWrites()
    {
        using var a = OpenShared();
        using var b = OpenShared();
        var token = StoreFixture.Token("ann@example.com");
        a.SaveToken(token);
        var id = token.Id!;

        // Warm both caches, then change the token in the other store.
        Assert.That(StoreFixture.Fields(b.FindTokenById(id)), Is.EqualTo(StoreFixture.Fields(token)));
        Assert.That(a.FindTokenById(id), Is.Not.Null);
        b.SaveToken(new OAuthToken { Id = id, AccessToken = "1000.access.renewed" });

        Assert.Multiple(() =>
        {
            Assert.That(((OAuthToken)a.FindTokenById(id)).AccessToken, Is.EqualTo("1000.access.renewed"));
            Assert.That(a.FindToken(new OAuthToken { AccessToken = token.AccessToken }), Is.Null, "found by the old access token");
            Assert.That(((OAuthToken?)a.FindToken(new OAuthToken { AccessToken = "1000.access.renewed" }))?.Id, Is.EqualTo(id));
        });

        a.DeleteToken(id);
        Assert.Multiple(() =>
        {
            Assert.That(b.TryFindTokenById(id), Is.Null);
            Assert.That(b.FindToken(new OAuthToken { UserSignature = new UserSignature("ann@example.com"), ClientId = token.ClientId }), Is.Null);
            Assert.That(b.GetTokens(), Is.Empty);
        });
    }

    [Test]
    public void TwoStores_ConflictingSaves_SecondIsRefusedAsDuplicate()
    {
        using var a = OpenShared();
        using var b = OpenShared();
        a.SaveToken(StoreFixture.Token("ann@example.com"));
        var clash = StoreFixture.Token("bob@example.com");
        clash.AccessToken = StoreFixture.Token("ann@example.com").AccessToken;

        var error = Assert.Throws<TokenStoreException>(() => b.SaveToken(clash));
        Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.DuplicateToken));
    }

    [Test]
    public void Rotation_InOneStore_OtherFindsEveryTokenAndSavesUnderTheNewKeys()
    {
        using var a = OpenShared();
        using var b = OpenShared();
        var tokens = Enumerable.Range(0, 50).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        a.SaveTokens(tokens);
        tokens.ForEach(t => b.FindTokenById(t.Id!));

        var result = a.RotateKeys(new KeyRotationOptions { RotateIndexKey = true, BatchSize = 7 });
        var late = StoreFixture.Token("late@example.com");
        b.SaveToken(late);

        var statistics = a.GetStatistics();
        Assert.Multiple(() =>
        {
            foreach (var token in tokens)
            {
                Assert.That(((OAuthToken?)b.FindToken(new OAuthToken { RefreshToken = token.RefreshToken, ClientId = token.ClientId, ClientSecret = token.ClientSecret }))?.Id, Is.EqualTo(token.Id));
                Assert.That(((OAuthToken?)b.FindToken(new OAuthToken { UserSignature = token.UserSignature, ClientId = token.ClientId }))?.Id, Is.EqualTo(token.Id));
            }

            var current = statistics.Keys.Where(k => k.Version is var v && (v == result.DataKeyVersion || v == result.IndexKeyVersion));
            Assert.That(current.Select(k => k.RecordCount), Is.All.EqualTo(51), "records under the new data and index keys");
        });
    }

    [Test]
    public void ChangeMasterKey_InOneStore_OtherFailsWithWrongKey()
    {
        using var a = OpenShared();
        using var b = OpenShared();
        a.SaveToken(StoreFixture.Token("ann@example.com"));
        Assert.That(b.GetTokens(), Has.Count.EqualTo(1));

        a.ChangeMasterKey(MasterKey.FromBytes(StoreFixture.OtherKey));

        var error = Assert.Throws<TokenStoreException>(() => b.GetTokens());
        Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.WrongKey));
        Assert.That(a.GetTokens(), Has.Count.EqualTo(1));
    }

    [Test]
    public void RevokeKey_InOneStore_OtherStopsUsingIt()
    {
        using var a = OpenShared();
        using var b = OpenShared();
        var token = StoreFixture.Token("ann@example.com");
        a.SaveToken(token);
        var oldVersion = a.GetStatistics().Keys.Single(k => k is { Purpose: StoreKeyPurpose.Data, State: StoreKeyState.Active }).Version;

        // b unwraps the old data key; a then rotates without rewriting the record under it (a cancelled
        // rotation leaves it), and revokes the old key: b must not decrypt with its copy any more.
        Assert.That(b.FindTokenById(token.Id!), Is.Not.Null);
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            Assert.Throws<OperationCanceledException>(() => a.RotateKeys(cancellationToken: cancelled.Token));
        }

        a.RevokeKey(oldVersion);

        var error = Assert.Throws<TokenStoreException>(() => b.FindTokenById(token.Id!));
        Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.KeyUnavailable));
    }

    [Test]
    public void ExclusiveOpener_WhileSharedStoreIsOpen_WaitsThenStoreLocked()
    {
        using var shared = OpenShared();
        var error = Assert.Throws<TokenStoreException>(() => new EncryptedTokenStore(new EncryptedTokenStoreOptions
        {
            FilePath = _path,
            MasterKey = MasterKey.FromBytes(StoreFixture.Key),
            LockTimeout = TimeSpan.FromMilliseconds(200),
        }));
        Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.StoreLocked));
    }

    [Test]
    public void SharedOpener_WhileExclusiveStoreIsOpen_WaitsThenStoreLocked()
    {
        using var exclusive = StoreFixture.Open(_path);
        var error = Assert.Throws<TokenStoreException>(() => OpenShared(TimeSpan.FromMilliseconds(200)));
        Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.StoreLocked));
    }

    [Test]
    public void Call_WhileAnotherHolderKeepsTheLockFile_WaitsThenStoreLockedAndStoreStaysUsable()
    {
        using var store = OpenShared(TimeSpan.FromMilliseconds(300));
        var token = StoreFixture.Token("ann@example.com");
        store.SaveToken(token);

        using (var holder = SharedLockFile.Open(StorePaths.LockPathFor(_path)))
        {
            Assert.That(holder.TryAcquire(), Is.True);
            holder.WriteGeneration(holder.ReadGeneration() + 1);
            var error = Assert.Throws<TokenStoreException>(() => store.FindTokenById(token.Id!));
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.StoreLocked));
            Assert.Throws<TokenStoreException>(() => store.SaveToken(StoreFixture.Token("bob@example.com")));
            holder.Release();
        }

        Assert.Multiple(() =>
        {
            Assert.That(StoreFixture.Fields(store.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)));
            Assert.That(store.GetTokens(), Has.Count.EqualTo(1), "the refused save wrote nothing");
        });
    }

    [Test]
    public void CacheHit_AfterAnotherStoreWrote_IsNotServedStale()
    {
        using var a = OpenShared();
        using var b = OpenShared();
        var token = StoreFixture.Token("ann@example.com");
        a.SaveToken(token);
        for (var round = 0; round < 20; round++)
        {
            Assert.That(((OAuthToken)a.FindTokenById(token.Id!)).AccessToken, Is.EqualTo(round == 0 ? token.AccessToken : $"access-{round - 1}"));
            b.SaveToken(new OAuthToken { Id = token.Id, AccessToken = $"access-{round}" });
        }
    }

    [Test]
    public void Dispose_LastSharedStore_LeavesAFileThatOpensExclusively()
    {
        var token = StoreFixture.Token("ann@example.com");
        using (var a = OpenShared())
        using (var b = OpenShared())
        {
            a.SaveToken(token);
            b.SaveToken(StoreFixture.Token("bob@example.com"));
        }

        using var exclusive = StoreFixture.Open(_path);
        Assert.Multiple(() =>
        {
            Assert.That(exclusive.GetTokens(), Has.Count.EqualTo(2));
            Assert.That(exclusive.Verify().Problems, Is.Empty);
            Assert.That(File.Exists(StorePaths.LockPathFor(_path)), Is.True, "the lock file stays");
        });
    }

    [Test]
    public void ExclusiveStore_AfterSharedUse_ThenSharedAgain_SeesEverything()
    {
        using (var a = OpenShared())
        {
            a.SaveToken(StoreFixture.Token("ann@example.com"));
        }

        using (var exclusive = StoreFixture.Open(_path))
        {
            exclusive.SaveToken(StoreFixture.Token("bob@example.com"));
        }

        using var b = OpenShared();
        Assert.That(b.GetTokens().Cast<OAuthToken>().Select(t => t.UserSignature!.Name), Is.EquivalentTo(Users));
    }

    [Test]
    public void Options_UndefinedSharing_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new EncryptedTokenStore(new EncryptedTokenStoreOptions
        {
            FilePath = _path,
            MasterKey = MasterKey.FromBytes(StoreFixture.Key),
            Sharing = (StoreSharing)7,
        }));
}
