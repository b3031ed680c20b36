using System.Text.Json;
using EncryptedStore.Internal;

namespace EncryptedStore.Storage.Server;

/// <summary>
/// How a database store keeps its <see cref="StoreMetadata"/> in the store row: one UTF-8 JSON object, versioned by
/// <c>layout</c>. Nothing in it is secret (ids, salt, key check, MAC). Reading throws only integrity failures.
/// </summary>
internal static class ServerMetadataFormat
{
    private const int Layout = 1;

    public static byte[] Serialize(StoreMetadata metadata)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("layout", Layout);
            writer.WriteNumber("format", metadata.Format);
            writer.WriteBase64String("storeId", metadata.StoreId);
            writer.WriteNumber("kdf", (int)metadata.KeyKind);
            writer.WriteNumber("iterations", metadata.Iterations);
            writer.WriteBase64String("salt", metadata.Salt);
            writer.WriteBase64String("check", metadata.KeyCheck);
            writer.WriteString("created", Utc(metadata.Created));
            writer.WriteNumber("dataKey", metadata.DataKeyVersion);
            writer.WriteNumber("indexKey", metadata.IndexKeyVersion);
            if (metadata.Rotation is { } rotation)
            {
                writer.WriteStartObject("rotation");
                if (rotation.PreviousIndexKeyVersion is { } previous)
                {
                    writer.WriteNumber("previousIndexKey", previous);
                }

                if (rotation.Cursor is { } cursor)
                {
                    writer.WriteString("cursor", cursor);
                }

                writer.WriteString("started", Utc(rotation.Started));
                writer.WriteEndObject();
            }

            if (metadata.JournalEpoch is { } epoch)
            {
                writer.WriteBase64String("journalEpoch", epoch);
            }

            writer.WriteNumber("journalApplied", metadata.JournalApplied);
            if (metadata.Mac is { } mac)
            {
                writer.WriteBase64String("mac", mac);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The store format the metadata names, read before anything else.</summary>
    public static int ReadFormat(byte[] bytes)
    {
        using var document = Parse(bytes);
        return Int(document.RootElement, "format");
    }

    /// <summary>The metadata; a missing, mistyped or implausible field is an integrity failure.</summary>
    public static StoreMetadata Deserialize(byte[] bytes)
    {
        using var document = Parse(bytes);
        var root = document.RootElement;
        try
        {
            var metadata = new StoreMetadata
            {
                Format = Int(root, "format"),
                StoreId = root.GetProperty("storeId").GetBytesFromBase64(),
                KeyKind = (MasterKeyKind)Int(root, "kdf"),
                Iterations = Int(root, "iterations"),
                Salt = root.GetProperty("salt").GetBytesFromBase64(),
                KeyCheck = root.GetProperty("check").GetBytesFromBase64(),
                Created = Time(root, "created"),
                DataKeyVersion = Int(root, "dataKey"),
                IndexKeyVersion = Int(root, "indexKey"),
                Rotation = root.TryGetProperty("rotation", out var rotation) ? ReadRotation(rotation) : null,
                JournalEpoch = root.TryGetProperty("journalEpoch", out var epoch) ? epoch.GetBytesFromBase64() : null,
                JournalApplied = root.GetProperty("journalApplied").GetInt64(),
                Mac = root.TryGetProperty("mac", out var mac) ? mac.GetBytesFromBase64() : null,
            };

            // Read before the master key can be checked: an altered iteration count must not make opening run for hours.
            return metadata.IsPlausible ? metadata : throw Errors.Integrity("the store metadata");
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Errors.Integrity("the store metadata", e);
        }
    }

    private static JsonDocument Parse(byte[] bytes)
    {
        try
        {
            var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("layout", out var layout)
                || !layout.TryGetInt32(out var version) || version != Layout)
            {
                document.Dispose();
                throw Errors.Integrity("the store metadata (unknown layout)");
            }

            return document;
        }
        catch (JsonException e)
        {
            throw Errors.Integrity("the store metadata", e);
        }
    }

    private static RotationState ReadRotation(JsonElement rotation) => new(
        rotation.TryGetProperty("previousIndexKey", out var previous) ? previous.GetInt32() : null,
        rotation.TryGetProperty("cursor", out var cursor) ? cursor.GetString() : null,
        Time(rotation, "started"));

    private static int Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.TryGetInt32(out var number) ? number : throw Errors.Integrity("the store metadata");

    private static DateTime Time(JsonElement element, string name) => DateTime.SpecifyKind(element.GetProperty(name).GetDateTime().ToUniversalTime(), DateTimeKind.Utc);

    private static DateTime Utc(DateTime value) =>
        value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc);
}
