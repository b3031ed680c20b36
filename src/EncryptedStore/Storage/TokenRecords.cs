using System.Security.Cryptography;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Keys;
using LiteDB;

namespace EncryptedStore.Storage;

/// <summary>
/// Token records in LiteDB: the id in clear, every other field in one AES-GCM payload bound to the
/// id, and the lookup fields as blind indexes. A unique index on each unique lookup field makes
/// LiteDB itself refuse a duplicate; a record without that field holds its own id there (a string,
/// which never equals a hash) so absent values do not collide.
/// </summary>
internal sealed class TokenRecords(ILiteCollection<BsonDocument> collection, KeyRing keys)
{
    private const string DataKeyField = "kv";
    private const string IndexKeyField = "iv";
    private const string PayloadField = "ct";

    private static readonly string[] FieldNames = ["u", "uc", "a", "r", "g"];

    /// <summary>
    /// "field = @0" for each blind index. Queries pass values as parameters: LiteDB compiles and caches
    /// an expression per distinct text, so a value written into the text would cost a compilation per
    /// lookup and grow its cache without bound.
    /// </summary>
    private static readonly string[] EqualityQueries = FieldNames.Select(f => $"{f} = @0").ToArray();

    public static string FieldName(BlindIndex index) => FieldNames[(int)index];

    private static string Equals(BlindIndex index) => EqualityQueries[(int)index];

    private static readonly BsonExpression HolderIdProjection = BsonExpression.Create("{ i: _id }");

    public static void EnsureIndexes(ILiteCollection<BsonDocument> collection)
    {
        collection.EnsureIndex(FieldName(BlindIndex.User), "$." + FieldName(BlindIndex.User), unique: false);
        foreach (var index in new[] { BlindIndex.UserClient, BlindIndex.AccessToken, BlindIndex.RefreshToken, BlindIndex.GrantToken })
        {
            collection.EnsureIndex(FieldName(index), "$." + FieldName(index), unique: true);
        }
    }

    public BsonDocument? FindById(string id) => collection.FindById(id);

    public BsonDocument? FindOne(BlindIndex index, byte[] hash) =>
        collection.FindOne(Equals(index), new BsonValue(hash));

    /// <summary>
    /// The id of the record that holds <paramref name="value"/> in the unique index <paramref name="index"/>,
    /// or null: a cheaper question than <see cref="FindOne"/>, since LiteDB returns the id alone.
    /// </summary>
    public string? FindHolderId(BlindIndex index, BsonValue value) =>
        collection.Query().Where(Equals(index), value).Select(HolderIdProjection).FirstOrDefault() is { } found && found["i"].IsString
            ? found["i"].AsString
            : null;

    public List<BsonDocument> Find(BlindIndex index, byte[] hash, int limit) =>
        collection.Find(BsonExpression.Create(Equals(index), new BsonValue(hash)), 0, limit).ToList();

    public IEnumerable<BsonDocument> FindAll() => collection.FindAll();

    public void Upsert(BsonDocument document) => collection.Upsert(document);

    public bool Delete(string id) => collection.Delete(id);

    public int DeleteAll() => collection.DeleteAll();

