using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// A rotation whose process (TestHost <c>fleet-rotate</c>) is killed with SIGKILL mid-way is finished by the next
/// <c>RotateKeys</c>, or by the next opener in the background, once the dead process's rotation lease has expired.
/// Both stores are set up and their rotators killed together, so the two tests share one wait for the leases.
/// </summary>
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
[NonParallelizable]
[Category("Slow")]
public sealed class KilledRotationTests(StoreKind kind)
{
    private const int Tokens = 1000;

    private FleetTables _forRotateKeys = null!;
    private FleetTables _forOpener = null!;
    private List<OAuthToken> _rotateKeysTokens = null!;
    private List<OAuthToken> _openerTokens = null!;

    [OneTimeSetUp]
    public void KillTwoRotations()
    {
        (_forRotateKeys, _forOpener) = (new FleetTables(kind), new FleetTables(kind));
        (_rotateKeysTokens, _openerTokens) = (RotationStore.Fill(_forRotateKeys, Tokens), RotationStore.Fill(_forOpener, Tokens));
        var key = Convert.ToHexString(StoreFixture.Key);
        foreach (var tables in new[] { _forRotateKeys, _forOpener })
        {
            using var rotator = ChildProcess.StartTestHost("fleet-rotate", tables.Spec, key, "10");
            for (var batch = 0; batch < 3; batch++)
            {
                Assert.That(rotator.WaitForLine("progress"), Is.Not.Null, rotator.StandardError);
            }

            rotator.Kill();
        }

        foreach (var tables in new[] { _forRotateKeys, _forOpener })
        {
            using var observer = tables.Open();
            Assert.That(observer.GetStatistics().RotationInProgress, Is.True, "the kill left the rotation unfinished");
        }
    }

    [OneTimeTearDown]
    public void DropTables()
    {
        _forRotateKeys?.Dispose();
        _forOpener?.Dispose();
    }

    [Test]
    [CancelAfter(120_000)]
    public void RotateKeys_AfterTheRotatingProcessWasKilled_FinishesTheRotation()
    {
        using (var store = _forRotateKeys.Open())
        {
            var result = store.RotateKeys();
            store.WaitForBackgroundRotation();
            TestContext.Out.WriteLine($"{kind}: the next RotateKeys: resumed {result.Resumed}, {result.RecordsRewritten} records rewritten");
        }

        RotationStore.AssertRotatedAndReadable(_forRotateKeys, _rotateKeysTokens);
    }

    [Test]
    [CancelAfter(120_000)]
    public void Open_AfterTheRotatingProcessWasKilled_FinishesTheRotationInTheBackground()
    {
        using (var store = _forOpener.Open())
        {
            store.WaitForBackgroundRotation();
        }

        RotationStore.AssertRotatedAndReadable(_forOpener, _openerTokens);
    }
}
