namespace EncryptedStore.Internal;

/// <summary>The one place that builds the exceptions the store throws, so codes and wording stay consistent.</summary>
internal static class Errors
{
    // Errno values as .NET reports them on Unix (IOException.HResult), and Windows' HRESULTs for a full disk.
    private const int NoSpace = 28;
    private const int QuotaExceededLinux = 122;
    private const int QuotaExceededMac = 69;
    private const int ReadOnlyFileSystem = 30;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    public static TokenStoreException NotFound(string id) =>
        new(TokenStoreErrorCodes.NotFound, $"Given ID is invalid: no token has id '{id}'.");

    public static TokenStoreException InvalidToken(string reason) =>
        new(TokenStoreErrorCodes.InvalidToken, $"The token is not valid: {reason}");

    public static TokenStoreException Duplicate(string field) =>
        new(TokenStoreErrorCodes.DuplicateToken, $"Exception in saving tokens: another record already holds the same {field}; nothing was written.");

    public static TokenStoreException Ambiguous() =>
        new(TokenStoreErrorCodes.AmbiguousMatch, "Several tokens of this user exist for different clients; give the client id to choose one.");

    /// <summary>An INTEGRITY failure of <paramref name="what"/>; counted by <see cref="StoreMetrics.IntegrityFailures"/>.</summary>
    public static TokenStoreException Integrity(string what, Exception? cause = null)
    {
        StoreMetrics.IntegrityFailure();
        return new(TokenStoreErrorCodes.Integrity, $"Integrity check failed for {what}: the data was altered or corrupted.", cause);
    }

    public static TokenStoreException WrongKey(string? hint = null) =>
        new(TokenStoreErrorCodes.WrongKey, "The master key does not open this store." + (hint is null ? string.Empty : " " + hint));

    public static TokenStoreException NotAStore(string path, string reason, Exception? cause = null) =>
        new(TokenStoreErrorCodes.NotAStore, $"'{path}' is not an EncryptedStore store: {reason} The file was left unchanged.", cause);

    public static TokenStoreException UnsupportedVersion(string path, int found, int supported) =>
        new(TokenStoreErrorCodes.UnsupportedVersion, $"'{path}' has store format version {found}; this library reads up to version {supported}. Upgrade EncryptedStore. The file was left unchanged.");

    /// <summary>STORE_LOCKED; <paramref name="holder"/> names the process that holds it when known ("PID 4242, myapp").</summary>
    public static TokenStoreException Locked(string path, Exception cause, string? holder = null) =>
        new(TokenStoreErrorCodes.StoreLocked, holder is null ? $"'{path}' is open in another process." : $"'{path}' is open in another process ({holder}).", cause);

    public static TokenStoreException UnprotectedKey(string name) =>
        new(TokenStoreErrorCodes.UnprotectedKey, $"Key ring element '{name}' is not encrypted with the master key; refusing to use it.");

    /// <summary>A key that cannot be used; <paramref name="message"/> is a whole sentence naming it and why.</summary>
    public static TokenStoreException KeyUnavailable(string message, Exception? cause = null) =>
        new(TokenStoreErrorCodes.KeyUnavailable, message, cause);

    /// <summary>A file beside the store that is refused: <paramref name="why"/> says what is wrong with it, without a full stop.</summary>
    public static TokenStoreException UnsafeFile(string path, string why) =>
        new(TokenStoreErrorCodes.UnsafeFile, $"'{path}' is refused: {why}. It was left untouched.");

    public static TokenStoreException KeyInUse(string reason) =>
        new(TokenStoreErrorCodes.KeyInUse, reason);

    public static TokenStoreException InvalidMasterKey(string reason, Exception? cause = null) =>
        new(TokenStoreErrorCodes.InvalidMasterKey, $"The master key is not usable: {reason}", cause);

    /// <summary>The master key's source cannot be reached; <paramref name="message"/> is whole sentences naming the source and what to do.</summary>
    public static TokenStoreException MasterKeyUnavailable(string message, Exception? cause = null) =>
        new(TokenStoreErrorCodes.MasterKeyUnavailable, message, cause);

