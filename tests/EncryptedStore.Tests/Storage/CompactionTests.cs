using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary><c>Compact</c> of a store larger than a few pages: every token kept, deleted bytes gone, nothing left behind.</summary>
public sealed class CompactionTests
{
    [Test]
    [Category("Slow")]
    public void Compact_StoreOf20000Tokens_KeepsEveryTokenAndDropsADeletedRecordsBytes()
    {
        // Before: Compact failed on any store of 3,000 tokens or more ("Detected loop in FindAll") and left NAME.compact.
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var tokens = Enumerable.Range(0, 20_000).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        byte[] deletedPayload, keptPayload;
        using (var store = StoreFixture.Open(path))
        {
            foreach (var chunk in tokens.Chunk(2_000))
            {
                store.SaveTokens(chunk);
            }

            deletedPayload = store.BackingFile.Records.FindById(tokens[0].Id!)["ct"].AsBinary;
            keptPayload = store.BackingFile.Records.FindById(tokens[^1].Id!)["ct"].AsBinary;
            store.DeleteToken(tokens[0].Id!);
        }

        EncryptedTokenStore.Compact(path);

        using var reopened = StoreFixture.Open(path);
        var byId = reopened.GetTokens().ToDictionary(t => ((OAuthToken)t).Id!);
        Assert.Multiple(() =>
        {
            Assert.That(byId, Has.Count.EqualTo(19_999));
            Assert.That(tokens.Skip(1).All(t => byId.TryGetValue(t.Id!, out var found) && StoreFixture.Fields(found).SequenceEqual(StoreFixture.Fields(t))), Is.True, "every token as saved");
            Assert.That(reopened.Verify().IsHealthy, Is.True);
            Assert.That(StoreFiles.ReadBypassingLock(path).AsSpan().IndexOf(keptPayload), Is.GreaterThanOrEqualTo(0), "the raw bytes hold the records copied");
            Assert.That(StoreFiles.ReadBypassingLock(path).AsSpan().IndexOf(deletedPayload), Is.EqualTo(-1), "and not the deleted one");
            Assert.That(Directory.GetFiles(dir.Path, "*.compact*"), Is.Empty, "no temporary file left");
        });
    }
}
