using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace EncryptedStore.Storage;

/// <summary>
/// The save journal beside a store file (<c>name-journal.ext</c>): a write-ahead record of the token
/// records that <c>SaveToken</c> acknowledged but that the store has not yet applied to the storage. An
/// append is one positioned write and one fsync into space written at creation, so it costs a fraction
/// of a storage commit; the store applies the entries to the storage later, in batches, and replays whatever
/// is left when a process died before that (<see cref="ReadEntries"/>). An entry is the record exactly as
/// the storage keeps it (encrypted payload, blind indexes), so the journal holds nothing the store file
/// does not.
/// </summary>
/// <remarks>
/// Two regions of <see cref="RegionSize"/> bytes: appends go to the active one; the store switches
/// regions when it takes a batch to apply, and resets the old one once the storage has the batch on disk. A
/// region's header names the store (its id) and the first sequence number valid in it; an entry is its
/// length, sequence number, the record and a checksum (SHA-256 of the rest, truncated). Reading stops at
/// the first entry that is torn, older than the header allows, or out of order, so an entry whose
/// append did not return is ignored, and so is everything a reset left behind. Not thread-safe: the
/// store serialises calls.
/// </remarks>
internal sealed class SaveJournal : IDisposable
{
    public const int RegionSize = 1 << 20;

    private const int HeaderSize = 32;
    private const int EntryHeaderSize = 4 + 8;
    private const int ChecksumSize = 16;
    private const int EntryOverhead = EntryHeaderSize + ChecksumSize;
    private const uint Magic = 0x314A5345; // "ESJ1", little-endian

    private readonly FileStream _file;
    private readonly byte[] _storeId;
    private readonly bool _flushToDisk;
    private int _active;
    private int _offset = HeaderSize;
    private long _nextSequence;

    private SaveJournal(FileStream file, byte[] storeId, bool flushToDisk)
    {
        _file = file;
        _storeId = storeId;
        _flushToDisk = flushToDisk;
    }

    /// <summary>How many fsyncs the journal made (for tests).</summary>
    public long SyncCount { get; private set; }

    /// <summary>
    /// Creates (or replaces) the journal at <paramref name="path"/>, 0600, with both regions written out
    /// (so later appends do not grow the file, and their fsync has no size to record) and empty.
    /// </summary>
    public static SaveJournal Create(string path, byte[] storeId, bool flushToDisk)
    {
        // Others may read it (the store file's own lock already keeps a second writer out).
        var options = OwnerOnlyFile.Options(FileMode.Create, FileShare.Read);
        options.BufferSize = 0;
        var file = new FileStream(path, options);
        try
        {
            var journal = new SaveJournal(file, storeId, flushToDisk);
            var zeros = new byte[RegionSize];
            for (var region = 0; region < 2; region++)
            {
                journal.WriteHeader(zeros, sequence: 0);
                RandomAccess.Write(file.SafeFileHandle, zeros, (long)region * RegionSize);
            }

            journal.Sync();
            return journal;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Appends <paramref name="record"/> to the active region and puts it on the disk before returning its
    /// sequence number; null, with nothing written, when the region has no room left for it.
    /// </summary>
    public long? Append(ReadOnlySpan<byte> record)
    {
        var size = EntryOverhead + record.Length;
        if (_offset + size > RegionSize)
        {
            return null;
        }

        var sequence = _nextSequence;
        var entry = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var span = entry.AsSpan(0, size);
            BinaryPrimitives.WriteInt32LittleEndian(span, record.Length);
            BinaryPrimitives.WriteInt64LittleEndian(span[4..], sequence);
            record.CopyTo(span[EntryHeaderSize..]);
            Checksum(span[..^ChecksumSize], span[^ChecksumSize..]);
            RandomAccess.Write(_file.SafeFileHandle, span, (long)_active * RegionSize + _offset);
            Sync();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(entry);
        }

        _offset += size;
        _nextSequence++;
        return sequence;
    }

    /// <summary>Makes the other region (empty: reset after its last batch) the active one; returns the one that was.</summary>
    public int SwitchRegion()
    {
        var previous = _active;
        _active = 1 - _active;
        _offset = HeaderSize;
        return previous;
    }

    /// <summary>Empties <paramref name="region"/> once the storage holds its entries on disk: they stop being valid.</summary>
    public void Reset(int region)
    {
        var header = new byte[HeaderSize];
        WriteHeader(header, _nextSequence);
        RandomAccess.Write(_file.SafeFileHandle, header, (long)region * RegionSize);
        Sync();
    }

    /// <summary>
    /// The records a journal holds for the store <paramref name="storeId"/>, in the order they were
    /// appended; empty when there is no journal, or it belongs to another store.
    /// </summary>
    public static List<byte[]> ReadEntries(string path, byte[] storeId)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        byte[] bytes;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }

        var entries = new List<(long Sequence, byte[] Record)>();
        for (var region = 0; (long)(region + 1) * RegionSize <= bytes.Length && region < 2; region++)
        {
            ReadRegion(bytes.AsSpan(region * RegionSize, RegionSize), storeId, entries);
        }

        return entries.OrderBy(e => e.Sequence).Select(e => e.Record).ToList();
    }

    public void Dispose() => _file.Dispose();

    private static void ReadRegion(ReadOnlySpan<byte> region, byte[] storeId, List<(long, byte[])> entries)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(region) != Magic || !region.Slice(16, 16).SequenceEqual(storeId))
        {
            return;
        }

        var previous = BinaryPrimitives.ReadInt64LittleEndian(region[8..]) - 1;
        var offset = HeaderSize;
        Span<byte> checksum = stackalloc byte[ChecksumSize];
        while (offset + EntryOverhead <= region.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(region[offset..]);
            if (length <= 0 || length > region.Length - offset - EntryOverhead)
            {
                return;
            }

            var entry = region.Slice(offset, EntryOverhead + length);
            var sequence = BinaryPrimitives.ReadInt64LittleEndian(entry[4..]);
            Checksum(entry[..^ChecksumSize], checksum);
            if (sequence <= previous || !checksum.SequenceEqual(entry[^ChecksumSize..]))
            {
                return;
            }

            entries.Add((sequence, entry[EntryHeaderSize..^ChecksumSize].ToArray()));
            previous = sequence;
            offset += entry.Length;
        }
    }

    /// <summary>SHA-256 of the entry's length, sequence number and record, truncated: detects a torn write, nothing more.</summary>
    private static void Checksum(ReadOnlySpan<byte> covered, Span<byte> checksum)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(covered, hash);
        hash[..ChecksumSize].CopyTo(checksum);
    }

    private void WriteHeader(Span<byte> header, long sequence)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], sequence);
        _storeId.CopyTo(header[16..]);
    }

    private void Sync()
    {
        if (!_flushToDisk)
        {
            return;
        }

        // The file never changes size after creation, so on Linux fdatasync puts an entry on the disk
        // without also writing the file's modification time, as fsync would (about 10% faster here).
        if (OperatingSystem.IsLinux())
        {
            if (NativeMethods.FDataSync(_file.SafeFileHandle) != 0)
            {
                throw new IOException($"fdatasync failed with error {Marshal.GetLastPInvokeError()}.");
            }
        }
        else
        {
            _file.Flush(flushToDisk: true);
        }

        SyncCount++;
    }
}
