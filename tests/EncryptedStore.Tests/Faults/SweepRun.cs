using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Faults;

/// <summary>One run of a sweep: a fresh copy of the prepared store, what it is known to hold, and the store open on it (null for an operation on a closed store).</summary>
internal sealed class SweepRun(string path, TokenLedger ledger, IReadOnlyList<OAuthToken> tokens)
{
    public string Path { get; } = path;

    public TokenLedger Ledger { get; } = ledger;

    /// <summary>The tokens the prepared store holds, as saved.</summary>
    public IReadOnlyList<OAuthToken> Tokens { get; } = tokens;

    public EncryptedTokenStore? Store { get; set; }

    /// <summary>The master key the store must open with; the master-key change sets the new one when it returns.</summary>
    public byte[] Key { get; set; } = StoreFixture.Key;

    /// <summary>The other master key the store may open with, after a change that threw (it may have reached the disk).</summary>
    public byte[]? PossibleKey { get; set; }

    public EncryptedTokenStore OpenStore => Store ?? throw new InvalidOperationException("the operation runs on a closed store");

    /// <summary>Saves <paramref name="token"/> through the open store and records the outcome in the ledger.</summary>
    public void Save(OAuthToken token)
    {
        try
        {
            OpenStore.SaveToken(token);
        }
        catch (TokenStoreException) when (token.Id is null)
        {
            // An insert without id that failed before it was given one: nothing was written.
            throw;
        }
        catch (TokenStoreException)
        {
            Ledger.SaveFailed(token);
            throw;
        }

        Ledger.Saved(token);
    }

    /// <summary>Deletes through the open store and records the outcome in the ledger.</summary>
    public void Delete(string id)
    {
        try
        {
            OpenStore.DeleteToken(id);
        }
        catch (TokenStoreException)
        {
            Ledger.DeleteFailed(id);
            throw;
        }

        Ledger.Deleted(id);
    }

    /// <summary>An update by id of <paramref name="token"/> with new access and refresh tokens (a save the journal takes).</summary>
    public static OAuthToken Updated(OAuthToken token, string tag)
    {
        var updated = StoreFixture.Copy(token);
        updated.AccessToken = $"1000.access.{tag}.{token.Id}";
        updated.RefreshToken = $"1000.refresh.{tag}.{token.Id}";
        return updated;
    }

    /// <summary>A new token with its id given, so a failed insert can be looked for.</summary>
    public static OAuthToken New(string tag, bool withId = true)
    {
        var token = StoreFixture.Token($"{tag}@example.com");
        token.Id = withId ? "new-" + tag : null;
        return token;
    }
}
