using System.CommandLine;
using System.Globalization;
using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>stats</c>: token counts per key version, file size and format (<see cref="EncryptedTokenStore.GetStatistics"/>).</summary>
internal static class StatsCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var json = CommonOptions.Json("Print the statistics as JSON.");
        var field = CommonOptions.Field($"Print only this value: {string.Join(", ", Fields)}.");
        var command = new Command("stats", "Show how many tokens the store holds, per key version, its file size and format version.") { json, field };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(json), parseResult.GetValue(field)));
        return command;
    }

    /// <summary>The names <c>--field</c> takes: the JSON keys of the summary.</summary>
    private static readonly string[] Fields = ["path", "format_version", "token_count", "file_size_bytes"];

    private static int Run(CommandContext context, bool json, string? field)
    {
        CommonOptions.CheckOneFormat(json, field);
        if (field is not null && !Fields.Contains(field))
        {
            throw CliException.Usage($"--field: unknown field '{Printable.Of(field)}'; one of {string.Join(", ", Fields)}.");
        }

        using var session = context.OpenStore();
        var stats = session.Store.GetStatistics();
        if (stats.RotationInProgress)
        {
            // Opening the store resumed it in the background; closing it again stops it between batches.
            context.Console.WriteNote("A key rotation is unfinished (interrupted earlier): some tokens still use older keys. "
                + "Run 'tokenstore rotate' to finish it with progress; until then it goes on in the background while an app has the store open.");
        }

        if (json)
        {
            JsonOutput.Write(context.Console, w =>
            {
                w.WriteStartObject();
                w.WriteString("path", session.Name);
                w.WriteNumber("format_version", stats.FormatVersion);
                w.WriteNumber("token_count", stats.TokenCount);
                w.WriteNumber("file_size_bytes", stats.FileSizeBytes);
                w.WriteBoolean("rotation_in_progress", stats.RotationInProgress);
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
        else if (field is not null)
        {
            context.Console.WriteLine(Array.IndexOf(Fields, field) switch
            {
                0 => session.Name,
                1 => stats.FormatVersion.ToString(CultureInfo.InvariantCulture),
                2 => stats.TokenCount.ToString(CultureInfo.InvariantCulture),
                _ => stats.FileSizeBytes.ToString(CultureInfo.InvariantCulture),
            });
        }
        else
        {
            Write(context.Console, session.Name, stats);
        }

        return ExitCodes.Ok;
    }

    /// <summary>The report: a summary (field, value), an empty line, and a table of key versions.</summary>
    public static void Write(CliConsole console, string path, StoreStatistics stats)
    {
        var summary = new OutputTable(new OutputColumn("field"), new OutputColumn("value"))
            .AddRow("path", path)
            .AddRow("format_version", stats.FormatVersion.ToString(CultureInfo.InvariantCulture))
            .AddRow("token_count", stats.TokenCount.ToString(CultureInfo.InvariantCulture))
            .AddRow(
                new OutputCell("file_size_bytes", "file_size_bytes"),
                new OutputCell(
                    string.Create(CultureInfo.InvariantCulture, $"{stats.FileSizeBytes:N0} bytes"),
                    stats.FileSizeBytes.ToString(CultureInfo.InvariantCulture)));
        console.WriteTable(summary);
        console.WriteLine(string.Empty);

        var table = new OutputTable(
            new OutputColumn("purpose"), new OutputColumn("version"), new OutputColumn("state"), new OutputColumn("created"), new OutputColumn("token_count"));
        foreach (var key in stats.Keys)
        {
            table.AddRow(
                Name(key.Purpose),
                key.Version.ToString(CultureInfo.InvariantCulture),
                Name(key.State),
                key.Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                key.RecordCount.ToString(CultureInfo.InvariantCulture));
        }

        console.WriteTable(table);
    }

    private static string Name(StoreKeyPurpose purpose) => purpose == StoreKeyPurpose.Data ? "data" : "index";

    private static string Name(StoreKeyState state) => state.ToString().ToLowerInvariant();
}
