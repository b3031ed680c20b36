using EncryptedStore.Internal;
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
            var io = LiteDbFailures.Translate(new IOException("Input/output error", 5), "saving tokens", writing: true);
            Assert.That(io.Code, Is.EqualTo(TokenStoreErrorCodes.IoError), "EIO");
            Assert.That(io.Message, Does.Contain("saving tokens").And.Contain("Input/output error"));
            var full = LiteDbFailures.Translate(new IOException("No space left on device", 28), "saving tokens", writing: true, "/data/tokens.db");
            Assert.That(full.Code, Is.EqualTo(TokenStoreErrorCodes.StorageFull), "ENOSPC");
            Assert.That(full.Message, Is.EqualTo("No space left on the device holding '/data/tokens.db' while saving tokens; free space and retry: the store is unchanged."));
            Assert.That(LiteDbFailures.Translate(new IOException("Disk quota exceeded", 122), "saving tokens", writing: true).Code, Is.EqualTo(OperatingSystem.IsLinux() ? TokenStoreErrorCodes.StorageFull : TokenStoreErrorCodes.IoError), "EDQUOT");
            Assert.That(LiteDbFailures.Translate(new IOException("full", unchecked((int)0x80070070)), "saving tokens", writing: true).Code, Is.EqualTo(TokenStoreErrorCodes.StorageFull), "ERROR_DISK_FULL");
            Assert.That(Errors.Io("saving tokens", new InvalidOperationException("wrapped", new IOException("full", 28))).Code, Is.EqualTo(TokenStoreErrorCodes.StorageFull), "wrapped");
            var readOnly = LiteDbFailures.Translate(new IOException("Read-only file system", 30), "saving tokens", writing: true);
            Assert.That(readOnly.Code, Is.EqualTo(TokenStoreErrorCodes.IoError), "EROFS");
            Assert.That(readOnly.Message, Does.Contain("read-only"));
            var denied = LiteDbFailures.Translate(new UnauthorizedAccessException("Access to the path is denied."), "saving tokens", writing: true);
            Assert.That(denied.Code, Is.EqualTo(TokenStoreErrorCodes.IoError), "EACCES");
            Assert.That(denied.Message, Does.Contain("read-only"));
        });
    }
}
