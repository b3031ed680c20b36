using System.Security.Cryptography;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Keys;

/// <summary>
/// Turns tokens into <see cref="StoredRecord"/>s and back: every field but the id sealed with a data key
/// (AES-256-GCM bound to the store, the key version and the id), and the lookup fields as blind indexes
/// under an index key.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class RecordSealer(KeyRing ring, ILogger logger)
{
    /// <summary>Builds the record for <paramref name="token"/> under the given keys, stored with id <paramref name="id"/>.</summary>
    public static StoredRecord Seal(string id, OAuthToken token, DataKey dataKey, BlindIndexKey indexKey)
    {
        var payload = TokenFields.Encode(token);
        try
        {
            return new StoredRecord(id, dataKey.Version, indexKey.Version, dataKey.Encrypt(payload, id), ComputeHashes(id, token, indexKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    /// <summary>
    /// The blind-index values of <paramref name="token"/> under <paramref name="indexKey"/>: the user name
    /// alone, the user name with the client id, the access, refresh and grant tokens; null where absent.
    /// </summary>
    public static IndexHashes ComputeHashes(string id, OAuthToken token, BlindIndexKey indexKey)
    {
        var hashes = new IndexHashes();
        var user = token.UserSignature?.Name;
        if (!string.IsNullOrEmpty(user))
        {
            hashes[BlindIndex.User] = indexKey.Compute(BlindIndex.User, user);
            hashes[BlindIndex.UserClient] = indexKey.ComputeUserClient(user, TokenFields.NullIfEmpty(token.ClientId));
        }

        hashes[BlindIndex.AccessToken] = HashOrNull(indexKey, BlindIndex.AccessToken, token.AccessToken);
        hashes[BlindIndex.RefreshToken] = HashOrNull(indexKey, BlindIndex.RefreshToken, token.RefreshToken);
        hashes[BlindIndex.GrantToken] = HashOrNull(indexKey, BlindIndex.GrantToken, token.GrantToken);
        return hashes;
    }

    /// <summary>Decrypts a record; an integrity <see cref="TokenStoreException"/> (logged) when anything about it is off.</summary>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c>; <c>KEY_UNAVAILABLE</c> when its key is revoked or destroyed.</exception>
    public OAuthToken Open(StoredRecord record)
    {
        if (record.Id.Length == 0)
        {
            throw Failed(record, "a token record (its id is not text)");
        }

        if (record.DataKeyVersion <= 0 || record.Payload is null)
        {
            throw Failed(record, $"token record '{record.Id}'");
        }

        byte[]? payload;
        try
        {
            payload = ring.GetDataKey(record.DataKeyVersion).Decrypt(record.Payload, record.Id);
        }
        catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.Integrity)
        {
            Log.RecordIntegrityFailure(logger, record.Id);
            throw;
        }

        if (payload is null)
        {
            throw Failed(record, $"token record '{record.Id}'");
        }

        try
        {
            return TokenFields.Decode(payload, record.Id) ?? throw Failed(record, $"token record '{record.Id}'");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    /// <summary>The blind indexes whose stored value differs from what <paramref name="token"/> gives under the record's own index key.</summary>
    public IReadOnlyList<BlindIndex> MismatchedIndexes(StoredRecord record, OAuthToken token)
    {
        var expected = ComputeHashes(record.Id, token, ring.GetIndexKey(record.IndexKeyVersion));
        return [.. IndexHashes.All.Where(index => !expected.SameAs(record.Hashes, index))];
    }

    /// <summary>Logs and builds the failure for a record whose lookup index leads to a token that does not hold the value.</summary>
    public TokenStoreException IndexMismatch(string id)
    {
        Log.RecordIntegrityFailure(logger, id);
        return Errors.Integrity($"the lookup index of token record '{id}'");
    }

    private static byte[]? HashOrNull(BlindIndexKey indexKey, BlindIndex index, string? value) =>
        string.IsNullOrEmpty(value) ? null : indexKey.Compute(index, value);

    private TokenStoreException Failed(StoredRecord record, string what)
    {
        Log.RecordIntegrityFailure(logger, record.Id.Length > 0 ? record.Id : "?");
        return Errors.Integrity(what);
    }
}
