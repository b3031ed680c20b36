namespace EncryptedStore.Storage;

/// <summary>The files a store file keeps beside it, named after it: <c>name-suffix.ext</c>.</summary>
internal static class StorePaths
{
    /// <summary>LiteDB's own name for the log beside a data file: <c>name-log.ext</c>.</summary>
    public static string LogPathFor(string fullPath) => SiblingPath(fullPath, "-log");

    /// <summary>The save journal (<see cref="SaveJournal"/>): <c>name-journal.ext</c>. Deleted when the store closes cleanly.</summary>
    public static string JournalPathFor(string fullPath) => SiblingPath(fullPath, "-journal");

    /// <summary>The lock file of shared mode: <c>name-lock.ext</c>. It stays after the store closes; deleting it while the store is open breaks the exclusion.</summary>
    public static string LockPathFor(string fullPath) => SiblingPath(fullPath, "-lock");

    private static string SiblingPath(string fullPath, string suffix) =>
        Path.Combine(
            Path.GetDirectoryName(fullPath) ?? ".",
            Path.GetFileNameWithoutExtension(fullPath) + suffix + Path.GetExtension(fullPath));
}
