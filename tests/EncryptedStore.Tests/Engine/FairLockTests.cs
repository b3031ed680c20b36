using System.Collections.Concurrent;
using EncryptedStore.Engine;

namespace EncryptedStore.Tests.Engine;

/// <summary>
/// The write lock goes to waiting threads in the order they came: a thread that releases it and asks again at once
/// waits behind those already waiting (a plain lock lets it take the lock straight back, which starved other savers
/// for up to seconds in the concurrent-saves benchmark).
/// </summary>
public class FairLockTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);
    private static readonly string[] ArrivalOrder = ["waiter 1", "waiter 2", "waiter 3", "releasing thread"];

    [Test]
    public void AReleasingThreadThatAsksAgain_WaitsBehindTheWaitingOnes()
    {
        var writeLock = new FairLock();
        var order = new ConcurrentQueue<string>();
        var first = writeLock.Enter();
        var waiters = Enumerable.Range(1, 3).Select(i => new Thread(() =>
        {
            using (writeLock.Enter())
            {
                order.Enqueue($"waiter {i}");
            }
        })).ToList();

        // Each waiter is queued before the next one starts, so their order is known.
        for (var i = 0; i < waiters.Count; i++)
        {
            waiters[i].Start();
            Assert.That(SpinWait.SpinUntil(() => writeLock.WaitingCount == i + 1, Limit), Is.True);
        }

        first.Dispose();
        using (writeLock.Enter())
        {
            order.Enqueue("releasing thread");
        }

        waiters.ForEach(w => Assert.That(w.Join(Limit), Is.True));
        Assert.That(order, Is.EqualTo(ArrivalOrder));
    }

    [Test]
    public void TheOwner_EntersAgainWithoutWaiting_AndHoldsItUntilTheLastExit()
    {
        var writeLock = new FairLock();
        var outer = writeLock.Enter();
        var inner = writeLock.Enter();
        var other = new Thread(() => writeLock.Enter().Dispose());
        other.Start();
        Assert.That(SpinWait.SpinUntil(() => writeLock.WaitingCount == 1, Limit), Is.True);

        inner.Dispose();
        Assert.That(other.Join(TimeSpan.FromMilliseconds(200)), Is.False, "still held by the outer scope");
        outer.Dispose();
        Assert.That(other.Join(Limit), Is.True);
    }
}
