namespace EncryptedStore.Cli.Settings;

/// <summary>
/// Whether the master key a setting names can be reached, checked without using it: a key file exists and is private,
/// a variable is set, a credential file is there. Nothing is created and no secret is read or shown.
/// </summary>
/// <param name="Reachable">True or false; null when it can only be known by opening the store (an OS key, a certificate in a store).</param>
/// <param name="Detail">What was found, for people.</param>
internal sealed record KeyCheck(bool? Reachable, string Detail)
{
    /// <summary>Checks <paramref name="key"/> (null: no key named, so a passphrase prompt if <paramref name="canPrompt"/>).</summary>
    public static KeyCheck For(Setting? key, string? certificatePasswordVariable, bool canPrompt)
    {
        if (key is null)
        {
            return canPrompt
                ? new KeyCheck(null, "no key named: the passphrase is asked for on the terminal (status does not ask)")
                : new KeyCheck(false, "no key named, and no terminal to ask for a passphrase on");
        }

        var value = key.Value!;
        return key.Definition.Key switch
        {
            "key_file" => PrivateFile(value, "key file"),
            "passphrase_env" => Variable(value),
            "cert" => certificatePasswordVariable is not null && Environment.GetEnvironmentVariable(certificatePasswordVariable) is null
                ? new KeyCheck(false, $"the certificate's password variable {certificatePasswordVariable} is not set")
                : File.Exists(value) ? new KeyCheck(null, "certificate file exists (its private key is needed to open the store)") : new KeyCheck(false, "certificate file not found"),
            "systemd_credential" => Environment.GetEnvironmentVariable(MasterKey.CredentialsDirectoryVariable) is { Length: > 0 } folder
                ? PrivateFile(Path.Combine(folder, value), "credential")
                : new KeyCheck(false, $"${MasterKey.CredentialsDirectoryVariable} is not set (not running as a systemd service with credentials)"),
            _ => new KeyCheck(null, "checked only when the store is opened (status never creates a key)"),
        };
    }

    private static KeyCheck Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 }
        ? new KeyCheck(true, $"variable {name} is set")
        : new KeyCheck(false, $"variable {name} is not set");

    private static KeyCheck PrivateFile(string path, string what)
    {
        if (!File.Exists(path))
        {
            return new KeyCheck(false, $"{what} '{path}' not found");
        }

        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        return !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & others) != 0
            ? new KeyCheck(false, $"{what} '{path}' is open to other users (run: chmod 600 '{path}')")
            : new KeyCheck(true, $"{what} exists, owner-only");
    }
}
