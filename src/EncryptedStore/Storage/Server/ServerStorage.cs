using Microsoft.Extensions.Logging;

namespace EncryptedStore.Storage.Server;

/// <summary>The storage seam on a database server (fleet mode). Being written: see issue 13.</summary>
internal static class ServerStorage
{
    /// <summary>Opens (and on first use creates the tables of) the store <paramref name="database"/> names.</summary>
    public static ITokenStorage Open(TokenDatabase database, TimeSpan lockTimeout, TimeSpan maxStaleness, TimeProvider time, ILogger logger) =>
        throw new TokenStoreException(TokenStoreErrorCodes.Unavailable, $"Database stores are not built yet ({database}, {lockTimeout}, {maxStaleness}, {time}, {logger}).");
}
