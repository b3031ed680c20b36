using System.Diagnostics;
using System.Text;
using EncryptedStore.Internal;
using LiteDB;
using LiteDB.Engine;

namespace EncryptedStore.Storage;

/// <summary>
/// The LiteDB file (or memory) behind a store and its collections. The store opens the data and log
/// files itself, so it controls their permissions (0600), holds an exclusive lock on them while open,
/// and makes every LiteDB commit durable (fsync) before it returns.
/// </summary>
internal sealed class StoreFile : IDisposable
{
    public const string MemoryPath = ":memory:";

    private const int LiteDbPageSize = 8192;
    private const int HeaderInfoOffset = 32;
    private static readonly byte[] HeaderInfo = Encoding.ASCII.GetBytes("** This is a LiteDB file **");

    /// <summary>Ids compare by code unit, so "Abc" and "abc" are two records (LiteDB's default ignores case).</summary>
    private static readonly Collation OrdinalCollation = new(System.Globalization.CultureInfo.InvariantCulture.LCID, System.Globalization.CompareOptions.Ordinal);

    private readonly FileStream? _data;
    private readonly FileStream? _log;
    private readonly string? _logPath;

    private StoreFile(string path, LiteDatabase database, FileStream? data, FileStream? log, string? logPath)
    {
        Path = path;
        Database = database;
        _data = data;
        _log = log;
        _logPath = logPath;
        Metadata = database.GetCollection("meta");
        Tokens = database.GetCollection("tokens");
        KeyRing = database.GetCollection("keyring");
        Keys = database.GetCollection("keys");
    }

    public string Path { get; }

    public LiteDatabase Database { get; }

    /// <summary>The single <see cref="StoreMetadata"/> document.</summary>
    public ILiteCollection<BsonDocument> Metadata { get; }

    /// <summary>Encrypted token records with their blind indexes.</summary>
    public ILiteCollection<BsonDocument> Tokens { get; }

    /// <summary>Data Protection's key XML, each key encrypted with the master key.</summary>
    public ILiteCollection<BsonDocument> KeyRing { get; }

    /// <summary>Data and index keys, each wrapped by a Data Protection key.</summary>
    public ILiteCollection<BsonDocument> Keys { get; }

    public bool IsMemory => _data is null;

    /// <summary>The data file's size plus its log's, in bytes; 0 in memory.</summary>
    public long SizeInBytes => (_data?.Length ?? 0) + (_log?.Length ?? 0);

    /// <summary>How often a process waiting for the lock tries again.</summary>
    private static readonly TimeSpan LockRetryInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// Opens or creates the file; throws <see cref="TokenStoreException"/> without changing a file that is
    /// not a store. While another process holds the file, tries again until <paramref name="lockTimeout"/>
    /// has passed, then throws <see cref="TokenStoreErrorCodes.StoreLocked"/>.
    /// </summary>
    public static StoreFile Open(string path, bool flushToDisk, TimeSpan lockTimeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return OpenOnce(path, flushToDisk);
            }
            catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.StoreLocked && Stopwatch.GetElapsedTime(started) < lockTimeout)
            {
                Thread.Sleep(LockRetryInterval);
            }
        }
    }

    private static StoreFile OpenOnce(string path, bool flushToDisk)
    {
        if (path == MemoryPath)
        {
            var memory = new LiteDatabase(new LiteEngine(new EngineSettings
            {
                DataStream = new MemoryStream(),
                LogStream = new MemoryStream(),
                Collation = OrdinalCollation,
            }));
            return new StoreFile(path, memory, null, null, null);
        }

        var fullPath = System.IO.Path.GetFullPath(path);
        var logPath = LogPathFor(fullPath);
        ProbeHeader(fullPath);

        FileStream? data = null;
        FileStream? log = null;
        var createdLog = false;
        try
        {
            data = new DurableFileStream(fullPath, StreamOptions(FileMode.OpenOrCreate), flushToDisk);
            createdLog = !File.Exists(logPath);
            log = new DurableFileStream(logPath, StreamOptions(FileMode.OpenOrCreate), flushToDisk);
            // The collation is fixed when the file is made; an existing file keeps its own, so a foreign
            // LiteDB file opens and is then refused for having no store metadata.
            var engine = new LiteEngine(new EngineSettings { DataStream = data, LogStream = log, Collation = data.Length == 0 ? OrdinalCollation : null });
            return new StoreFile(fullPath, new LiteDatabase(engine), data, log, logPath);
        }
        catch (Exception e)
        {
            log?.Dispose();
            data?.Dispose();
            if (createdLog && log is not null)
            {
                TryDeleteEmpty(logPath);
            }

            throw e switch
            {
                TokenStoreException => e,
                DirectoryNotFoundException => Errors.Io("opening the store (its folder does not exist)", e),
                IOException when data is null || log is null => Errors.Locked(fullPath, e),
                UnauthorizedAccessException => Errors.Io("opening the store", e),
                LiteException => Errors.Integrity("the store file", e),
                _ when log is not null && Errors.IsDamagedData(e) => Errors.Integrity("the store file", e),
                _ => Errors.Io("opening the store", e),
            };
        }
    }

    /// <summary>LiteDB's own name for the log beside a data file: <c>name-log.ext</c>.</summary>
    public static string LogPathFor(string fullPath) =>
        System.IO.Path.Combine(
            System.IO.Path.GetDirectoryName(fullPath) ?? ".",
            System.IO.Path.GetFileNameWithoutExtension(fullPath) + "-log" + System.IO.Path.GetExtension(fullPath));

    public void Dispose()
    {
        LiteDbTransactions.SuppressFinalizers(Database);
        Database.Dispose();
        var logEmpty = _log is { Length: 0 };
        if (logEmpty && _logPath is not null)
        {
            TryDeleteEmpty(_logPath);
        }

        _log?.Dispose();
        _data?.Dispose();
    }

    private static FileStreamOptions StreamOptions(FileMode mode)
    {
        var options = OwnerOnlyFile.Options(mode, FileShare.None);
        options.BufferSize = 0;
        return options;
    }

    /// <summary>Refuses, before LiteDB touches it, a non-empty file that does not start with a LiteDB header.</summary>
    private static void ProbeHeader(string fullPath)
    {
        if (!File.Exists(fullPath))
        {
            return;
        }

        try
        {
            using var probe = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (probe.Length == 0)
            {
                return;
            }

            var header = new byte[HeaderInfoOffset + HeaderInfo.Length];
            if (probe.Length < LiteDbPageSize || probe.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length
                || !header.AsSpan(HeaderInfoOffset).SequenceEqual(HeaderInfo))
            {
                throw Errors.NotAStore(fullPath, "it has no LiteDB header.");
            }
        }
        catch (IOException e)
        {
            throw Errors.Locked(fullPath, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw Errors.Io("opening the store", e);
        }
    }

    private static void TryDeleteEmpty(string path)
    {
        try
        {
            if (new FileInfo(path) is { Exists: true, Length: 0 })
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
            // A leftover empty log file is harmless; LiteDB reuses it on the next open.
        }
    }
}
