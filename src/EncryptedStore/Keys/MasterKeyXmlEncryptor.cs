using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace EncryptedStore.Keys;

/// <summary>Encrypts each Data Protection key's XML with the key-encryption key before it reaches the file.</summary>
internal sealed class MasterKeyXmlEncryptor(KeyEncryptionKey keyEncryptionKey) : IXmlEncryptor
{
    public static readonly XName EncryptedElementName = XName.Get("encryptedKey", "urn:encryptedstore:keyring:v1");
    public static readonly XName ValueElementName = XName.Get("value", "urn:encryptedstore:keyring:v1");

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        try
        {
            var sealedXml = keyEncryptionKey.Seal(plaintext, KeyEncryptionKey.KeyRingPurpose);
            var element = new XElement(
                EncryptedElementName,
                new XAttribute("algorithm", "AES-256-GCM"),
                new XElement(ValueElementName, Convert.ToBase64String(sealedXml)));
            return new EncryptedXmlInfo(element, typeof(MasterKeyXmlDecryptor));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
