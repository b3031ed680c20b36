namespace EncryptedStore.Cli.Files;

/// <summary>Creates files only the owner can read and write (0600 on Unix), never overwriting one.</summary>
internal static class PrivateFile
{
    /// <exception cref="CliException">The file exists.</exception>
    public static FileStream CreateNew(string path)
    {
        if (File.Exists(path))
        {
            throw new CliException($"'{path}' already exists; refusing to overwrite it.");
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }

    /// <summary>Writes <paramref name="content"/> to a new owner-only file and flushes it to disk.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        using var stream = CreateNew(path);
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }
}
