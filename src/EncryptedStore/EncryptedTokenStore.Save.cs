using System.Security.Cryptography;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using LiteDB;

namespace EncryptedStore;

public sealed partial class EncryptedTokenStore
{
    internal const int Pbkdf2Iterations = 600_000;

    /// <summary>
    /// Inserts or updates <paramref name="token"/> atomically and durably. The record is the one named by
    /// <c>Id</c> when it exists, else the one <see cref="FindToken"/> would match, else a new record (with
    /// the token's <c>Id</c> when given, else a new random id, set on the token). On update, a null
    /// property keeps the stored value (and is filled in on <paramref name="token"/>); a non-null one,
    /// the empty string included, replaces it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>INVALID_TOKEN</c> (wrong type, nothing to identify it, a value too long or with control
    /// characters or unpaired surrogates); <c>DUPLICATE_TOKEN</c> when another record holds the same user
    /// and client, access, refresh or grant token; <c>AMBIGUOUS_MATCH</c>. Nothing is written then.
    /// </exception>
    public void SaveToken(IToken token)
    {
        var incoming = Guard.Token(token, nameof(token));
        TokenFields.Validate(incoming);
        if (!TokenFields.IsIdentifiable(incoming))
        {
            throw Errors.InvalidToken("it has no user name, access, refresh or grant token to find it by; nothing was written.");
        }

        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var (id, merged, inserted) = Write(incoming);
            TokenFields.FillNulls(incoming, merged);
            incoming.Id = id;
            Log.TokenSaved(_logger, id, inserted ? "inserted" : "updated");
        }
    }

    /// <summary>Deletes the token with id <paramref name="id"/>; an unknown id is not an error.</summary>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null, blank or malformed.</exception>
    public void DeleteToken(string id)
    {
        Guard.Id(id, nameof(id));
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Mutate(() => _records.Delete(id), "deleting a token"))
            {
                Log.TokenDeleted(_logger, id);
            }
        }
    }

    /// <summary>Deletes every token in one transaction: all of them, or none if it fails.</summary>
    public void DeleteTokens()
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var count = Mutate(_records.DeleteAll, "deleting tokens");
            Log.AllTokensDeleted(_logger, count);
        }
    }

    private (string Id, OAuthToken Merged, bool Inserted) Write(OAuthToken incoming)
    {
        var database = _file.Database;
        database.BeginTrans();
        try
        {
            OAuthToken? stored = null;
            if (incoming.Id is { } givenId && Read(() => _records.FindById(givenId)) is { } byId)
            {
                stored = Decrypt(byId);
            }

            stored ??= Match(incoming);
            var id = stored?.Id ?? incoming.Id ?? NewId();
            var merged = Copy(incoming);
            if (stored is not null)
            {
                TokenFields.FillNulls(merged, stored);
            }

            merged.Id = id;
            var document = TokenRecords.Encrypt(
                id, merged, _keyRing.GetDataKey(_metadata.DataKeyVersion), _keyRing.GetIndexKey(_metadata.IndexKeyVersion));
            try
            {
                _records.Upsert(document);
            }
            catch (LiteException e) when (e.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
            {
                database.Rollback();
                throw Errors.Duplicate(DescribeConflict(_records.FindConflict(document)));
            }

            database.Commit();
            return (id, merged, stored is null);
        }
        catch (Exception e)
        {
            database.Rollback();
            if (e is TokenStoreException tokenStoreException)
            {
                Log.SaveRefused(_logger, tokenStoreException.Code);
                throw;
            }

            throw e is LiteException or IOException ? Errors.Io("saving tokens", e) : e;
        }
    }

    private static T Mutate<T>(Func<T> mutate, string operation)
    {
        try
        {
            return mutate();
        }
        catch (Exception e) when (e is LiteException or IOException)
        {
            throw Errors.Io(operation, e);
        }
    }

    private static OAuthToken Copy(OAuthToken source)
    {
        var copy = new OAuthToken();
        TokenFields.FillNulls(copy, source);
        return copy;
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static string DescribeConflict(BlindIndex? index) => index switch
    {
        BlindIndex.UserClient => "user name and client id",
        BlindIndex.AccessToken => "access token",
        BlindIndex.RefreshToken => "refresh token",
        BlindIndex.GrantToken => "grant token",
        _ => "lookup value",
    };
}
