using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using LiteDB;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>
/// The file format: how records, keys, metadata and key ring elements are laid out as LiteDB documents.
/// Reading never throws on a record (a damaged one maps to a record that fails every check) and throws
/// only integrity failures on metadata and keys.
/// </summary>
internal static class LiteDbDocuments
{
    public const string MetadataId = "store";
    public const string DataKeyField = "kv";
    public const string IndexKeyField = "iv";
    public const string PayloadField = "ct";

    private static readonly string[] IndexFieldNames = ["u", "uc", "a", "r", "g"];

    /// <summary>The field of a record that holds blind index <paramref name="index"/>.</summary>
    public static string FieldName(BlindIndex index) => IndexFieldNames[(int)index];

    /// <summary>The field of a record that names its key of <paramref name="purpose"/>.</summary>
    public static string KeyField(StoreKeyPurpose purpose) => purpose == StoreKeyPurpose.Data ? DataKeyField : IndexKeyField;

    /// <summary>
    /// A record as stored. A unique index without value holds the record's own id (a string, which never
    /// equals a hash), so absent values do not collide; the user index is left out instead.
    /// </summary>
    public static BsonDocument ToDocument(StoredRecord record)
    {
        var document = new BsonDocument
        {
            ["_id"] = record.Id,
            [DataKeyField] = record.DataKeyVersion,
            [IndexKeyField] = record.IndexKeyVersion,
            [PayloadField] = record.Payload,
        };
        foreach (var index in IndexHashes.All)
        {
            if (IndexValue(record.Id, record.Hashes, index) is { } value)
            {
                document[FieldName(index)] = value;
            }
        }

        return document;
    }

    /// <summary>The value a record stores for <paramref name="index"/>: the hash, its id for an absent unique value, or null (left out).</summary>
    public static BsonValue? IndexValue(string id, IndexHashes hashes, BlindIndex index) =>
        hashes[index] is { } hash ? new BsonValue(hash) : index == BlindIndex.User ? null : new BsonValue(id);

    public static StoredRecord ToRecord(BsonDocument document)
    {
        var id = document["_id"] is { IsString: true } text ? text.AsString : string.Empty;
        var hashes = new IndexHashes();
        foreach (var index in IndexHashes.All)
        {
            var value = document[FieldName(index)];
            hashes[index] = value.IsBinary ? value.AsBinary
                : value.IsNull && index == BlindIndex.User ? null
                : value.IsString && value.AsString == id && index != BlindIndex.User ? null
                : IndexHashes.Invalid;
        }

        return new StoredRecord(
            id,
            document[DataKeyField] is { IsInt32: true } data ? data.AsInt32 : 0,
            document[IndexKeyField] is { IsInt32: true } indexKey ? indexKey.AsInt32 : 0,
            document[PayloadField] is { IsBinary: true } payload ? payload.AsBinary : null,
            hashes);
    }

    public static BsonDocument ToDocument(StoredKey key)
    {
        var document = new BsonDocument
        {
            ["_id"] = key.Version,
            ["kind"] = key.Purpose.ToString(),
            ["protectionKey"] = key.ProtectionKeyId,
            ["state"] = key.State.ToString(),
            ["created"] = key.Created,
        };
        if (key.Wrapped is { } wrapped)
        {
            document["wrapped"] = wrapped;
        }

        return document;
    }

    public static StoredKey ToKey(BsonDocument document) =>
        document["_id"].IsInt32 && document["kind"].IsString && document["state"].IsString
            && Enum.TryParse<StoreKeyPurpose>(document["kind"].AsString, out var purpose)
            && Enum.TryParse<StoreKeyState>(document["state"].AsString, out var state)
            && document["protectionKey"].IsGuid && document["created"].IsDateTime
            && (document["wrapped"].IsBinary || document["wrapped"].IsNull)
            ? new StoredKey(document["_id"].AsInt32, purpose, state, document["protectionKey"].AsGuid, document["created"].AsDateTime,
                document["wrapped"].IsBinary ? document["wrapped"].AsBinary : null)
            : throw Errors.Integrity("the key list");

