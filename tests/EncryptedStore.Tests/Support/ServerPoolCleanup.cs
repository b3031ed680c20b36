using EncryptedStore.Tests.Support;

// The root namespace of the tests, so that this runs once, after every test of the assembly.
namespace EncryptedStore.Tests;

/// <summary>
/// Drops the table sets <see cref="StoreHost"/> left in the pool (<see cref="TestServers.Rent"/>) once the whole test
/// run is over, so that no test table stays in either database.
/// </summary>
[SetUpFixture]
public sealed class ServerPoolCleanup
{
    [OneTimeTearDown]
    public void DropPooledTables() => TestServers.DropPooled();
}
