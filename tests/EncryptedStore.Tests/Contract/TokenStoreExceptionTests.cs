namespace EncryptedStore.Tests.Contract;

public class TokenStoreExceptionTests
{
    [Test]
    public void Constructors_WithoutCode_UseTheGenericCode()
    {
        var cause = new IOException("disk");

        Assert.Multiple(() =>
        {
            Assert.That(new TokenStoreException().Code, Is.EqualTo(TokenStoreErrorCodes.TokenStore));
            Assert.That(new TokenStoreException("failed").Code, Is.EqualTo(TokenStoreErrorCodes.TokenStore));
            Assert.That(new TokenStoreException("failed", cause).InnerException, Is.SameAs(cause));
        });
    }

    [TestCase("")]
    [TestCase(" ")]
    public void Constructor_BlankCode_ThrowsArgumentException(string code)
    {
        Assert.That(() => new TokenStoreException(code, "message"), Throws.ArgumentException);
    }

    [Test]
    public void ToString_WithCause_ShowsCodeMessageAndCause()
    {
        var exception = new TokenStoreException(TokenStoreErrorCodes.Integrity, "Integrity check failed.", new InvalidOperationException("inner cause"));

        Assert.That(exception.ToString(), Does.StartWith("EncryptedStore.TokenStoreException [INTEGRITY]: Integrity check failed.").And.Contain("inner cause"));
    }

    [Test]
    public void ToString_EmptyMessage_ShowsCode()
    {
        // Exception.ToString() leaves out ": message" when the message is empty.
        var exception = new TokenStoreException(TokenStoreErrorCodes.NotFound, string.Empty);

        Assert.That(exception.ToString, Throws.Nothing);
        Assert.That(exception.ToString(), Does.StartWith("EncryptedStore.TokenStoreException [NOT_FOUND]"));
    }
}
