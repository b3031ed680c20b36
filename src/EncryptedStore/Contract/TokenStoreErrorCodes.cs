namespace EncryptedStore;

/// <summary>The values of <see cref="TokenStoreException.Code"/>.</summary>
public static class TokenStoreErrorCodes
{
    /// <summary>A failure with no finer code, as in the Zoho SDKs (e.g. LiteDB refusing a write for a reason of its own).</summary>
    public const string TokenStore = "TOKEN_STORE";

    /// <summary>The master key does not open this store (wrong passphrase, key file or variable).</summary>
    public const string WrongKey = "WRONG_KEY";

    /// <summary>Stored data failed authentication: it was altered, swapped between records, or corrupted.</summary>
    public const string Integrity = "INTEGRITY";

    /// <summary>No token has the given id.</summary>
    public const string NotFound = "NOT_FOUND";

    /// <summary>The token is not acceptable: wrong type, nothing to identify it, or a field value out of bounds.</summary>
    public const string InvalidToken = "INVALID_TOKEN";

    /// <summary>Saving would make two records share a user and client, an access, refresh or grant token.</summary>
    public const string DuplicateToken = "DUPLICATE_TOKEN";

    /// <summary>A lookup without a client id matched several tokens of the same user.</summary>
    public const string AmbiguousMatch = "AMBIGUOUS_MATCH";

    /// <summary>The file exists but is not an EncryptedStore store.</summary>
    public const string NotAStore = "NOT_A_STORE";

    /// <summary>The store was written by a newer format version than this library reads.</summary>
    public const string UnsupportedVersion = "UNSUPPORTED_VERSION";

    /// <summary>Another process holds the store open.</summary>
    public const string StoreLocked = "STORE_LOCKED";

    /// <summary>The key ring holds a key that is not encrypted with the master key; the store refuses to use it.</summary>
    public const string UnprotectedKey = "UNPROTECTED_KEY";

    /// <summary>A record refers to a key that is missing, revoked or destroyed.</summary>
    public const string KeyUnavailable = "KEY_UNAVAILABLE";

    /// <summary>A key operation was refused because the key is active, still used by records, or in the wrong state.</summary>
    public const string KeyInUse = "KEY_IN_USE";

    /// <summary>
    /// A file the store would open or create is not safe to use: a symbolic link, not a regular file, another
    /// user's, or open to other users. It was left untouched.
    /// </summary>
    public const string UnsafeFile = "UNSAFE_FILE";

    /// <summary>The master key source is unusable (missing file, empty variable, too short).</summary>
    public const string InvalidMasterKey = "INVALID_MASTER_KEY";

    /// <summary>
    /// The master key's source cannot be reached: no OS key store on this platform or session (no Secret Service
    /// on the D-Bus session bus, no session bus), no systemd credential of that name, a certificate without its
    /// private key. Nothing was created or changed.
    /// </summary>
    public const string MasterKeyUnavailable = "MASTER_KEY_UNAVAILABLE";

    /// <summary>The OS key store that holds the master key is locked (e.g. the login keyring before the user logs in); unlock it and retry.</summary>
    public const string MasterKeyLocked = "MASTER_KEY_LOCKED";

    /// <summary>The OS key store holds no master key of that name, and creating one was not allowed.</summary>
    public const string MasterKeyNotFound = "MASTER_KEY_NOT_FOUND";

    /// <summary>
    /// The device holding the store is full (no space left, or the user's disk quota is used up). The call that
    /// met it changed nothing; free space and retry: the same store instance works again, without reopening.
    /// </summary>
    public const string StorageFull = "STORAGE_FULL";

    /// <summary>
    /// Reading or writing a file of the store failed (an I/O error of the device, a read-only file system, a file
    /// this user may not write). The call that met it changed nothing that was acknowledged; once the device is
    /// back, the same store instance works again, without reopening.
    /// </summary>
    public const string IoError = "IO_ERROR";

    /// <summary>
    /// The database server of a <see cref="TokenDatabase"/> store cannot be reached or gave up the call (server down,
    /// connection lost, deadlock, failover, timeout). The message names the server and database, never the password.
    /// A read may be retried; a save whose outcome was unknown is safe to retry (a save is an upsert by id). The same
    /// store instance works again as soon as the server is back, without reopening.
    /// </summary>
    public const string Unavailable = "UNAVAILABLE";
}
