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
}
