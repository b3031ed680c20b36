using System.Security.Cryptography;
using System.Text.Json;
using EncryptedStore.Internal;
using EncryptedStore.Storage;

namespace EncryptedStore.Keys.Sources;

/// <summary>
/// The file beside a store that keeps its random master key wrapped to a certificate or DPAPI:
/// <c>name-masterkey.json</c>, owner-only, replaced atomically (a new file, fsync, rename, fsync of the folder)
/// and read with the safe-file rules. It holds no secret in the clear: without the certificate's private key
/// (or the Windows user's DPAPI keys) it opens nothing.
/// </summary>
internal static class WrappedKeyFile
{
    private const string FormatName = "EncryptedStore wrapped master key";
    private const int CurrentVersion = 1;

    public static string PathFor(string storePath)
    {
        var full = Path.GetFullPath(storePath);
        return Path.Combine(Path.GetDirectoryName(full) ?? ".", Path.GetFileNameWithoutExtension(full) + "-masterkey.json");
    }

    /// <summary>The entries beside <paramref name="storePath"/>, oldest first; none when there is no file.</summary>
    /// <exception cref="TokenStoreException"><c>UNSAFE_FILE</c>, <c>INTEGRITY</c> (not our format), <c>UNSUPPORTED_VERSION</c>, <c>TOKEN_STORE</c>.</exception>
    public static IReadOnlyList<WrappedKeyEntry> Read(string storePath)
    {
        var path = PathFor(storePath);
        byte[] bytes;
        try
        {
            if (!File.Exists(path))
            {
                return [];
            }

            using var stream = new FileStream(SafeFile.Open(path, FileMode.Open, FileAccess.Read, FileShare.Read, secret: true, takeLock: false), FileAccess.Read, bufferSize: 1);
            if (stream.Length > 1024 * 1024)
            {
                throw Errors.Integrity($"the wrapped master key '{path}' (larger than 1 MiB)");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.Io($"reading the wrapped master key '{path}'", e);
        }

        return Parse(path, bytes);
    }

    /// <summary>Replaces the file with <paramref name="entries"/>, or deletes it when there are none.</summary>
    /// <exception cref="TokenStoreException"><c>TOKEN_STORE</c> when it cannot be written; the old file is then unchanged.</exception>
    public static void Write(string storePath, IReadOnlyList<WrappedKeyEntry> entries)
    {
        var path = PathFor(storePath);
        var folder = Path.GetDirectoryName(path) ?? ".";
        if (entries.Count == 0)
        {
            Delete(storePath);
            return;
        }

        var temporary = $"{path}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp";
        try
        {
            using (var stream = new FileStream(SafeFile.Open(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, secret: true, takeLock: false), FileAccess.ReadWrite, bufferSize: 1))
            {
                stream.Write(Format(entries));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            SafeFile.SyncFolder(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw Errors.Io($"writing the wrapped master key '{path}'", e);
        }
    }

    /// <summary>Deletes the file if there is one.</summary>
    public static void Delete(string storePath)
    {
        var path = PathFor(storePath);
        try
        {
            if (File.Exists(path))
            {
                File.Delete(path);
                SafeFile.SyncFolder(Path.GetDirectoryName(path) ?? ".");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.Io($"deleting the wrapped master key '{path}'", e);
        }
    }

    private static byte[] Format(IReadOnlyList<WrappedKeyEntry> entries)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", FormatName);
            json.WriteNumber("version", CurrentVersion);
            json.WriteStartArray("keys");
            foreach (var entry in entries)
            {
                json.WriteStartObject();
                json.WriteString("kind", entry.Kind);
                json.WriteString("algorithm", entry.Algorithm);
                json.WriteString("recipient", entry.Recipient);
                json.WriteString("label", entry.Label);
                json.WriteBase64String("wrappedKey", entry.WrappedKey);
                if (entry.EphemeralKey is { } ephemeral)
                {
                    json.WriteBase64String("ephemeralKey", ephemeral);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static List<WrappedKeyEntry> Parse(string path, byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != FormatName)
            {
                throw Errors.Integrity($"the wrapped master key '{path}' (not this format)");
            }

            var version = root.GetProperty("version").GetInt32();
            if (version > CurrentVersion)
            {
                throw Errors.UnsupportedVersion(path, version, CurrentVersion);
            }

            return root.GetProperty("keys").EnumerateArray().Select(key => new WrappedKeyEntry(
                Text(key, "kind"),
                Text(key, "algorithm"),
                Text(key, "recipient"),
                Text(key, "label"),
                key.GetProperty("wrappedKey").GetBytesFromBase64(),
                key.TryGetProperty("ephemeralKey", out var ephemeral) ? ephemeral.GetBytesFromBase64() : null)).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Errors.Integrity($"the wrapped master key '{path}'", e);
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is null.");
}
