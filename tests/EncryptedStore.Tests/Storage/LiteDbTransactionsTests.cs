using EncryptedStore.Storage.LiteDb;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

public class LiteDbTransactionsTests
{
    private const int PageSize = 8192;
    private const int PageTypeOffset = 4;
    private const byte CollectionPage = 2;

    [Test]
    public void IsSupported_LiteDbInUse_FindsTheFieldsTheWorkaroundNeeds() =>
        Assert.That(LiteDbTransactions.IsSupported, Is.True, "LiteDB changed; check whether issue #2828 is fixed before dropping the workaround");

    [Test]
    public void OpenAndGetTokens_CollectionPageIdDamaged_ThrowsIntegrityAndNoFinalizerEndsTheProcess()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using (var store = StoreFixture.Open(path))
        {
            store.SaveToken(StoreFixture.Token("a@example.com"));
        }

        var original = File.ReadAllBytes(path);
        var collectionPages = Enumerable.Range(0, original.Length / PageSize)
            .Where(page => original[page * PageSize + PageTypeOffset] == CollectionPage)
            .ToList();
        var codes = new List<string>();
        foreach (var page in collectionPages)
        {
            // A collection page whose stored page id is not its own: LiteDB fails while releasing the
            // read transaction that loaded it, and used to leave that transaction to a finalizer that
            // fails again on the GC thread and ends the process.
            var damaged = (byte[])original.Clone();
            damaged[page * PageSize + 1] ^= 0x01;
            var copy = dir.File($"copy{page}.db");
            StoreFiles.WriteOwnerOnly(copy, damaged);
            var e = Assert.Throws<TokenStoreException>(() =>
            {
                using var store = StoreFixture.Open(copy);
                store.GetTokens();
            });
            codes.Add(e!.Code);
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.Multiple(() =>
        {
            Assert.That(collectionPages, Has.Count.EqualTo(4), "meta, keyring, keys and tokens");
            Assert.That(codes, Is.All.EqualTo(TokenStoreErrorCodes.Integrity));
        });
    }
}
