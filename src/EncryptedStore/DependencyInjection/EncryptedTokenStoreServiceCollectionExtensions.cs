using EncryptedStore;
using EncryptedStore.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="EncryptedTokenStore"/> in a service collection.</summary>
/// <remarks>
/// Every store registered here opens on first resolution, with the container's <see cref="ILoggerFactory"/> and
/// <see cref="TimeProvider"/> when registered, and is disposed with the container. Resolution is thread-safe (the
/// container makes one instance); a store that fails to open throws its <see cref="TokenStoreException"/> at that
/// resolution and is tried again at the next. The master key is chosen in one place: the configure action
/// (<see cref="EncryptedTokenStoreOptions.MasterKey"/>), the configuration's <c>MasterKey</c> section, or a
/// <c>ProtectWith…</c> call on the returned builder (see <see cref="EncryptedTokenStoreBuilderExtensions"/>).
/// </remarks>
public static class EncryptedTokenStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="EncryptedTokenStore"/> as a singleton, also as <see cref="ITokenStore"/>, with the options
    /// <paramref name="configure"/> sets (it may override the container's logger factory and clock). Call it once per
    /// service collection: a container holds one store that is not keyed (see <see cref="AddKeyedEncryptedTokenStore(IServiceCollection, object, Action{EncryptedTokenStoreOptions})"/> for more).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// <see cref="EncryptedTokenStore"/> is already registered (not keyed) in <paramref name="services"/>, by an earlier call or otherwise.
    /// </exception>
    public static IEncryptedTokenStoreBuilder AddEncryptedTokenStore(this IServiceCollection services, Action<EncryptedTokenStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return StoreRegistration.Add(services, serviceKey: null, configuration: null, configure);
    }

    /// <summary>
    /// Registers one <see cref="EncryptedTokenStore"/> as <see cref="AddEncryptedTokenStore(IServiceCollection, Action{EncryptedTokenStoreOptions})"/>
    /// does, with its settings bound from <paramref name="configuration"/> (see <see cref="EncryptedTokenStoreSettings"/>)
    /// and checked when the host starts: a missing <c>FilePath</c>, no or several master key sources, a key file or
    /// environment variable that is not there, a <c>KeyLifetime</c> under 7 days… each listed in one
    /// <c>OptionsValidationException</c>, named by its configuration path. Without a host, the same check runs when the
    /// store is first resolved.
    /// </summary>
    /// <param name="services">The services to add the store to.</param>
    /// <param name="configuration">The section that holds the settings, such as <c>configuration.GetSection("TokenStore")</c> for
    /// <c>{ "TokenStore": { "FilePath": "tokens.db", "MasterKey": { "KeyFile": "/etc/myapp/tokens.key" } } }</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is null.</exception>
    /// <exception cref="InvalidOperationException"><see cref="EncryptedTokenStore"/> is already registered (not keyed) in <paramref name="services"/>.</exception>
    public static IEncryptedTokenStoreBuilder AddEncryptedTokenStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return StoreRegistration.Add(services, serviceKey: null, configuration, configure: null);
    }

    /// <summary>
    /// As <see cref="AddEncryptedTokenStore(IServiceCollection, IConfiguration)"/>, then <paramref name="configure"/> adjusts
    /// the options made from the configuration when the store opens (a logger factory, a clock, a value computed in code).
    /// It must not set <see cref="EncryptedTokenStoreOptions.MasterKey"/> when the configuration names a source; to choose
    /// the key in code, leave the <c>MasterKey</c> section out and call a <c>ProtectWith…</c> method on the result.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="configuration"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="InvalidOperationException"><see cref="EncryptedTokenStore"/> is already registered (not keyed) in <paramref name="services"/>.</exception>
    public static IEncryptedTokenStoreBuilder AddEncryptedTokenStore(this IServiceCollection services, IConfiguration configuration, Action<EncryptedTokenStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(configure);
        return StoreRegistration.Add(services, serviceKey: null, configuration, configure);
    }

    /// <summary>
    /// Registers an <see cref="EncryptedTokenStore"/> as a keyed singleton under <paramref name="serviceKey"/>, also as keyed
    /// <see cref="ITokenStore"/>, for an app that needs several stores (one per tenant or per OAuth client): resolve it with
    /// <c>GetRequiredKeyedService&lt;EncryptedTokenStore&gt;(key)</c> or <c>[FromKeyedServices(key)]</c>. Each keyed store
    /// has its own file, options and master key (a <c>ProtectWith…</c> call on the result applies to this store only) and
    /// is disposed with the container. Keyed stores may sit beside the one store that is not keyed.
    /// </summary>
    /// <param name="services">The services to add the store to.</param>
    /// <param name="serviceKey">The store's key; keys must differ, in their invariant string form too (it names the store's settings).</param>
    /// <param name="configure">Sets the store's options when it opens.</param>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="serviceKey"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="serviceKey"/> is <see cref="KeyedService.AnyKey"/> or its string form is blank.</exception>
    /// <exception cref="InvalidOperationException">A store with this key, or a key of the same string form, is already registered.</exception>
    public static IEncryptedTokenStoreBuilder AddKeyedEncryptedTokenStore(this IServiceCollection services, object serviceKey, Action<EncryptedTokenStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        StoreRegistration.CheckKey(serviceKey);
        ArgumentNullException.ThrowIfNull(configure);
        return StoreRegistration.Add(services, serviceKey, configuration: null, configure);
    }

    /// <summary>
    /// As <see cref="AddKeyedEncryptedTokenStore(IServiceCollection, object, Action{EncryptedTokenStoreOptions})"/>, with the
    /// settings bound from <paramref name="configuration"/> and checked at start as for
    /// <see cref="AddEncryptedTokenStore(IServiceCollection, IConfiguration)"/>; they are the options named after the key's
    /// invariant string.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="serviceKey"/> or <paramref name="configuration"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="serviceKey"/> is <see cref="KeyedService.AnyKey"/> or its string form is blank.</exception>
    /// <exception cref="InvalidOperationException">A store with this key, or a key of the same string form, is already registered.</exception>
    public static IEncryptedTokenStoreBuilder AddKeyedEncryptedTokenStore(this IServiceCollection services, object serviceKey, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        StoreRegistration.CheckKey(serviceKey);
        ArgumentNullException.ThrowIfNull(configuration);
        return StoreRegistration.Add(services, serviceKey, configuration, configure: null);
    }

    /// <summary>
    /// As <see cref="AddKeyedEncryptedTokenStore(IServiceCollection, object, IConfiguration)"/>, then <paramref name="configure"/>
    /// adjusts the options as in <see cref="AddEncryptedTokenStore(IServiceCollection, IConfiguration, Action{EncryptedTokenStoreOptions})"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="serviceKey"/>, <paramref name="configuration"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="serviceKey"/> is <see cref="KeyedService.AnyKey"/> or its string form is blank.</exception>
    /// <exception cref="InvalidOperationException">A store with this key, or a key of the same string form, is already registered.</exception>
    public static IEncryptedTokenStoreBuilder AddKeyedEncryptedTokenStore(this IServiceCollection services, object serviceKey, IConfiguration configuration, Action<EncryptedTokenStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        StoreRegistration.CheckKey(serviceKey);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(configure);
        return StoreRegistration.Add(services, serviceKey, configuration, configure);
    }
}
