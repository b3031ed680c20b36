using System.Collections.Concurrent;

namespace EncryptedStore.Benchmarks.Soak;

/// <summary>Errors of a soak run from every thread: a count per code and the first few described.</summary>
internal sealed class SoakErrors
{
    /// <summary>The code of a wrong answer: a read that differs from what the run last wrote.</summary>
    public const string Mismatch = "MISMATCH";

    private const int DescribedErrors = 10;

    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _first = new();

    public long Count => _counts.Values.Sum();

    /// <summary>Counts one error. <paramref name="description"/> names operations, ids, codes and fields only, never a value.</summary>
    public void Add(string code, string description)
    {
        _counts.AddOrUpdate(code, 1, (_, count) => count + 1);
        if (_first.Count < DescribedErrors)
        {
            _first.Enqueue(description);
        }
    }

    public IReadOnlyDictionary<string, long> Counts() => new Dictionary<string, long>(_counts, StringComparer.Ordinal);

    public IReadOnlyList<string> First() => [.. _first.Take(DescribedErrors)];
}
