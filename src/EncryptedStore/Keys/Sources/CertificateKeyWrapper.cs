using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;

namespace EncryptedStore.Keys.Sources;

/// <summary>
/// Wraps the master key to a certificate's public key: RSA-OAEP-SHA256 for an RSA certificate; for an EC certificate,
/// ECDH with an ephemeral key on the same curve, HKDF-SHA256 of the shared secret, then AES-256-GCM (ECIES as in
/// RFC 9180's spirit, bound to the recipient). Wrapping needs the public key only; unwrapping needs the private key.
/// </summary>
internal sealed class CertificateKeyWrapper : KeyWrapper
{
    public const string Kind = "certificate";
    private const string RsaAlgorithm = "RSA-OAEP-SHA256";
    private const string EcAlgorithm = "ECDH-ES+HKDF-SHA256+A256GCM";
    private const int WrappingKeyLength = 32;

    private readonly X509Certificate2 _certificate;
    private readonly bool _owned;
    private readonly string _recipient;

    public CertificateKeyWrapper(X509Certificate2 certificate, bool owned)
    {
        _certificate = certificate;
        _owned = owned;
        _recipient = RecipientOf(certificate);
        if (certificate.GetRSAPublicKey() is null && certificate.GetECDiffieHellmanPublicKey() is null)
        {
            throw Errors.InvalidMasterKey($"certificate {Describe(certificate)} has neither an RSA nor an EC key; only those can protect a master key.");
        }
    }

    public override string Description => "certificate " + Describe(_certificate);

    /// <summary>The name a wrapped key gives its certificate: the SHA-256 of its DER encoding.</summary>
    public static string RecipientOf(X509Certificate2 certificate) =>
        "sha256:" + certificate.GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant();

    public static string Describe(X509Certificate2 certificate) =>
        $"'{certificate.Subject}' ({RecipientOf(certificate)[..19]}…, expires {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd})";

    public override bool Matches(WrappedKeyEntry entry) => entry.Kind == Kind && entry.Recipient == _recipient;

    public override WrappedKeyEntry Wrap(ReadOnlySpan<byte> key)
    {
        var label = $"{_certificate.Subject}, expires {_certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}";
        using (var rsa = _certificate.GetRSAPublicKey())
        {
            if (rsa is not null)
            {
                return new WrappedKeyEntry(Kind, RsaAlgorithm, _recipient, label, rsa.Encrypt(key.ToArray(), RSAEncryptionPadding.OaepSHA256), null);
            }
        }

        using var recipient = _certificate.GetECDiffieHellmanPublicKey()!;
        using var ephemeral = ECDiffieHellman.Create(recipient.ExportParameters(includePrivateParameters: false).Curve);
        var ephemeralPublic = ephemeral.ExportSubjectPublicKeyInfo();
        var wrappingKey = WrappingKey(ephemeral.DeriveRawSecretAgreement(recipient.PublicKey), ephemeralPublic);
        try
        {
            return new WrappedKeyEntry(Kind, EcAlgorithm, _recipient, label, Aead.Seal(wrappingKey, key, AssociatedData(EcAlgorithm)), ephemeralPublic);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrappingKey);
        }
    }

    public override byte[] Unwrap(WrappedKeyEntry entry)
    {
        if (!_certificate.HasPrivateKey)
        {
            throw Errors.MasterKeyUnavailable($"Certificate {Describe(_certificate)} is here without its private key; opening the store needs it (a PKCS#12 or PEM file with the key, or the certificate store's entry with its key).");
        }

        try
        {
            var key = entry.Algorithm switch
            {
                RsaAlgorithm => UnwrapRsa(entry),
                EcAlgorithm when entry.EphemeralKey is { } ephemeral => UnwrapEc(entry, ephemeral),
                _ => null,
            };
            return key ?? throw Errors.WrongKey($"The master key wrapped to {Description} does not unwrap: the file beside the store was altered.");
        }
        catch (CryptographicException e)
        {
            throw Errors.WrongKey($"The master key wrapped to {Description} does not unwrap ({e.Message}): the file beside the store was altered, or the private key is not this certificate's.");
        }
    }

    public override void Dispose()
    {
        if (_owned)
        {
            _certificate.Dispose();
        }

        base.Dispose();
    }

    private byte[]? UnwrapRsa(WrappedKeyEntry entry)
    {
        using var rsa = _certificate.GetRSAPrivateKey();
        return rsa?.Decrypt(entry.WrappedKey, RSAEncryptionPadding.OaepSHA256);
    }

    private byte[]? UnwrapEc(WrappedKeyEntry entry, byte[] ephemeralPublic)
    {
        using var own = EcPrivateKey();
        using var ephemeral = ECDiffieHellman.Create();
        ephemeral.ImportSubjectPublicKeyInfo(ephemeralPublic, out _);
        var wrappingKey = WrappingKey(own.DeriveRawSecretAgreement(ephemeral.PublicKey), ephemeralPublic);
        try
        {
            return Aead.Open(wrappingKey, entry.WrappedKey, AssociatedData(EcAlgorithm));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrappingKey);
        }
    }

    /// <summary>The certificate's EC private key for key agreement; an ECDSA key is the same key on the same curve.</summary>
    private ECDiffieHellman EcPrivateKey()
    {
        if (_certificate.GetECDiffieHellmanPrivateKey() is { } agreement)
        {
            return agreement;
        }

        using var signing = _certificate.GetECDsaPrivateKey()
            ?? throw Errors.MasterKeyUnavailable($"Certificate {Describe(_certificate)} has no usable EC private key here.");
        var parameters = signing.ExportParameters(includePrivateParameters: true);
        try
        {
            return ECDiffieHellman.Create(parameters);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    private byte[] WrappingKey(byte[] sharedSecret, byte[] ephemeralPublic)
    {
        try
        {
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedSecret, WrappingKeyLength, ephemeralPublic, AssociatedData(EcAlgorithm));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
        }
    }

    private byte[] AssociatedData(string algorithm) => Encoding.UTF8.GetBytes($"EncryptedStore wrapped master key v1|{algorithm}|{_recipient}");
}
