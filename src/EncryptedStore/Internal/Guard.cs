namespace EncryptedStore.Internal;

/// <summary>Argument checks for programmer errors (null, empty, wrong type).</summary>
internal static class Guard
{
    public const int MaxIdLength = 128;

    /// <summary>Checks a record id given to a lookup or delete: not null, not blank, bounded, printable.</summary>
    public static void Id(string? id, string paramName)
    {
        ArgumentNullException.ThrowIfNull(id, paramName);
        ArgumentException.ThrowIfNullOrWhiteSpace(id, paramName);
        var problem = TokenFields.CheckValue(id, MaxIdLength);
        if (problem is not null)
        {
            throw new ArgumentException($"The id is not valid: it {problem}.", paramName);
        }
    }

    /// <summary>Whether <see cref="Id"/> accepts <paramref name="id"/>, without throwing.</summary>
    public static bool IsValidId(string? id) =>
        !string.IsNullOrWhiteSpace(id) && TokenFields.CheckValue(id, MaxIdLength) is null;

    public static OAuthToken Token(IToken? token, string paramName)
    {
        ArgumentNullException.ThrowIfNull(token, paramName);
        return token as OAuthToken
            ?? throw Errors.InvalidToken($"the store accepts {nameof(OAuthToken)} only, not {token.GetType().Name}.");
    }
}
