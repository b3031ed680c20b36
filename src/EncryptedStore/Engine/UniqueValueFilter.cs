using System.Buffers.Binary;
using EncryptedStore.Crypto;
using EncryptedStore.Storage;

namespace EncryptedStore.Engine;

/// <summary>
/// Which blind-index values the store's records may hold in its four unique indexes, as the first 8
/// bytes of each hash: a superset, never missing a value a record holds (values are added on every write
/// and never removed). "Not there" is therefore certain, and lets a journaled save skip the storage's
/// index probe (50 to 150 µs) that would otherwise prove its new access token is not another record's; "may
/// be there" sends it to that probe. About 20 bytes per value, so about 60 bytes per token.
/// </summary>
/// <remarks>Thread-safe. Holds truncated keyed hashes, which reveal nothing without the index key.</remarks>
internal sealed class UniqueValueFilter
{
    private readonly HashSet<long>[] _values = [.. IndexHashes.Unique.Select(_ => new HashSet<long>())];
    private readonly Lock _sync = new();

    /// <summary>How many values were added (duplicates included: a measure of growth).</summary>
    public long Added { get; private set; }

    /// <summary>Adds the unique-index values of <paramref name="record"/>.</summary>
    public void Add(StoredRecord record)
    {
        lock (_sync)
        {
            for (var i = 0; i < IndexHashes.Unique.Length; i++)
            {
                if (record.Hashes[IndexHashes.Unique[i]] is { } hash)
                {
                    _values[i].Add(Key(hash));
                    Added++;
                }
            }
        }
    }

    /// <summary>False when no record holds <paramref name="hash"/> in <paramref name="index"/>; true when one may.</summary>
    public bool MayContain(BlindIndex index, byte[] hash)
    {
        var slot = Array.IndexOf(IndexHashes.Unique, index);
        if (slot < 0)
        {
            return true;
        }

        lock (_sync)
        {
            return _values[slot].Contains(Key(hash));
        }
    }

    private static long Key(byte[] hash) => hash.Length >= sizeof(long) ? BinaryPrimitives.ReadInt64LittleEndian(hash) : hash.Length;
}
