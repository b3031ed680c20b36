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
            using var lease = Hold();
            if (TrySaveThroughJournal(incoming) is var (journaledId, journaled))
            {
                TokenFields.FillNulls(incoming, journaled);
                Log.TokenSaved(_logger, journaledId, "updated");
                return;
            }

            var (id, merged, inserted) = Write([incoming])[0];
            TokenFields.FillNulls(incoming, merged);
            incoming.Id = id;
            Log.TokenSaved(_logger, id, inserted ? "inserted" : "updated");
        }
    }

    /// <summary>
    /// Saves several tokens in one transaction, with the rules of <see cref="SaveToken"/> for each:
    /// either all are saved or, when one is refused, none is. Much faster than one call per token for
    /// imports, since the file is flushed once.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> or one of them is null.</exception>
    /// <exception cref="TokenStoreException">As <see cref="SaveToken"/>; nothing is written.</exception>
    public void SaveTokens(IEnumerable<IToken> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var incoming = tokens.Select(t => Guard.Token(t, nameof(tokens))).ToList();
        foreach (var token in incoming)
        {
            TokenFields.Validate(token);
            if (!TokenFields.IsIdentifiable(token))
            {
                throw Errors.InvalidToken("it has no user name, access, refresh or grant token to find it by; nothing was written.");
            }
        }

        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var lease = Hold();
            var written = Write(incoming);
            for (var i = 0; i < incoming.Count; i++)
            {
                TokenFields.FillNulls(incoming[i], written[i].Merged);
                incoming[i].Id = written[i].Id;
            }
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
            using var lease = Hold();
            _cache?.BeginWrite();
            try
            {
                if (Mutate(() => InTransaction(() => _records.Delete(id)), "deleting a token"))
                {
                    Log.TokenDeleted(_logger, id);
                }
            }
            finally
            {
                _cache?.EndWrite([id]);
            }
        }
    }

    /// <summary>Deletes every token in one transaction: all of them, or none if it fails.</summary>
    public void DeleteTokens()
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var lease = Hold();
            _cache?.BeginWrite();
            try
            {
                var count = Mutate(() => InTransaction(_records.DeleteAll), "deleting tokens");
                Log.AllTokensDeleted(_logger, count);
            }
            finally
            {
                _cache?.EndWrite(touchedIds: null);
            }
        }
    }

    private List<(string Id, OAuthToken Merged, bool Inserted)> Write(IReadOnlyList<OAuthToken> tokens)
    {
        List<(string Id, OAuthToken Merged, bool Inserted)>? written = null;
        _cache?.BeginWrite();
        try
        {
            RotateOnSchedule();
            return written = InTransaction(() => tokens.Select(WriteOne).ToList());
        }
        catch (TokenStoreException e)
        {
            Log.SaveRefused(_logger, e.Code);
            throw;
        }
        catch (Exception e) when (Errors.IsLiteDbFailure(e) || e is IOException)
        {
            throw Errors.Io("saving tokens", e);
        }
        finally
        {
            _cache?.EndWrite(written?.Select(w => w.Id) ?? []);
        }
    }

    /// <summary>Upserts one token inside the caller's transaction.</summary>
    private (string Id, OAuthToken Merged, bool Inserted) WriteOne(OAuthToken incoming)
    {
        OAuthToken? stored = null;
        if (incoming.Id is { } givenId && Read(() => _records.FindById(givenId)) is { } byId)
        {
            stored = Decrypt(byId);
        }

        stored ??= Match(incoming, useCache: false)?.ToToken();
        var id = stored?.Id ?? incoming.Id ?? NewId();
        var merged = Copy(incoming);
        if (stored is not null)
        {
            TokenFields.FillNulls(merged, stored);
        }

        merged.Id = id;
        var active = _active;
        var document = TokenRecords.Encrypt(id, merged, active.Data, active.Index);
        try
        {
            _records.Upsert(document);
            NoteUniqueValues(document);
        }
        catch (LiteException e) when (e.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            throw Errors.Duplicate(DescribeConflict(Read(() => _records.FindConflict(document))));
        }
        catch (Exception e) when (Errors.IsDamagedData(e))
        {
            throw Errors.Integrity("the store file", e);
        }

        if (active.PreviousIndex is { } previous)
        {
            // Mid-rotation, records not yet rewritten carry the previous index's hashes.
            var asBefore = new BsonDocument { ["_id"] = id };
            TokenRecords.SetIndexes(asBefore, id, merged, previous);
            if (Read(() => _records.FindConflict(asBefore)) is { } conflict)
            {
                throw Errors.Duplicate(DescribeConflict(conflict));
            }
        }

        return (id, merged, stored is null);
    }

    /// <summary>
    /// Makes a new data key when the current one has outlived <see cref="EncryptedTokenStoreOptions.KeyLifetime"/>.
    /// Old records keep their key; a rotation in progress is left to finish first.
    /// </summary>
    private void RotateOnSchedule()
    {
        if (_metadata.Rotation is not null || _time.GetUtcNow().UtcDateTime - _active.DataKeyCreated < _keyLifetime)
        {
            return;
        }

        InTransaction(() =>
        {
            var (dataVersion, _) = _keyRing.CreateVersions(data: true, index: false);
            _metadata.DataKeyVersion = dataVersion!.Value;
            SaveMetadata();
            return dataVersion.Value;
        });
        _active = LoadActiveKeys();
        Log.DataKeyRotatedOnSchedule(_logger, _metadata.DataKeyVersion);
    }

    /// <summary>
    /// Runs a LiteDB write, turning its failures into store exceptions: a damaged page is an integrity
    /// failure (see <see cref="Errors.IsDamagedData"/>), any other LiteDB or I/O error a generic one.
    /// </summary>
    private T Mutate<T>(Func<T> mutate, string operation)
    {
        try
        {
            return mutate();
        }
        catch (Exception e) when (Errors.IsDamagedData(e) || IsClosedByLiteDb(e))
        {
            throw Errors.Integrity("the store file", e);
        }
        catch (Exception e) when (Errors.IsLiteDbFailure(e) || e is IOException)
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
