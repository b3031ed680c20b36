namespace EncryptedStore.Cli.Tokens;

/// <summary>
/// The SDK's column names (as in its FileStore CSV header and DBStore table) mapped to
/// <see cref="OAuthToken"/> properties, and which columns hold secrets.
/// </summary>
internal static class TokenColumns
{
    /// <summary>Every column in the SDK's order.</summary>
    public static readonly IReadOnlyList<TokenColumn> All = Enum.GetValues<TokenColumn>();

    public static string Name(TokenColumn column) => column switch
    {
        TokenColumn.Id => "id",
        TokenColumn.UserName => "user_name",
        TokenColumn.ClientId => "client_id",
        TokenColumn.ClientSecret => "client_secret",
        TokenColumn.RefreshToken => "refresh_token",
        TokenColumn.AccessToken => "access_token",
        TokenColumn.GrantToken => "grant_token",
        TokenColumn.ExpiryTime => "expiry_time",
        TokenColumn.RedirectUrl => "redirect_url",
        TokenColumn.ApiDomain => "api_domain",
        _ => throw new ArgumentOutOfRangeException(nameof(column)),
    };

    /// <summary>
    /// The column a source's column name stands for, or null. Accepts the SDK's variants:
    /// <c>user_mail</c> (older SDKs) and <c>redirect_uri</c> (the Python SDK). Case-insensitive.
    /// </summary>
    public static TokenColumn? FromName(string name)
    {
        var trimmed = name.Trim();
        foreach (var column in All)
        {
            if (string.Equals(Name(column), trimmed, StringComparison.OrdinalIgnoreCase))
            {
                return column;
            }
        }

        return trimmed.ToUpperInvariant() switch
        {
            "USER_MAIL" => TokenColumn.UserName,
            "REDIRECT_URI" => TokenColumn.RedirectUrl,
            _ => null,
        };
    }

    /// <summary>True for client_secret, refresh_token, access_token and grant_token: redacted unless revealed.</summary>
    public static bool IsSecret(TokenColumn column) =>
        column is TokenColumn.ClientSecret or TokenColumn.RefreshToken or TokenColumn.AccessToken or TokenColumn.GrantToken;

    public static string? Get(OAuthToken token, TokenColumn column) => column switch
    {
        TokenColumn.Id => token.Id,
        TokenColumn.UserName => token.UserSignature?.Name,
        TokenColumn.ClientId => token.ClientId,
        TokenColumn.ClientSecret => token.ClientSecret,
        TokenColumn.RefreshToken => token.RefreshToken,
        TokenColumn.AccessToken => token.AccessToken,
        TokenColumn.GrantToken => token.GrantToken,
        TokenColumn.ExpiryTime => token.ExpiresIn,
        TokenColumn.RedirectUrl => token.RedirectURL,
        TokenColumn.ApiDomain => token.APIDomain,
        _ => throw new ArgumentOutOfRangeException(nameof(column)),
    };

    public static void Set(OAuthToken token, TokenColumn column, string? value)
    {
        switch (column)
        {
            case TokenColumn.Id: token.Id = value; break;
            case TokenColumn.UserName: token.UserSignature = value is null ? null : new UserSignature(value); break;
            case TokenColumn.ClientId: token.ClientId = value; break;
            case TokenColumn.ClientSecret: token.ClientSecret = value; break;
            case TokenColumn.RefreshToken: token.RefreshToken = value; break;
            case TokenColumn.AccessToken: token.AccessToken = value; break;
            case TokenColumn.GrantToken: token.GrantToken = value; break;
            case TokenColumn.ExpiryTime: token.ExpiresIn = value; break;
            case TokenColumn.RedirectUrl: token.RedirectURL = value; break;
            case TokenColumn.ApiDomain: token.APIDomain = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(column));
        }
    }

    /// <summary>A field-by-field copy.</summary>
    /// <summary>
    /// Why <paramref name="value"/> is not an <c>expiry_time</c> as the SDKs write it (Unix epoch milliseconds, digits
    /// only), or null when it is one (or absent). The value itself is not quoted: it is not secret, but it is the user's.
    /// </summary>
    public static string? ExpiryProblem(string? value) =>
        string.IsNullOrEmpty(value) || (value.Length <= 18 && value.All(char.IsAsciiDigit))
            ? null
            : "expiry_time must be Unix epoch milliseconds, digits only (e.g. 1767225600000).";

    public static OAuthToken Copy(OAuthToken source)
    {
        var copy = new OAuthToken();
        foreach (var column in All)
        {
            Set(copy, column, Get(source, column));
        }

        return copy;
    }
}
