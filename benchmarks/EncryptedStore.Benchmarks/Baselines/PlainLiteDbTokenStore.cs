using LiteDB;
using LiteDB.Engine;

namespace EncryptedStore.Benchmarks.Baselines;

/// <summary>
/// The encrypted store's storage without the cryptography: one LiteDB file held open, one document per
/// token with every field in clear under the SDK's column names, and LiteDB indexes on the lookup fields
/// (user name, user name with client id, access, refresh and grant token). Same engine settings as the
/// encrypted store (data and log streams opened by the store, an fsync of the log after every commit,
/// which LiteDB itself never does), same transaction per save. What remains between this and the encrypted store is AES-GCM, the HMAC blind
/// indexes and the decrypt-and-check of every hit.
/// </summary>
/// <remarks>
/// Lookups are parameterized expressions (<c>$.access_token = @0</c>), not <c>Query.EQ(field, value)</c>:
/// LiteDB 5's <c>Query.EQ</c> writes the value into the expression text, so every distinct value is
/// parsed and compiled anew and its delegate is cached for ever (LiteDB issues 1688, 2395, 2421).
/// LiteDB has no multi-column index, so the user-and-client key is stored as one more field,
/// <c>user_client</c> (user name, U+001F, client id), and indexed. Indexes are not unique: absent values
/// are nulls here, where the encrypted store stores the record id in their place to keep its indexes unique.
/// </remarks>
internal sealed class PlainLiteDbTokenStore : ITokenStore, IDisposable
{
    private const string Collection = "tokens";
    private const string UserName = "user_name";
    private const string UserClient = "user_client";
    private const string AccessToken = "access_token";
    private const string RefreshToken = "refresh_token";
    private const string GrantToken = "grant_token";
    private const long CheckpointBytes = 1000 * 8192;
    private static readonly string[] LookupFields = [UserName, UserClient, AccessToken, RefreshToken, GrantToken];

    private readonly FileStream _data;
    private readonly FileStream _log;
    private readonly LiteDatabase _database;
    private readonly ILiteCollection<BsonDocument> _tokens;
    private readonly Lock _writeLock = new();

    public PlainLiteDbTokenStore(string path)
    {
        var fullPath = Path.GetFullPath(path);
        _data = new SyncingFileStream(fullPath);
        _log = new SyncingFileStream(Path.Combine(
            Path.GetDirectoryName(fullPath)!, Path.GetFileNameWithoutExtension(fullPath) + "-log" + Path.GetExtension(fullPath)));
        _database = new LiteDatabase(new LiteEngine(new EngineSettings { DataStream = _data, LogStream = _log }));
        _tokens = _database.GetCollection(Collection);
        EnsureLookupIndexes();
    }

    public IToken? FindToken(IToken token)
    {
        var query = TokenCopy.AsOAuthToken(token);
        var stored = Match(query);
        if (stored is null)
        {
            return null;
        }

        TokenCopy.FillNulls(query, stored);
        return query;
    }

    public IToken FindTokenById(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var document = _tokens.FindById(id);
        return document is null
            ? throw new TokenStoreException(TokenStoreErrorCodes.NotFound, "Given ID is invalid.")
            : ToToken(document);
    }

    public void SaveToken(IToken token)
    {
        var incoming = TokenCopy.AsOAuthToken(token);
        if (!TokenCopy.IsIdentifiable(incoming))
        {
            throw new TokenStoreException(TokenStoreErrorCodes.InvalidToken, "The token has nothing to find it by.");
        }

        lock (_writeLock)
        {
            _database.BeginTrans();
            try
            {
                OAuthToken? stored = null;
                if (incoming.Id is { } givenId && _tokens.FindById(givenId) is { } byId)
                {
                    stored = ToToken(byId);
                }

                stored ??= Match(incoming);
                var merged = TokenCopy.Merge(incoming, stored, stored?.Id ?? incoming.Id ?? TokenCopy.NewId());
                _tokens.Upsert(ToDocument(merged));
                _database.Commit();
                _log.Flush(flushToDisk: true);
                TokenCopy.FillNulls(incoming, merged);
            }
            catch
            {
                _database.Rollback();
                throw;
            }
        }
    }

