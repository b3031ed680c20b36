using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EncryptedStore.Cli.Output;
using EncryptedStore.Cli.Settings;
using EncryptedStore.Cli.Stores;

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
        + "file (or database store's tables) exists, whether the master key is reachable, and the store's token count and key versions. Exit code 0 when all is usable, "
        + "5 without a store, 3 when the key is unavailable, 1 when the database server is.";

    public static Command Create(CommandEnvironment environment)
    {
        var json = CommonOptions.Json("Print the status as JSON.");
        var noOpen = new Option<bool>("--no-open") { Description = "Do not open the store: no key is used, no lock is taken and no database server is asked." };
        var command = new Command("status", Description) { json, noOpen };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(json), parseResult.GetValue(noOpen)));
        return command;
    }

    private static int Run(CommandContext context, bool json, bool noOpen)
    {
        var settings = context.Settings;
        var key = settings.MasterKey();
        var certificatePassword = settings.CertificatePasswordVariable(key);
        var location = context.Store;
        var shown = new List<Setting> { location.IsDatabase ? settings.Store with { Value = location.Display } : settings.Store };
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
        if (location.IsDatabase && settings.Get(settings.Definition(GlobalOptions.DbPasswordEnvKey)) is { Origin: not SettingOrigin.Default } password)
        {
            shown.Add(password);
        }

        var check = KeyCheck.For(key, certificatePassword, context.CanPrompt);
        var (exists, exitCode, problem) = Exists(location, noOpen);
        if (exitCode == ExitCodes.Ok && check.Reachable == false)
        {
            (exitCode, problem) = (ExitCodes.WrongKey, $"the master key is not reachable: {check.Detail}");
        }

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

        var report = new Report(settings.Config, shown, location, exists, key, check, statistics, problem);
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

    /// <summary>Whether the store is there (null: not asked, a database with <c>--no-open</c>), and the exit code and problem when it is not.</summary>
    private static (bool? Exists, int ExitCode, string? Problem) Exists(StoreLocation location, bool noOpen)
    {
        if (!location.IsDatabase)
        {
            return File.Exists(location.FilePath)
                ? (true, ExitCodes.Ok, null)
                : (false, ExitCodes.NotFound, $"no store at '{Path.GetFullPath(location.FilePath!)}'; create one with 'tokenstore init'");
        }

        if (noOpen)
        {
            return (null, ExitCodes.Ok, null);
        }

        try
        {
            return location.Exists()
                ? (true, ExitCodes.Ok, null)
                : (false, ExitCodes.NotFound, $"no store at {location.Display} (no tables {location.Database!.TablePrefix}*); create one with 'tokenstore init'");
        }
        catch (CliException e)
        {
            return (false, e.ExitCode, e.Message);
        }
        catch (TokenStoreException e)
        {
            return (null, ExitCodes.For(e), $"{e.Code}: {e.Message}");
        }
    }

    private sealed record Report(ConfigFile Config, IReadOnlyList<Setting> Settings, StoreLocation Location, bool? Exists, Setting? Key, KeyCheck Check, StoreStatistics? Statistics, string? Problem)
    {
        private const int Width = 20;

        private FileInfo Store => new(Location.FilePath!);

        public IEnumerable<string> Lines()
        {
            yield return Row("config file", Config.Path + (Config.Exists ? string.Empty : " (none)"));
            foreach (var setting in Settings)
            {
                yield return Row(setting.Definition.Key, $"{setting.Value}  ({setting.Describe()})");
            }

            yield return Location.Database is { } database
                ? Row("store database", $"{Location.Display}: tables {database.TablePrefix}* "
                    + (Exists switch { true => "exist", false => "not found", null => "not checked" }) + $"; {Location.Tls}; {Location.PasswordSource}")
                : Row("store file", Store.Exists ? $"{Store.FullName}: {Store.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes, permissions {Permissions()}" : $"{Store.FullName}: not found");
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
            if (Location.Database is { } database)
            {
                WriteDatabase(w, database);
            }
            else
            {
                w.WriteString("path", Store.FullName);
                w.WriteBoolean("exists", Store.Exists);
                if (Store.Exists)
                {
                    w.WriteNumber("size_bytes", Store.Length);
                    w.WriteString("permissions", Permissions());
                }
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

        private void WriteDatabase(Utf8JsonWriter w, TokenDatabase database)
        {
            w.WriteString("path", Location.Display);
            w.WriteString("kind", Location.Uri!.Scheme);
            w.WriteString("table_prefix", database.TablePrefix);
            if (Exists is { } exists)
            {
                w.WriteBoolean("exists", exists);
            }
            else
            {
                w.WriteNull("exists");
            }

            w.WriteString("tls", Location.Tls);
            w.WriteString("password_variable", Location.PasswordVariable);
            w.WriteBoolean("password_set", Location.PasswordSet);
        }

        private static string Row(string name, string value) => name.PadRight(Width) + value;

        private static string Purpose(StoreKeyInfo key) => key.Purpose == StoreKeyPurpose.Data ? "data" : "index";

        private static string State(StoreKeyInfo key) => key.State.ToString().ToLowerInvariant();

        private string Permissions() => OperatingSystem.IsWindows()
            ? "(Windows ACL)"
            : Convert.ToString((int)File.GetUnixFileMode(Store.FullName), 8).PadLeft(4, '0');
    }
}
