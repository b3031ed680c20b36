namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// The calls of a run on one register (a token, or one field of it) from every process's journal, each with its start
/// and end on the machine-wide monotonic clock. <see cref="Explains"/> tells whether a value read could be right: some
/// write of that value began before the read ended, and no write that ended before the read began started after that
/// write ended (it would have superseded it). So a read may return a value being written concurrently, but never one
/// older than the last write acknowledged before the read began (a stale read), nor one never written.
/// </summary>
internal sealed class RegisterHistory
{
    private readonly Dictionary<string, List<(long Start, long End)>> _writesOf = new(StringComparer.Ordinal);
    private long[] _endsOrdered = [];
    private long[] _latestStartEndedBy = [];

    /// <param name="initial">The value before any write (none, or the value the test saved before the run).</param>
    /// <param name="writes">Every acknowledged write: the value it left (none for a delete), its start and end.</param>
    public RegisterHistory(string initial, IEnumerable<(string Value, long Start, long End)> writes)
    {
        // The initial value is a write that ended before anything else began.
        var all = writes.Append((Value: initial, Start: long.MinValue, End: long.MinValue)).OrderBy(w => w.End).ToList();
        foreach (var (value, start, end) in all)
        {
            if (!_writesOf.TryGetValue(value, out var list))
            {
                _writesOf[value] = list = [];
            }

            list.Add((start, end));
        }

        _endsOrdered = all.Select(w => w.End).ToArray();
        _latestStartEndedBy = new long[all.Count];
        for (var i = 0; i < all.Count; i++)
        {
            _latestStartEndedBy[i] = Math.Max(i > 0 ? _latestStartEndedBy[i - 1] : long.MinValue, all[i].Start);
        }
    }

    /// <summary>Whether a read that ran from <paramref name="readStart"/> to <paramref name="readEnd"/> may return <paramref name="value"/>.</summary>
    public bool Explains(string value, long readStart, long readEnd)
    {
        var bound = LatestStartBefore(readStart);
        return _writesOf.TryGetValue(value, out var writes) && writes.Any(w => w.Start < readEnd && w.End >= bound);
    }

    /// <summary>Whether <paramref name="value"/> may be the register's value after every call ended.</summary>
    public bool ExplainsFinal(string value) => Explains(value, long.MaxValue, long.MaxValue);

    /// <summary>The latest start among the writes that ended before <paramref name="time"/>; MinValue when none did.</summary>
    private long LatestStartBefore(long time)
    {
        var index = Array.BinarySearch(_endsOrdered, time);
        var count = index >= 0 ? index : ~index;
        while (count > 0 && _endsOrdered[count - 1] >= time)
        {
            count--;
        }

        return count == 0 ? long.MinValue : _latestStartEndedBy[count - 1];
    }
}
