using System.Text.Encodings.Web;
using System.Text.Json;

namespace EncryptedStore.Cli.Tokens;

/// <summary>
/// Tokens as JSON objects keyed by the SDK's column names (<c>id</c>, <c>user_name</c>, …,
/// <c>api_domain</c>), with <c>null</c> for an absent value. Unless revealed, a secret's value is the object
/// <c>{"redacted": true, "length": 70}</c>: never a string, so it cannot pass for the real value.
/// </summary>
internal static class TokenJson
{
    /// <summary>Writer settings for stdout: indented, and no escaping of non-ASCII such as the redaction's ellipsis.</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(Utf8JsonWriter writer, OAuthToken token, bool reveal)
    {
        writer.WriteStartObject();
        foreach (var column in TokenColumns.All)
        {
            var name = TokenColumns.Name(column);
            var value = TokenColumns.Get(token, column);
            if (value is null)
            {
                writer.WriteNull(name);
            }
            else if (!reveal && TokenColumns.IsSecret(column) && value.Length > 0)
            {
                // An object, so a redacted value can never be taken for (or saved back as) a real one.
                writer.WriteStartObject(name);
                writer.WriteBoolean("redacted", true);
                writer.WriteNumber("length", value.Length);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteString(name, value);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Reads one token object. Every key must be one of the SDK's column names; values are strings,
    /// numbers (kept as written, e.g. an <c>expiry_time</c>) or null.
    /// </summary>
    /// <exception cref="FormatException">The element is not such an object; the message names the key, never a value.</exception>
    public static OAuthToken Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"expected a JSON object, found {element.ValueKind}.");
        }

        var token = new OAuthToken();
        foreach (var property in element.EnumerateObject())
        {
            var column = TokenColumns.FromName(property.Name) is { } c && TokenColumns.Name(c) == property.Name
                ? c
                : throw new FormatException($"unknown key '{property.Name}'; expected {string.Join(", ", TokenColumns.All.Select(TokenColumns.Name))}.");
            var value = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.Null => null,
                _ => throw new FormatException($"key '{property.Name}' must be a string, a number or null, not {property.Value.ValueKind}."),
            };
            TokenColumns.Set(token, column, value);
        }

        return token;
    }
}
