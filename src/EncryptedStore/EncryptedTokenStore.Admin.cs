using EncryptedStore.Internal;
using EncryptedStore.Storage.LiteDb;

namespace EncryptedStore;

public sealed partial class EncryptedTokenStore
{
    /// <summary>
    /// Rotates the keys online: makes a new data key (and, when asked, a new blind-index key) that new
    /// writes use at once, then re-encrypts every record under it in batches, one transaction each,
    /// recording progress in the file. Lookups by every path and saves keep working throughout. If the
    /// process dies, the next open resumes the job in the background; this call first waits for that,
    /// and a call that finds a rotation in progress finishes it instead of starting another.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="KeyRotationOptions.BatchSize"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between batches; the rotation stays in progress and resumes later.</exception>
    /// <exception cref="TokenStoreException"><c>TOKEN_STORE</c> when the file cannot be written; the rotation stays in progress.</exception>
    public KeyRotationResult RotateKeys(KeyRotationOptions? options = null, IProgress<KeyRotationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new KeyRotationOptions();
        options.Validate();
        _pipeline.ThrowIfDisposed();
        return _rotation.Rotate(options, progress, cancellationToken);
    }

    /// <summary>
    /// Revokes a retired key version: it no longer decrypts anything, and records still under it fail
    /// with <see cref="TokenStoreErrorCodes.KeyUnavailable"/> naming the key. Revoking twice is a no-op.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException"><c>KEY_IN_USE</c> for the active version or one a running rotation needs; <c>KEY_UNAVAILABLE</c> for an unknown or destroyed version.</exception>
    public void RevokeKey(int version) => _administration.Revoke(version);

    /// <summary>
    /// Destroys a revoked key version: its wrapped material (and the Data Protection key that wrapped it,
    /// once no other version needs that key) is deleted from the store. To remove every trace from the
    /// file's free pages as well, run <see cref="Compact(string)"/> afterwards.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException"><c>KEY_IN_USE</c> when the version is not revoked or any record still uses it; <c>KEY_UNAVAILABLE</c> for an unknown version.</exception>
    public void DestroyKey(int version) => _administration.Destroy(version);

    /// <summary>
    /// Re-encrypts the key ring under <paramref name="newMasterKey"/> in one transaction: afterwards only
    /// the new key opens the store; if the process dies midway, the old one still does. Cost grows with
    /// the number of keys, not of tokens. The store does not dispose <paramref name="newMasterKey"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="newMasterKey"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The store, or <paramref name="newMasterKey"/>, was disposed.</exception>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c> when the key ring does not open; <c>TOKEN_STORE</c> when the file cannot be written. The store keeps its key then.</exception>
    public void ChangeMasterKey(MasterKey newMasterKey)
    {
        ArgumentNullException.ThrowIfNull(newMasterKey);
        ChangeMasterKeyAndFiles(newMasterKey);
    }

    /// <summary>
    /// The procedure for a master key that may have leaked: the new master key protects the key ring, new data and
    /// index keys are made and every record is rewritten under them (online, as <see cref="RotateKeys"/>), then every
    /// older key version is destroyed (<see cref="DestroyUnusedKeys"/>). Afterwards nothing in the file opens with the
    /// old master key, not even a copy of the old key ring spliced back in. To remove the old keys' bytes from free
    /// pages too, dispose the store and run <see cref="Compact(string)"/> (the CLI's <c>change-master-key</c> does all of this).
    /// Backups taken before stay readable with the old key: see SECURITY.md.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="newMasterKey"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The store, or <paramref name="newMasterKey"/>, was disposed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between rotation batches: the new master key is in force, the rotation resumes later, and no key was destroyed yet.</exception>
    /// <exception cref="TokenStoreException"><c>TOKEN_STORE</c> or <c>INTEGRITY</c> as for <see cref="ChangeMasterKey"/> and <see cref="RotateKeys"/>.</exception>
    public KeyRotationResult ChangeMasterKeyAndRotateKeys(MasterKey newMasterKey, IProgress<KeyRotationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(newMasterKey);
        ChangeMasterKeyAndFiles(newMasterKey);
        var options = new KeyRotationOptions { RotateIndexKey = true };
        var result = _rotation.Rotate(options, progress, cancellationToken);
        if (result.Resumed)
        {
            // That finished a rotation begun before the change: the procedure needs keys made after it.
            result = _rotation.Rotate(options, progress, cancellationToken);
        }

        _administration.DestroyUnused();
        return result;
    }

    /// <summary>
    /// Revokes and destroys every key version that is neither active nor used by a record (nor needed by a rotation
    /// in progress), as <see cref="RevokeKey"/> and <see cref="DestroyKey"/> would one by one. Returns the versions destroyed.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException"><c>TOKEN_STORE</c> when the file cannot be written.</exception>
    public IReadOnlyList<int> DestroyUnusedKeys() => _administration.DestroyUnused();

    /// <summary>
    /// Rewrites a closed store into a fresh file and replaces the old one, so deleted records and
    /// destroyed keys leave no bytes behind in free pages. Needs no master key (it copies ciphertext).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="filePath"/> is null or blank.</exception>
    /// <exception cref="TokenStoreException"><c>STORE_LOCKED</c> when the store stays open elsewhere for longer than <see cref="EncryptedTokenStoreOptions.DefaultLockTimeout"/>; <c>NOT_A_STORE</c> for another file; <c>INTEGRITY</c> or <c>TOKEN_STORE</c> when it cannot be read or written.</exception>
    public static void Compact(string filePath) => Compact(filePath, progress: null);

