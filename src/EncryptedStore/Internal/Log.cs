using Microsoft.Extensions.Logging;

namespace EncryptedStore.Internal;

/// <summary>The store's log events. They name paths, record ids and key versions, never a secret.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Created a new token store at '{Path}'")]
    public static partial void StoreCreated(ILogger logger, string path);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Opened the token store at '{Path}' (data key version {DataKeyVersion}, index key version {IndexKeyVersion})")]
    public static partial void StoreOpened(ILogger logger, string path, int dataKeyVersion, int indexKeyVersion);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The master key does not open the token store at '{Path}'")]
    public static partial void WrongMasterKey(ILogger logger, string path);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Saved token '{Id}' ({Action})")]
    public static partial void TokenSaved(ILogger logger, string id, string action);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Deleted token '{Id}'")]
    public static partial void TokenDeleted(ILogger logger, string id);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Deleted all {Count} tokens")]
    public static partial void AllTokensDeleted(ILogger logger, int count);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "Token record '{Id}' failed its integrity check")]
    public static partial void RecordIntegrityFailure(ILogger logger, string id);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Refused to save a token: {Code}")]
    public static partial void SaveRefused(ILogger logger, string code);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "The data key reached its lifetime; new writes use data key version {Version}")]
    public static partial void DataKeyRotatedOnSchedule(ILogger logger, int version);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Resuming an interrupted key rotation of '{Path}'")]
    public static partial void RotationResumed(ILogger logger, string path);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Key rotation started: data key version {DataKeyVersion}, index key version {IndexKeyVersion}")]
    public static partial void RotationStarted(ILogger logger, int dataKeyVersion, int indexKeyVersion);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Key rotation finished: {Scanned} records scanned, {Rewritten} rewritten, {Failed} failed")]
    public static partial void RotationFinished(ILogger logger, int scanned, int rewritten, int failed);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "Key rotation could not rewrite token record '{Id}': {Code}")]
    public static partial void RotationRecordFailed(ILogger logger, string id, string code);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Key version {Version} revoked")]
    public static partial void KeyRevoked(ILogger logger, int version);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Key version {Version} destroyed")]
    public static partial void KeyDestroyed(ILogger logger, int version);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "The master key of '{Path}' was changed; {Elements} key ring elements re-encrypted")]
    public static partial void MasterKeyChanged(ILogger logger, string path, int elements);

    // Event 17 (a store file accessible by other users) is retired: such a file is now refused (UNSAFE_FILE).

    [LoggerMessage(EventId = 18, Level = LogLevel.Information, Message = "Purged {Count} tokens that expired more than {OlderThan} ago without a refresh token")]
    public static partial void ExpiredTokensPurged(ILogger logger, int count, TimeSpan olderThan);

    [LoggerMessage(EventId = 19, Level = LogLevel.Debug, Message = "Reloaded '{Path}' after another process wrote to it")]
    public static partial void StoreReloaded(ILogger logger, string path);

    [LoggerMessage(EventId = 20, Level = LogLevel.Error, Message = "Applying the save journal to the store file failed; the journal keeps the saves, and the next open replays them")]
    public static partial void JournalApplyFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Replayed {Count} saves from the journal of '{Path}', left by a process that did not close the store")]
    public static partial void JournalReplayed(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 22, Level = LogLevel.Debug, Message = "Could not build the filter of unique lookup values; journaled saves check LiteDB's indexes instead")]
    public static partial void UniqueValuesNotBuilt(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "The resumed key rotation stopped before finishing; the next open or RotateKeys resumes it")]
    public static partial void RotationPaused(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning, Message = "The save journal '{Path}' was not applied and was moved aside to '{Quarantined}': {Reason}")]
    public static partial void JournalQuarantined(ILogger logger, string path, string quarantined, string reason);

    [LoggerMessage(EventId = 25, Level = LogLevel.Warning, Message = "The save journal '{Path}' cannot be created ({Reason}); saves take the ordinary path")]
    public static partial void JournalNotStarted(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 26, Level = LogLevel.Warning, Message = "The storage engine of '{Path}' failed and was replaced by a fresh one over the same file; the store state was reloaded")]
    public static partial void EngineReopened(ILogger logger, string path, Exception exception);
}
