using System.CommandLine;
using System.Globalization;
using EncryptedStore.Cli.Output;
using Spectre.Console;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>stats</c>: token counts per key version, file size and format (<see cref="EncryptedTokenStore.GetStatistics"/>).</summary>
internal static class StatsCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var json = CommonOptions.Json("Print the statistics as JSON.");
        var command = new Command("stats", "Show how many tokens the store holds, per key version, its file size and format version.") { json };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(json)));
        return command;
    }

    private static int Run(CommandContext context, bool json)
    {
        using var session = context.OpenStore();
        var stats = session.Store.GetStatistics();
        if (json)
        {
            JsonOutput.Write(context.Console, w =>
            {
                w.WriteStartObject();
                w.WriteString("path", session.Store.FilePath);
                w.WriteNumber("format_version", stats.FormatVersion);
                w.WriteNumber("token_count", stats.TokenCount);
                w.WriteNumber("file_size_bytes", stats.FileSizeBytes);
                w.WriteStartArray("keys");
                foreach (var key in stats.Keys)
                {
                    w.WriteStartObject();
                    w.WriteString("purpose", Name(key.Purpose));
                    w.WriteNumber("version", key.Version);
                    w.WriteString("state", Name(key.State));
                    w.WriteString("created", key.Created);
                    w.WriteNumber("token_count", key.RecordCount);
                    w.WriteString("protection_key_id", key.ProtectionKeyId);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        else
        {
            Write(context.Console.Out, session.Store.FilePath, stats);
        }

        return ExitCodes.Ok;
    }

    /// <summary>The human report: a summary grid and a table of key versions.</summary>
    public static void Write(IAnsiConsole console, string path, StoreStatistics stats)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow(new Text("store"), new Text(path));
        grid.AddRow(new Text("format version"), new Text(stats.FormatVersion.ToString(CultureInfo.InvariantCulture)));
        grid.AddRow(new Text("tokens"), new Text(stats.TokenCount.ToString(CultureInfo.InvariantCulture)));
        grid.AddRow(new Text("file size"), new Text(string.Create(CultureInfo.InvariantCulture, $"{stats.FileSizeBytes:N0} bytes")));
        console.Write(grid);

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("key").AddColumn("version").AddColumn("state").AddColumn("created").AddColumn("tokens");
        foreach (var key in stats.Keys)
        {
            table.AddRow(
                new Text(Name(key.Purpose)),
                new Text(key.Version.ToString(CultureInfo.InvariantCulture)),
                new Text(Name(key.State)),
                new Text(key.Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
                new Text(key.RecordCount.ToString(CultureInfo.InvariantCulture)));
        }

        console.Write(table);
    }

    private static string Name(StoreKeyPurpose purpose) => purpose == StoreKeyPurpose.Data ? "data" : "index";

    private static string Name(StoreKeyState state) => state.ToString().ToLowerInvariant();
}
