using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace EncryptedStore.Storage;

/// <summary>
/// The save journal beside a store file (<c>name-journal.ext</c>): a write-ahead record of the token records
/// that <c>SaveToken</c> acknowledged but that the store has not yet applied to the storage. An append is one
/// positioned write and one fdatasync into space written at creation, so it costs a fraction of a storage
/// commit; the store applies the entries later, in batches, and replays what is left when a process died
/// before that (<see cref="Read"/>). An entry is the record exactly as the storage keeps it (encrypted
/// payload, blind indexes), so the journal holds nothing the store file does not.
/// </summary>
/// <remarks>
/// Two regions of <see cref="RegionSize"/> bytes: appends go to the active one; the store switches regions
/// when it takes a batch to apply, and resets the old one once the storage has the batch on disk. A region's
/// header names the store (its id), the journal's epoch (a random id the store's authenticated metadata also
/// holds) and the first sequence number valid in it. An entry is its length, sequence number, the record and
/// a MAC: HMAC-SHA256 (truncated to 128 bits) under a key derived from the master key, over the epoch, the
/// sequence number and the record. Nobody without the master key can write an entry that reads back, and an
/// entry of another journal (another epoch) never does. Reading stops at the first entry that is torn, forged,
/// older than the header allows, or out of order. Threads: the store serialises <see cref="Write"/>, <see cref="SwitchRegion"/>
/// and <see cref="Reset"/> of the same region; <see cref="SyncThrough"/> is thread-safe, and a reset of the inactive region
/// may overlap appends to the active one.
/// </remarks>
internal sealed class SaveJournal : IDisposable
{
    public const int RegionSize = 1 << 20;

    /// <summary>Magic, reserved, first valid sequence, store id, epoch; padded.</summary>
    public const int HeaderSize = 64;

    /// <summary>Bytes an entry takes besides its record.</summary>
    public const int EntryOverhead = EntryHeaderSize + MacSize;

    private const int EntryHeaderSize = 4 + 8;
    private const int MacSize = 16;
    private const uint Magic = 0x324A5345; // "ESJ2", little-endian
    private const int StoreIdOffset = 16;
    private const int EpochOffset = 32;

    private readonly FileStream _file;
    private readonly string _path;
    private readonly byte[] _storeId;
    private readonly byte[] _epoch;
    private readonly byte[] _macKey;
    private readonly bool _flushToDisk;
    private int _active;
    private int _offset = HeaderSize;
    private long _nextSequence = 1;
    private readonly Lock _syncLock = new();
    private readonly ManualResetEventSlim _roomMade = new(initialState: false);
    private long _written;
    private long _synced;
    private long _syncCount;
    private bool _closed;

    private SaveJournal(FileStream file, string path, byte[] storeId, byte[] epoch, byte[] macKey, bool flushToDisk)
    {
        _file = file;
        _path = Path.GetFullPath(path);
        _storeId = storeId;
        _epoch = epoch;
        _macKey = macKey;
        _flushToDisk = flushToDisk;
    }

    /// <summary>Whether the active region is more than half full.</summary>
    public bool IsHalfFull => _offset > RegionSize / 2;

    /// <summary>How many fsyncs the journal made (for tests).</summary>
    public long SyncCount => Interlocked.Read(ref _syncCount);

