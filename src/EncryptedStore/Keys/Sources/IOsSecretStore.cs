namespace EncryptedStore.Keys.Sources;

/// <summary>
/// A platform's store of secrets that keeps one secret per account name under the service
/// <see cref="Service"/>: the Secret Service on Linux, the login Keychain on macOS.
/// </summary>
/// <remarks>
/// Every failure is a <see cref="TokenStoreException"/>: <c>MASTER_KEY_UNAVAILABLE</c> when the store cannot
/// be reached (no session bus, no Secret Service, not this platform), <c>MASTER_KEY_LOCKED</c> when it is locked.
/// No message names a secret value.
/// </remarks>
internal interface IOsSecretStore
{
    /// <summary>The service name every secret is kept under.</summary>
    public const string Service = "EncryptedStore";

    /// <summary>Names the store for messages, e.g. "Secret Service (the default collection)".</summary>
    string Name { get; }

    /// <summary>The secret kept for <paramref name="account"/>, or null when there is none. The caller clears it.</summary>
    byte[]? Read(string account);

    /// <summary>
    /// Keeps <paramref name="secret"/> for <paramref name="account"/> unless one is already kept, and returns the
    /// secret kept now: when another process created one first (a race), theirs, so that every caller converges
    /// on one secret. The caller clears the result.
    /// </summary>
    byte[] Create(string account, ReadOnlySpan<byte> secret);

    /// <summary>Deletes every secret kept for <paramref name="account"/>; false when there was none.</summary>
    bool Delete(string account);
}
