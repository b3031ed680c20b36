namespace EncryptedStore.Storage;

/// <summary>The kinds of I/O call an <see cref="IoFaultPlan"/> counts and fails (for tests).</summary>
[Flags]
internal enum IoFaultKind
{
    /// <summary>A read of a store file, a log or the save journal.</summary>
    Read = 1,

    /// <summary>A write (or a length change) of a store file, a log or the save journal.</summary>
    Write = 2,

    /// <summary>A flush to the disk (fsync, fdatasync).</summary>
    Sync = 4,

    /// <summary>Every kind.</summary>
    Any = Read | Write | Sync,
}
