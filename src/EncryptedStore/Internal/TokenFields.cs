using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace EncryptedStore.Internal;

/// <summary>
/// The token's fields as one list in the SDK's column order, with the rules every value obeys and the
/// compact encoding that is encrypted as a record's payload.
/// </summary>
internal static class TokenFields
{
    /// <summary>Largest accepted field value, in UTF-16 code units; real tokens are a few kilobytes at most.</summary>
    public const int MaxValueLength = 16 * 1024;

    /// <summary>The SDK's column names, in its order, without <c>id</c>.</summary>
    public static readonly string[] Names =
    [
        "user_name", "client_id", "client_secret", "refresh_token", "access_token",
        "grant_token", "expiry_time", "redirect_url", "api_domain",
    ];

    public const int UserName = 0;
    public const int ClientId = 1;
    public const int ClientSecret = 2;
    public const int RefreshToken = 3;
    public const int AccessToken = 4;
    public const int GrantToken = 5;
    public const int ExpiresIn = 6;
    public const int RedirectUrl = 7;
    public const int ApiDomain = 8;

    private const byte EncodingVersion = 1;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string? Get(OAuthToken token, int field) => field switch
    {
        0 => token.UserSignature?.Name,
        1 => token.ClientId,
        2 => token.ClientSecret,
        3 => token.RefreshToken,
        4 => token.AccessToken,
        5 => token.GrantToken,
        6 => token.ExpiresIn,
        7 => token.RedirectURL,
        8 => token.APIDomain,
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    public static void Set(OAuthToken token, int field, string? value)
    {
        switch (field)
        {
            case 0: token.UserSignature = value is null ? null : new UserSignature(value); break;
            case 1: token.ClientId = value; break;
            case 2: token.ClientSecret = value; break;
            case 3: token.RefreshToken = value; break;
            case 4: token.AccessToken = value; break;
            case 5: token.GrantToken = value; break;
            case 6: token.ExpiresIn = value; break;
            case 7: token.RedirectURL = value; break;
            case 8: token.APIDomain = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(field));
        }
    }

    /// <summary>Sets every null field of <paramref name="target"/> (and its id) from <paramref name="source"/>.</summary>
    public static void FillNulls(OAuthToken target, OAuthToken source)
    {
        target.Id ??= source.Id;
        for (var i = 0; i < Names.Length; i++)
        {
            if (Get(target, i) is null && Get(source, i) is { } value)
            {
                Set(target, i, value);
            }
        }
    }

    /// <summary>
    /// Returns why a value is refused, or null when it is acceptable: too long, a control character,
    /// or a lone surrogate (which UTF-8 cannot carry and would come back changed).
    /// </summary>
    public static string? CheckValue(string value, int maxLength = MaxValueLength)
    {
        if (value.Length > maxLength)
        {
            return $"is longer than {maxLength} characters";
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                return $"contains a control character at position {i}";
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return $"contains an unpaired surrogate at position {i}";
            }
        }

        return null;
    }

    /// <summary>Checks every field of a token that is about to be saved; throws <see cref="TokenStoreException"/>.</summary>
    public static void Validate(OAuthToken token)
    {
        if (token.Id is { } id)
        {
            if (string.IsNullOrWhiteSpace(id))
            {
                throw Errors.InvalidToken("its id is empty or blank.");
            }

            if (CheckValue(id, Guard.MaxIdLength) is { } idProblem)
            {
                throw Errors.InvalidToken($"its id {idProblem}.");
            }
        }

        for (var i = 0; i < Names.Length; i++)
        {
            if (Get(token, i) is { } value && CheckValue(value) is { } problem)
            {
                throw Errors.InvalidToken($"field {Names[i]} {problem}.");
            }
        }
    }

    public static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>True when the token carries something a record can be found by again.</summary>
    public static bool IsIdentifiable(OAuthToken token) =>
        !string.IsNullOrEmpty(token.UserSignature?.Name)
        || !string.IsNullOrEmpty(token.AccessToken)
        || !string.IsNullOrEmpty(token.RefreshToken)
        || !string.IsNullOrEmpty(token.GrantToken);

    /// <summary>
    /// Encodes every field but the id: a version byte, then per field a 32-bit length (-1 for null)
    /// and the UTF-8 bytes. Null and empty stay distinct.
    /// </summary>
    public static byte[] Encode(OAuthToken token)
    {
        var size = 1;
        for (var i = 0; i < Names.Length; i++)
        {
            size += 4 + (Get(token, i) is { } v ? StrictUtf8.GetByteCount(v) : 0);
        }

        var buffer = new byte[size];
        try
        {
            buffer[0] = EncodingVersion;
            var offset = 1;
            for (var i = 0; i < Names.Length; i++)
            {
                var value = Get(token, i);
                if (value is null)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(offset), -1);
                    offset += 4;
                    continue;
                }

                var written = StrictUtf8.GetBytes(value, buffer.AsSpan(offset + 4));
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(offset), written);
                offset += 4 + written;
            }

            return buffer;
        }
        catch
        {
            // A value that cannot be encoded (refused by Validate before any save) leaves the ones before it here.
            CryptographicOperations.ZeroMemory(buffer);
            throw;
        }
    }

    /// <summary>Decodes a payload made by <see cref="Encode"/>; returns null when it is malformed.</summary>
    public static OAuthToken? Decode(ReadOnlySpan<byte> payload, string id)
    {
        if (payload.Length < 1 || payload[0] != EncodingVersion)
        {
            return null;
        }

        var token = new OAuthToken { Id = id };
        var offset = 1;
        for (var i = 0; i < Names.Length; i++)
        {
            if (payload.Length - offset < 4)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(payload[offset..]);
            offset += 4;
            if (length == -1)
            {
                continue;
            }

            if (length < 0 || length > payload.Length - offset)
            {
                return null;
            }

            try
            {
                Set(token, i, StrictUtf8.GetString(payload.Slice(offset, length)));
            }
            catch (DecoderFallbackException)
            {
                return null;
            }

            offset += length;
        }

        return offset == payload.Length ? token : null;
    }
}
