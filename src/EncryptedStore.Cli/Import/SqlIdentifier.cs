using System.Text.RegularExpressions;

namespace EncryptedStore.Cli.Import;

/// <summary>
/// Checks a table name given on the command line. Names cannot be SQL parameters, so only plain
/// identifiers are accepted and then quoted; values always go in as parameters.
/// </summary>
internal static partial class SqlIdentifier
{
    public const string DefaultTable = "oauthtoken";

    /// <exception cref="CliException">Usage error for anything but letters, digits and underscores.</exception>
    public static string Check(string name) => PlainIdentifier().IsMatch(name)
        ? name
        : throw CliException.Usage($"--table must be a plain name (letters, digits, underscore; at most 64), not '{name}'.");

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex PlainIdentifier();
}
