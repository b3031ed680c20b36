using EncryptedStore;
using EncryptedStore.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="EncryptedTokenStore"/> in a service collection.</summary>
public static class EncryptedTokenStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="EncryptedTokenStore"/> as a singleton, also as <see cref="ITokenStore"/>.
    /// The store opens on first resolution, with the container's <see cref="ILoggerFactory"/> and
    /// <see cref="TimeProvider"/> when registered (<paramref name="configure"/> may override them), and is
    /// disposed with the container.
    /// </summary>
    public static IEncryptedTokenStoreBuilder AddEncryptedTokenStore(this IServiceCollection services, Action<EncryptedTokenStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.TryAddSingleton(provider =>
        {
            var options = new EncryptedTokenStoreOptions
            {
                LoggerFactory = provider.GetService<ILoggerFactory>(),
                TimeProvider = provider.GetService<TimeProvider>() ?? TimeProvider.System,
            };
            configure(options);
            return new EncryptedTokenStore(options);
        });
        services.TryAddSingleton<ITokenStore>(provider => provider.GetRequiredService<EncryptedTokenStore>());
        return new EncryptedTokenStoreBuilder(services);
    }
}
