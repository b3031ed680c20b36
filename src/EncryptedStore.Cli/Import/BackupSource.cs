using System.Globalization;
using EncryptedStore.Cli.Backup;
using EncryptedStore.Cli.Keys;

namespace EncryptedStore.Cli.Import;

/// <summary>An encrypted backup made by <c>export --to backup</c>; read with the same master key as the store.</summary>
/// <param name="content">The backup's bytes when they were read already (stdin, <paramref name="path"/> <c>-</c>).</param>
internal sealed class BackupSource(string path, KeySource key, byte[]? content = null) : ITokenSource
{
    public string Description => content is null ? $"backup '{path}'" : "backup on stdin";

    public bool CanWipe => false;

    public IReadOnlyList<SourceRow> ReadRows() =>
        (content is null ? BackupFile.Read(path, key) : BackupFile.Read(content, "stdin", key))
            .Select((token, i) => SourceRow.Valid(string.Create(CultureInfo.InvariantCulture, $"token {i + 1}"), token))
            .ToList();

    public string Wipe(IReadOnlyCollection<string?> ids) =>
        throw CliException.Usage("--wipe-source is for plaintext sources; a backup is encrypted (delete it yourself if you no longer need it).");
}
