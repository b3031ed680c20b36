using EncryptedStore.Storage.LiteDb;
using LiteDB;

namespace EncryptedStore.Tests.Storage.LiteDb;

public sealed class LiteDbFailuresTests
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

    [Test]
    public void Translate_EachKindOfFailure_GetsItsCode()
    {
        Assert.Multiple(() =>
        {
            Assert.That(LiteDbFailures.Translate(new LiteException(0, "x"), "reading tokens", writing: false).Code, Is.EqualTo(TokenStoreErrorCodes.Integrity), "any LiteDB failure while reading");
            Assert.That(LiteDbFailures.Translate(new LiteException(0, "x"), "saving tokens", writing: true).Code, Is.EqualTo(TokenStoreErrorCodes.TokenStore), "LiteDB refusing a write");
            Assert.That(LiteDbFailures.Translate(new LiteException(LiteException.INVALID_DATAFILE_STATE, "x"), "saving tokens", writing: true).Code, Is.EqualTo(TokenStoreErrorCodes.Integrity), "damage found while writing");
            Assert.That(LiteDbFailures.Translate(new ObjectDisposedException("engine"), "reading tokens", writing: false).Code, Is.EqualTo(TokenStoreErrorCodes.Integrity), "an engine LiteDB closed after damage");
            var io = LiteDbFailures.Translate(new IOException("No space left on device"), "saving tokens", writing: true);
            Assert.That(io.Code, Is.EqualTo(TokenStoreErrorCodes.TokenStore));
            Assert.That(io.Message, Does.Contain("saving tokens").And.Contain("No space left on device"));
        });
    }
}
