using System.Xml.Linq;
using EncryptedStore.Internal;
using EncryptedStore.Keys;
using LiteDB;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace EncryptedStore.Storage;

/// <summary>
/// Data Protection's key repository on a collection of the store file. It refuses to read or write
/// a key whose secret is not encrypted with the master key: there is no plaintext fallback.
/// </summary>
internal sealed class KeyRingRepository(ILiteCollection<BsonDocument> collection) : IXmlRepository
{
    private static readonly XName EncryptedSecretName = XName.Get("encryptedSecret", "http://schemas.asp.net/2015/03/dataProtection");
    private static readonly XName RequiresEncryptionName = XName.Get("requiresEncryption", "http://schemas.asp.net/2015/03/dataProtection");
    private static readonly string DecryptorTypeName = typeof(MasterKeyXmlDecryptor).FullName!;

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        var elements = new List<XElement>();
        foreach (var document in collection.FindAll())
        {
            var name = document["name"].IsString ? document["name"].AsString : "(unnamed)";
            XElement element;
            try
            {
                element = XElement.Parse(document["xml"].AsString);
            }
            catch (Exception e) when (e is System.Xml.XmlException or InvalidCastException or NullReferenceException)
            {
                throw Errors.Integrity($"key ring element '{name}'", e);
            }

            EnsureProtected(element, name);
            elements.Add(element);
        }

        return elements.AsReadOnly();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        EnsureProtected(element, friendlyName);
        collection.Insert(new BsonDocument
        {
            ["name"] = friendlyName,
            ["xml"] = element.ToString(SaveOptions.DisableFormatting),
        });
    }

    private static void EnsureProtected(XElement element, string name)
    {
        if (element.Name.LocalName != "key")
        {
            return;
        }

        var unencrypted = element.Descendants().Any(e => e.Attribute(RequiresEncryptionName) is not null);
        var encrypted = element.Descendants(EncryptedSecretName)
            .Any(e => (string?)e.Attribute("decryptorType") is { } type && type.StartsWith(DecryptorTypeName, StringComparison.Ordinal));
        if (unencrypted || !encrypted)
        {
            throw Errors.UnprotectedKey(name);
        }
    }
}
