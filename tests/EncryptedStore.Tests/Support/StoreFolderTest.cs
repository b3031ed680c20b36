namespace EncryptedStore.Tests.Support;

/// <summary>
/// A test class whose every test gets a fresh folder on disk (<see cref="Dir"/>) and the path of a store in it
/// (<see cref="StorePath"/>, <c>tokens.db</c>); the folder is deleted after the test.
/// </summary>
public abstract class StoreFolderTest
{
    internal TempDirectory Dir { get; private set; } = null!;

    protected string StorePath { get; private set; } = null!;

    [SetUp]
    public void CreateStoreFolder()
    {
        Dir = new TempDirectory();
        StorePath = Dir.File("tokens.db");
    }

    [TearDown]
    public void DeleteStoreFolder() => Dir.Dispose();
}
