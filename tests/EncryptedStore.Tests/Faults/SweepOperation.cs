namespace EncryptedStore.Tests.Faults;

/// <summary>
/// An operation the sweep fails at every I/O point: <see cref="Prepare"/> runs on the fresh store before faults are
/// armed (it may acknowledge saves), <see cref="Act"/> is the call under fault. <see cref="ClosedStore"/> operations
/// (compaction) run with no store open.
/// </summary>
internal sealed record SweepOperation(string Name, bool ClosedStore, Action<SweepRun> Prepare, Action<SweepRun> Act)
{
    public override string ToString() => Name;
}
