namespace EncryptedStore.Storage;

/// <summary>Opens files that the store creates with owner-only permissions (0600) on Unix.</summary>
internal static class OwnerOnlyFile
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static FileStream CreateNew(string path) => new(path, Options(FileMode.CreateNew, FileShare.None));

    public static FileStreamOptions Options(FileMode mode, FileShare share)
    {
        var options = new FileStreamOptions
        {
            Mode = mode,
            Access = FileAccess.ReadWrite,
            Share = share,
            Options = FileOptions.RandomAccess,
        };
        if (!OperatingSystem.IsWindows() && mode is FileMode.CreateNew or FileMode.Create or FileMode.OpenOrCreate)
        {
            options.UnixCreateMode = OwnerReadWrite;
        }

        return options;
    }
}
