using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests;

public class SmokeTests
{
    [Test]
    public void SaveFindReopen_RoundTrips()
    {
        using var dir = new TempDirectory();
        string id;
        using (var store = StoreFixture.Open(dir.File("t.db")))
        {
            var token = StoreFixture.Token("a@example.com");
            store.SaveToken(token);
            id = token.Id!;
            var found = (OAuthToken)store.FindTokenById(id);
            Assert.That(found.RefreshToken, Is.EqualTo(token.RefreshToken));
        }

        using (var store = StoreFixture.Open(dir.File("t.db")))
        {
            var found = (OAuthToken)store.FindTokenById(id);
            Assert.That(found.UserSignature!.Name, Is.EqualTo("a@example.com"));
            var q = new OAuthToken { UserSignature = new UserSignature("a@example.com"), ClientId = "1000.CLIENTA" };
            Assert.That(store.FindToken(q), Is.SameAs(q));
            Assert.That(q.Id, Is.EqualTo(id));
        }
    }
}
