namespace EncryptedStore.Storage;

/// <summary>An armed <see cref="IoFaultPlan"/>: counts the calls it matches and fails the planned ones; disposing disarms it.</summary>
internal sealed class IoFaultScope : IDisposable
{
    private long _calls;
    private long _failures;

    internal IoFaultScope(IoFaultPlan plan) => Plan = plan;

    public IoFaultPlan Plan { get; }

    /// <summary>How many matching I/O calls were made since the plan was armed.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>How many of them were made to fail.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public void Dispose() => IoFaults.Disarm(this);

    /// <summary>Counts a call of <paramref name="kind"/> on <paramref name="path"/>; throws when the plan says it fails.</summary>
    internal void Hit(string path, IoFaultKind kind)
    {
        if ((Plan.Kinds & kind) == 0 || !path.StartsWith(Plan.PathPrefix, StringComparison.Ordinal))
        {
            return;
        }

        var call = Interlocked.Increment(ref _calls);
        Plan.BeforeCall?.Invoke(call);
        if (Plan.FailAt <= 0 || call < Plan.FailAt || (call > Plan.FailAt && !Plan.Sticky))
        {
            return;
        }

        Interlocked.Increment(ref _failures);
        throw Plan.Exception?.Invoke()
            ?? new IOException($"Injected {kind} fault (errno {Plan.Errno}) at I/O call {call} on '{path}'.", Plan.Errno);
    }
}
