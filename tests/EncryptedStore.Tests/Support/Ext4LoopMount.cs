namespace EncryptedStore.Tests.Support;

/// <summary>
/// A small ext4 file system on a loop device, mounted with <c>errors=remount-ro</c>, for the one fault a tmpfs cannot
/// give: a file system that turns read-only under an open store. The kernel refuses <c>mount -o remount,ro</c> while a
/// file is open for writing (EBUSY), but ext4 remounts itself read-only when it meets an error, as on a failing disk;
/// <see cref="FailAndTurnReadOnly"/> raises such an error through ext4's <c>trigger_fs_error</c>. Its journal is then
/// aborted: it becomes writable again only once unmounted, checked (<c>e2fsck</c>) and mounted again
/// (<see cref="RepairAndRemount"/>). Ignored, or failed in CI, where it cannot be made.
/// </summary>
internal sealed class Ext4LoopMount : IDisposable
{
    private readonly string _image;
    private bool _mounted;

    private Ext4LoopMount(string path, string image)
    {
        Path = path;
        _image = image;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public static Ext4LoopMount MountOrSkip(int megabytes)
    {
        var name = "es-ext4-" + Guid.NewGuid().ToString("N");
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), name);
        var image = System.IO.Path.Combine(System.IO.Path.GetTempPath(), name + ".img");
        Directory.CreateDirectory(path);
        var mount = new Ext4LoopMount(path, image);
        string? reason = null;
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            reason = "a loop mount needs Linux and root.";
        }
        else
        {
            using (var file = new FileStream(image, FileMode.CreateNew))
            {
                file.SetLength(megabytes * 1024L * 1024L);
            }

            reason = TmpfsMount.Run("mkfs.ext4", "-q", "-F", image)
                ?? TmpfsMount.Run("mount", "-o", "loop,errors=remount-ro", image, path)
                ?? TmpfsMount.Run("chmod", "0700", path);
        }

        if (reason is null)
        {
            mount._mounted = true;
            if (!System.IO.File.Exists(mount.TriggerPath()))
            {
                reason = $"ext4 has no error trigger at {mount.TriggerPath()}.";
            }
        }

        if (reason is not null)
        {
            mount.Dispose();
            TmpfsMount.SkipOrFailInCi("Cannot make an ext4 loop mount: " + reason);
        }

        return mount;
    }

    /// <summary>Raises an ext4 error: the file system remounts itself read-only (later writes get EROFS).</summary>
    public void FailAndTurnReadOnly()
    {
        System.IO.File.WriteAllText(TriggerPath(), "1");

        // /proc/mounts may still say rw (with emergency_ro): what counts is that the kernel refuses writes.
        var probe = File("probe");
        Assert.That(() => System.IO.File.WriteAllText(probe, "x"), Throws.InstanceOf<IOException>().Or.InstanceOf<UnauthorizedAccessException>(), "ext4 turned read-only");
    }

    /// <summary>Unmounts, repairs (<c>e2fsck -fy</c>) and mounts again, writable. Every file on it must be closed.</summary>
    public void RepairAndRemount()
    {
        Assert.That(TmpfsMount.Run("umount", Path), Is.Null, "unmount");
        _mounted = false;

        // e2fsck exits 1 when it corrected something (the error the test raised): not a failure.
        var check = TmpfsMount.Run("e2fsck", "-fy", _image);
        Assert.That(check, Is.Null.Or.Contain("exited 1"), "e2fsck");
        Assert.That(TmpfsMount.Run("mount", "-o", "loop,errors=remount-ro", _image, Path), Is.Null, "mount again");
        _mounted = true;
    }

    public void Dispose()
    {
        if (_mounted && TmpfsMount.Run("umount", Path) is not null)
        {
            TmpfsMount.Run("umount", "-l", Path);
        }

        _mounted = false;
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }

        System.IO.File.Delete(_image);
    }

    /// <summary>/sys/fs/ext4/loopN/trigger_fs_error for the loop device behind the mount.</summary>
    private string TriggerPath()
    {
        var line = System.IO.File.ReadAllLines("/proc/mounts").Last(l => l.Split(' ')[1] == Path);
        var device = System.IO.Path.GetFileName(line.Split(' ')[0]);
        return $"/sys/fs/ext4/{device}/trigger_fs_error";
    }
}
