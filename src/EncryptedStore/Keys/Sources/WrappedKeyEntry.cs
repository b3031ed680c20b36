namespace EncryptedStore.Keys.Sources;

/// <summary>
/// The store's random master key, wrapped to one recipient (a certificate's public key, or DPAPI for a Windows user):
/// an entry of the file beside the store (<see cref="WrappedKeyFile"/>). Holds no secret in the clear.
/// </summary>
/// <param name="Kind">The kind of recipient: <c>certificate</c> or <c>dpapi</c>.</param>
/// <param name="Algorithm">How <paramref name="WrappedKey"/> was made, e.g. <c>RSA-OAEP-SHA256</c>.</param>
/// <param name="Recipient">Who can unwrap it: <c>sha256:HEX</c> of a certificate, or the DPAPI scope and name.</param>
/// <param name="Label">For people: the certificate's subject and expiry, or the OS key name.</param>
/// <param name="WrappedKey">The wrapped key.</param>
/// <param name="EphemeralKey">For ECDH: the sender's ephemeral public key (SubjectPublicKeyInfo); null otherwise.</param>
internal sealed record WrappedKeyEntry(string Kind, string Algorithm, string Recipient, string Label, byte[] WrappedKey, byte[]? EphemeralKey);
