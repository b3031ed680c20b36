using System.Security.Cryptography;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EncryptedStore.DependencyInjection;

/// <summary>
/// Resolves the store registered with <paramref name="serviceKey"/> (opening it if it was not yet) and looks up an access
/// token that no record holds: that proves the file opens with the master key, its lock is obtained in shared mode, the
/// blind-index key works and the lookup index reads, in time that does not grow with the store. A lookup by value also
/// applies pending journaled saves, so a save journal that its background thread failed to apply is reported.
/// </summary>
/// <remarks>
/// Unlike <see cref="EncryptedTokenStore.Verify"/> it decrypts no record. The probe value is random per check, so no cache
/// answers it. Failures report the <see cref="TokenStoreException.Code"/> and message, which hold no secret.
/// </remarks>
internal sealed class EncryptedTokenStoreHealthCheck(IServiceProvider services, object? serviceKey) : IHealthCheck
{
    /// <summary>The key of <see cref="HealthCheckResult.Data"/> that holds the error code of a failed check.</summary>
    public const string CodeKey = "code";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var failureStatus = context.Registration.FailureStatus;

        // The store's calls are synchronous and may wait for its lock: off the caller's thread, so a timeout can end the wait.
        return Task.Run(() => Check(failureStatus), cancellationToken).WaitAsync(cancellationToken);
    }

    private HealthCheckResult Check(HealthStatus failureStatus)
    {
        try
        {
            var store = StoreRegistration.Resolve<EncryptedTokenStore>(services, serviceKey)
                ?? throw new InvalidOperationException(serviceKey is null
                    ? "No EncryptedTokenStore is registered: call AddEncryptedTokenStore."
                    : $"No EncryptedTokenStore is registered with the key '{serviceKey}': call AddKeyedEncryptedTokenStore.");
            store.FindToken(new OAuthToken { AccessToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)) });
            return HealthCheckResult.Healthy("The token store is open and answers lookups.");
        }
        catch (TokenStoreException e)
        {
            return new HealthCheckResult(
                failureStatus,
                $"The token store failed: {e.Code}: {e.Message}",
                e,
                new Dictionary<string, object> { [CodeKey] = e.Code });
        }
    }
}
