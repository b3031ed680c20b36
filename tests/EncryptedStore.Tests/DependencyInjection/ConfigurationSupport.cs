using Microsoft.Extensions.Configuration;

namespace EncryptedStore.Tests.DependencyInjection;

/// <summary>Configuration sections and key files for the tests of the configuration overloads.</summary>
internal static class ConfigurationSupport
{
    /// <summary>The section <paramref name="path"/> of an in-memory configuration holding <paramref name="values"/> under it.</summary>
    public static IConfigurationSection Section(string path, params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>($"{path}:{v.Key}", v.Value)))
            .Build()
            .GetSection(path);

    /// <summary>Writes <paramref name="key"/> to an owner-only key file at <paramref name="path"/>, as <see cref="MasterKey.FromKeyFile"/> requires.</summary>
    public static string WriteKeyFile(string path, byte[] key)
    {
        File.WriteAllBytes(path, key);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }
}
