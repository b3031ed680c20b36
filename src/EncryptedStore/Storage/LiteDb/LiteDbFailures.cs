using EncryptedStore.Internal;
using LiteDB;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>
/// Tells what a failure inside a LiteDB call means, and turns it into the store's exception. Used only
/// around calls into LiteDB, where an exception cannot be a mistake of ours: the store's own code maps
/// documents without relying on exceptions.
/// </summary>
internal static class LiteDbFailures
{
    /// <summary>
    /// True for LiteDB's own failures: its <see cref="LiteException"/>, and the plain <see cref="Exception"/>
    /// its internal consistency checks throw ("LiteDB ENSURE: …"), after which it closes its engine.
    /// </summary>
    public static bool IsLiteDbFailure(Exception e) =>
        e is LiteException || (e.GetType() == typeof(Exception) && e.Message.StartsWith("LiteDB ENSURE", StringComparison.Ordinal));

    /// <summary>
    /// True for what LiteDB throws when a page it reads was altered or corrupted: its consistency checks
    /// (<see cref="LiteException.INVALID_DATAFILE_STATE"/>) and the runtime's errors from decoding garbage
    /// (malformed UTF-8, unknown BSON types, out-of-range values, invalid casts or offsets).
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

    /// <summary>True for anything a LiteDB call may throw that <see cref="Translate"/> turns into a store exception.</summary>
    public static bool IsStorageFailure(Exception e) =>
        IsLiteDbFailure(e) || IsDamagedData(e) || e is IOException or ObjectDisposedException or UnauthorizedAccessException;

    /// <summary>
    /// The store's exception for a failure of a LiteDB call: damaged data (or the engine LiteDB closed after
    /// an earlier consistency failure) is an integrity failure; when reading, so is any other LiteDB error;
    /// the rest (I/O, or LiteDB refusing a write) is a storage failure of <paramref name="operation"/>.
    /// </summary>
    public static TokenStoreException Translate(Exception e, string operation, bool writing, string? path = null) => e switch
    {
        TokenStoreException already => already,
        _ when IsDamagedData(e) || e is ObjectDisposedException => Errors.Integrity("the store file", e),
        _ when IsLiteDbFailure(e) && !writing => Errors.Integrity("the store file", e),
        _ => Errors.Io(operation, e, path),
    };

    /// <summary>
    /// True for a failure after which the engine is not to be trusted: an I/O error (LiteDB closes its engine and
    /// then rethrows it from every call), its consistency failure (<see cref="LiteException.INVALID_DATAFILE_STATE"/>,
    /// which also closes it, or a plain "LiteDB ENSURE" exception), or a closed engine. The storage then replaces it.
    /// </summary>
    public static bool IsEngineFailure(Exception e) => e switch
    {
        IOException or UnauthorizedAccessException or ObjectDisposedException => true,
        LiteException lite => lite.ErrorCode is LiteException.INVALID_DATAFILE_STATE or LiteException.ENGINE_DISPOSED,
        _ => IsLiteDbFailure(e),
    };
}
