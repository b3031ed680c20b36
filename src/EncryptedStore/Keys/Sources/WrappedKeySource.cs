using System.Security.Cryptography;
using EncryptedStore.Internal;

namespace EncryptedStore.Keys.Sources;

/// <summary>
/// A random master key wrapped to a recipient (a certificate, DPAPI) in the file beside the store
/// (<see cref="WrappedKeyFile"/>). A new key is added to the file before the store commits and the others are
/// removed after, so a process killed in between leaves a store that its old and its new key both still find.
/// </summary>
internal sealed class WrappedKeySource(KeyWrapper wrapper, bool createIfMissing) : MasterKeySource
{
    /// <summary>A new master key's length in bytes, as a key file made by <c>MasterKey.CreateKeyFile</c>.</summary>
    private const int KeyLength = 32;

    public override string Description => wrapper.Description;

    public override IReadOnlyList<byte[]> KeysFor(string? storePath)
    {
        var path = RequireFile(storePath);
        var entries = WrappedKeyFile.Read(path);
        var mine = entries.Where(wrapper.Matches).Reverse().ToList();
        if (mine.Count == 0)
        {
            throw Errors.WrongKey(entries.Count == 0
                ? $"No wrapped master key lies beside it ('{WrappedKeyFile.PathFor(path)}'): it was not created with a certificate or DPAPI key, or that file is lost."
                : $"Its master key is wrapped to {string.Join(", ", entries.Select(e => $"'{e.Label}' ({e.Recipient})"))}, not to {wrapper.Description}.");
        }

        var keys = new List<byte[]>();
        TokenStoreException? failure = null;
        foreach (var entry in mine)
        {
            try
            {
                keys.Add(wrapper.Unwrap(entry));
            }
            catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.WrongKey)
            {
                failure ??= e;
            }
        }

        return keys.Count > 0 ? keys : throw failure!;
    }

    public override (byte[] Key, Action Commit, Action Abandon) Prepare(string? storePath)
    {
        var path = RequireFile(storePath);
        var before = WrappedKeyFile.Read(path);
        if (!createIfMissing && !before.Any(wrapper.Matches))
        {
            throw Errors.MasterKeyNotFound(wrapper.Description, Path.GetFileName(WrappedKeyFile.PathFor(path)));
        }

        var key = RandomNumberGenerator.GetBytes(KeyLength);
        try
        {
            var entry = wrapper.Wrap(key);
            WrappedKeyFile.Write(path, [.. before, entry]);
            return (key, () => WrappedKeyFile.Write(path, [entry]), () => WrappedKeyFile.Write(path, before));
        }
        catch
        {
            CryptographicOperations.ZeroMemory(key);
            throw;
        }
    }

    public override void Dispose()
    {
        wrapper.Dispose();
        base.Dispose();
    }

    private string RequireFile(string? storePath) =>
        storePath ?? throw Errors.InvalidMasterKey($"{wrapper.Description} keeps the store's master key in a file beside the store; a store in memory or on a database server has none (use a key file, a passphrase, an OS key store or a systemd credential).");
}
