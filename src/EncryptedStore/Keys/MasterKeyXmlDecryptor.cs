using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;

namespace EncryptedStore.Keys;

/// <summary>
/// Decrypts key XML written by <see cref="MasterKeyXmlEncryptor"/>. Data Protection creates it by type
/// name from the stored XML, so it reaches the key-encryption key through the store's own services.
/// </summary>
internal sealed class MasterKeyXmlDecryptor : IXmlDecryptor
{
    private readonly KeyEncryptionKey _keyEncryptionKey;

    public MasterKeyXmlDecryptor(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _keyEncryptionKey = services.GetRequiredService<KeyEncryptionKey>();
    }

    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        var value = encryptedElement.Element(MasterKeyXmlEncryptor.ValueElementName)?.Value
            ?? throw new CryptographicException("The key ring element has no encrypted value.");
        byte[] sealedXml;
        try
        {
            sealedXml = Convert.FromBase64String(value);
        }
        catch (FormatException e)
        {
            throw new CryptographicException("The key ring element is not valid base64.", e);
        }

        var plaintext = _keyEncryptionKey.Open(sealedXml, KeyEncryptionKey.KeyRingPurpose)
            ?? throw new CryptographicException("The key ring element cannot be decrypted with this master key, or it was altered.");
        try
        {
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
