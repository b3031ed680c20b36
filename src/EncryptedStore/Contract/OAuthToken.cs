using System.Diagnostics;

namespace EncryptedStore;

/// <summary>
/// An OAuth token with the same properties as the Zoho SDKs' <c>OAuthToken</c>, so code written
/// against the SDK's token-store contract ports one to one. A null property means "not known";
/// an empty string is a value and is stored as such.
/// </summary>
/// <remarks>
/// Instances are not thread-safe. <see cref="ToString"/> and the debugger display never show a secret:
/// only <see cref="Id"/> and which fields are present.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public class OAuthToken : IToken
{
    /// <summary>The OAuth client id (not secret, but encrypted at rest).</summary>
    public string? ClientId { get; set; }

    /// <summary>The OAuth client secret.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The redirect URL registered for the client.</summary>
#pragma warning disable CA1056 // The SDK contract names this a string property.
    public string? RedirectURL { get; set; }
#pragma warning restore CA1056

    /// <summary>The single-use grant token (authorization code).</summary>
    public string? GrantToken { get; set; }

    /// <summary>The refresh token.</summary>
    public string? RefreshToken { get; set; }

    /// <summary>The access token.</summary>
    public string? AccessToken { get; set; }

    /// <summary>
    /// Despite its name, the absolute expiry time of <see cref="AccessToken"/> in Unix epoch
    /// milliseconds, as a decimal string (the SDK's meaning). Stored verbatim.
    /// </summary>
    public string? ExpiresIn { get; set; }

    /// <summary>The store's id for this token; set by <see cref="ITokenStore.SaveToken"/> on insert.</summary>
    public string? Id { get; set; }

    /// <summary>The API domain the token is valid for, e.g. <c>https://www.zohoapis.com</c>.</summary>
    public string? APIDomain { get; set; }

    /// <summary>The CRM user the token belongs to.</summary>
    public UserSignature? UserSignature { get; set; }

    /// <summary>Returns the id and which fields are present; never a field's value other than the id.</summary>
    public override string ToString()
    {
        // The SDK's column names, in its order; the store's field list (TokenFields) follows the same order.
        (string Name, string? Value)[] fields =
        [
            ("user_name", UserSignature?.Name), ("client_id", ClientId), ("client_secret", ClientSecret),
            ("refresh_token", RefreshToken), ("access_token", AccessToken), ("grant_token", GrantToken),
            ("expiry_time", ExpiresIn), ("redirect_url", RedirectURL), ("api_domain", APIDomain),
        ];
        var present = string.Join(", ", fields.Where(f => f.Value is not null).Select(f => f.Name));
        return $"OAuthToken {{ Id = {Id ?? "null"}, present = [{present}] }}";
    }
}
