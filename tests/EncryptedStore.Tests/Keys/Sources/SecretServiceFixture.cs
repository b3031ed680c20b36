using System.Runtime.Versioning;

namespace EncryptedStore.Tests.Keys.Sources;

/// <summary>
/// A fixture with one <see cref="SecretServiceSession"/> for its tests, started by the first test that needs it (so the
/// tests that need no daemons run where they are not installed) and stopped after the last.
/// </summary>
[SupportedOSPlatform("linux")]
public abstract class SecretServiceFixture
{
    private readonly Lazy<SecretServiceSession> _shared = new(SecretServiceSession.Start);

    private protected SecretServiceSession Session => _shared.Value;

    [OneTimeTearDown]
    public void StopSession()
    {
        if (_shared.IsValueCreated)
        {
            _shared.Value.Dispose();
        }
    }
}