    public static BsonDocument ToDocument(StoreMetadata metadata)
    {
        var document = new BsonDocument
        {
            ["_id"] = MetadataId,
            ["format"] = metadata.Format,
            ["storeId"] = metadata.StoreId,
            ["kdf"] = (int)metadata.KeyKind,
            ["iterations"] = metadata.Iterations,
            ["salt"] = metadata.Salt,
            ["check"] = metadata.KeyCheck,
            ["created"] = metadata.Created,
            ["dataKey"] = metadata.DataKeyVersion,
            ["indexKey"] = metadata.IndexKeyVersion,
        };
        if (metadata.JournalEpoch is { } epoch)
        {
            document["journalEpoch"] = epoch;
        }

        if (metadata.JournalApplied > 0)
        {
            document["journalApplied"] = metadata.JournalApplied;
        }

        if (metadata.Mac is { } mac)
        {
            document["mac"] = mac;
        }

        if (metadata.Rotation is { } rotation)
        {
            document["rotation"] = new BsonDocument
            {
                ["previousIndexKey"] = rotation.PreviousIndexKeyVersion is { } previous ? previous : BsonValue.Null,
                ["cursor"] = rotation.Cursor ?? BsonValue.Null,
                ["started"] = rotation.Started,
            };
        }

        return document;
    }

    /// <summary>The format version of a metadata document, read before anything else.</summary>
    public static int ReadFormat(BsonDocument document) => Int(document, "format");

    /// <summary>Reads metadata of the current format; a missing, mistyped or implausible field is an integrity failure.</summary>
    public static StoreMetadata ToMetadata(BsonDocument document)
    {
        var metadata = new StoreMetadata
        {
            Format = ReadFormat(document),
            StoreId = Bytes(document, "storeId"),
            KeyKind = (MasterKeyKind)Int(document, "kdf"),
            Iterations = Int(document, "iterations"),
            Salt = Bytes(document, "salt"),
            KeyCheck = Bytes(document, "check"),
            Created = document["created"] is { IsDateTime: true } created ? created.AsDateTime : throw Errors.Integrity("the store metadata"),
            DataKeyVersion = Int(document, "dataKey"),
            IndexKeyVersion = Int(document, "indexKey"),
            Rotation = ReadRotation(document),
            JournalEpoch = OptionalBytes(document, "journalEpoch"),
            JournalApplied = document["journalApplied"] switch
            {
                { IsNull: true } => 0,
                { IsInt64: true } applied => applied.AsInt64,
                { IsInt32: true } applied => applied.AsInt32,
                _ => throw Errors.Integrity("the store metadata"),
            },
            Mac = OptionalBytes(document, "mac"),
        };

        // Read before the master key can be checked: an altered iteration count must not make opening run for hours.
        return metadata.IsPlausible ? metadata : throw Errors.Integrity("the store metadata");
    }

    public static KeyRingElement ToElement(BsonDocument document) =>
        new(document["_id"], document["name"] is { IsString: true } name ? name.AsString : null, document["xml"] is { IsString: true } xml ? xml.AsString : null);

    private static RotationState? ReadRotation(BsonDocument document)
    {
        var value = document["rotation"];
        if (value.IsNull)
        {
            return null;
        }

        if (!value.IsDocument)
        {
            throw Errors.Integrity("the store metadata");
        }

        var rotation = value.AsDocument;
        var previous = rotation["previousIndexKey"];
        var cursor = rotation["cursor"];
        return (previous.IsNull || previous.IsInt32) && (cursor.IsNull || cursor.IsString) && rotation["started"].IsDateTime
            ? new RotationState(previous.IsNull ? null : previous.AsInt32, cursor.IsNull ? null : cursor.AsString, rotation["started"].AsDateTime)
            : throw Errors.Integrity("the store metadata");
    }

    private static int Int(BsonDocument document, string name) =>
        document[name] is { IsInt32: true } value ? value.AsInt32 : throw Errors.Integrity("the store metadata");

    private static byte[]? OptionalBytes(BsonDocument document, string name) => document[name] switch
    {
        { IsNull: true } => null,
        { IsBinary: true } value => value.AsBinary,
        _ => throw Errors.Integrity("the store metadata"),
    };

    private static byte[] Bytes(BsonDocument document, string name) =>
        document[name] is { IsBinary: true } value ? value.AsBinary : throw Errors.Integrity("the store metadata");
}
