using System.Xml.Linq;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace EncryptedStore.Keys;

/// <summary>
/// Data Protection's key repository in the store's storage. It refuses to read or write a key whose
/// secret is not encrypted with the master key: there is no plaintext fallback.
/// </summary>
internal sealed class KeyRingRepository(ITokenStorage storage) : IXmlRepository
{
    private static readonly XName EncryptedSecretName = XName.Get("encryptedSecret", "http://schemas.asp.net/2015/03/dataProtection");
    private static readonly XName RequiresEncryptionName = XName.Get("requiresEncryption", "http://schemas.asp.net/2015/03/dataProtection");
    private static readonly XName DecryptorTypeAttribute = "decryptorType";
    private static readonly string DecryptorTypeName = typeof(MasterKeyXmlDecryptor).FullName!;
    private static readonly string DecryptorAssemblyQualifiedName = typeof(MasterKeyXmlDecryptor).AssemblyQualifiedName!;

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        var elements = new List<XElement>();
        foreach (var stored in storage.ListKeyRingElements())
        {
            var name = stored.Name ?? "(unnamed)";
            var element = Parse(stored, name);
            EnsureProtected(element, name);
            PinDecryptorType(element);
            elements.Add(element);
        }

        return elements.AsReadOnly();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        EnsureProtected(element, friendlyName);
        storage.InsertKeyRingElement(friendlyName, element.ToString(SaveOptions.DisableFormatting));
    }

    /// <summary>
    /// Re-encrypts every key element's secret: <paramref name="reseal"/> maps the old sealed bytes to
    /// new ones (and throws when they do not open). Runs in the caller's transaction.
    /// </summary>
    public int Reencrypt(Func<byte[], byte[]> reseal)
    {
        var count = 0;
        foreach (var stored in storage.ListKeyRingElements())
        {
            var element = Parse(stored, stored.Name ?? "(unnamed)");
            var values = element.Descendants(MasterKeyXmlEncryptor.ValueElementName).ToList();
            if (values.Count == 0)
            {
                continue;
            }

            foreach (var value in values)
            {
                value.Value = Convert.ToBase64String(reseal(Convert.FromBase64String(value.Value)));
            }

            storage.UpdateKeyRingElement(stored with { Xml = element.ToString(SaveOptions.DisableFormatting) });
            count++;
        }

        return count;
    }

    /// <summary>Deletes the elements (key and revocation) that concern Data Protection key <paramref name="keyId"/>.</summary>
    public int DeleteKey(Guid keyId)
    {
        var id = keyId.ToString();
        var deleted = 0;
        foreach (var stored in storage.ListKeyRingElements())
        {
            var element = Parse(stored, stored.Name ?? "(unnamed)");
            var about = (string?)element.Attribute("id") ?? (string?)element.Element("key")?.Attribute("id");
            if (string.Equals(about, id, StringComparison.OrdinalIgnoreCase))
            {
                storage.DeleteKeyRingElement(stored);
                deleted++;
            }
        }

        return deleted;
    }

    private static XElement Parse(KeyRingElement stored, string name)
    {
        try
        {
            return XElement.Parse(stored.Xml ?? throw Errors.Integrity($"key ring element '{name}'"));
        }
        catch (System.Xml.XmlException e)
        {
            throw Errors.Integrity($"key ring element '{name}'", e);
        }
    }

    private static void EnsureProtected(XElement element, string name)
    {
        if (element.Name.LocalName != "key")
        {
            return;
        }

        var unencrypted = element.Descendants().Any(e => e.Attribute(RequiresEncryptionName) is not null);
        var secrets = element.Descendants(EncryptedSecretName).ToList();
        var encrypted = secrets.Count > 0 && secrets.All(e => NamesOurDecryptor((string?)e.Attribute(DecryptorTypeAttribute)));
        if (unencrypted || !encrypted)
        {
            throw Errors.UnprotectedKey(name);
        }
    }

    /// <summary>True when <paramref name="type"/> is the name of <see cref="MasterKeyXmlDecryptor"/>, in whichever assembly version.</summary>
    private static bool NamesOurDecryptor(string? type) =>
        type is not null
        && System.Reflection.Metadata.TypeName.TryParse(type, out var parsed)
        && parsed.FullName == DecryptorTypeName;

    /// <summary>
    /// Data Protection loads the decryptor by the type name in the XML, which is not authenticated:
    /// point it at this assembly's decryptor, so a damaged or altered name never makes it load another
    /// assembly. The secret itself stays authenticated by AES-GCM under the master key.
    /// </summary>
    private static void PinDecryptorType(XElement element)
    {
        foreach (var secret in element.Descendants(EncryptedSecretName))
        {
            secret.SetAttributeValue(DecryptorTypeAttribute, DecryptorAssemblyQualifiedName);
        }
    }
}
