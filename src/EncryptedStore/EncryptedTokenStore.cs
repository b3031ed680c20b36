using System.Security.Cryptography;
using EncryptedStore.Caching;
using EncryptedStore.Internal;
using EncryptedStore.Keys;
using EncryptedStore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EncryptedStore;

/// <summary>
/// An encrypted, blind-indexed token store in one LiteDB file: the Zoho SDKs' token-store contract
/// with every field but the id encrypted (AES-256-GCM, bound to the record), lookups by keyed hash,
/// and the key ring in the same file under a master key that never touches it.
/// </summary>
/// <remarks>
/// Thread-safe: lookups run concurrently; saves and deletes are serialised and atomic. By default one
/// process holds the file open at a time; another waits up to the lock timeout, then gets
/// <see cref="TokenStoreErrorCodes.StoreLocked"/>. With <see cref="StoreSharing.Shared"/> several
/// processes use it at once, one call at a time (see <see cref="EncryptedTokenStoreOptions.Sharing"/>).
/// Every failure is a <see cref="TokenStoreException"/> (see <see cref="TokenStoreException.Code"/>),
/// or an <see cref="ArgumentException"/> for a programmer error such as a null argument.
/// </remarks>
public sealed partial class EncryptedTokenStore : ITokenStore, IDisposable
{
    private readonly StoreFile _file;
    private readonly KeyEncryptionKey _keyEncryptionKey;
    private readonly KeyRing _keyRing;
    private readonly TokenRecords _records;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _keyLifetime;
    private readonly Lock _writeLock = new();
    private readonly TokenCache? _cache;
    private StoreMetadata _metadata;
    private volatile ActiveKeys _active;
    private MasterKey? _ephemeralKey;
    private bool _disposed;

    /// <summary>Reads in progress that visit every record (<see cref="Scan"/>).</summary>
    private int _scans;

