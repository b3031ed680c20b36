namespace EncryptedStore;

/// <summary>One problem found by <see cref="EncryptedTokenStore.Verify"/>. Names records and keys, never values.</summary>
public sealed class StoreProblem
{
    internal StoreProblem(string? recordId, string code, string message)
    {
        RecordId = recordId;
        Code = code;
        Message = message;
    }

    /// <summary>The record concerned, or null for a problem with the store's keys.</summary>
    public string? RecordId { get; }

    /// <summary>One of <see cref="TokenStoreErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>What is wrong.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() => $"{RecordId ?? "(store)"}: [{Code}] {Message}";
}
