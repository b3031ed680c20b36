namespace EncryptedStore.Cli.Settings;

/// <summary>A setting in effect: its value (never a secret: settings only name where secrets are) and where it came from.</summary>
/// <param name="Definition">Which setting.</param>
/// <param name="Value">The value, as text; a path from the config file is already resolved against the file's folder.</param>
/// <param name="Origin">The layer that gave it.</param>
/// <param name="Source">The option, variable or file that gave it; empty for a default.</param>
internal sealed record Setting(SettingDefinition Definition, string? Value, SettingOrigin Origin, string Source)
{
    /// <summary>Where it came from, for people: <c>flag --store</c>, <c>env TOKENSTORE_STORE</c>, <c>config PATH</c>, <c>default</c>.</summary>
    public string Describe() => Origin switch
    {
        SettingOrigin.CommandLine => $"flag {Source}",
        SettingOrigin.Environment => $"env {Source}",
        SettingOrigin.ConfigFile => $"config {Source}",
        _ => "default",
    };
}
