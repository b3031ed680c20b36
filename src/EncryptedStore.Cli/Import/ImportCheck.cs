namespace EncryptedStore.Cli.Import;

/// <summary>The rows of an import after the check (<see cref="TokenImporter.Check"/>): the problems found and the rows to write.</summary>
internal sealed record ImportCheck(IReadOnlyList<SourceRow> Rows, List<ImportProblem> Problems, List<(SourceRow Row, OAuthToken Token)> Accepted);
