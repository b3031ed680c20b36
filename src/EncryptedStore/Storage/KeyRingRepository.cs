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

    /// <summary>
    /// Re-encrypts every key element's secret: <paramref name="reseal"/> maps the old sealed bytes to
    /// new ones (and throws when they do not open). Runs in the caller's transaction.
    /// </summary>
    public int Reencrypt(Func<byte[], byte[]> reseal)
    {
        var count = 0;
        foreach (var document in collection.FindAll().ToList())
        {
            var element = XElement.Parse(document["xml"].AsString);
            var values = element.Descendants(MasterKeyXmlEncryptor.ValueElementName).ToList();
            if (values.Count == 0)
            {
                continue;
            }

            foreach (var value in values)
            {
                value.Value = Convert.ToBase64String(reseal(Convert.FromBase64String(value.Value)));
            }

            document["xml"] = element.ToString(SaveOptions.DisableFormatting);
            collection.Update(document);
            count++;
        }

        return count;
    }

    /// <summary>Deletes the elements (key and revocation) that concern Data Protection key <paramref name="keyId"/>.</summary>
    public int DeleteKey(Guid keyId)
    {
        var id = keyId.ToString();
        var deleted = 0;
        foreach (var document in collection.FindAll().ToList())
        {
            var element = XElement.Parse(document["xml"].AsString);
            var about = (string?)element.Attribute("id") ?? (string?)element.Element("key")?.Attribute("id");
            if (string.Equals(about, id, StringComparison.OrdinalIgnoreCase))
            {
                collection.Delete(document["_id"]);
                deleted++;
            }
        }

        return deleted;
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
