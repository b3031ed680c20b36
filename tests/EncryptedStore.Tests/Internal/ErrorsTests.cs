using EncryptedStore.Storage.LiteDb;
using EncryptedStore.Internal;
using LiteDB;

namespace EncryptedStore.Tests.Internal;

public sealed class ErrorsTests
{
    [Test]
    public void IsLiteDbFailure_LiteDbExceptionsAndItsEnsureChecks_AreRecognisedAndNothingElse()
    {
#pragma warning disable CA2201 // The plain Exception is what LiteDB throws; the test needs that exact type.
        var ensure = new Exception("LiteDB ENSURE: page must be writable to support changes");
        var other = new Exception("something else");
#pragma warning restore CA2201
        Assert.Multiple(() =>
        {
            Assert.That(LiteDbFailures.IsLiteDbFailure(new LiteException(0, "x")), Is.True);
            Assert.That(LiteDbFailures.IsLiteDbFailure(ensure), Is.True);
            Assert.That(LiteDbFailures.IsLiteDbFailure(other), Is.False);
            Assert.That(LiteDbFailures.IsLiteDbFailure(new InvalidOperationException("LiteDB ENSURE: not LiteDB's type")), Is.False);
            Assert.That(LiteDbFailures.IsLiteDbFailure(new IOException("disk")), Is.False);
        });
    }
}
