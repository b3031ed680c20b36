using LiteDB;

namespace EncryptedStore.Internal;

/// <summary>The one place that builds the exceptions the store throws, so codes and wording stay consistent.</summary>
internal static class Errors
{
    public static TokenStoreException NotFound(string id) =>
        new(TokenStoreErrorCodes.NotFound, $"Given ID is invalid: no token has id '{id}'.");

    public static TokenStoreException InvalidToken(string reason) =>
        new(TokenStoreErrorCodes.InvalidToken, $"The token is not valid: {reason}");

    public static TokenStoreException Duplicate(string field) =>
        new(TokenStoreErrorCodes.DuplicateToken, $"Exception in saving tokens: another record already holds the same {field}; nothing was written.");

    public static TokenStoreException Ambiguous() =>
        new(TokenStoreErrorCodes.AmbiguousMatch, "Several tokens of this user exist for different clients; give the client id to choose one.");

    public static TokenStoreException Integrity(string what, Exception? cause = null) =>
        new(TokenStoreErrorCodes.Integrity, $"Integrity check failed for {what}: the data was altered or corrupted.", cause);

    public static TokenStoreException WrongKey(string? hint = null) =>
        new(TokenStoreErrorCodes.WrongKey, "The master key does not open this store." + (hint is null ? string.Empty : " " + hint));

    public static TokenStoreException NotAStore(string path, string reason, Exception? cause = null) =>
        new(TokenStoreErrorCodes.NotAStore, $"'{path}' is not an EncryptedStore store: {reason} The file was left unchanged.", cause);

    public static TokenStoreException UnsupportedVersion(string path, int found, int supported) =>
        new(TokenStoreErrorCodes.UnsupportedVersion, $"'{path}' has store format version {found}; this library reads up to version {supported}. Upgrade EncryptedStore. The file was left unchanged.");

    public static TokenStoreException Locked(string path, Exception cause) =>
        new(TokenStoreErrorCodes.StoreLocked, $"'{path}' is open in another process.", cause);

    public static TokenStoreException UnprotectedKey(string name) =>
        new(TokenStoreErrorCodes.UnprotectedKey, $"Key ring element '{name}' is not encrypted with the master key; refusing to use it.");

    public static TokenStoreException KeyUnavailable(string what, Exception? cause = null) =>
        new(TokenStoreErrorCodes.KeyUnavailable, $"{what} is not available.", cause);

    public static TokenStoreException KeyInUse(string reason) =>
        new(TokenStoreErrorCodes.KeyInUse, reason);

    public static TokenStoreException InvalidMasterKey(string reason, Exception? cause = null) =>
        new(TokenStoreErrorCodes.InvalidMasterKey, $"The master key is not usable: {reason}", cause);

    public static TokenStoreException Io(string operation, Exception cause) =>
        new(TokenStoreErrorCodes.TokenStore, $"Exception in {operation}: {cause.GetType().Name}.", cause);

    /// <summary>
    /// True for LiteDB's own failures: its <see cref="LiteException"/>, and the plain <see cref="Exception"/>
    /// its internal consistency checks throw ("LiteDB ENSURE: …"), after which it closes its engine.
    /// </summary>
    public static bool IsLiteDbFailure(Exception e) =>
        e is LiteException || (e.GetType() == typeof(Exception) && e.Message.StartsWith("LiteDB ENSURE", StringComparison.Ordinal));

    /// <summary>
    /// True for what LiteDB throws when a page it reads was altered or corrupted: its consistency checks
    /// (<see cref="LiteException.INVALID_DATAFILE_STATE"/>) and the runtime's errors from decoding garbage
    /// (malformed UTF-8, unknown BSON types, out-of-range values, invalid casts or offsets). Only for
    /// exceptions thrown from inside a LiteDB call, where they cannot be a mistake of the caller's.
    /// </summary>
    public static bool IsDamagedData(Exception e) => e switch
    {
        LiteException lite => lite.ErrorCode == LiteException.INVALID_DATAFILE_STATE,
        ObjectDisposedException => false,
        ArgumentException or NotSupportedException or NotImplementedException or InvalidCastException
            or IndexOutOfRangeException or NullReferenceException or OverflowException or InvalidOperationException
            or KeyNotFoundException or FormatException => true,
        _ => false,
    };
}
