using System.Security.Cryptography;
using EncryptedStore.Internal;
using EncryptedStore.Keys;
using EncryptedStore.Storage;
using LiteDB;

namespace EncryptedStore;

public sealed partial class EncryptedTokenStore
{
    /// <summary>
    /// Rotates the keys online: makes a new data key (and, when asked, a new blind-index key) that new
    /// writes use at once, then re-encrypts every record under it in batches, one transaction each,
    /// recording progress in the file. Lookups by every path and saves keep working throughout. If the
    /// process dies, the next open (or the next call) finishes the job; a call that finds a rotation
    /// in progress finishes it instead of starting another.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled between batches; the rotation stays in progress and resumes later.</exception>
    public KeyRotationResult RotateKeys(KeyRotationOptions? options = null, IProgress<KeyRotationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new KeyRotationOptions();
        options.Validate();
        bool resumed;
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var lease = Hold();
            resumed = _metadata.Rotation is not null;
            if (!resumed)
            {
                StartRotation(options.RotateIndexKey);
            }
        }

        var (scanned, rewritten, failed) = RunRotation(options.BatchSize, progress, cancellationToken);
        var active = _active;
        return new KeyRotationResult(resumed, active.Data.Version, active.Index.Version, scanned, rewritten, failed);
    }

    /// <summary>
    /// Revokes a retired key version: it no longer decrypts anything, and records still under it fail
    /// with <see cref="TokenStoreErrorCodes.KeyUnavailable"/> naming the key. Revoking twice is a no-op.
    /// </summary>
    /// <exception cref="TokenStoreException"><c>KEY_IN_USE</c> for the active version or one a running rotation needs; <c>KEY_UNAVAILABLE</c> for an unknown or destroyed version.</exception>
    public void RevokeKey(int version)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var lease = Hold();
            var info = _keyRing.FindVersion(version) ?? throw Errors.KeyUnavailable($"Key version {version} does not exist and");
            switch (info.State)
            {
                case StoreKeyState.Revoked:
                    return;
                case StoreKeyState.Destroyed:
                    throw Errors.KeyUnavailable($"Key version {version} is destroyed and");
                case StoreKeyState.Active:
                    throw Errors.KeyInUse($"Key version {version} is the active {info.Purpose.ToString().ToLowerInvariant()} key; rotate before revoking it.");
            }

            if (_metadata.Rotation?.PreviousIndexKeyVersion == version)
            {
                throw Errors.KeyInUse($"Key version {version} is needed by the rotation in progress; finish it first.");
            }

            _cache?.BeginWrite();
            try
            {
                InTransaction(() =>
                {
                    _keyRing.Revoke(version);
                    return version;
                });
                _keyRing.Forget(version);
            }
            finally
            {
                // Tokens decrypted with the revoked key must not be served from memory either.
                _cache?.EndWrite(touchedIds: null);
            }
            Log.KeyRevoked(_logger, version);
        }
    }

    /// <summary>
    /// Destroys a revoked key version: its wrapped material (and the Data Protection key that wrapped it,
    /// once no other version needs that key) is deleted from the store. To remove every trace from the
    /// file's free pages as well, run <see cref="Compact"/> afterwards.
    /// </summary>
    /// <exception cref="TokenStoreException"><c>KEY_IN_USE</c> when the version is not revoked or any record still uses it.</exception>
    public void DestroyKey(int version)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var lease = Hold();
            var info = _keyRing.FindVersion(version) ?? throw Errors.KeyUnavailable($"Key version {version} does not exist and");
            if (info.State == StoreKeyState.Destroyed)
            {
                return;
            }

            if (info.State != StoreKeyState.Revoked)
            {
                throw Errors.KeyInUse($"Key version {version} is {info.State.ToString().ToLowerInvariant()}; revoke it before destroying it.");
            }

            var field = info.Purpose == StoreKeyPurpose.Data ? "kv" : "iv";
            var users = Scan(() => _file.Tokens.Count(BsonExpression.Create($"{field} = @0", version)));
            if (users > 0)
            {
                throw Errors.KeyInUse($"Key version {version} still protects {users} records; rotate them to a newer key (RotateKeys) before destroying it.");
            }

            InTransaction(() =>
            {
                _keyRing.Destroy(version);
                return version;
            });
            _file.Checkpoint();
            Log.KeyDestroyed(_logger, version);
        }
    }

    /// <summary>
    /// Re-encrypts the key ring under <paramref name="newMasterKey"/> in one transaction: afterwards only
    /// the new key opens the store; if the process dies midway, the old one still does. Cost grows with
    /// the number of keys, not of tokens. The store does not dispose <paramref name="newMasterKey"/>.
    /// </summary>
    public void ChangeMasterKey(MasterKey newMasterKey)
    {
        ArgumentNullException.ThrowIfNull(newMasterKey);
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var lease = Hold();
            var salt = RandomNumberGenerator.GetBytes(32);
            var derived = newMasterKey.DeriveKeyEncryptionKey(salt, Pbkdf2Iterations);
            using var next = new KeyEncryptionKey((byte[])derived.Clone(), _metadata.StoreId);
            int elements;
            try
            {
                elements = InTransaction(() =>
                {
                    var count = _keyRing.Repository.Reencrypt(sealedXml =>
                    {
                        var plaintext = _keyEncryptionKey.Open(sealedXml, KeyEncryptionKey.KeyRingPurpose)
                            ?? throw Errors.Integrity("the key ring");
                        try
                        {
                            return next.Seal(plaintext, KeyEncryptionKey.KeyRingPurpose);
                        }
                        finally
                        {
                            CryptographicOperations.ZeroMemory(plaintext);
                        }
                    });
                    _metadata.Salt = salt;
                    _metadata.KeyKind = newMasterKey.Kind;
                    _metadata.Iterations = Pbkdf2Iterations;
                    _metadata.KeyCheck = next.CreateCheck();
                    SaveMetadata();
                    return count;
                });
            }
            catch
            {
                // The store keeps its key; the new one was never used.
                CryptographicOperations.ZeroMemory(derived);
                throw;
            }

            _keyEncryptionKey.Replace(derived);
            _file.Checkpoint();
            Log.MasterKeyChanged(_logger, _file.Path, elements);
        }
    }

    /// <summary>
    /// Rewrites a closed store into a fresh file and replaces the old one, so deleted records and
    /// destroyed keys leave no bytes behind in free pages. Needs no master key (it copies ciphertext).
    /// </summary>
    /// <exception cref="TokenStoreException"><c>STORE_LOCKED</c> when the store stays open elsewhere for longer than <see cref="EncryptedTokenStoreOptions.DefaultLockTimeout"/>; <c>NOT_A_STORE</c> for another file.</exception>
    public static void Compact(string filePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        var fullPath = Path.GetFullPath(filePath);
        if (!File.Exists(fullPath))
        {
            throw Errors.NotAStore(fullPath, "it does not exist.");
        }

        var temporaryPath = fullPath + ".compact";
        File.Delete(temporaryPath);
        File.Delete(StoreFile.LogPathFor(temporaryPath));
        using (var source = StoreFile.Open(fullPath, flushToDisk: true, EncryptedTokenStoreOptions.DefaultLockTimeout))
        {
            if (source.Metadata.FindById(StoreMetadata.DocumentId) is not { } metadata)
            {
                throw Errors.NotAStore(fullPath, "it has no EncryptedStore metadata.");
            }

            // Saves a process acknowledged through the journal and died before applying belong in the copy.
            source.ReplayJournal(StoreMetadata.FromDocument(metadata).StoreId);

            using var target = StoreFile.Open(temporaryPath, flushToDisk: true, TimeSpan.Zero);
            target.Database.BeginTrans();
            foreach (var (from, to) in new[] { (source.Metadata, target.Metadata), (source.KeyRing, target.KeyRing), (source.Keys, target.Keys), (source.Tokens, target.Tokens) })
            {
                to.InsertBulk(from.FindAll());
            }

            TokenRecords.EnsureIndexes(target.Tokens);
            target.Database.Commit();
            target.Database.Checkpoint();
        }

        File.Move(temporaryPath, fullPath, overwrite: true);
    }

    private void StartRotation(bool rotateIndexKey)
    {
        ForgetUniqueValues();
        InTransaction(() =>
        {
            var previousIndex = _metadata.IndexKeyVersion;
            var (dataVersion, indexVersion) = _keyRing.CreateVersions(data: true, index: rotateIndexKey);
            _metadata.DataKeyVersion = dataVersion!.Value;
            _metadata.IndexKeyVersion = indexVersion ?? previousIndex;
            _metadata.Rotation = new RotationState(rotateIndexKey ? previousIndex : null, Cursor: null, _time.GetUtcNow().UtcDateTime);
            SaveMetadata();
            return 0;
        });
        _active = LoadActiveKeys();
        Log.RotationStarted(_logger, _metadata.DataKeyVersion, _metadata.IndexKeyVersion);
    }

    /// <summary>Rewrites records in id order, one batch per transaction, until none is left under older keys.</summary>
    private (int Scanned, int Rewritten, List<string> Failed) RunRotation(int batchSize, IProgress<KeyRotationProgress>? progress, CancellationToken cancellationToken)
    {
        int total;
        using (Hold())
        {
            total = Scan(() => _file.Tokens.Count());
        }

        int scanned = 0, rewritten = 0;
        var failed = new List<string>();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (_writeLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                using var lease = Hold();
                if (_metadata.Rotation is not { } rotation)
                {
                    break;
                }

                var finished = Mutate(() => InTransaction(() =>
                {
                    var after = rotation.Cursor is null ? BsonValue.MinValue : new BsonValue(rotation.Cursor);
                    var batch = _file.Tokens.Find(BsonExpression.Create("_id > @0", after), 0, batchSize).ToList();
                    if (batch.Count == 0)
                    {
                        _metadata.Rotation = null;
                        SaveMetadata();
                        return true;
                    }

                    var active = _active;
                    var rewrites = new List<BsonDocument>(batch.Count);
                    foreach (var document in batch)
                    {
                        scanned++;
                        if (TokenRecords.KeyVersions(document) == (active.Data.Version, active.Index.Version))
                        {
                            continue;
                        }

                        var id = document["_id"].AsString;
                        try
                        {
                            rewrites.Add(TokenRecords.Encrypt(id, _records.Decrypt(document), active.Data, active.Index));
                        }
                        catch (TokenStoreException e) when (e.Code is TokenStoreErrorCodes.Integrity or TokenStoreErrorCodes.KeyUnavailable)
                        {
                            failed.Add(id);
                            Log.RotationRecordFailed(_logger, id, e.Code);
                        }
                    }

                    // One engine call per batch: LiteDB sets up its write snapshot and index services once.
                    _file.Tokens.Update(rewrites);
                    rewritten += rewrites.Count;

                    _metadata.Rotation = rotation with { Cursor = batch[^1]["_id"].AsString };
                    SaveMetadata();
                    return false;
                }), "rotating keys");

                if (finished)
                {
                    _active = LoadActiveKeys();
                    Log.RotationFinished(_logger, scanned, rewritten, failed.Count);
                    break;
                }
            }

            progress?.Report(new KeyRotationProgress(scanned, rewritten, total));
        }

        progress?.Report(new KeyRotationProgress(scanned, rewritten, total));
        return (scanned, rewritten, failed);
    }
}
