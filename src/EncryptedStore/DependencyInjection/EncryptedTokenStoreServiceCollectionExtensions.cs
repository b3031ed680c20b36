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
    /// disposed with the container. Call it once per service collection: a container holds one store. The master key is
    /// set in <paramref name="configure"/> or chosen on the returned builder (<c>ProtectWithOsKeyStore</c>,
    /// <c>ProtectWithCertificate</c>, <c>ProtectWithSystemdCredential</c>…, see <see cref="EncryptedTokenStoreBuilderExtensions"/>).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// <see cref="EncryptedTokenStore"/> is already registered (not keyed) in <paramref name="services"/>, by an earlier call or otherwise.
    /// </exception>
    public static IEncryptedTokenStoreBuilder AddEncryptedTokenStore(this IServiceCollection services, Action<EncryptedTokenStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        if (services.Any(descriptor => descriptor.ServiceType == typeof(EncryptedTokenStore) && !descriptor.IsKeyedService))
        {
            throw new InvalidOperationException(
                "AddEncryptedTokenStore was already called for this service collection; one store per container. " +
                "Configure the store in a single call, or use separate service collections for separate stores.");
        }

        services.AddSingleton(provider =>
        {
            var options = new EncryptedTokenStoreOptions
            {
                LoggerFactory = provider.GetService<ILoggerFactory>(),
                TimeProvider = provider.GetService<TimeProvider>() ?? TimeProvider.System,
            };
            configure(options);
            if (provider.GetService<MasterKeyRegistration>() is { } registration)
            {
                options.MasterKey = options.MasterKey is null
                    ? registration.Key
                    : throw new InvalidOperationException("The configure action set MasterKey and a ProtectWith… call chose one too; choose one.");
            }

            return new EncryptedTokenStore(options);
        });
        services.TryAddSingleton<ITokenStore>(provider => provider.GetRequiredService<EncryptedTokenStore>());
        return new EncryptedTokenStoreBuilder(services);
    }
}