    public static TokenStoreException MasterKeyLocked(string store, Exception? cause = null) =>
        new(TokenStoreErrorCodes.MasterKeyLocked, $"The {store} that holds the master key is locked; unlock it (for example by logging in to the desktop session) and retry. Nothing was changed.", cause);

    public static TokenStoreException MasterKeyNotFound(string store, string name) =>
        new(TokenStoreErrorCodes.MasterKeyNotFound, $"The {store} holds no master key named '{name}', and creating one was not allowed. Check the name; nothing was created.");

    /// <summary>
    /// The database server of a store could not serve <paramref name="operation"/>. <paramref name="server"/> is
    /// <c>Kind(host:port/database, tables prefix*)</c>; <paramref name="reason"/> is the driver's message, which names no
    /// password. <paramref name="outcomeUnknown"/> when a commit was sent and its answer lost.
    /// </summary>
    public static TokenStoreException Unavailable(string server, string operation, string reason, Exception? cause = null, bool outcomeUnknown = false) =>
        new(
            TokenStoreErrorCodes.Unavailable,
            $"The database server {server} is unavailable while {operation}: {reason}. "
                + (outcomeUnknown
                    ? "The commit's outcome is unknown: retrying the save is safe (a save is an upsert by id)."
                    : "Nothing was changed; retry once the server is back (the same store instance reconnects by itself)."),
            cause);

    /// <summary>
    /// A storage failure while doing <paramref name="operation"/> (a gerund phrase, such as "saving tokens") on the
    /// store at <paramref name="path"/>. A full device (ENOSPC, EDQUOT; Windows ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL)
    /// anywhere in the causes is <see cref="TokenStoreErrorCodes.StorageFull"/>; any other I/O failure is
    /// <see cref="TokenStoreErrorCodes.IoError"/> (a read-only file system or a file this user may not write says so);
    /// a failure that is not I/O keeps <see cref="TokenStoreErrorCodes.TokenStore"/>. The system's message is kept
    /// for I/O failures (it names the file and the error, never a value).
    /// </summary>
    public static TokenStoreException Io(string operation, Exception cause, string? path = null)
    {
        var where = path is null ? "the store" : $"'{path}'";
        return IoCause(cause) switch
        {
            IOException io when IsDiskFull(io.HResult) => new(
                TokenStoreErrorCodes.StorageFull,
                $"No space left on the device holding {where} while {operation}; free space and retry: the store is unchanged.",
                cause),
            IOException io when io.HResult == ReadOnlyFileSystem => new(
                TokenStoreErrorCodes.IoError,
                $"The store failed while {operation}: the device holding {where} is read-only ({io.Message}).",
                cause),
            UnauthorizedAccessException denied => new(
                TokenStoreErrorCodes.IoError,
                $"The store failed while {operation}: {where} is read-only for this user, or its folder is (permission denied: {denied.Message}).",
                cause),
            { } io => new(TokenStoreErrorCodes.IoError, $"The store failed while {operation}: {io.Message}", cause),
            null => new(TokenStoreErrorCodes.TokenStore, $"The store failed while {operation} ({cause.GetType().Name}).", cause),
        };
    }

    private static bool IsDiskFull(int hresult) =>
        hresult is NoSpace or WindowsDiskFull or WindowsHandleDiskFull || (hresult == QuotaExceededLinux && OperatingSystem.IsLinux()) || (hresult == QuotaExceededMac && OperatingSystem.IsMacOS());

    /// <summary>The first I/O failure in the chain of causes (LiteDB or the runtime may wrap it); null when there is none.</summary>
    private static Exception? IoCause(Exception cause)
    {
        for (Exception? e = cause; e is not null; e = e.InnerException)
        {
            if (e is IOException or UnauthorizedAccessException)
            {
                return e;
            }

            if (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
            {
                return IoCause(aggregate.InnerExceptions[0]);
            }
        }

        return null;
    }
}
