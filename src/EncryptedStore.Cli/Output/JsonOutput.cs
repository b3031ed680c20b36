using System.Text;
using System.Text.Json;
using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Output;

/// <summary>Writes one JSON document to stdout, for <c>--json</c>.</summary>
internal static class JsonOutput
{
    public static void Write(CliConsole console, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, TokenJson.WriterOptions))
        {
            write(writer);
        }

        console.OutputWriter.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        console.OutputWriter.Flush();
    }

    /// <summary>Writes <paramref name="name"/> as an array of objects, one per item, each with the given string fields.</summary>
    public static void WriteObjects<T>(Utf8JsonWriter writer, string name, IEnumerable<T> items, params (string Name, Func<T, string?> Value)[] fields)
    {
        writer.WriteStartArray(name);
        foreach (var item in items)
        {
            writer.WriteStartObject();
            foreach (var (field, value) in fields)
            {
                writer.WriteString(field, value(item));
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
