using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests;

public class EncryptedTokenStoreTests
{
    [TestCase("tokens")]
    [TestCase("keys")]
    [TestCase("keyring")]
    public void Open_CollectionMissing_ThrowsIntegrity(string collection)
    {
        // A damaged file header can lose a collection's name; without its tokens the store would look empty.
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using (var store = StoreFixture.Open(path))
        {
            store.SaveToken(StoreFixture.Token("a@example.com"));
        }

        using (var file = StoreFile.Open(path))
        {
            Assert.That(file.Database.DropCollection(collection), Is.True);
        }

        var e = Assert.Throws<TokenStoreException>(() => StoreFixture.Open(path).Dispose());

        Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.Integrity));
    }
}
