namespace EncryptedStore.Keys.Sources;

/// <summary>Wraps a store's random master key to one recipient and unwraps it again: a certificate, or DPAPI on Windows.</summary>
internal abstract class KeyWrapper : IDisposable
{
    /// <summary>Names the recipient for messages and <see cref="MasterKey.ToString"/>; never a secret.</summary>
    public abstract string Description { get; }

    /// <summary>True when this wrapper is the recipient of <paramref name="entry"/>.</summary>
    public abstract bool Matches(WrappedKeyEntry entry);

    /// <summary>Wraps <paramref name="key"/> to this recipient.</summary>
    /// <exception cref="TokenStoreException"><c>MASTER_KEY_UNAVAILABLE</c> when the recipient cannot wrap here.</exception>
    public abstract WrappedKeyEntry Wrap(ReadOnlySpan<byte> key);

    /// <summary>The key in <paramref name="entry"/>, which <see cref="Matches"/>; the caller clears it.</summary>
    /// <exception cref="TokenStoreException"><c>MASTER_KEY_UNAVAILABLE</c> without the private key; <c>WRONG_KEY</c> when it does not unwrap.</exception>
    public abstract byte[] Unwrap(WrappedKeyEntry entry);

    /// <summary>Releases what the wrapper owns (a certificate it loaded).</summary>
    public virtual void Dispose()
    {
    }
}
