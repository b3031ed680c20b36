using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EncryptedStore.Cli.Output;
using EncryptedStore.Cli.Settings;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// <c>status</c>: the settings in effect and where each came from, whether the store file exists, whether the master
/// key is reachable, and (unless <c>--no-open</c>) the store's token count and key versions. It never prompts, never
/// creates a key and never shows a secret.
/// </summary>
internal static class StatusCommand
{
    private const string Description =
        "Show the settings in effect and where each came from (flag, TOKENSTORE_* variable, config file, default), whether the store "
        + "file exists, whether the master key is reachable, and the store's token count and key versions. Exit code 0 when all is usable, "
        + "5 without a store file, 3 when the key is unavailable.";

    public static Command Create(CommandEnvironment environment)
    {
        var json = CommonOptions.Json("Print the status as JSON.");
        var noOpen = new Option<bool>("--no-open") { Description = "Do not open the store: no key is used and no lock is taken." };
        var command = new Command("status", Description) { json, noOpen };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(json), parseResult.GetValue(noOpen)));
        return command;
    }

    private static int Run(CommandContext context, bool json, bool noOpen)
    {
        var settings = context.Settings;
        var key = settings.MasterKey();
        var certificatePassword = settings.CertificatePasswordVariable(key);
        var shown = new List<Setting> { settings.Store };
        if (key is not null)
        {
            shown.Add(key);
        }

        if (certificatePassword is not null)
        {
            shown.Add(settings.Get(settings.Definition(CliSettings.CertificatePasswordKey)));
        }

        shown.Add(settings.LockTimeout);
        shown.Add(settings.Shared);

        var store = new FileInfo(settings.StorePath);
        var check = KeyCheck.For(key, certificatePassword, context.CanPrompt);
        var (exitCode, problem) = !store.Exists ? (ExitCodes.NotFound, $"no store at '{store.FullName}'; create one with 'tokenstore init'")
            : check.Reachable == false ? (ExitCodes.WrongKey, $"the master key is not reachable: {check.Detail}")
            : (ExitCodes.Ok, (string?)null);
        StoreStatistics? statistics = null;
        if (exitCode == ExitCodes.Ok && !noOpen && key is not null)
        {
            try
            {
                using var session = context.OpenStore();
                statistics = session.Store.GetStatistics();
            }
            catch (TokenStoreException e)
            {
                (exitCode, problem) = (ExitCodes.For(e), $"{e.Code}: {e.Message}");
            }
        }

        var report = new Report(settings.Config, shown, store, key, check, statistics, problem);
        if (json)
        {
            JsonOutput.Write(context.Console, report.WriteJson);
        }
        else
        {
            foreach (var line in report.Lines())
            {
                context.Console.WriteLine(line);
            }
        }

        return exitCode;
    }

    private sealed record Report(ConfigFile Config, IReadOnlyList<Setting> Settings, FileInfo Store, Setting? Key, KeyCheck Check, StoreStatistics? Statistics, string? Problem)
    {
        private const int Width = 20;

        public IEnumerable<string> Lines()
        {
            yield return Row("config file", Config.Path + (Config.Exists ? string.Empty : " (none)"));
            foreach (var setting in Settings)
            {
                yield return Row(setting.Definition.Key, $"{setting.Value}  ({setting.Describe()})");
            }

            yield return Row("store file", Store.Exists ? $"{Store.FullName}: {Store.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes, permissions {Permissions()}" : $"{Store.FullName}: not found");
            yield return Row("master key", (Check.Reachable switch { true => "reachable: ", false => "NOT reachable: ", null => string.Empty }) + Check.Detail);
            if (Statistics is { } stats)
            {
                yield return Row("tokens", stats.TokenCount.ToString(CultureInfo.InvariantCulture));
                yield return Row("key versions", string.Join(", ", stats.Keys.Select(k => $"{Purpose(k)} v{k.Version} ({State(k)}, {k.RecordCount} tokens)")));
            }

            yield return Row("status", Problem ?? "usable");
        }

        public void WriteJson(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteStartObject("config_file");
            w.WriteString("path", Config.Path);
            w.WriteBoolean("exists", Config.Exists);
            w.WriteEndObject();
            w.WriteStartObject("settings");
            foreach (var setting in Settings)
            {
                w.WriteStartObject(setting.Definition.Key);
                w.WriteString("value", setting.Value);
                w.WriteString("source", setting.Describe());
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteStartObject("store");
            w.WriteString("path", Store.FullName);
            w.WriteBoolean("exists", Store.Exists);
            if (Store.Exists)
            {
                w.WriteNumber("size_bytes", Store.Length);
                w.WriteString("permissions", Permissions());
            }

            w.WriteEndObject();
            w.WriteStartObject("master_key");
            w.WriteString("setting", Key?.Definition.Key);
            if (Check.Reachable is { } reachable)
            {
                w.WriteBoolean("reachable", reachable);
            }
            else
            {
                w.WriteNull("reachable");
            }

            w.WriteString("detail", Check.Detail);
            w.WriteEndObject();
            if (Statistics is { } stats)
            {
                w.WriteNumber("token_count", stats.TokenCount);
                w.WriteStartArray("key_versions");
                foreach (var key in stats.Keys)
                {
                    w.WriteStartObject();
                    w.WriteString("purpose", Purpose(key));
                    w.WriteNumber("version", key.Version);
                    w.WriteString("state", State(key));
                    w.WriteNumber("token_count", key.RecordCount);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteBoolean("usable", Problem is null);
            w.WriteString("problem", Problem);
            w.WriteEndObject();
        }

        private static string Row(string name, string value) => name.PadRight(Width) + value;

        private static string Purpose(StoreKeyInfo key) => key.Purpose == StoreKeyPurpose.Data ? "data" : "index";

        private static string State(StoreKeyInfo key) => key.State.ToString().ToLowerInvariant();

        private string Permissions() => OperatingSystem.IsWindows()
            ? "(Windows ACL)"
            : Convert.ToString((int)File.GetUnixFileMode(Store.FullName), 8).PadLeft(4, '0');
    }
}
