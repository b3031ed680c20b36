using EncryptedStore;
using EncryptedStore.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a health check of an <see cref="EncryptedTokenStore"/> registered in the container.</summary>
public static class EncryptedTokenStoreHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the store registered by <c>AddEncryptedTokenStore</c> (or, with <paramref name="serviceKey"/>, by
    /// <c>AddKeyedEncryptedTokenStore</c>): it resolves the store, opening it when no one has yet, and looks up a random
    /// access token by its blind index, which decrypts nothing and costs about one indexed read whatever the store's size
    /// (unlike <see cref="EncryptedTokenStore.Verify"/>). Healthy when that answers; otherwise <paramref name="failureStatus"/>,
    /// with the <see cref="TokenStoreException"/>'s code (<c>WRONG_KEY</c>, <c>STORE_LOCKED</c>, <c>MASTER_KEY_LOCKED</c>,
    /// <c>TOKEN_STORE</c> for a save journal that could not be applied…) and message in the description, the code as
    /// <c>Data["code"]</c>, and the exception attached; none of them holds a secret. A store that fails to open is tried
    /// again at the next check. Other failures (invalid settings, no such store) propagate and the health check service
    /// reports them with <paramref name="failureStatus"/>.
    /// </summary>
    /// <param name="builder">The health checks builder from <c>services.AddHealthChecks()</c>.</param>
    /// <param name="name">The check's name in the health report. Default <c>"encryptedstore"</c>; give keyed stores their own.</param>
    /// <param name="serviceKey">The key of the store to check, or null (default) for the store that is not keyed.</param>
    /// <param name="failureStatus">The status of a failed check; null (default) is <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by, such as <c>"ready"</c>.</param>
    /// <param name="timeout">How long the check may take (opening may wait up to the store's lock timeout); null for no limit.</param>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or blank.</exception>
    public static IHealthChecksBuilder AddEncryptedTokenStore(
        this IHealthChecksBuilder builder,
        string name = "encryptedstore",
        object? serviceKey = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            services => new EncryptedTokenStoreHealthCheck(services, serviceKey),
            failureStatus,
            tags,
            timeout));
    }
}