    /// <summary>
    /// Creates the journal at <paramref name="path"/> (which must not exist), 0600, with both regions written out (so
    /// later appends do not grow the file, and their fdatasync has no size to record) and empty. The journal
    /// keeps <paramref name="macKey"/> and clears it when disposed.
    /// </summary>
    public static SaveJournal Create(string path, byte[] storeId, byte[] epoch, byte[] macKey, bool flushToDisk)
    {
        // Created exclusively, never through a link (see SafeFile); the store file's own lock keeps a second writer out.
        var file = new FileStream(SafeFile.Open(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, secret: true), FileAccess.ReadWrite, bufferSize: 0);
        try
        {
            var journal = new SaveJournal(file, path, storeId, epoch, macKey, flushToDisk);
            var zeros = new byte[RegionSize];
            for (var region = 0; region < 2; region++)
            {
                journal.WriteHeader(zeros, sequence: 1);
                IoFaults.Check(journal._path, IoFaultKind.Write);
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
        var sequence = Write(record);
        if (sequence is { } written)
        {
            SyncThrough(written);
        }

        return sequence;
    }

    /// <summary>
    /// Writes <paramref name="record"/> to the active region and returns its sequence number, without waiting for the
    /// disk (<see cref="SyncThrough"/> does); null, with nothing written, when the region has no room left for it.
    /// Calls are serialised by the caller, so entries lie in the file in sequence order.
    /// </summary>
    public long? Write(ReadOnlySpan<byte> record)
    {
        var size = EntryOverhead + record.Length;
        if (_offset + size > RegionSize)
        {
            _roomMade.Reset();
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
            Mac(_macKey, _epoch, span[..^MacSize], span[^MacSize..]);
            IoFaults.Check(_path, IoFaultKind.Write);
            RandomAccess.Write(_file.SafeFileHandle, span, (long)_active * RegionSize + _offset);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(entry);
        }

        _offset += size;
        _nextSequence++;
        Volatile.Write(ref _written, sequence);
        return sequence;
    }

    /// <summary>
    /// Returns once the entry <paramref name="sequence"/> is on the disk: group commit. One fdatasync covers every
    /// entry written before it began, so saves that arrive together share it: a caller whose entry an earlier
    /// caller's fdatasync covered returns without one, and the callers that wrote while an fdatasync ran share the
    /// next. Thread-safe, and called outside the store's write lock.
    /// </summary>
    /// <exception cref="IOException">The fdatasync failed: the entry may or may not be on the disk.</exception>
    public void SyncThrough(long sequence)
    {
        if (!_flushToDisk || Volatile.Read(ref _synced) >= sequence)
        {
            return;
        }

        lock (_syncLock)
        {
            if (_synced >= sequence)
            {
                return;
            }

            ObjectDisposedException.ThrowIf(_closed, this);
            var covered = Volatile.Read(ref _written);
            Sync();
            Volatile.Write(ref _synced, covered);
        }
    }

    /// <summary>Makes the other region (empty: reset after its last batch) the active one; returns the one that was.</summary>
    public int SwitchRegion()
    {
        var previous = _active;
        _active = 1 - _active;
        _offset = HeaderSize;
        _roomMade.Set();
        return previous;
    }

    /// <summary>
    /// After <see cref="Write"/> found no room (under the same lock as it and <see cref="SwitchRegion"/>, then released):
    /// waits up to <paramref name="timeout"/> for the next switch of regions; true when one came.
    /// </summary>
    public bool WaitForRoom(TimeSpan timeout) => _roomMade.Wait(timeout);

    /// <summary>
    /// Empties <paramref name="region"/> once the storage holds its entries on disk: they stop being valid. May run
    /// while <see cref="Write"/> appends to the active region (the other one): the header's first valid sequence is
    /// read as it stands, never below any entry the region will hold after the next switch.
    /// </summary>
    public void Reset(int region)
    {
        var header = new byte[HeaderSize];
        WriteHeader(header, Volatile.Read(ref _nextSequence));
        IoFaults.Check(_path, IoFaultKind.Write);
        RandomAccess.Write(_file.SafeFileHandle, header, (long)region * RegionSize);
        Sync();
    }

    /// <summary>
    /// What the journal at <paramref name="path"/> holds for the store <paramref name="storeId"/> and the journal
    /// <paramref name="epoch"/>: its entries whose MAC under <paramref name="macKey"/> holds, in the order they were
    /// appended. <see cref="JournalContents.Belongs"/> is false for a journal of another store or epoch (or not a
    /// journal at all): nothing of it is returned.
    /// </summary>
    /// <exception cref="TokenStoreException"><c>UNSAFE_FILE</c> when the path is a link, a FIFO, another user's file or open to others.</exception>
    public static JournalContents Read(string path, byte[] storeId, byte[]? epoch, byte[] macKey)
    {
        if (!File.Exists(path))
        {
            return new JournalContents(Exists: false, Belongs: false, []);
        }

        byte[] bytes;
        using (var file = new FileStream(SafeFile.Open(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, secret: true), FileAccess.Read, bufferSize: 0))
        {
            bytes = new byte[Math.Min(file.Length, 2L * RegionSize)];
            IoFaults.Check(Path.GetFullPath(path), IoFaultKind.Read);
            file.ReadExactly(bytes);
        }

        var entries = new List<(long Sequence, byte[] Record)>();
        var belongs = epoch is not null && bytes.Length == 2 * RegionSize;
        for (var region = 0; belongs && region < 2; region++)
        {
            belongs = ReadRegion(bytes.AsSpan(region * RegionSize, RegionSize), storeId, epoch!, macKey, entries);
        }

        return belongs
            ? new JournalContents(Exists: true, Belongs: true, [.. entries.OrderBy(e => e.Sequence).Select(e => new JournalEntry(e.Sequence, e.Record))])
            : new JournalContents(Exists: true, Belongs: false, []);
    }

    /// <summary>
    /// Closes the journal, first putting on the disk what was written and not yet synced (best effort: a save still
    /// waiting for it then fails, the store having applied or kept its entry).
    /// </summary>
    public void Dispose()
    {
        lock (_syncLock)
        {
            if (_closed)
            {
                return;
            }

            try
            {
                if (_flushToDisk && _written > _synced)
                {
                    Sync();
                    _synced = _written;
                }
            }
            catch (IOException)
            {
                // The waiting saves report it; the entries are on the file for the next open as far as the disk kept them.
            }
            finally
            {
                _closed = true;
                _file.Dispose();
                _roomMade.Dispose();
                CryptographicOperations.ZeroMemory(_macKey);
            }
        }
    }

    /// <summary>Reads a region's valid entries; false when its header is not this store's and epoch's.</summary>
    private static bool ReadRegion(ReadOnlySpan<byte> region, byte[] storeId, byte[] epoch, byte[] macKey, List<(long, byte[])> entries)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(region) != Magic
            || !region.Slice(StoreIdOffset, storeId.Length).SequenceEqual(storeId)
            || !region.Slice(EpochOffset, epoch.Length).SequenceEqual(epoch))
        {
            return false;
        }

        var previous = BinaryPrimitives.ReadInt64LittleEndian(region[8..]) - 1;
        var offset = HeaderSize;
        Span<byte> mac = stackalloc byte[MacSize];
        while (offset + EntryOverhead <= region.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(region[offset..]);
            if (length <= 0 || length > region.Length - offset - EntryOverhead)
            {
                break;
            }

            var entry = region.Slice(offset, EntryOverhead + length);
            var sequence = BinaryPrimitives.ReadInt64LittleEndian(entry[4..]);
            Mac(macKey, epoch, entry[..^MacSize], mac);
            if (sequence <= previous || !CryptographicOperations.FixedTimeEquals(mac, entry[^MacSize..]))
            {
                break;
            }

            entries.Add((sequence, entry[EntryHeaderSize..^MacSize].ToArray()));
            previous = sequence;
            offset += entry.Length;
        }

        return true;
    }

    /// <summary>HMAC-SHA256 of the epoch, then the entry's length, sequence number and record, truncated.</summary>
    private static void Mac(byte[] key, byte[] epoch, ReadOnlySpan<byte> covered, Span<byte> mac)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(epoch);
        hmac.AppendData(covered);
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        hmac.GetHashAndReset(hash);
        hash[..MacSize].CopyTo(mac);
    }

    private void WriteHeader(Span<byte> header, long sequence)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], sequence);
        _storeId.CopyTo(header[StoreIdOffset..]);
        _epoch.CopyTo(header[EpochOffset..]);
    }

    private void Sync()
    {
        if (!_flushToDisk)
        {
            return;
        }

        IoFaults.Check(_path, IoFaultKind.Sync);

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

        Interlocked.Increment(ref _syncCount);
    }
}
