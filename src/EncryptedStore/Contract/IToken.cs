namespace EncryptedStore;

/// <summary>
/// Marker for a token that an <see cref="ITokenStore"/> persists, as in the Zoho SDKs.
/// <see cref="OAuthToken"/> is the only implementation the store accepts.
/// </summary>
#pragma warning disable CA1040 // The SDK contract defines IToken as an empty marker interface.
public interface IToken
{
}
#pragma warning restore CA1040
