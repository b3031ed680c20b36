namespace EncryptedStore.Cli.Import;

/// <summary>
/// One row read from an import source: where it is (e.g. <c>line 4</c>, <c>row 2</c>), the token it
/// holds, or why it could not be read (never quoting a value).
/// </summary>
internal sealed record SourceRow(string Location, OAuthToken? Token, string? Problem)
{
    public static SourceRow Valid(string location, OAuthToken token) => new(location, token, null);

    public static SourceRow Malformed(string location, string problem) => new(location, null, problem);
}
