namespace EncryptedStore.Tests.Support;

/// <summary>Checks that opening a store fails with a code and changes nothing on disk.</summary>
internal static class FailedOpen
{
    /// <summary>
    /// Runs <paramref name="open"/>, expects a <see cref="TokenStoreException"/> with <paramref name="code"/>,
    /// and checks that the folder of <paramref name="path"/> holds exactly the same files, byte for byte,
    /// afterwards: the file is unchanged and no stray LiteDB log is left behind.
    /// </summary>
    public static TokenStoreException Expect(string path, Func<EncryptedTokenStore> open, string code)
    {
        var folder = Path.GetDirectoryName(path)!;
        var before = Snapshot(folder);

        var exception = Assert.Throws<TokenStoreException>(() => open().Dispose());

        Assert.Multiple(() =>
        {
            Assert.That(exception!.Code, Is.EqualTo(code), exception.Message);
            Assert.That(Snapshot(folder), Is.EqualTo(before), "the folder's files and their SHA-256 after the failed open");
        });
        return exception!;
    }

    private static Dictionary<string, string> Snapshot(string folder) =>
        StoreFiles.Names(folder).ToDictionary(name => name, name => StoreFiles.Sha256(Path.Combine(folder, name)));
}
