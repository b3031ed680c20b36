using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using EncryptedStore.Keys.Sources;

namespace EncryptedStore.Tests.Keys.Sources;

/// <summary>
/// The Secret Service session cipher on its own: two ends of one exchange agree; the public values that would hand an
/// eavesdropper the shared secret are refused. (Against a real gnome-keyring: <see cref="SecretServiceStoreTests"/>.)
/// </summary>
[Parallelizable(ParallelScope.All)]
public class SecretServiceCipherTests
{
    private static readonly BigInteger Prime = BigInteger.Parse(
        "00FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        + "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
        NumberStyles.AllowHexSpecifier,
        CultureInfo.InvariantCulture);

    [Test]
    public void Exchange_BothEnds_DecryptWhatTheOtherEncrypted()
    {
        using var client = new SecretServiceCipher();
        using var service = new SecretServiceCipher();
        client.DeriveKey(service.PublicKey);
        service.DeriveKey(client.PublicKey);
        var secret = RandomNumberGenerator.GetBytes(32);

        var (iv, ciphertext) = client.Encrypt(secret);

        Assert.Multiple(() =>
        {
            Assert.That(service.Decrypt(iv, ciphertext), Is.EqualTo(secret));
            Assert.That(ciphertext, Has.Length.EqualTo(48), "32 bytes and a block of PKCS#7 padding");
            Assert.That(ciphertext.AsSpan().IndexOf(secret.AsSpan(0, 8)), Is.EqualTo(-1));
            Assert.That(client.PublicKey, Is.Not.EqualTo(service.PublicKey));
        });
    }

    [Test]
    public void Exchange_ThirdParty_CannotDecrypt()
    {
        using var client = new SecretServiceCipher();
        using var service = new SecretServiceCipher();
        using var eavesdropper = new SecretServiceCipher();
        client.DeriveKey(service.PublicKey);
        eavesdropper.DeriveKey(service.PublicKey);
        var (iv, ciphertext) = client.Encrypt(RandomNumberGenerator.GetBytes(32));

        Assert.That(() => eavesdropper.Decrypt(iv, ciphertext), Throws.InstanceOf<CryptographicException>());
    }

    [TestCase("0")]
    [TestCase("1")]
    [TestCase("p-1")]
    [TestCase("p")]
    public void DeriveKey_DegeneratePublicValue_IsRefused(string value)
    {
        var peer = value switch
        {
            "p-1" => Prime - 1,
            "p" => Prime,
            _ => BigInteger.Parse(value, CultureInfo.InvariantCulture),
        };
        using var cipher = new SecretServiceCipher();

        Assert.That(() => cipher.DeriveKey(peer.ToByteArray(isUnsigned: true, isBigEndian: true)), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public void Decrypt_IvOfTheWrongLength_IsRefused()
    {
        using var client = new SecretServiceCipher();
        using var service = new SecretServiceCipher();
        client.DeriveKey(service.PublicKey);

        Assert.That(() => client.Decrypt(new byte[8], new byte[16]), Throws.InstanceOf<CryptographicException>());
    }
}
