namespace EncryptedStore;

/// <summary>
/// The one exception type the store throws for a failure it can explain: wrong key, tampered data,
/// unknown id, invalid token, locked file. <see cref="Code"/> tells them apart (see
/// <see cref="TokenStoreErrorCodes"/>); the message never contains a secret value, and the cause,
/// when there is one, is attached as <see cref="Exception.InnerException"/>.
/// </summary>
public class TokenStoreException : Exception
{
    /// <summary>Creates an exception with the generic code <see cref="TokenStoreErrorCodes.TokenStore"/>.</summary>
    public TokenStoreException()
        : this(TokenStoreErrorCodes.TokenStore, "Token store error.")
    {
    }

    /// <summary>Creates an exception with the generic code <see cref="TokenStoreErrorCodes.TokenStore"/>.</summary>
    public TokenStoreException(string message)
        : this(TokenStoreErrorCodes.TokenStore, message)
    {
    }

    /// <summary>Creates an exception with the generic code <see cref="TokenStoreErrorCodes.TokenStore"/> and a cause.</summary>
    public TokenStoreException(string message, Exception? innerException)
        : this(TokenStoreErrorCodes.TokenStore, message, innerException)
    {
    }

    /// <summary>Creates an exception with a code, a message that holds no secret, and an optional cause.</summary>
    public TokenStoreException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        Code = code;
    }

    /// <summary>A stable, machine-readable code; one of <see cref="TokenStoreErrorCodes"/>.</summary>
    public string Code { get; }

    /// <inheritdoc />
    public override string ToString()
    {
        // Exception.ToString() is "<type>: <message>..." or, when the message is empty, "<type>..." with no colon.
        var text = base.ToString();
        var typeName = GetType().ToString();
        return text.StartsWith(typeName, StringComparison.Ordinal)
            ? $"{typeName} [{Code}]{text[typeName.Length..]}"
            : $"[{Code}] {text}";
    }
}
