namespace EncryptedStore.Cli.Settings;

/// <summary>Where a setting in effect came from, in order of precedence.</summary>
internal enum SettingOrigin
{
    /// <summary>An option on the command line.</summary>
    CommandLine,

    /// <summary>A <c>TOKENSTORE_*</c> environment variable.</summary>
    Environment,

    /// <summary>The config file.</summary>
    ConfigFile,

    /// <summary>The tool's built-in default.</summary>
    Default,
}
