namespace EncryptedStore;

/// <summary>
/// The six-method token-store contract of the Zoho SDKs ("custom store").
/// </summary>
public interface ITokenStore
{
    /// <summary>
    /// Finds the stored token that matches <paramref name="token"/> (by user name, else access token,
    /// else grant or refresh token), fills the null properties of <paramref name="token"/> in place
    /// and returns that same instance; returns null when nothing matches.
    /// </summary>
    IToken? FindToken(IToken token);

    /// <summary>Returns a new, fully populated token for <paramref name="id"/>, or throws when it does not exist.</summary>
    IToken FindTokenById(string id);

    /// <summary>Inserts or updates <paramref name="token"/>; on insert sets its <c>Id</c>.</summary>
    void SaveToken(IToken token);

    /// <summary>Deletes the token with <paramref name="id"/>; an unknown id is not an error.</summary>
    void DeleteToken(string id);

    /// <summary>Returns every stored token, fully populated.</summary>
    List<IToken> GetTokens();

    /// <summary>Deletes every stored token in one operation.</summary>
    void DeleteTokens();
}
