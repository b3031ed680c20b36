namespace EncryptedStore.Internal;

/// <summary>Which read of the contract a lookup is, for <see cref="StoreMetrics"/> (<c>encryptedstore.lookup.kind</c>).</summary>
internal enum LookupKind
{
    /// <summary><c>by_id</c>: <c>FindTokenById</c> and <c>TryFindTokenById</c>.</summary>
    ById,

    /// <summary><c>by_match</c>: <c>FindToken</c>, by the SDK's matching rules.</summary>
    ByMatch,

    /// <summary><c>all</c>: <c>GetTokens</c>.</summary>
    All,
}
