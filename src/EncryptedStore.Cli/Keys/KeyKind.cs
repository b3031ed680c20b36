namespace EncryptedStore.Cli.Keys;

/// <summary>What a master key is made from; it decides how keys are derived from it.</summary>
internal enum KeyKind
{
    /// <summary>Random key bytes: a key file or a <c>base64:</c> environment value (HKDF-SHA256).</summary>
    KeyBytes = 1,

    /// <summary>A passphrase (PBKDF2-HMAC-SHA256).</summary>
    Passphrase = 2,
}
