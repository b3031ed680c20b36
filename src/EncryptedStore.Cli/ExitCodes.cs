namespace EncryptedStore.Cli;

/// <summary>The process exit codes of <c>tokenstore</c>; documented in the README and stable for scripts.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int WrongKey = 3;
    public const int Integrity = 4;
    public const int NotFound = 5;
    public const int Locked = 6;

    /// <summary>Stopped by Ctrl-C (SIGINT) or SIGTERM: 128 plus SIGINT's number, as shells report it.</summary>
    public const int Interrupted = 130;

    /// <summary>Maps a store error code to an exit code.</summary>
    public static int For(TokenStoreException exception) => exception.Code switch
    {
        TokenStoreErrorCodes.WrongKey or TokenStoreErrorCodes.InvalidMasterKey or TokenStoreErrorCodes.MasterKeyUnavailable
            or TokenStoreErrorCodes.MasterKeyLocked or TokenStoreErrorCodes.MasterKeyNotFound => WrongKey,
        TokenStoreErrorCodes.Integrity or TokenStoreErrorCodes.NotAStore
            or TokenStoreErrorCodes.UnprotectedKey or TokenStoreErrorCodes.KeyUnavailable => Integrity,
        TokenStoreErrorCodes.NotFound => NotFound,
        TokenStoreErrorCodes.StoreLocked => Locked,
        TokenStoreErrorCodes.StorageFull or TokenStoreErrorCodes.IoError or TokenStoreErrorCodes.Unavailable => Error,
        _ => Error,
    };
}
