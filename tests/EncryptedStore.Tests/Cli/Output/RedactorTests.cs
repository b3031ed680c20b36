using EncryptedStore.Cli.Output;

namespace EncryptedStore.Tests.Cli.Output;

public class RedactorTests
{
    [TestCase(null, null)]
    [TestCase("", "")]
    [TestCase("abc", "…(3 chars)")]
    [TestCase("12345678", "…(8 chars)")]
    [TestCase("123456789", "1234…(9 chars)")]
    [TestCase("1000.0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef", "1000…(70 chars)")]
    public void Redact_Value_PrefixAndLengthOnly(string? value, string? expected) =>
        Assert.That(Redactor.Redact(value), Is.EqualTo(expected));

    [Test]
    public void Show_NonSecretColumns_ShownInFull()
    {
        var token = new OAuthToken { UserSignature = new UserSignature("ada@example.com"), ClientId = "1000.CLIENT", ClientSecret = "s3cr3t-value-long" };

        Assert.Multiple(() =>
        {
            Assert.That(Redactor.Show(token, EncryptedStore.Cli.Tokens.TokenColumn.UserName, reveal: false), Is.EqualTo("ada@example.com"));
            Assert.That(Redactor.Show(token, EncryptedStore.Cli.Tokens.TokenColumn.ClientId, reveal: false), Is.EqualTo("1000.CLIENT"));
            Assert.That(Redactor.Show(token, EncryptedStore.Cli.Tokens.TokenColumn.ClientSecret, reveal: false), Is.EqualTo("s3cr…(17 chars)"));
            Assert.That(Redactor.Show(token, EncryptedStore.Cli.Tokens.TokenColumn.ClientSecret, reveal: true), Is.EqualTo("s3cr3t-value-long"));
        });
    }
}
