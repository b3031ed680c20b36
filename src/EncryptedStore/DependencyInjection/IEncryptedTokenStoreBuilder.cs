using Microsoft.Extensions.DependencyInjection;

namespace EncryptedStore;

/// <summary>Returned by <c>AddEncryptedTokenStore</c> and <c>AddKeyedEncryptedTokenStore</c> for further configuration of the same store.</summary>
public interface IEncryptedTokenStoreBuilder
{
    /// <summary>The services the store was registered in.</summary>
    IServiceCollection Services { get; }

    /// <summary>The key the store was registered with by <c>AddKeyedEncryptedTokenStore</c>, or null for the store that is not keyed.</summary>
    object? ServiceKey { get; }
}
