namespace EncryptedStore.Cli.Output;

/// <summary>Makes a non-secret value (an id, a path) safe to print: control characters become '?'.</summary>
internal static class Printable
{
    public static string? Of(string? value) =>
        value is null || !value.Any(char.IsControl) ? value : new string(value.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
