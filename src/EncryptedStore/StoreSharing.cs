namespace EncryptedStore;

/// <summary>How a store file is shared between processes; see <see cref="EncryptedTokenStoreOptions.Sharing"/>.</summary>
public enum StoreSharing
{
    /// <summary>
    /// One process holds the file from open to dispose; another waits (up to
    /// <see cref="EncryptedTokenStoreOptions.LockTimeout"/>) to open it. The fastest mode, and the default.
    /// </summary>
    Exclusive = 0,

    /// <summary>
    /// Several processes open the file at once; each call takes a lock file (<c>name-lock.ext</c>) for its
    /// duration, waiting up to <see cref="EncryptedTokenStoreOptions.LockTimeout"/>. A process notices another's
    /// writes at its next call (a write generation in the lock file) and rereads, so its cache never serves a
    /// token another process has changed. Costs a file read per cache hit and a lock per file access.
    /// Every process on the file must use this mode; an exclusive opener waits for all of them to close it.
    /// </summary>
    Shared = 1,
}
