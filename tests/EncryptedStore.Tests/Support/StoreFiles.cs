using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Storage;
using LiteDB;

namespace EncryptedStore.Tests.Support;

/// <summary>Raw access to store files: hashes, copies, plain LiteDB, byte scans.</summary>
internal static class StoreFiles
{
    public static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Copies a closed store and, when present, its LiteDB log to <paramref name="destination"/>.</summary>
    public static void CopyClosed(string source, string destination)
    {
        File.Copy(source, destination);
        var log = StorePaths.LogPathFor(source);
        if (File.Exists(log))
        {
            File.Copy(log, StorePaths.LogPathFor(destination));
        }
    }

    /// <summary>Writes a store file (or one beside it) as the store would: owner-only (0600), so the store opens it.</summary>
    public static void WriteOwnerOnly(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>Opens a file with plain LiteDB (no password, direct mode), as an attacker or an old tool would.</summary>
    public static LiteDatabase OpenPlain(string path) =>
        new(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });

    /// <summary>
    /// Reads a file that an open store holds. The store's lock is an advisory flock, which .NET's own
    /// file APIs honour (they throw), so the bytes are read by <c>cat</c>, which takes no lock: exactly
    /// what another program of the same user could read while the store is open.
    /// </summary>
    public static byte[] ReadBypassingLock(string path)
    {
        var start = new ProcessStartInfo("cat") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        using var bytes = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(bytes);
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"cat {path}");
        return bytes.ToArray();
    }

    /// <summary>The encodings a leaked string would most likely appear in: UTF-8 and UTF-16LE.</summary>
    public static bool Contains(byte[] haystack, string value) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(value)) >= 0
        || haystack.AsSpan().IndexOf(Encoding.Unicode.GetBytes(value)) >= 0;

    /// <summary>The file names in a folder, for "nothing else was left behind" checks.</summary>
    public static string[] Names(string directory) =>
        Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
}
