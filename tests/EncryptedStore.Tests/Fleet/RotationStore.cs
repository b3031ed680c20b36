using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>A database store holding tokens for the rotation tests, and what a finished rotation must leave.</summary>
internal static class RotationStore
{
    /// <summary>Saves <paramref name="count"/> tokens (users <c>rotation0</c>...) in one transaction; returns them with their ids.</summary>
    public static List<OAuthToken> Fill(FleetTables tables, int count)
    {
        var tokens = Enumerable.Range(0, count).Select(i => StoreFixture.Token($"rotation{i}@example.com")).ToList();
        using var store = tables.Open();
        store.SaveTokens(tokens);
        return tokens;
    }

    /// <summary>
    /// From a new instance: no rotation in progress, every record under the active keys, every token read back as saved
    /// (by id and by user and client, through the blind index), Verify clean.
    /// </summary>
    public static void AssertRotatedAndReadable(FleetTables tables, IReadOnlyList<OAuthToken> tokens)
    {
        using var store = tables.Open();
        store.WaitForBackgroundRotation();
        var statistics = store.GetStatistics();
        var stored = store.GetTokens().Cast<OAuthToken>().ToDictionary(t => t.Id!, StringComparer.Ordinal);
        Assert.Multiple(() =>
        {
            Assert.That(statistics.RotationInProgress, Is.False, "the rotation finished");
            Assert.That(statistics.Keys.Where(k => k.RecordCount > 0).Select(k => k.State), Is.All.EqualTo(StoreKeyState.Active), "every record under the active keys");
            Assert.That(tokens.Select(t => StoreFixture.Fields(stored.GetValueOrDefault(t.Id!))), Is.EqualTo(tokens.Select(StoreFixture.Fields)), "every token reads back as saved");
            Assert.That(tokens.Count(t => store.FindToken(new OAuthToken { UserSignature = t.UserSignature, ClientId = t.ClientId }) is null), Is.Zero, "tokens FindToken misses by user and client");
            Assert.That(store.Verify().Problems, Is.Empty);
        });
    }
}