    /// <summary>
    /// As <see cref="Compact(string)"/>, reporting the documents copied after each batch (tokens, keys and
    /// metadata; a few thousand per batch) and stopping between batches when cancelled: the store is then left as
    /// it was, and the partial copy is deleted.
    /// </summary>
    /// <param name="filePath">The store file; it must not be open in any process.</param>
    /// <param name="progress">Receives the documents copied so far and the total, after each batch; may be null.</param>
    /// <param name="lockTimeout">How long to wait while another process has the store open; default <see cref="EncryptedTokenStoreOptions.DefaultLockTimeout"/>, zero: do not wait.</param>
    /// <param name="cancellationToken">Stops the copy between batches; the store file is not changed.</param>
    /// <exception cref="ArgumentException"><paramref name="filePath"/> is null or blank, or <paramref name="lockTimeout"/> is negative.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the copy replaced the store; the store is unchanged.</exception>
    /// <exception cref="TokenStoreException">As <see cref="Compact(string)"/>.</exception>
    public static void Compact(string filePath, IProgress<CompactionProgress>? progress, TimeSpan? lockTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        ArgumentOutOfRangeException.ThrowIfLessThan(lockTimeout ?? TimeSpan.Zero, TimeSpan.Zero, nameof(lockTimeout));
        LiteDbCompaction.Compact(Path.GetFullPath(filePath), lockTimeout ?? EncryptedTokenStoreOptions.DefaultLockTimeout, progress, cancellationToken);
    }

    /// <summary>
    /// The process id of another process that holds the store at <paramref name="filePath"/> open (its file lock),
    /// for messages such as "waiting for PID 4242"; null when none is found. Best effort: only Linux tells
    /// (through <c>/proc/locks</c>), and a process in another PID namespace is not seen.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="filePath"/> is null or blank.</exception>
    public static int? FindLockingProcessId(string filePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        return LockHolder.FindProcessId(Path.GetFullPath(filePath));
    }

    /// <summary>Counts tokens, per key version too, and reports the file size and format. Reads every record's key versions (no decryption).</summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c> when the file cannot be read.</exception>
    public StoreStatistics GetStatistics()
    {
        _pipeline.ThrowIfDisposed();
        return _inspector.GetStatistics();
    }

    /// <summary>
    /// Decrypts every record, recomputes its blind indexes and checks that each lookup index leads back
    /// to it, checks that every lookup index lists the same records as the id index (a damaged index can
    /// hide a record from listings without an error), and unwraps every live key version; reports what
    /// fails instead of throwing. Runs alongside other calls; takes time proportional to the store.
    /// </summary>
    /// <param name="progress">Receives the number of records checked so far, every 1,000 records and at the end.</param>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c> when the file cannot be read at all.</exception>
    public StoreVerification Verify(IProgress<int>? progress = null)
    {
        _pipeline.ThrowIfDisposed();
        return _inspector.Verify(progress);
    }

    /// <summary>
    /// Deletes, in one transaction, every token whose access token expired more than
    /// <paramref name="olderThan"/> ago and that has no refresh token (null or empty) to renew it: a
    /// refresh token keeps a token alive however long ago its access token expired. The expiry is
    /// <see cref="OAuthToken.ExpiresIn"/> read as absolute Unix epoch milliseconds in decimal (the SDK's
    /// meaning); a token whose <c>ExpiresIn</c> is missing or not such a number is kept. "Now" comes from
    /// <see cref="EncryptedTokenStoreOptions.TimeProvider"/>.
    /// </summary>
    /// <param name="olderThan">How long after its expiry a token is kept; <see cref="TimeSpan.Zero"/> deletes every expired one.</param>
    /// <returns>How many tokens were deleted.</returns>
    /// <remarks>
    /// Thread-safe: serialised with saves and deletes, while lookups go on. Decrypts every record to
    /// read its expiry, so it takes time proportional to the store.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="olderThan"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>INTEGRITY</c> when a record was tampered with, or <c>KEY_UNAVAILABLE</c> when one is under a
    /// revoked key: its expiry cannot be read, and nothing is deleted.
    /// </exception>
    public int PurgeExpired(TimeSpan olderThan)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(olderThan, TimeSpan.Zero);

        // In milliseconds, where now minus any TimeSpan stays far inside a long (a DateTimeOffset would not).
        var cutoff = checked(_time.GetUtcNow().ToUnixTimeMilliseconds() - (olderThan.Ticks / TimeSpan.TicksPerMillisecond));
        return _writer.PurgeExpired(cutoff, olderThan);
    }

    /// <summary>
    /// The master-key change with what lives beside the store: a key wrapped to a certificate or DPAPI is added to
    /// <c>NAME-masterkey.json</c> before the change commits and the old ones are removed after; a key of another kind
    /// deletes that file once committed. Under the write lock, so two changes never interleave.
    /// </summary>
    private void ChangeMasterKeyAndFiles(MasterKey newMasterKey)
    {
        using var activity = StoreTracing.Start(StoreTracing.ChangeMasterKey, FilePath);
        try
        {
            _pipeline.Serialized(() =>
            {
                using var pending = newMasterKey.Prepare(FilePath == EncryptedTokenStoreOptions.InMemory ? null : FilePath);
                var elements = _administration.ChangeMasterKey(pending.Key);
                activity?.SetTag(StoreTracing.KeyRingElements, elements);
                pending.Commit();
            });
        }
        catch (Exception e)
        {
            StoreTracing.Fail(activity, e);
            throw;
        }
    }
}
