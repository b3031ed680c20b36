namespace EncryptedStore.Cli.Settings;

/// <summary>What kind of value a setting holds, which decides how the config file and the environment give it.</summary>
internal enum SettingKind
{
    /// <summary>A name (of an environment variable, an OS key, a credential) or a thumbprint.</summary>
    Text,

    /// <summary>A file path; relative paths in the config file resolve against the config file's folder.</summary>
    Path,

    /// <summary>A whole number (seconds).</summary>
    WholeNumber,

    /// <summary>true or false.</summary>
    Flag,
}
