namespace EncryptedStore.Cli.Import;

/// <summary>Why one source row was not (or would not be) imported; names the row and its id, never a secret.</summary>
internal sealed record ImportProblem(string Location, string? Id, string Reason);
