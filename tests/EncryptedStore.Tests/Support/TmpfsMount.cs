using System.Diagnostics;

namespace EncryptedStore.Tests.Support;

/// <summary>
/// A real, size-limited file system for one test: a tmpfs mounted (as root) on a fresh folder, so that a store on
/// it meets a genuinely full disk (ENOSPC) or a read-only remount (EROFS). Where it cannot be mounted (not root, no
/// mount namespace) the test is ignored with the reason; in CI (<c>CI=true</c>, which runs as root) it fails instead.
/// Disposing unmounts it, lazily (<c>umount -l</c>) when something still holds a file there, and removes the folder.
/// </summary>
internal sealed class TmpfsMount : IDisposable
{
    private bool _mounted;

    private TmpfsMount(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (mount's syntax: <c>8m</c>), mode 0700, or ignores (fails in CI) the test.</summary>
    public static TmpfsMount MountOrSkip(string size)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "es-tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var mount = new TmpfsMount(path);
        string? reason;
        if (!OperatingSystem.IsLinux())
        {
            reason = "tmpfs mounts need Linux.";
        }
        else if (Environment.UserName != "root")
        {
            reason = $"mounting a tmpfs needs root; running as '{Environment.UserName}'.";
        }
        else
        {
            reason = Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0700", "tmpfs", path);
        }

        if (reason is null)
        {
            mount._mounted = true;
            return mount;
        }

        mount.Dispose();
        SkipOrFailInCi("Cannot mount a size-limited tmpfs: " + reason);
        return mount;
    }

    /// <summary>Ignores the test with <paramref name="reason"/>; in CI (<c>CI=true</c>, run as root) fails it instead.</summary>
    internal static void SkipOrFailInCi(string reason)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(reason + " CI runs as root and must run this test.");
        }

        Assert.Ignore(reason);
    }

    /// <summary>Remounts read-only (the kernel refuses every later write with EROFS; open files stay readable).</summary>
    public void RemountReadOnly() => Remount("ro");

    /// <summary>Remounts read-write.</summary>
    public void RemountReadWrite() => Remount("rw");

    /// <summary>
    /// Fills the file system with <paramref name="filler"/> until a write fails with "no space left"; returns the
    /// bytes written. The last partial chunk stays, so not one free block is left.
    /// </summary>
    public static long Fill(string filler)
    {
        var chunk = new byte[16 * 1024];
        long written = 0;
        using var stream = new FileStream(filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        while (true)
        {
            try
            {
                stream.Write(chunk);
                written += chunk.Length;
            }
            catch (IOException)
            {
                break;
            }
        }

        // Smaller writes take what a 16 KiB one could not.
        var small = new byte[512];
        while (true)
        {
            try
            {
                stream.Write(small);
                written += small.Length;
            }
            catch (IOException)
            {
                return written;
            }
        }
    }

    public void Dispose()
    {
        if (_mounted && Run("umount", Path) is not null)
        {
            // Something (a store that a failed test left open) still holds a file: detach it now, free it later.
            Run("umount", "-l", Path);
        }

        _mounted = false;
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Remount(string mode)
    {
        var failure = Run("mount", "-o", $"remount,{mode}", Path);
        Assert.That(failure, Is.Null, $"remount {mode} of {Path}");
    }

    /// <summary>Runs a command; null when it exits 0, else its error output.</summary>
    internal static string? Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            output.Wait();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : $"'{command} {string.Join(' ', arguments)}' exited {process.ExitCode}: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"'{command}' cannot run: {e.Message}";
        }
    }
}
