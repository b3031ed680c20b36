using System.Security.Cryptography;
using System.Xml.Linq;
using EncryptedStore.Tests.Support;
using LiteDB;

namespace EncryptedStore.Tests.Keys;

/// <summary>
/// The Data Protection key ring kept in the store file: every key is encrypted with the master key,
/// and a store whose key ring holds an unencrypted or damaged key refuses to open.
/// </summary>
public class KeyRingTests
{
    private const string DataProtectionNamespace = "http://schemas.asp.net/2015/03/dataProtection";
    private const string DescriptorDeserializer =
        "Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel.AuthenticatedEncryptorDescriptorDeserializer, Microsoft.AspNetCore.DataProtection, Version=10.0.0.0, Culture=neutral, PublicKeyToken=adb9793829ddae60";

    private TempDirectory _dir = null!;
    private string _path = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _path = _dir.File("tokens.db");
        using var store = StoreFixture.Open(_path);
        store.SaveToken(StoreFixture.Token("alice@example.com"));
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void KeyRing_NewStore_HoldsOnlyKeysEncryptedWithTheMasterKey()
    {
        List<string> xml;
        using (var db = StoreFiles.OpenPlain(_path))
        {
            xml = db.GetCollection("keyring").FindAll().Select(d => d["xml"].AsString).ToList();
        }

        Assert.That(xml, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            foreach (var text in xml)
            {
                var key = XElement.Parse(text);
                Assert.That(key.Name.LocalName, Is.EqualTo("key"));
                Assert.That(text, Does.Not.Contain("masterKey"), "no unencrypted key element");
                Assert.That(text, Does.Not.Contain("requiresEncryption"), "no key waiting to be encrypted");
                var encrypted = key.Descendants(XName.Get("encryptedSecret", DataProtectionNamespace)).ToList();
                Assert.That(encrypted, Has.Count.EqualTo(1));
                Assert.That((string?)encrypted.Single().Attribute("decryptorType"), Does.StartWith("EncryptedStore.Keys.MasterKeyXmlDecryptor,"));
            }
        });
    }

    private static IEnumerable<TestCaseData> UnprotectedKeys()
    {
        static XElement PlainMasterKey(bool marked) => new(
            "masterKey",
            marked ? new XAttribute(XName.Get("requiresEncryption", DataProtectionNamespace), "true") : null,
            new XComment(" Warning: the key below is in an unencrypted form. "),
            new XElement("value", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));

        yield return new TestCaseData(PlainMasterKey(marked: true)).SetArgDisplayNames("plain master key marked requiresEncryption");
        yield return new TestCaseData(PlainMasterKey(marked: false)).SetArgDisplayNames("plain master key without the marker");
        yield return new TestCaseData(new XElement(
            XName.Get("encryptedSecret", DataProtectionNamespace),
            new XAttribute("decryptorType", "Microsoft.AspNetCore.DataProtection.XmlEncryption.NullXmlDecryptor, Microsoft.AspNetCore.DataProtection"),
            new XElement("unencryptedKey", PlainMasterKey(marked: false)))).SetArgDisplayNames("NullXmlEncryptor's wrapper");
    }

    [TestCaseSource(nameof(UnprotectedKeys))]
    public void Open_KeyRingWithUnprotectedKey_ThrowsUnprotectedKeyAndLeavesFileUnchanged(XElement secret)
    {
        var id = Guid.NewGuid();
        var key = new XElement(
            "key",
            new XAttribute("id", id),
            new XAttribute("version", 1),
            new XElement("creationDate", "2026-01-01T00:00:00Z"),
            new XElement("activationDate", "2026-01-01T00:00:00Z"),
            new XElement("expirationDate", "2099-01-01T00:00:00Z"),
            new XElement(
                "descriptor",
                new XAttribute("deserializerType", DescriptorDeserializer),
                new XElement("descriptor", new XElement("encryption", new XAttribute("algorithm", "AES_256_GCM")), secret)));
        using (var db = StoreFiles.OpenPlain(_path))
        {
            db.GetCollection("keyring").Insert(new BsonDocument { ["name"] = "key-" + id, ["xml"] = key.ToString(SaveOptions.DisableFormatting) });
        }

        // The store unwraps its current keys while opening, which reads the whole key ring: the
        // refusal comes at open, not at the first token read.
        FailedOpen.Expect(_path, () => StoreFixture.Open(_path), TokenStoreErrorCodes.UnprotectedKey);
    }

    private static IEnumerable<TestCaseData> DamagedKeyMaterial()
    {
        TestCaseData Case(string name, Action<LiteDatabase> damage, string code) => new TestCaseData(damage, code).SetArgDisplayNames(name);

        yield return Case("encrypted Data Protection key altered", db =>
        {
            var keyring = db.GetCollection("keyring");
            var document = keyring.FindAll().Single();
            var xml = XElement.Parse(document["xml"].AsString);
            var value = xml.Descendants().Single(e => e.Name.LocalName == "value");
            var sealedKey = Convert.FromBase64String(value.Value);
            sealedKey[^1] ^= 0x01;
            value.Value = Convert.ToBase64String(sealedKey);
            document["xml"] = xml.ToString(SaveOptions.DisableFormatting);
            keyring.Update(document);
        }, TokenStoreErrorCodes.Integrity);
        yield return Case("wrapped data key altered", db =>
        {
            var keys = db.GetCollection("keys");
            var document = keys.FindById(1);
            var wrapped = document["wrapped"].AsBinary;
            wrapped[^1] ^= 0x01;
            document["wrapped"] = wrapped;
            keys.Update(document);
        }, TokenStoreErrorCodes.Integrity);
        // Removing key material is an edit of the sealed key state: INTEGRITY since the metadata's MAC (was KEY_UNAVAILABLE).
        yield return Case("key ring emptied", db => db.GetCollection("keyring").DeleteAll(), TokenStoreErrorCodes.Integrity);
        yield return Case("data key removed", db => db.GetCollection("keys").Delete(1), TokenStoreErrorCodes.Integrity);
        yield return Case("key ring element not XML", db =>
        {
            var keyring = db.GetCollection("keyring");
            var document = keyring.FindAll().Single();
            document["xml"] = "<key";
            keyring.Update(document);
        }, TokenStoreErrorCodes.Integrity);
    }

    [TestCaseSource(nameof(DamagedKeyMaterial))]
    public void Open_DamagedKeyMaterial_FailsWithStoreErrorAndLeavesFileUnchanged(Action<LiteDatabase> damage, string code)
    {
        using (var db = StoreFiles.OpenPlain(_path))
        {
            damage(db);
        }

        FailedOpen.Expect(_path, () => StoreFixture.Open(_path), code);
    }
}
