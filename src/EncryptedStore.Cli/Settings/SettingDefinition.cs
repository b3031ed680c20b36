using System.CommandLine;

namespace EncryptedStore.Cli.Settings;

/// <summary>
/// One setting that the command line, the environment (<c>TOKENSTORE_KEY</c>) and the config file (<c>key</c>) can give.
/// </summary>
/// <param name="Key">The config file's name for it, e.g. <c>key_file</c>.</param>
/// <param name="Option">The global option that gives it on the command line.</param>
/// <param name="Kind">What kind of value it holds.</param>
/// <param name="IsMasterKey">Whether it names the master key (at most one per layer).</param>
/// <param name="Default">The built-in default, as text; null for none.</param>
internal sealed record SettingDefinition(string Key, Option Option, SettingKind Kind, bool IsMasterKey = false, string? Default = null)
{
    public const string EnvironmentPrefix = "TOKENSTORE_";

    /// <summary>The environment variable that gives it, e.g. <c>TOKENSTORE_KEY_FILE</c>.</summary>
    public string EnvironmentVariable => EnvironmentPrefix + Key.ToUpperInvariant();
}
