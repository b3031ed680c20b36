using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EncryptedStore.Tests.Keys.Sources;

/// <summary>Real self-signed certificates, made per test: RSA 2048 and EC P-256, with their private keys.</summary>
internal static class TestCertificates
{
    public static X509Certificate2 Rsa(string name = "EncryptedStore test RSA")
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    public static X509Certificate2 Ec(string name = "EncryptedStore test EC")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>The same certificate without its private key, as a machine that only creates stores would have it.</summary>
    public static X509Certificate2 PublicOnly(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);
}
