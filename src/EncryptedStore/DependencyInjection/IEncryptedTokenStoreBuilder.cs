using Microsoft.Extensions.DependencyInjection;

namespace EncryptedStore;

/// <summary>Returned by <c>AddEncryptedTokenStore</c> for further configuration of the same services.</summary>
public interface IEncryptedTokenStoreBuilder
{
    /// <summary>The services the store was registered in.</summary>
    IServiceCollection Services { get; }
}
