using System.Collections.Concurrent;
using System.Diagnostics;

namespace EncryptedStore.Benchmarks.Fleet;

/// <summary>
/// The SQL statements the drivers run while it is open, from their own activity sources (MySqlConnector's and
/// Npgsql's, one activity per command), counted by text: what the round trips of an operation are spent on.
/// Statement texts hold parameter names, never values.
/// </summary>
internal sealed class StatementLog : IDisposable
{
    private static readonly string[] Sources = ["MySqlConnector", "Npgsql"];
    private static readonly string[] TextTags = ["db.query.text", "db.statement"];

    private readonly ActivityListener _listener;
    private readonly ConcurrentDictionary<string, int> _statements = new(StringComparer.Ordinal);

    public StatementLog()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => Sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                var text = TextTags.Select(activity.GetTagItem).OfType<string>().FirstOrDefault() ?? activity.DisplayName;
                _statements.AddOrUpdate(text, 1, (_, count) => count + 1);
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The statements so far with how often each ran, most frequent first; then forgets them.</summary>
    public IReadOnlyList<(string Statement, int Count)> Take()
    {
        var taken = _statements.Select(p => (p.Key, p.Value)).OrderByDescending(p => p.Value).ToList();
        _statements.Clear();
        return taken;
    }

    public void Dispose() => _listener.Dispose();
}
