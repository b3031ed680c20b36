using System.Runtime.Versioning;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Keys.Sources;

/// <summary>
/// systemd hands a service its credentials as files in <c>$CREDENTIALS_DIRECTORY</c> (a private, 0700 folder). These
/// tests make that folder as systemd would and point the variable at it; the variable is process-wide, hence not parallel.
/// </summary>
[NonParallelizable]
[UnsupportedOSPlatform("windows")]
public class SystemdCredentialTests
{
    private string? _saved;
    private TempDirectory _dir = null!;
    private string _credentials = null!;

    [SetUp]
    public void SetUp()
    {
        _saved = Environment.GetEnvironmentVariable(MasterKey.CredentialsDirectoryVariable);
        _dir = new TempDirectory();
        _credentials = Path.Combine(_dir.Path, "credentials");
        Directory.CreateDirectory(_credentials, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment.SetEnvironmentVariable(MasterKey.CredentialsDirectoryVariable, _credentials);
    }

    [TearDown]
    public void TearDown()
    {
        Environment.SetEnvironmentVariable(MasterKey.CredentialsDirectoryVariable, _saved);
        _dir.Dispose();
    }

    [Test]
    public void FromSystemdCredential_KeyBytes_CreatesAndReopensTheStore()
    {
        StoreFiles.WriteOwnerOnly(Path.Combine(_credentials, "tokenstore"), StoreFixture.Key);
        var path = _dir.File("tokens.db");
        using (var key = MasterKey.FromSystemdCredential("tokenstore"))
        using (var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = key }))
        {
            store.SaveToken(StoreFixture.Token("a@example.com"));
        }

        // The credential is key bytes, as a key file is: the same bytes from elsewhere open the store.
        using var same = StoreFixture.Open(path);
        using var again = MasterKey.FromSystemdCredential("tokenstore");
        Assert.Multiple(() =>
        {
            Assert.That(same.GetTokens(), Has.Count.EqualTo(1));
            Assert.That(again.ToString(), Is.EqualTo("MasterKey(systemd credential 'tokenstore')"));
        });
    }

    [Test]
    public void FromSystemdCredential_NotUnderSystemd_ThrowsMasterKeyUnavailableNamingTheUnitLine()
    {
        Environment.SetEnvironmentVariable(MasterKey.CredentialsDirectoryVariable, null);

        Assert.That(() => MasterKey.FromSystemdCredential("tokenstore"),
            StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable).And.Message.Contain("LoadCredentialEncrypted=tokenstore"));
    }

    [Test]
    public void FromSystemdCredential_NoSuchCredential_ThrowsMasterKeyUnavailable()
    {
        Assert.That(() => MasterKey.FromSystemdCredential("other"),
            StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable).And.Message.Contain("'other'"));
    }

    [Test]
    public void FromSystemdCredential_OpenToOthers_ThrowsInvalidMasterKey()
    {
        var path = Path.Combine(_credentials, "tokenstore");
        StoreFiles.WriteOwnerOnly(path, StoreFixture.Key);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        Assert.That(() => MasterKey.FromSystemdCredential("tokenstore"), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey));
    }

    [Test]
    public void FromSystemdCredential_TooShort_ThrowsInvalidMasterKey()
    {
        StoreFiles.WriteOwnerOnly(Path.Combine(_credentials, "tokenstore"), new byte[MasterKey.MinKeyLength - 1]);

        Assert.That(() => MasterKey.FromSystemdCredential("tokenstore"), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey));
    }

    [TestCase("../tokenstore")]
    [TestCase("..")]
    [TestCase("a/b")]
    public void FromSystemdCredential_NameWithAPath_ThrowsInvalidMasterKey(string name)
    {
        Assert.That(() => MasterKey.FromSystemdCredential(name), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey));
    }
}
