namespace EncryptedStore.Storage;

/// <summary>
/// Reads every record in id order, a bounded query at a time (<see cref="ITokenStorage.ReadRecordsAfter"/>), for work
/// that runs beside the app (the cache's warm-up, the unique-value filter's build) and must end on any file. A damaged
/// index can answer "after this id" with that id again, or lead back to earlier ones: the pager stops when a query does
/// not move past its cursor, or once it has read twice the records the store counted at the start (plus slack for
/// records written meanwhile). Not thread-safe.
/// </summary>
internal sealed class RecordPager(ITokenStorage storage, int size)
{
    private const int Slack = 10_000;

    private string? _cursor;
    private long _read;
    private long _limit = -1;
    private bool _done;

    /// <summary>The next records after the last one returned; empty at the end (or where the index stops making sense).</summary>
    public IReadOnlyList<StoredRecord> Next()
    {
        if (_done)
        {
            return [];
        }

        if (_limit < 0)
        {
            _limit = (2L * storage.CountRecords()) + Slack;
        }

        var chunk = storage.ReadRecordsAfter(_cursor, size);
        _read += chunk.Count;
        if (chunk.Count == 0 || (_cursor is not null && chunk[0].Id == _cursor) || _read > _limit)
        {
            _done = true;
            return [];
        }

        _cursor = chunk[^1].Id;
        return chunk;
    }
}
