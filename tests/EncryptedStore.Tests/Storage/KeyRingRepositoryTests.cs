using EncryptedStore.Storage.LiteDb;
using System.Xml.Linq;
using EncryptedStore.Keys;
using EncryptedStore.Storage;
using LiteDB;

namespace EncryptedStore.Tests.Storage;

public class KeyRingRepositoryTests
{
    private const string DataProtectionNamespace = "http://schemas.asp.net/2015/03/dataProtection";

    [Test]
    public void GetAllElements_DecryptorNamedInAnotherAssembly_NamesThisAssemblysDecryptor()
    {
        using var storage = ExclusiveLiteDbStorage.OpenMemory();
        storage.Database.GetCollection("keyring").Insert(Element("EncryptedStore.Keys.MasterKeyXmlDecryptor, Elsewhere, Version=9.9.9.9, Culture=neutral, PublicKeyToken=null"));

        var element = new KeyRingRepository(storage).GetAllElements().Single();

        var decryptor = (string?)element.Descendants(XName.Get("encryptedSecret", DataProtectionNamespace)).Single().Attribute("decryptorType");
        Assert.That(decryptor, Is.EqualTo(typeof(MasterKeyXmlDecryptor).AssemblyQualifiedName));
    }

    [TestCase("Microsoft.AspNetCore.DataProtection.XmlEncryption.NullXmlDecryptor, Microsoft.AspNetCore.DataProtection")]
    [TestCase("EncryptedStore.Keys.MasterKeyXmlDecryptorX, EncryptedStore")]
    [TestCase("EncryptedStore.Keys.MasterKeyXmlDecryptor[], EncryptedStore")]
    [TestCase("not a type name ,,,")]
    [TestCase("")]
    public void GetAllElements_OtherDecryptor_ThrowsUnprotectedKey(string decryptorType)
    {
        using var storage = ExclusiveLiteDbStorage.OpenMemory();
        storage.Database.GetCollection("keyring").Insert(Element(decryptorType));

        var e = Assert.Throws<TokenStoreException>(() => new KeyRingRepository(storage).GetAllElements());

        Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.UnprotectedKey));
    }

    private static BsonDocument Element(string decryptorType)
    {
        XNamespace ns = DataProtectionNamespace;
        var key = new XElement(
            "key",
            new XAttribute("id", Guid.NewGuid()),
            new XElement(
                "descriptor",
                new XElement(
                    "descriptor",
                    new XElement(ns + "encryptedSecret", new XAttribute("decryptorType", decryptorType), new XElement("encryptedKey", "AAAA")))));
        return new BsonDocument { ["name"] = "key-1", ["xml"] = key.ToString(SaveOptions.DisableFormatting) };
    }
}
