using Microsoft.Extensions.Logging;

namespace EncryptedStore.Storage.Server;

/// <summary>Log events of the database storage (ids 300 and up); they name the server and the failure, never the connection string.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "The connection to {Server} failed while {Operation}; its connection pool was cleared, the next call reconnects: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string server, string operation, string reason);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "The tables of {Server} are in place (schema version {Version})")]
    public static partial void SchemaEnsured(ILogger logger, string server, int version);
}
