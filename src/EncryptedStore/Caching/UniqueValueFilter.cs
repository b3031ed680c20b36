using System.Buffers.Binary;
using EncryptedStore.Crypto;
using EncryptedStore.Storage;
using LiteDB;

namespace EncryptedStore.Caching;

/// <summary>
/// Which blind-index values the store's records may hold in its four unique indexes, as the first 8
/// bytes of each hash: a superset, never missing a value a record holds (values are added on every write
/// and never removed). "Not there" is therefore certain, and lets a journaled save skip the LiteDB index
/// probe (50 to 150 µs) that would otherwise prove its new access token is not another record's; "may be
/// there" sends it to that probe. About 20 bytes per value, so about 60 bytes per token.
/// </summary>
/// <remarks>Thread-safe. Holds truncated keyed hashes, which reveal nothing without the index key.</remarks>
internal sealed class UniqueValueFilter
{
    private static readonly BlindIndex[] Indexes = [BlindIndex.UserClient, BlindIndex.AccessToken, BlindIndex.RefreshToken, BlindIndex.GrantToken];

    private readonly HashSet<long>[] _values = [.. Indexes.Select(_ => new HashSet<long>())];
    private readonly Lock _sync = new();

    /// <summary>How many values were added (duplicates included: a measure of growth).</summary>
    public long Added { get; private set; }

    /// <summary>Adds the unique-index values of <paramref name="record"/> (a record as stored).</summary>
    public void Add(BsonDocument record)
    {
        lock (_sync)
        {
            for (var i = 0; i < Indexes.Length; i++)
            {
                if (record[TokenRecords.FieldName(Indexes[i])] is { IsBinary: true } value)
                {
                    _values[i].Add(Key(value.AsBinary));
                    Added++;
                }
            }
        }
    }

    /// <summary>False when no record holds <paramref name="value"/> in <paramref name="index"/>; true when one may.</summary>
    public bool MayContain(BlindIndex index, BsonValue value)
    {
        var slot = Array.IndexOf(Indexes, index);
        if (slot < 0 || !value.IsBinary)
        {
            return true;
        }

        lock (_sync)
        {
            return _values[slot].Contains(Key(value.AsBinary));
        }
    }

    private static long Key(byte[] hash) => hash.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(hash) : hash.Length;
}
