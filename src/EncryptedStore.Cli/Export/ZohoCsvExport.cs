namespace EncryptedStore.Cli.Export;

/// <summary>
/// A FileStore CSV ready to write, and the ids that had to change for the SDK (store id, id in the file), in file
/// order; empty when every id was already a number the SDK can parse.
/// </summary>
internal sealed record ZohoCsvExport(string Text, IReadOnlyList<KeyValuePair<string, string>> Renumbered);
