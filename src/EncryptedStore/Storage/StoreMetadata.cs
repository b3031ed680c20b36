using EncryptedStore.Internal;
using LiteDB;

namespace EncryptedStore.Storage;

/// <summary>
/// The store's one metadata document: format version, store id, how the master key is stretched, a
/// check value that tells a wrong master key from a damaged file, and the current key versions.
/// None of it is secret.
/// </summary>
internal sealed class StoreMetadata
{
    public const int CurrentFormat = 1;
    public const string DocumentId = "store";

    /// <summary>The largest PBKDF2 iteration count a store may name (the library writes 600,000).</summary>
    public const int MaxIterations = 10_000_000;

    public required int Format { get; init; }

    public required byte[] StoreId { get; init; }

    public required MasterKeyKind KeyKind { get; set; }

    public required int Iterations { get; set; }

    public required byte[] Salt { get; set; }

    /// <summary>AES-GCM of a fixed text under the key-encryption key; opens only with the right master key.</summary>
    public required byte[] KeyCheck { get; set; }

    public required DateTime Created { get; init; }

    public required int DataKeyVersion { get; set; }

    public required int IndexKeyVersion { get; set; }

    /// <summary>The rotation in progress, if any; it survives a crash and is finished on the next open.</summary>
    public RotationState? Rotation { get; set; }

    public BsonDocument ToDocument()
    {
        var document = new BsonDocument
        {
            ["_id"] = DocumentId,
            ["format"] = Format,
            ["storeId"] = StoreId,
            ["kdf"] = (int)KeyKind,
            ["iterations"] = Iterations,
            ["salt"] = Salt,
            ["check"] = KeyCheck,
            ["created"] = Created,
            ["dataKey"] = DataKeyVersion,
            ["indexKey"] = IndexKeyVersion,
        };
        if (Rotation is { } rotation)
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

    /// <summary>Reads a document of the current format; a missing or mistyped field is an integrity failure.</summary>
    public static StoreMetadata FromDocument(BsonDocument document)
    {
        var metadata = new StoreMetadata
        {
            Format = ReadFormat(document),
            StoreId = Bytes(document, "storeId", 16),
            KeyKind = (MasterKeyKind)Int(document, "kdf"),
            Iterations = Int(document, "iterations"),
            Salt = Bytes(document, "salt", 32),
            KeyCheck = Bytes(document, "check", null),
            Created = document.TryGetValue("created", out var created) && created.IsDateTime
                ? created.AsDateTime
                : throw Errors.Integrity("the store metadata"),
            DataKeyVersion = Int(document, "dataKey"),
            IndexKeyVersion = Int(document, "indexKey"),
            Rotation = ReadRotation(document),
        };
        // The iteration count is read before the master key can be checked: cap it, so an altered file
        // cannot make opening run for hours.
        if (!Enum.IsDefined(metadata.KeyKind) || metadata.Iterations <= 0 || metadata.Iterations > MaxIterations)
        {
            throw Errors.Integrity("the store metadata");
        }

        return metadata;
    }

    private static RotationState? ReadRotation(BsonDocument document)
    {
        if (!document.TryGetValue("rotation", out var value) || value.IsNull)
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
        document.TryGetValue(name, out var value) && value.IsInt32
            ? value.AsInt32
            : throw Errors.Integrity("the store metadata");

    private static byte[] Bytes(BsonDocument document, string name, int? length) =>
        document.TryGetValue(name, out var value) && value.IsBinary && (length is null || value.AsBinary.Length == length)
            ? value.AsBinary
            : throw Errors.Integrity("the store metadata");
}
