using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Faults;

/// <summary>
/// A store on a real, size-limited file system (a tmpfs the test mounts) that fills up: a filler file takes every
/// free block, then the operation is repeated until the disk refuses it. The failed call must end in
/// <c>STORAGE_FULL</c>; every save acknowledged before stays readable with its exact values and nothing half-written
/// is read; once the filler is deleted the same store instance works again, without being reopened, and
/// <see cref="EncryptedTokenStore.Verify"/> is clean, then and after a reopen.
/// </summary>
/// <remarks>
/// The tmpfs is 8 MB, not less: the save journal alone is 2 MB (two preallocated regions), and a store too small
/// for it would never journal, so the journaled update would go untested.
/// </remarks>
[Category("Slow")]
[NonParallelizable]
public class FullDiskTests
{
    private const string StorageFull = "STORAGE_FULL";
    private const int SeededTokens = 40;

    /// <summary>Enough for the journal's active region (1 MB) to fill, after which saves take the storage path.</summary>
    private const int MaxAttempts = 5000;

    private TmpfsMount? _disk;

    public enum Operation
    {
        JournaledUpdate,
        Insert,
        Delete,
        Rotation,
    }

    [SetUp]
    public void SetUp() => _disk = TmpfsMount.MountOrSkip("8m");

    [TearDown]
    public void TearDown() => _disk?.Dispose();

    [TestCase(Operation.JournaledUpdate)]
    [TestCase(Operation.Insert)]
    [TestCase(Operation.Delete)]
    [TestCase(Operation.Rotation)]
    public void Operation_DiskFills_FailsWithStorageFullLosesNothingAndSameInstanceWorksOnceSpaceIsBack(Operation operation)
    {
        var path = _disk!.File("tokens.db");
        var filler = _disk.File("filler");
        var ledger = new TokenLedger();
        var tokens = new List<OAuthToken>();
        TokenStoreException? failure;
        using (var store = StoreFixture.Open(path))
        {
            for (var i = 0; i < SeededTokens; i++)
            {
                var token = StoreFixture.Token($"user{i}@example.com");
                store.SaveToken(token);
                ledger.Saved(token);
                tokens.Add(token);
            }

            if (operation == Operation.JournaledUpdate)
            {
                // The journal is made (2 MB, preallocated) while there is room: the full disk then meets appends into it.
                store.Journal!.WaitForUniqueValues();
                var journaled = store.Journal.JournaledSaveCount;
                Update(store, ledger, tokens[0], 0);
                Assert.That(store.Journal.JournaledSaveCount - journaled, Is.EqualTo(1), "the update went through the journal");
            }

            var filled = TmpfsMount.Fill(filler);
            TestContext.Out.WriteLine($"filler: {filled:N0} bytes; store files: {string.Join(", ", StoreFiles.Names(_disk.Path))}");
            failure = RunUntilRefused(store, operation, ledger, tokens, out var acknowledged);
            TestContext.Out.WriteLine($"{operation}: {acknowledged} calls acknowledged on the full disk, then {failure?.Code}: {failure?.Message}");

            Assert.That(failure, Is.Not.Null, $"the disk is full, yet {MaxAttempts} calls of {operation} succeeded");
            Assert.Multiple(() =>
            {
                Assert.That(failure!.Code, Is.EqualTo(StorageFull), failure.ToString());
                Assert.That(failure.Message, Does.Contain("space").IgnoreCase, "the message says the disk is full");
                Assert.That(failure.Message, Does.Not.Contain("1000.access.").And.Not.Contain("secret-"), "no secret in the message");
            });

            var whileFull = ledger.Check(store);
            Assert.That(whileFull.Problems, Is.Empty, "reads on the full disk");

            File.Delete(filler);
            var after = StoreFixture.Token("after-space-is-back@example.com");
            store.SaveToken(after);
            ledger.Saved(after);
            if (operation == Operation.Rotation)
            {
                store.RotateKeys(new KeyRotationOptions { BatchSize = 5 });
            }

            var healed = ledger.Check(store);
            Assert.Multiple(() =>
            {
                Assert.That(healed.Problems, Is.Empty, "reads once space is back, same instance");
                Assert.That(store.TryFindTokenById(after.Id!), Is.Not.Null, "the save after the fault is found");
                Assert.That(store.Verify().Problems, Is.Empty, "Verify on the same instance");
            });
        }

        using var reopened = StoreFixture.Open(path);
        var afterReopen = ledger.Check(reopened);
        Assert.Multiple(() =>
        {
            Assert.That(afterReopen.Problems, Is.Empty, "reads after reopening");
            Assert.That(reopened.Verify().Problems, Is.Empty, "Verify after reopening");
        });
        TestContext.Out.WriteLine($"failed calls whose change was read afterwards: {ledger.FailedCallsThatTookEffect}");
    }

    /// <summary>Repeats <paramref name="operation"/> until it throws a <see cref="TokenStoreException"/>; any other exception fails the test.</summary>
    private static TokenStoreException? RunUntilRefused(EncryptedTokenStore store, Operation operation, TokenLedger ledger, List<OAuthToken> tokens, out int acknowledged)
    {
        for (acknowledged = 0; acknowledged < MaxAttempts; acknowledged++)
        {
            try
            {
                switch (operation)
                {
                    case Operation.JournaledUpdate:
                        Update(store, ledger, tokens[acknowledged % tokens.Count], acknowledged + 1);
                        break;
                    case Operation.Insert:
                        Insert(store, ledger, acknowledged);
                        break;
                    case Operation.Delete when acknowledged < tokens.Count:
                        Delete(store, ledger, tokens[acknowledged].Id!);
                        break;
                    case Operation.Delete:
                        return null;
                    case Operation.Rotation:
                        store.RotateKeys(new KeyRotationOptions { BatchSize = 5 });
                        break;
                }
            }
            catch (TokenStoreException e)
            {
                return e;
            }
        }

        return null;
    }

    private static void Update(EncryptedTokenStore store, TokenLedger ledger, OAuthToken token, int round)
    {
        var updated = StoreFixture.Copy(token);
        updated.AccessToken = $"1000.access.round{round}.{token.Id}";
        updated.RefreshToken = $"1000.refresh.round{round}.{token.Id}";
        try
        {
            store.SaveToken(updated);
        }
        catch (TokenStoreException)
        {
            ledger.SaveFailed(updated);
            throw;
        }

        ledger.Saved(updated);
    }

    private static void Insert(EncryptedTokenStore store, TokenLedger ledger, int round)
    {
        var token = StoreFixture.Token($"inserted{round}@example.com");
        token.Id = $"inserted-{round}";
        try
        {
            store.SaveToken(token);
        }
        catch (TokenStoreException)
        {
            ledger.SaveFailed(token);
            throw;
        }

        ledger.Saved(token);
    }

    private static void Delete(EncryptedTokenStore store, TokenLedger ledger, string id)
    {
        try
        {
            store.DeleteToken(id);
        }
        catch (TokenStoreException)
        {
            ledger.DeleteFailed(id);
            throw;
        }

        ledger.Deleted(id);
    }
}
