namespace EncryptedStore.Storage;

/// <summary>
/// The I/O fault seam (for tests): every I/O point of the store's files (the LiteDB data and log files through
/// <c>DurableFileStream</c>, including a compaction's target; the save journal) calls <see cref="Check"/> before it
/// reads, writes or flushes to the disk. With no plan armed that costs one volatile read.
/// </summary>
internal static class IoFaults
{
    private static IoFaultScope? s_armed;

    /// <summary>Arms <paramref name="plan"/> until the returned scope is disposed; one plan at a time per process.</summary>
    /// <exception cref="InvalidOperationException">Another plan is armed.</exception>
    public static IoFaultScope Arm(IoFaultPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var scope = new IoFaultScope(plan);
        if (Interlocked.CompareExchange(ref s_armed, scope, null) is not null)
        {
            throw new InvalidOperationException("An I/O fault plan is already armed in this process.");
        }

        return scope;
    }

    /// <summary>Called before an I/O call of <paramref name="kind"/> on the file at <paramref name="path"/> (its full path).</summary>
    public static void Check(string path, IoFaultKind kind)
    {
        if (Volatile.Read(ref s_armed) is { } scope)
        {
            scope.Hit(path, kind);
        }
    }

    internal static void Disarm(IoFaultScope scope) => Interlocked.CompareExchange(ref s_armed, null, scope);
}
