using System.CommandLine;
using System.Globalization;

namespace EncryptedStore.Cli.Settings;

/// <summary>
/// The settings in effect for one command, each from the first layer that gives it: the command line, then the
/// environment (<c>TOKENSTORE_*</c>), then the config file (<see cref="ConfigFile"/>), then the built-in default.
/// The master key is chosen by layer as a whole: a key named on a higher layer replaces every key default below it,
/// and two keys named on one layer are a usage error.
/// </summary>
internal sealed class CliSettings(ParseResult parseResult, IReadOnlyList<SettingDefinition> definitions)
{
    public const string CertificatePasswordKey = "cert_password_env";

    private static readonly SettingOrigin[] KeyLayers = [SettingOrigin.CommandLine, SettingOrigin.Environment, SettingOrigin.ConfigFile];

    /// <summary>The config file, read and checked when the settings are first needed, whether or not options replace all it gives.</summary>
    public ConfigFile Config { get; } = ConfigFile.Load(definitions.ToDictionary(d => d.Key, d => d.Kind, StringComparer.Ordinal));

    /// <summary>The setting in effect for <paramref name="definition"/>; its value is null when nothing gives it and it has no default.</summary>
    public Setting Get(SettingDefinition definition) =>
        At(definition, SettingOrigin.CommandLine) ?? At(definition, SettingOrigin.Environment) ?? At(definition, SettingOrigin.ConfigFile)
        ?? new Setting(definition, definition.Default, SettingOrigin.Default, string.Empty);

    public Setting Store => Get(Definition("store"));

    public Setting LockTimeout => Get(Definition("lock_timeout"));

    public Setting Shared => Get(Definition("shared"));

    /// <summary>The variable named to hold a database store's password (<c>--db-password-env</c> and its defaults); null for the default.</summary>
    public string? DbPasswordVariable => Get(Definition("db_password_env")).Value;

    /// <summary>The path of the store file, or a database store's URI.</summary>
    /// <exception cref="CliException">Usage error for an empty path.</exception>
    public string StorePath => Store.Value is { Length: > 0 } path ? path : throw CliException.Usage("--store needs a path.");

    /// <summary>Seconds to wait for another process's lock.</summary>
    /// <exception cref="CliException">Usage error for a value that is not a whole number.</exception>
    public int LockTimeoutSeconds => LockTimeout is var setting && int.TryParse(setting.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
        ? seconds
        : throw CliException.Usage($"{Name(setting)} must be a whole number of seconds (0 to 600).");

    /// <summary>Whether to open the store in shared mode.</summary>
    /// <exception cref="CliException">Usage error for a value other than true/false/1/0/yes/no.</exception>
    public bool IsShared => Shared is var setting && setting.Value?.ToUpperInvariant() switch
    {
        "TRUE" or "1" or "YES" => true,
        "FALSE" or "0" or "NO" or "" or null => false,
        _ => throw CliException.Usage($"{Name(setting)} must be true or false."),
    };

    /// <summary>The setting that names the master key, from the highest layer that names one; null when none does (then a passphrase is asked for).</summary>
    /// <exception cref="CliException">Usage error when one layer names two keys.</exception>
    public Setting? MasterKey()
    {
        foreach (var layer in KeyLayers)
        {
            var named = definitions.Where(d => d.IsMasterKey).Select(d => At(d, layer)).OfType<Setting>().ToList();
            if (named.Count > 1)
            {
                throw CliException.Usage(layer switch
                {
                    SettingOrigin.CommandLine => $"give one master key option, not {string.Join(" and ", named.Select(s => s.Source))}.",
                    SettingOrigin.Environment => $"environment variables {string.Join(" and ", named.Select(s => s.Source))} both name a master key; "
                        + "unset all but one (a key option on the command line replaces them).",
                    _ => $"config file '{Config.Path}' names more than one master key ({string.Join(" and ", named.Select(s => s.Definition.Key))}); "
                        + "keep one (a key option or a TOKENSTORE_* variable replaces it).",
                });
            }

            if (named.Count == 1)
            {
                return named[0];
            }
        }

        return null;
    }

    /// <summary>
    /// The variable holding the password of a certificate key <paramref name="key"/>: from the command line or from the
    /// key's own layer. A <c>--cert-password-env</c> without a certificate key is a usage error.
    /// </summary>
    public string? CertificatePasswordVariable(Setting? key)
    {
        var definition = Definition(CertificatePasswordKey);
        var flag = At(definition, SettingOrigin.CommandLine);
        if (key?.Definition.Key != "cert")
        {
            return flag is null ? null : throw CliException.Usage("--cert-password-env is the password of a --cert file; give --cert PATH too.");
        }

        return (flag ?? At(definition, key.Origin))?.Value;
    }

    public SettingDefinition Definition(string key) => definitions.Single(d => d.Key == key);

    /// <summary>The setting as <paramref name="layer"/> gives it, or null.</summary>
    public Setting? At(SettingDefinition definition, SettingOrigin layer)
    {
        switch (layer)
        {
            case SettingOrigin.CommandLine when parseResult.GetResult(definition.Option) is { Implicit: false } result:
                return new Setting(definition, Text(result.GetValueOrDefault<object?>()) ?? "true", layer, definition.Option.Name);
            case SettingOrigin.Environment when Environment.GetEnvironmentVariable(definition.EnvironmentVariable) is { Length: > 0 } value:
                return new Setting(definition, value, layer, definition.EnvironmentVariable);
            case SettingOrigin.ConfigFile when Config.Values.TryGetValue(definition.Key, out var value):
                return new Setting(definition, value, layer, Config.Path);
            default:
                return null;
        }
    }

    private static string? Text(object? value) => value switch
    {
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value?.ToString(),
    };

    private static string Name(Setting setting) => setting.Origin switch
    {
        SettingOrigin.Environment => setting.Source,
        SettingOrigin.ConfigFile => $"\"{setting.Definition.Key}\" in config file '{setting.Source}'",
        _ => setting.Definition.Option.Name,
    };
}
