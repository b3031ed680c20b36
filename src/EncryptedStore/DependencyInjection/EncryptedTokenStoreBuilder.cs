using Microsoft.Extensions.DependencyInjection;

namespace EncryptedStore.DependencyInjection;

internal sealed class EncryptedTokenStoreBuilder(IServiceCollection services, object? serviceKey) : IEncryptedTokenStoreBuilder
{
    public IServiceCollection Services { get; } = services;

    public object? ServiceKey { get; } = serviceKey;
}
