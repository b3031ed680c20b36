using System.Globalization;
using System.Text.Json;
using EncryptedStore.Cli.Stores;

namespace EncryptedStore.Cli.Settings;

/// <summary>
/// The config file, <c>$XDG_CONFIG_HOME/tokenstore/config.json</c> (default <c>~/.config/tokenstore/config.json</c>;
/// <c>TOKENSTORE_CONFIG</c> names another): one JSON object of settings, e.g. <c>{"store": "tokens.db", "key_file": "master.key"}</c>.
/// It names where secrets are, never a secret. A file that is not valid JSON, has an unknown key or a value of the wrong
/// type, holds a secret, or is writable by other users is a usage error naming the file; it is never ignored.
/// </summary>
internal sealed class ConfigFile
{
    public const string PathVariable = "TOKENSTORE_CONFIG";

    /// <summary>Keys that would hold a secret, and the setting that names where the secret is instead.</summary>
    private static readonly Dictionary<string, string> SecretKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["passphrase"] = "passphrase_env",
        ["password"] = "passphrase_env",
        ["key"] = "key_file",
        ["cert_password"] = "cert_password_env",
    };

    private ConfigFile(string path, bool exists, IReadOnlyDictionary<string, string> values)
    {
        Path = path;
        Exists = exists;
        Values = values;
    }

    /// <summary>The full path of the config file, whether or not it exists.</summary>
    public string Path { get; }

    public bool Exists { get; }

    /// <summary>The settings it gives, by key; paths resolved against its folder, numbers and flags as invariant text.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>Where the config file is looked for, and whether <see cref="PathVariable"/> named it.</summary>
    public static (string Path, bool Named) Locate()
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } named)
        {
            return (System.IO.Path.GetFullPath(ExpandHome(named)), true);
        }

        var folder = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg && System.IO.Path.IsPathRooted(xdg)
            ? xdg
            : OperatingSystem.IsWindows()
                ? Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData)
                : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return (System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, "tokenstore", "config.json")), false);
    }

    /// <summary>Reads and checks the config file; a missing file gives no settings unless <see cref="PathVariable"/> named it.</summary>
    /// <param name="known">The settings a config file may give, by key.</param>
    /// <exception cref="CliException">Usage error naming the file for every problem.</exception>
    public static ConfigFile Load(IReadOnlyDictionary<string, SettingKind> known)
    {
        var (path, named) = Locate();
        if (!File.Exists(path))
        {
            return named
                ? throw CliException.Usage($"config file '{path}' (named by {PathVariable}) does not exist.")
                : new ConfigFile(path, exists: false, new Dictionary<string, string>());
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw CliException.Usage($"config file '{path}' is writable by other users, who could point the tool at their own store or key; run: chmod go-w '{path}'.");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"config file '{path}' cannot be read: {e.Message}");
        }

        return new ConfigFile(path, exists: true, Parse(path, text, known));
    }

    private static Dictionary<string, string> Parse(string path, string text, IReadOnlyDictionary<string, SettingKind> known)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw CliException.Usage($"config file '{path}' is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw CliException.Usage($"config file '{path}' must hold one JSON object, e.g. {{\"store\": \"tokens.db\", \"key_file\": \"master.key\"}}.");
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var folder = System.IO.Path.GetDirectoryName(path)!;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (SecretKeys.TryGetValue(property.Name, out var instead))
                {
                    throw CliException.Usage($"config file '{path}' must not hold a secret ('{property.Name}'): remove it and use \"{instead}\" to say where the secret is.");
                }

                if (!known.TryGetValue(property.Name, out var kind))
                {
                    throw CliException.Usage($"config file '{path}' has an unknown setting '{property.Name}'; known settings: {string.Join(", ", known.Keys)}.");
                }

                values[property.Name] = Value(path, folder, property, kind);
            }

            return values;
        }
    }

    private static string Value(string path, string folder, JsonProperty property, SettingKind kind)
    {
        var value = property.Value;
        switch (kind)
        {
            case SettingKind.WholeNumber when value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number):
                return number.ToString(CultureInfo.InvariantCulture);
            case SettingKind.Flag when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return value.GetBoolean() ? "true" : "false";
            case SettingKind.Text or SettingKind.Path when value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text:
                // A database store's URI is not a path: it stays as written.
                return kind == SettingKind.Path && !DatabaseUri.IsUri(text) ? System.IO.Path.GetFullPath(ExpandHome(text), folder) : text;
            default:
                var expected = kind switch
                {
                    SettingKind.WholeNumber => "a whole number",
                    SettingKind.Flag => "true or false",
                    _ => "a non-empty string",
                };
                throw CliException.Usage($"config file '{path}': \"{property.Name}\" must be {expected}.");
        }
    }

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..]
            : path;
}
