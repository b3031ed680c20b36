using System.Globalization;
using EncryptedStore.Cli.Backup;
using EncryptedStore.Cli.Keys;

namespace EncryptedStore.Cli.Import;

/// <summary>An encrypted backup made by <c>export --to backup</c>; read with the same master key as the store.</summary>
internal sealed class BackupSource(string path, KeySource key) : ITokenSource
{
    public string Description => $"backup '{path}'";

    public bool CanWipe => false;

    public IReadOnlyList<SourceRow> ReadRows() =>
        BackupFile.Read(path, key)
            .Select((token, i) => SourceRow.Valid(string.Create(CultureInfo.InvariantCulture, $"token {i + 1}"), token))
            .ToList();

    public string Wipe(IReadOnlyCollection<string?> ids) =>
        throw CliException.Usage("--wipe-source is for plaintext sources; a backup is encrypted (delete it yourself if you no longer need it).");
}