    public void DeleteToken(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_writeLock)
        {
            _tokens.Delete(id);
            _log.Flush(flushToDisk: true);
        }
    }

    public List<IToken> GetTokens() => _tokens.FindAll().Select(d => (IToken)ToToken(d)).ToList();

    public void DeleteTokens()
    {
        lock (_writeLock)
        {
            _tokens.DeleteAll();
            _log.Flush(flushToDisk: true);
        }
    }

    /// <summary>Bulk load for benchmark setup: LiteDB's own batched insert, one transaction per batch.</summary>
    public void InsertBulk(IEnumerable<OAuthToken> tokens, int batchSize = 5000)
    {
        lock (_writeLock)
        {
            _tokens.InsertBulk(tokens.Select(ToDocument), batchSize);
            _database.Checkpoint();
        }
    }

    /// <summary>
    /// The LiteDB work of a key rotation without its cryptography, for the rotation benchmark's baselines:
    /// every document rewritten in id order, <paramref name="batchSize"/> per transaction, each batch one
    /// <c>Update</c> call, as <c>RotateKeys</c> does. With <paramref name="moveIndexEntries"/> the five lookup
    /// fields get new values of the same length (reversed), so every index entry moves as it does under a new
    /// blind-index key; without, only a field no index covers changes, as under a new data key. Like the
    /// encrypted store, it checkpoints after a batch once the log passes 8 MB, so both pay for copying the
    /// log into the data file within the measurement (LiteDB's own attempt gives up while the reader is in a call).
    /// </summary>
    /// <returns>The number of documents rewritten.</returns>
    public int RewriteAll(int batchSize, bool moveIndexEntries)
    {
        var rewritten = 0;
        var after = BsonValue.MinValue;
        while (true)
        {
            lock (_writeLock)
            {
                _database.BeginTrans();
                var batch = _tokens.Find(BsonExpression.Create("_id > @0", after), 0, batchSize).ToList();
                if (batch.Count == 0)
                {
                    _database.Commit();
                    return rewritten;
                }

                foreach (var document in batch)
                {
                    Reverse(document, "client_secret");
                    if (moveIndexEntries)
                    {
                        foreach (var field in LookupFields)
                        {
                            Reverse(document, field);
                        }
                    }
                }

                _tokens.Update(batch);
                _database.Commit();
                _log.Flush(flushToDisk: true);
                if (_log.Length >= CheckpointBytes)
                {
                    _database.Checkpoint();
                }

                rewritten += batch.Count;
                after = batch[^1]["_id"];
            }
        }
    }

    /// <summary>Drops the five lookup indexes (benchmark setup for <see cref="BuildLookupIndexes"/>).</summary>
    public void DropLookupIndexes()
    {
        lock (_writeLock)
        {
            foreach (var field in LookupFields)
            {
                _tokens.DropIndex(field);
            }

            _database.Checkpoint();
        }
    }

    /// <summary>
    /// Builds the five lookup indexes over every document, each in one LiteDB transaction, with nothing else
    /// to do, then folds the log into the data file as the rotations do: the least any rebuild of every
    /// lookup index can cost with LiteDB's indexes.
    /// </summary>
    public void BuildLookupIndexes()
    {
        lock (_writeLock)
        {
            EnsureLookupIndexes();
            _database.Checkpoint();
        }
    }

    public void Dispose()
    {
        _database.Dispose();
        var logEmpty = _log.Length == 0;
        _log.Dispose();
        _data.Dispose();
        if (logEmpty)
        {
            File.Delete(_log.Name);
        }
    }

    private void EnsureLookupIndexes()
    {
        foreach (var field in LookupFields)
        {
            _tokens.EnsureIndex(field, "$." + field, unique: false);
        }
    }

    private static void Reverse(BsonDocument document, string field)
    {
        if (document[field].IsString)
        {
            var characters = document[field].AsString.ToCharArray();
            Array.Reverse(characters);
            document[field] = new string(characters);
        }
    }

    private static readonly string ByUser = "$." + UserName + " = @0";
    private static readonly string ByUserClient = "$." + UserClient + " = @0";
    private static readonly string ByAccessToken = "$." + AccessToken + " = @0";
    private static readonly string ByRefreshToken = "$." + RefreshToken + " = @0";
    private static readonly string ByGrantToken = "$." + GrantToken + " = @0";

    private OAuthToken? Match(OAuthToken query)
    {
        var key = TokenQuery.From(query);
        BsonDocument? document;
        switch (key.Kind)
        {
            case LookupKind.User:
                var candidates = _tokens.Find(BsonExpression.Create(ByUser, key.Value), 0, 2).ToList();
                document = candidates.Count <= 1
                    ? candidates.FirstOrDefault()
                    : throw new TokenStoreException(TokenStoreErrorCodes.AmbiguousMatch, "The user has tokens of several clients; give a client id.");
                break;
            case LookupKind.UserClient:
                document = _tokens.FindOne(ByUserClient, UserClientKey(key.Value, key.ClientId));
                break;
            case LookupKind.AccessToken:
                document = _tokens.FindOne(ByAccessToken, key.Value);
                break;
            case LookupKind.GrantToken:
                document = _tokens.FindOne(ByGrantToken, key.Value);
                break;
            case LookupKind.RefreshToken:
                document = _tokens.FindOne(ByRefreshToken, key.Value);
                break;
            default:
                return null;
        }

        if (document is null)
        {
            return null;
        }

        var stored = ToToken(document);
        return key.Accepts(stored) ? stored : null;
    }

    private static string UserClientKey(string user, string? clientId) => user + "\u001f" + clientId;

    private static BsonDocument ToDocument(OAuthToken token)
    {
        var user = token.UserSignature?.Name;
        return new BsonDocument
        {
            ["_id"] = token.Id,
            [UserName] = user,
            ["client_id"] = token.ClientId,
            ["client_secret"] = token.ClientSecret,
            [RefreshToken] = token.RefreshToken,
            [AccessToken] = token.AccessToken,
            [GrantToken] = token.GrantToken,
            ["expiry_time"] = token.ExpiresIn,
            ["redirect_url"] = token.RedirectURL,
            ["api_domain"] = token.APIDomain,
            [UserClient] = string.IsNullOrEmpty(user) ? BsonValue.Null : UserClientKey(user, TokenQuery.NullIfEmpty(token.ClientId)),
        };
    }

    private static OAuthToken ToToken(BsonDocument document)
    {
        var user = Text(document, UserName);
        return new OAuthToken
        {
            Id = document["_id"].AsString,
            UserSignature = user is null ? null : new UserSignature(user),
            ClientId = Text(document, "client_id"),
            ClientSecret = Text(document, "client_secret"),
            RefreshToken = Text(document, RefreshToken),
            AccessToken = Text(document, AccessToken),
            GrantToken = Text(document, GrantToken),
            ExpiresIn = Text(document, "expiry_time"),
            RedirectURL = Text(document, "redirect_url"),
            APIDomain = Text(document, "api_domain"),
        };
    }

    private static string? Text(BsonDocument document, string field) =>
        document.TryGetValue(field, out var value) && value.IsString ? value.AsString : null;
}
