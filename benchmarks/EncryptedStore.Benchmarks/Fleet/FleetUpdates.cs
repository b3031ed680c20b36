using System.Globalization;
using EncryptedStore.Benchmarks.Baselines;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks.Fleet;

/// <summary>
/// The refreshes a fleet save benchmark makes: 16 records of users who hold one token only (so that the SDK's
/// update by user name alone changes the right row), each saved again with an access token never used before and a
/// new expiry, as the SDK does after a refresh. <see cref="Restore"/> saves the records' original values back, so
/// the cached tables keep the data set.
/// </summary>
internal sealed class FleetUpdates
{
    private const int RecordCount = 16;
    private const int ValueCount = 1024;

    private readonly OAuthToken[] _originals;
    private readonly OAuthToken[] _records;
    private readonly string[] _accessTokens = new string[ValueCount];
    private readonly string[] _expiries = new string[ValueCount];
    private int _next;

    public FleetUpdates(FleetStoreKind kind, int size)
    {
        var tokens = DataSets.Tokens(size);
        var tokensPerUser = tokens.CountBy(t => t.UserSignature!.Name).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var targets = DataSets.Targets(size, size).Where(i => tokensPerUser[tokens[i].UserSignature!.Name] == 1).Distinct().Take(RecordCount).ToArray();
        _originals = [.. targets.Select(i => WithId(tokens[i], FleetStores.IdOf(kind, tokens[i], i)))];
        _records = [.. _originals.Select(TokenCopy.Clone)];
        var generator = new TokenGenerator(seed: TokenGenerator.DefaultSeed - 2);
        for (var i = 0; i < ValueCount; i++)
        {
            _accessTokens[i] = generator.NewTokenValue();
            _expiries[i] = generator.NewExpiry();
        }
    }

    /// <summary>
    /// The next record, given the next new access token and expiry: one of 1,024 generated values with the call's
    /// number appended (an OAuth server never hands out the same access token twice).
    /// </summary>
    public OAuthToken Next()
    {
        var n = _next++;
        var token = _records[n & (RecordCount - 1)];
        token.AccessToken = string.Concat(_accessTokens[n & (ValueCount - 1)], ".", n.ToString(CultureInfo.InvariantCulture));
        token.ExpiresIn = _expiries[n & (ValueCount - 1)];
        return token;
    }

    /// <summary>Saves one update and fails when the store does not return it afterwards.</summary>
    public void Verify(ITokenStore store)
    {
        var probe = Next();
        store.SaveToken(probe);
        if (((OAuthToken)store.FindTokenById(probe.Id!)).AccessToken != probe.AccessToken)
        {
            throw new InvalidOperationException($"{store.GetType().Name} did not save the update.");
        }
    }

    /// <summary>Saves every record's original values back.</summary>
    public void Restore(ITokenStore store)
    {
        foreach (var original in _originals)
        {
            store.SaveToken(TokenCopy.Clone(original));
        }
    }

    private static OAuthToken WithId(OAuthToken token, string id)
    {
        var copy = TokenCopy.Clone(token);
        copy.Id = id;
        return copy;
    }
}
