using EncryptedStore.Storage;

namespace EncryptedStore.Tests.Faults;

/// <summary>One kind of fault the sweep injects at every I/O point: which calls it counts, the errno, and the code the store must answer with.</summary>
internal sealed record InjectedFault(string Name, IoFaultKind Kinds, int Errno, bool Sticky, string ExpectedCode)
{
    /// <summary>The disk fills at the Nth write and stays full until the plan is disarmed (space comes back).</summary>
    public static readonly InjectedFault DiskFull = new("ENOSPC (sticky)", IoFaultKind.Write, 28, Sticky: true, "STORAGE_FULL");

    /// <summary>The Nth read, write or sync fails once with EIO.</summary>
    public static readonly InjectedFault IoErrorOnce = new("EIO once", IoFaultKind.Any, 5, Sticky: false, "IO_ERROR");

    /// <summary>The Nth fsync fails once (EIO), the failure PostgreSQL's "fsyncgate" was about.</summary>
    public static readonly InjectedFault SyncFailsOnce = new("fsync EIO once", IoFaultKind.Sync, 5, Sticky: false, "IO_ERROR");

    public static readonly InjectedFault[] All = [DiskFull, IoErrorOnce, SyncFailsOnce];

    public override string ToString() => Name;
}