    /// <summary>Opens the store at <see cref="EncryptedTokenStoreOptions.FilePath"/>, creating it when missing.</summary>
    /// <exception cref="ArgumentException">The options are incomplete.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>WRONG_KEY</c>, <c>NOT_A_STORE</c>, <c>UNSUPPORTED_VERSION</c>, <c>STORE_LOCKED</c>, <c>INTEGRITY</c>
    /// or <c>UNPROTECTED_KEY</c>; the file is left unchanged.
    /// </exception>
    public EncryptedTokenStore(EncryptedTokenStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _logger = options.LoggerFactory?.CreateLogger<EncryptedTokenStore>() ?? NullLogger<EncryptedTokenStore>.Instance;
        _time = options.TimeProvider;
        _keyLifetime = options.KeyLifetime;
        _cache = options.CacheSize > 0 ? new TokenCache(options.CacheSize) : null;
        var masterKey = options.MasterKey ?? (_ephemeralKey = NewEphemeralKey());

        _file = StoreFile.Open(options.FilePath, options.FlushToDisk, options.LockTimeout, options.Sharing == StoreSharing.Shared);
        _journalEnabled = options.UseSaveJournal && !_file.IsMemory && !_file.IsShared;
        _flushJournal = options.FlushToDisk;
        var creating = false;
        try
        {
            using (EnterFile())
            {
                var existing = _file.Metadata.FindById(StoreMetadata.DocumentId);
                if (existing is null)
                {
                    creating = true;
                    (_metadata, _keyEncryptionKey, _keyRing) = Create(masterKey, options);
                    Log.StoreCreated(_logger, _file.Path);
                }
                else
                {
                    (_metadata, _keyEncryptionKey, _keyRing) = OpenExisting(existing, masterKey, options);
                }

                // After the key check, so a wrong key leaves the file unchanged. A new store deletes a
                // journal left beside it by an earlier store of the same name.
                if (_file.ReplayJournal(_metadata.StoreId) is > 0 and var replayed)
                {
                    Log.JournalReplayed(_logger, replayed, _file.Path);
                }

                _records = new TokenRecords(_file.Tokens, _keyRing);
                _active = LoadActiveKeys();
                _file.MarkSynchronized();
            }

            Log.StoreOpened(_logger, _file.Path, _metadata.DataKeyVersion, _metadata.IndexKeyVersion);
            if (_metadata.Rotation is not null)
            {
                Log.RotationResumed(_logger, _file.Path);
                RunRotation(KeyRotationOptions.DefaultBatchSize, progress: null, CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            _keyRing?.Dispose();
            _keyEncryptionKey?.Dispose();
            _file.Dispose();
            _ephemeralKey?.Dispose();

            // Opening reads the metadata, key list and key ring through LiteDB: a damaged page shows
            // as a LiteDB error or as a runtime error from decoding it.
            if (!creating && (Errors.IsLiteDbFailure(e) || Errors.IsDamagedData(e)))
            {
                throw Errors.Integrity("the store file", e);
            }

            if (Errors.IsLiteDbFailure(e) || e is IOException)
            {
                throw Errors.Io(creating ? "creating the store" : "opening the store", e);
            }

            throw;
        }

        if (!_file.IsMemory && !OperatingSystem.IsWindows())
        {
            WarnIfAccessibleByOthers(_file.Path);
            WarnIfAccessibleByOthers(StoreFile.LogPathFor(_file.Path));
        }
    }

    /// <summary>The full path of the store file, or <c>:memory:</c>.</summary>
    public string FilePath => _file.Path;

    /// <summary>How many decrypted tokens the cache holds (for tests and diagnostics).</summary>
    internal int CachedTokenCount => _cache?.Count ?? 0;

    /// <summary>The file behind the store (for tests and diagnostics).</summary>
    internal StoreFile BackingFile => _file;

    /// <summary>Closes the file (after LiteDB's checkpoint) and clears the keys held in memory.</summary>
    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        if (_journalEnabled)
        {
            CloseJournal();
        }

        _cache?.Clear();
        _file.Dispose();
        _keyRing.Dispose();
        _keyEncryptionKey.Dispose();
        _ephemeralKey?.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"EncryptedTokenStore({_file.Path})";

    private (StoreMetadata, KeyEncryptionKey, KeyRing) Create(MasterKey masterKey, EncryptedTokenStoreOptions options)
    {
        if (_file.Database.GetCollectionNames().Any())
        {
            throw Errors.NotAStore(_file.Path, "it is a LiteDB file without EncryptedStore metadata.");
        }

        var storeId = RandomNumberGenerator.GetBytes(16);
        var salt = RandomNumberGenerator.GetBytes(32);
        const int iterations = Pbkdf2Iterations;
        var keyEncryptionKey = new KeyEncryptionKey(masterKey.DeriveKeyEncryptionKey(salt, iterations), storeId);
        KeyRing? keyRing = null;
        var database = _file.Database;
        database.BeginTrans();
        try
        {
            keyRing = new KeyRing(_file, keyEncryptionKey, storeId, options.TimeProvider, options.LoggerFactory);
            var (dataVersion, indexVersion) = keyRing.CreateVersions(data: true, index: true);
            var metadata = new StoreMetadata
            {
                Format = StoreMetadata.CurrentFormat,
                StoreId = storeId,
                KeyKind = masterKey.Kind,
                Iterations = iterations,
                Salt = salt,
                KeyCheck = keyEncryptionKey.CreateCheck(),
                Created = options.TimeProvider.GetUtcNow().UtcDateTime,
                DataKeyVersion = dataVersion!.Value,
                IndexKeyVersion = indexVersion!.Value,
            };
            _file.Metadata.Insert(metadata.ToDocument());
            TokenRecords.EnsureIndexes(_file.Tokens);
            database.Commit();
            _file.SyncCommitted();
            return (metadata, keyEncryptionKey, keyRing);
        }
        catch
        {
            database.Rollback();
            keyRing?.Dispose();
            keyEncryptionKey.Dispose();
            throw;
        }
    }

    private (StoreMetadata, KeyEncryptionKey, KeyRing) OpenExisting(LiteDB.BsonDocument document, MasterKey masterKey, EncryptedTokenStoreOptions options)
    {
        var format = StoreMetadata.ReadFormat(document);
        if (format > StoreMetadata.CurrentFormat)
        {
            throw Errors.UnsupportedVersion(_file.Path, format, StoreMetadata.CurrentFormat);
        }

        var metadata = StoreMetadata.FromDocument(document);

        // Every store has these from its creation on; a damaged file header can make one vanish, and
        // a store without its tokens would otherwise look empty.
        foreach (var collection in new[] { _file.Tokens, _file.Keys, _file.KeyRing })
        {
            if (!_file.Database.CollectionExists(collection.Name))
            {
                throw Errors.Integrity($"the store file (its '{collection.Name}' collection is missing)");
            }
        }

        if (metadata.KeyKind != masterKey.Kind)
        {
            Log.WrongMasterKey(_logger, _file.Path);
            throw Errors.WrongKey(metadata.KeyKind == MasterKeyKind.Passphrase
                ? "This store was created with a passphrase, not key bytes."
                : "This store was created with key bytes (a key file or base64 value), not a passphrase.");
        }

        var keyEncryptionKey = new KeyEncryptionKey(masterKey.DeriveKeyEncryptionKey(metadata.Salt, metadata.Iterations), metadata.StoreId);
        if (!keyEncryptionKey.Verify(metadata.KeyCheck))
        {
            keyEncryptionKey.Dispose();
            Log.WrongMasterKey(_logger, _file.Path);
            throw Errors.WrongKey();
        }

        return (metadata, keyEncryptionKey, new KeyRing(_file, keyEncryptionKey, metadata.StoreId, options.TimeProvider, options.LoggerFactory));
    }

    /// <summary>Unwraps the keys the metadata names as current; a damaged key ring fails here, at open, not mid-call.</summary>
    private ActiveKeys LoadActiveKeys()
    {
        var data = _keyRing.GetDataKey(_metadata.DataKeyVersion);
        var index = _keyRing.GetIndexKey(_metadata.IndexKeyVersion);
        var previous = _metadata.Rotation?.PreviousIndexKeyVersion is { } version ? _keyRing.GetIndexKey(version) : null;
        var created = _keyRing.FindVersion(_metadata.DataKeyVersion)?.Created ?? throw Errors.Integrity("the key list");
        return new ActiveKeys(data, index, previous, created);
    }

    /// <summary>
    /// Holds the file for one operation (shared mode; a no-op in exclusive mode) and, when another process
    /// wrote since this one last looked, first reloads the metadata and keys and empties the cache.
    /// Every public member that reads or writes the file holds it; nested holds are free.
    /// </summary>
    /// <exception cref="TokenStoreException"><c>STORE_LOCKED</c> when other processes keep the file past the lock timeout.</exception>
    private StoreFile.Lease Hold()
    {
        var lease = EnterFile();
        try
        {
            if (_file.IsStale)
            {
                Resynchronize();
                _file.MarkSynchronized();
            }

            return lease;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private StoreFile.Lease EnterFile()
    {
        try
        {
            return _file.Enter();
        }
        catch (Exception e) when (Errors.IsLiteDbFailure(e) || Errors.IsDamagedData(e))
        {
            // Entering a shared file after another process wrote opens a fresh engine, which reads the file.
            throw Errors.Integrity("the store file", e);
        }
        catch (IOException e)
        {
            throw Errors.Io("reading the store", e);
        }
    }

    /// <summary>
    /// Catches up with another process's writes (shared mode): the metadata (key versions, rotation),
    /// the keys in force, and key versions revoked meanwhile; the cache starts over empty.
    /// </summary>
    private void Resynchronize()
    {
        _cache?.BeginWrite();
        try
        {
            var metadata = StoreMetadata.FromDocument(
                Read(() => _file.Metadata.FindById(StoreMetadata.DocumentId)) ?? throw Errors.Integrity("the store metadata"));
            if (!metadata.KeyCheck.AsSpan().SequenceEqual(_metadata.KeyCheck))
            {
                Log.WrongMasterKey(_logger, _file.Path);
                throw Errors.WrongKey("Another process changed the master key; reopen the store with the new one.");
            }

            _metadata = metadata;
            Read(_keyRing.ForgetUnusable);
            _active = LoadActiveKeys();
            Log.StoreReloaded(_logger, _file.Path);
        }
        finally
        {
            _cache?.EndWrite(touchedIds: null);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one LiteDB transaction. On failure it rolls back and reloads the
    /// metadata, so memory never holds a state the file does not. Every write after creation goes through
    /// here, so here what the save journal holds is applied first (<see cref="ApplyPendingOrThrow"/>), the commit is put on the disk before the write returns (<see cref="StoreFile.SyncCommitted"/>)
    /// and the store checkpoints LiteDB's log after committing (<see cref="StoreFile.CheckpointAfterWrite"/>).
    /// </summary>
    private T InTransaction<T>(Func<T> work)
    {
        using var lease = Hold();
        ApplyPendingOrThrow();
        var database = _file.Database;
        database.BeginTrans();
        T result;
        try
        {
            result = work();
            database.Commit();
            _file.SyncCommitted();
        }
        catch
        {
            try
            {
                database.Rollback();
                _metadata = StoreMetadata.FromDocument(_file.Metadata.FindById(StoreMetadata.DocumentId));
            }
            catch (Exception rollbackError) when (Errors.IsLiteDbFailure(rollbackError) || Errors.IsDamagedData(rollbackError)
                || rollbackError is IOException or ObjectDisposedException)
            {
                // LiteDB closed its engine on the first failure: nothing was committed, and every later call
                // fails until the store is reopened. The first failure is the one to report.
            }

            throw;
        }

        // Outside the transaction: keep LiteDB's log short, unless a scan would make the checkpoint wait.
        if (Volatile.Read(ref _scans) == 0)
        {
            _file.CheckpointAfterWrite();
        }

        return result;
    }

    private void SaveMetadata() => _file.Metadata.Update(_metadata.ToDocument());

    /// <summary>
    /// Warns about a store or log file that the group or others may read or write. The store creates
    /// its files 0600; one made or changed by hand keeps its mode (opening never changes it).
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private void WarnIfAccessibleByOthers(string path)
    {
        const UnixFileMode shared = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The log may be gone already; an unreadable mode is no reason to refuse a store that opened.
            return;
        }

        if ((mode & shared) != 0)
        {
            Log.FileAccessibleByOthers(_logger, path, Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0'));
        }
    }

    /// <summary>A random master key for an in-memory store; <see cref="MasterKey.FromBytes"/> copies the bytes, so these are cleared.</summary>
    private static MasterKey NewEphemeralKey()
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        try
        {
            return MasterKey.FromBytes(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
