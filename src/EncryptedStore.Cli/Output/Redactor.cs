using System.Globalization;
using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Output;

/// <summary>
/// Hides secret values for display: the first 4 characters and the length, e.g. <c>1000…(70 chars)</c>.
/// Values of 8 characters or fewer show only their length, since 4 of them would give away half.
/// </summary>
internal static class Redactor
{
    private const int ShownPrefix = 4;
    private const int MinLengthForPrefix = 9;

    public static string? Redact(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return value;
        }

        var prefix = value.Length >= MinLengthForPrefix ? value[..ShownPrefix] : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{prefix}…({value.Length} chars)");
    }

    /// <summary>The value of <paramref name="column"/> as shown: redacted when it is a secret and <paramref name="reveal"/> is false.</summary>
    public static string? Show(OAuthToken token, TokenColumn column, bool reveal)
    {
        var value = TokenColumns.Get(token, column);
        return reveal || !TokenColumns.IsSecret(column) ? value : Redact(value);
    }
}