    /// <summary>Decrypts a record; throws an integrity <see cref="TokenStoreException"/> when anything about it is off.</summary>
    public OAuthToken Decrypt(BsonDocument document)
    {
        if (!document["_id"].IsString)
        {
            throw Errors.Integrity("a token record (its id is not text)");
        }

        var id = document["_id"].AsString;
        if (!document[DataKeyField].IsInt32 || !document[PayloadField].IsBinary)
        {
            throw Errors.Integrity($"token record '{id}'");
        }

        var dataKey = keys.GetDataKey(document[DataKeyField].AsInt32);
        var payload = dataKey.Decrypt(document[PayloadField].AsBinary, id)
            ?? throw Errors.Integrity($"token record '{id}'");
        try
        {
            return TokenFields.Decode(payload, id) ?? throw Errors.Integrity($"token record '{id}'");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    /// <summary>Builds the record for <paramref name="token"/> under the given keys, stored with id <paramref name="id"/>.</summary>
    public static BsonDocument Encrypt(string id, OAuthToken token, DataKey dataKey, BlindIndexKey indexKey)
    {
        var payload = TokenFields.Encode(token);
        byte[] sealedPayload;
        try
        {
            sealedPayload = dataKey.Encrypt(payload, id);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }

        var document = new BsonDocument
        {
            ["_id"] = id,
            [DataKeyField] = dataKey.Version,
            [IndexKeyField] = indexKey.Version,
            [PayloadField] = sealedPayload,
        };

        SetIndexes(document, id, token, indexKey);
        return document;
    }

    /// <summary>Sets the blind-index fields of a record for <paramref name="token"/> under <paramref name="indexKey"/>.</summary>
    public static void SetIndexes(BsonDocument document, string id, OAuthToken token, BlindIndexKey indexKey)
    {
        var user = token.UserSignature?.Name;
        if (!string.IsNullOrEmpty(user))
        {
            document[FieldName(BlindIndex.User)] = indexKey.Compute(BlindIndex.User, user);
        }
        else
        {
            document.Remove(FieldName(BlindIndex.User));
        }

        document[FieldName(BlindIndex.UserClient)] = string.IsNullOrEmpty(user)
            ? id
            : indexKey.ComputeUserClient(user, NullIfEmpty(token.ClientId));
        document[FieldName(BlindIndex.AccessToken)] = HashOrId(indexKey, BlindIndex.AccessToken, token.AccessToken, id);
        document[FieldName(BlindIndex.RefreshToken)] = HashOrId(indexKey, BlindIndex.RefreshToken, token.RefreshToken, id);
        document[FieldName(BlindIndex.GrantToken)] = HashOrId(indexKey, BlindIndex.GrantToken, token.GrantToken, id);
    }

    /// <summary>The blind-index fields whose stored value differs from what <paramref name="token"/> gives under the record's index key.</summary>
    public static List<BlindIndex> MismatchedIndexes(BsonDocument document, OAuthToken token, BlindIndexKey indexKey)
    {
        var expected = new BsonDocument();
        SetIndexes(expected, token.Id!, token, indexKey);
        var mismatched = new List<BlindIndex>();
        foreach (var index in Enum.GetValues<BlindIndex>())
        {
            if (expected[FieldName(index)] != document[FieldName(index)])
            {
                mismatched.Add(index);
            }
        }

        return mismatched;
    }

    /// <summary>
    /// The lookup indexes that do not lead back to <paramref name="document"/> by its own stored values:
    /// a damaged index entry makes a lookup miss (or find another record) without any error.
    /// </summary>
    public List<BlindIndex> UnreachableIndexes(BsonDocument document)
    {
        var id = document["_id"];
        var unreachable = new List<BlindIndex>();
        foreach (var index in Enum.GetValues<BlindIndex>())
        {
            var value = document[FieldName(index)];
            if (value.IsNull)
            {
                // Only the user index is left out, for a record without user name.
                continue;
            }

            var found = index == BlindIndex.User
                ? collection.Find(BsonExpression.Create(Equals(index), value)).Any(d => d["_id"] == id)
                : collection.FindOne(Equals(index), value)?["_id"] == id;
            if (!found)
            {
                unreachable.Add(index);
            }
        }

        return unreachable;
    }

    /// <summary>
    /// The ids of the records as listed through the unique lookup index <paramref name="index"/> rather
    /// than the id index. Every record has an entry in each (its hash, or its id when the value is absent).
    /// </summary>
    public HashSet<string> IdsListedBy(BlindIndex index) =>
        collection.Find(Query.All(FieldName(index)))
            .Select(d => d["_id"].IsString ? d["_id"].AsString : string.Empty)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The data and index key versions a record uses; null when the record does not say.</summary>
    public static (int DataKey, int IndexKey)? KeyVersions(BsonDocument document) =>
        document[DataKeyField].IsInt32 && document[IndexKeyField].IsInt32
            ? (document[DataKeyField].AsInt32, document[IndexKeyField].AsInt32)
            : null;

    /// <summary>Which unique lookup field of <paramref name="document"/> another record already holds, if any.</summary>
    public BlindIndex? FindConflict(BsonDocument document)
    {
        var id = document["_id"];
        foreach (var index in new[] { BlindIndex.UserClient, BlindIndex.AccessToken, BlindIndex.RefreshToken, BlindIndex.GrantToken })
        {
            var value = document[FieldName(index)];
            if (value.IsBinary && collection.Exists(BsonExpression.Create($"{FieldName(index)} = @0 AND _id != @1", value, id)))
            {
                return index;
            }
        }

        return null;
    }

    public static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static BsonValue HashOrId(BlindIndexKey indexKey, BlindIndex index, string? value, string id) =>
        string.IsNullOrEmpty(value) ? new BsonValue(id) : new BsonValue(indexKey.Compute(index, value));
}
