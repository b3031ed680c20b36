using EncryptedStore.Storage;
using EncryptedStore.Storage.LiteDb;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>The I/O fault seam itself: it counts the I/O calls of the planned kinds on the planned files and fails the Nth.</summary>
[NonParallelizable]
public class IoFaultsTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void Arm_FailAtThird_CountsAndFailsOnlyTheThirdCall()
    {
        var path = _dir.File("data.db");
        using var stream = LiteDbFiles.OpenStream(path, FileShare.None, flushToDisk: true);
        using (var scope = IoFaults.Arm(new IoFaultPlan(path, IoFaultKind.Write, FailAt: 3, Errno: 5)))
        {
            stream.Write(new byte[8]);
            Assert.That(stream.Read(new byte[8]), Is.Zero, "a read: not counted");
            stream.Write(new byte[8]);
            var failure = Assert.Throws<IOException>(() => stream.Write(new byte[8]));
            stream.Write(new byte[8]);
            Assert.Multiple(() =>
            {
                Assert.That(failure!.HResult, Is.EqualTo(5));
                Assert.That(scope.Calls, Is.EqualTo(4));
                Assert.That(scope.Failures, Is.EqualTo(1));
                Assert.That(stream.Length, Is.EqualTo(24), "the failed write wrote nothing");
            });
        }

        stream.Write(new byte[8]);
        Assert.That(stream.Length, Is.EqualTo(32), "disarmed: writes work again");
    }

    [Test]
    public void Arm_Sticky_FailsEveryCallFromTheNthUntilDisposed()
    {
        var path = _dir.File("data.db");
        using var stream = LiteDbFiles.OpenStream(path, FileShare.None, flushToDisk: true);
        using (var scope = IoFaults.Arm(new IoFaultPlan(path, IoFaultKind.Any, FailAt: 2, Errno: 28, Sticky: true)))
        {
            stream.Write(new byte[8]);
            Assert.Multiple(() =>
            {
                Assert.That(Assert.Throws<IOException>(() => stream.Flush(flushToDisk: true))!.HResult, Is.EqualTo(28));
                Assert.That(Assert.Throws<IOException>(() => stream.ReadByte())!.HResult, Is.EqualTo(28));
                Assert.That(Assert.Throws<IOException>(() => stream.Write(new byte[8]))!.HResult, Is.EqualTo(28));
                Assert.That(scope.Failures, Is.EqualTo(3));
                Assert.That(stream.HasUnsyncedWrites, Is.True, "a failed fsync leaves the file marked unsynced");
            });
        }

        stream.Flush(flushToDisk: true);
        Assert.That(stream.HasUnsyncedWrites, Is.False);
    }

    [Test]
    public void Arm_OtherPathOrFailAtZero_OnlyCounts()
    {
        var path = _dir.File("data.db");
        using var stream = LiteDbFiles.OpenStream(path, FileShare.None, flushToDisk: true);
        using (IoFaults.Arm(new IoFaultPlan(_dir.File("other"), IoFaultKind.Any, FailAt: 1, Errno: 5)))
        {
            stream.Write(new byte[8]);
        }

        using var counting = IoFaults.Arm(new IoFaultPlan(path, IoFaultKind.Any, FailAt: 0, Errno: 5));
        stream.Write(new byte[8]);
        stream.Write(new byte[8], 0, 8);
        stream.WriteByte(1);
        stream.Flush(flushToDisk: true);
        stream.Position = 0;
        stream.ReadExactly(new byte[8]);
        stream.ReadExactly(new byte[8], 0, 8);
        stream.ReadByte();
        Assert.Multiple(() =>
        {
            Assert.That(counting.Calls, Is.EqualTo(7), "each call once, whichever overload");
            Assert.That(counting.Failures, Is.Zero);
            Assert.That(() => IoFaults.Arm(new IoFaultPlan(path, IoFaultKind.Any, 0, 5)), Throws.InvalidOperationException, "one plan at a time");
        });
    }

    [Test]
    public void Arm_ExceptionFactory_ThrowsThatException()
    {
        var path = _dir.File("data.db");
        using var stream = LiteDbFiles.OpenStream(path, FileShare.None, flushToDisk: true);
#pragma warning disable CA2201 // LiteDB's consistency checks throw exactly this type
        using var scope = IoFaults.Arm(new IoFaultPlan(path, IoFaultKind.Write, FailAt: 1, Errno: 0, Exception: () => new Exception("LiteDB ENSURE: injected")));
#pragma warning restore CA2201
        Assert.That(() => stream.Write(new byte[8]), Throws.Exception.With.Message.EqualTo("LiteDB ENSURE: injected"));
    }

    [Test]
    public void Arm_SaveJournal_CountsItsWritesSyncsAndReads()
    {
        var path = _dir.File("tokens-journal.db");
        var storeId = new byte[16];
        var epoch = new byte[16];
        using var scope = IoFaults.Arm(new IoFaultPlan(path, IoFaultKind.Any, FailAt: 0, Errno: 5));
        using (var journal = SaveJournal.Create(path, storeId, epoch, new byte[32], flushToDisk: true))
        {
            Assert.That(scope.Calls, Is.EqualTo(3), "two regions written, one sync");
            journal.Append([1, 2, 3]);
            Assert.That(scope.Calls, Is.EqualTo(5), "a write and a sync");
        }

        SaveJournal.Read(path, storeId, epoch, new byte[32]);
        Assert.That(scope.Calls, Is.EqualTo(6), "a read");
    }

    [Test]
    public void Arm_SaveJournalSyncFails_AppendThrowsTheErrno()
    {
        var path = _dir.File("tokens-journal.db");
        using var journal = SaveJournal.Create(path, new byte[16], new byte[16], new byte[32], flushToDisk: true);
        using var scope = IoFaults.Arm(new IoFaultPlan(path, IoFaultKind.Sync, FailAt: 1, Errno: 5));
        Assert.That(Assert.Throws<IOException>(() => journal.Append([1, 2, 3]))!.HResult, Is.EqualTo(5));
    }
}
