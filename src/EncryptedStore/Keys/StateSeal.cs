using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Storage;

namespace EncryptedStore.Keys;

/// <summary>
/// The MAC that binds the store's metadata to its key state: HMAC-SHA256, under a key derived from the master
/// key, over every metadata field, every key version (number, purpose, state, Data Protection key, creation,
/// a hash of its wrapped material) and every element of the key ring (revocations included). Someone who can
/// write the file but has no master key cannot change which key is active, bring a revoked key back, drop a
/// revocation, or move the journal's epoch and watermark: the store refuses to open (<c>INTEGRITY</c>). They
/// can still put back an older copy of the whole file (see SECURITY.md).
/// </summary>
internal static class StateSeal
{
    private const string Purpose = "state";

    /// <summary><paramref name="metadata"/> in the current format with its MAC over the state the storage holds now (inside the change's transaction).</summary>
    public static StoreMetadata Seal(StoreMetadata metadata, ITokenStorage storage, KeyEncryptionKey keyEncryptionKey)
    {
        var current = metadata with { Format = StoreMetadata.CurrentFormat, Mac = null };
        return current with { Mac = Compute(current, storage, keyEncryptionKey) };
    }

    /// <summary>True when <paramref name="metadata"/>'s MAC matches it and the key state the storage holds.</summary>
    public static bool IsIntact(StoreMetadata metadata, ITokenStorage storage, KeyEncryptionKey keyEncryptionKey) =>
        metadata.Mac is { } mac && CryptographicOperations.FixedTimeEquals(mac, Compute(metadata with { Mac = null }, storage, keyEncryptionKey));

    private static byte[] Compute(StoreMetadata metadata, ITokenStorage storage, KeyEncryptionKey keyEncryptionKey)
    {
        var key = keyEncryptionKey.DeriveSubkey(Purpose);
        try
        {
            using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            var writer = new Writer(mac);
            writer.Int(metadata.Format).Bytes(metadata.StoreId).Int((int)metadata.KeyKind).Int(metadata.Iterations).Bytes(metadata.Salt)
                .Bytes(metadata.KeyCheck).Time(metadata.Created).Int(metadata.DataKeyVersion).Int(metadata.IndexKeyVersion)
                .Bytes(metadata.JournalEpoch).Long(metadata.JournalApplied);
            if (metadata.Rotation is { } rotation)
            {
                writer.Int(1).Int(rotation.PreviousIndexKeyVersion ?? 0).Text(rotation.Cursor).Time(rotation.Started);
            }
            else
            {
                writer.Int(0);
            }

            var keys = storage.ListKeys().OrderBy(k => k.Version).ToList();
            writer.Int(keys.Count);
            foreach (var stored in keys)
            {
                writer.Int(stored.Version).Int((int)stored.Purpose).Int((int)stored.State).Bytes(stored.ProtectionKeyId.ToByteArray())
                    .Time(stored.Created).Bytes(stored.Wrapped is { } wrapped ? SHA256.HashData(wrapped) : null);
            }

            var elements = storage.ListKeyRingElements().Select(e => e.Xml ?? string.Empty).Order(StringComparer.Ordinal).ToList();
            writer.Int(elements.Count);
            foreach (var xml in elements)
            {
                writer.Text(xml);
            }

            return mac.GetHashAndReset();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Length-prefixed fields into the MAC, so no two states encode alike.</summary>
    private readonly struct Writer(IncrementalHash mac)
    {
        public Writer Int(int value)
        {
            Span<byte> buffer = stackalloc byte[sizeof(int)];
            BinaryPrimitives.WriteInt32LittleEndian(buffer, value);
            mac.AppendData(buffer);
            return this;
        }

        public Writer Long(long value)
        {
            Span<byte> buffer = stackalloc byte[sizeof(long)];
            BinaryPrimitives.WriteInt64LittleEndian(buffer, value);
            mac.AppendData(buffer);
            return this;
        }

        public Writer Bytes(byte[]? value)
        {
            Int(value?.Length ?? -1);
            if (value is not null)
            {
                mac.AppendData(value);
            }

            return this;
        }

        /// <summary>A time as the storage keeps it: UTC, to the millisecond.</summary>
        public Writer Time(DateTime value)
        {
            var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc);
            return Long(utc.Ticks / TimeSpan.TicksPerMillisecond);
        }

        public Writer Text(string? value) => Bytes(value is null ? null : Encoding.UTF8.GetBytes(value));
    }
}
