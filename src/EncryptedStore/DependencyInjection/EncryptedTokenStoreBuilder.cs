using Microsoft.Extensions.DependencyInjection;

namespace EncryptedStore.DependencyInjection;

internal sealed class EncryptedTokenStoreBuilder(IServiceCollection services) : IEncryptedTokenStoreBuilder
{
    public IServiceCollection Services { get; } = services;
}
