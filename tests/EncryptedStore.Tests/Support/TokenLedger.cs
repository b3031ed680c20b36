namespace EncryptedStore.Tests.Support;

/// <summary>
/// What a fault test told the application: every token whose save (or delete) was acknowledged, with its exact
/// fields, and, for the one call that failed, both outcomes it may have had. <see cref="Check"/> reads the store
/// back by id and by listing and counts what an operator could not accept: an acknowledged save that is gone
/// (<see cref="LedgerCheck.Lost"/>) and a value that was never acknowledged, or a failed call whose outcome
/// changed between two reads (<see cref="LedgerCheck.WrongReads"/>). A read that throws is counted too
/// (<see cref="LedgerCheck.FailedReads"/>); a lookup by id that throws propagates.
/// </summary>
/// <remarks>
/// A call that threw may still have reached the disk (its fsync failed after the write), so either its old or its
/// new state is right; whichever the first check sees becomes the truth every later check must agree with.
/// </remarks>
internal sealed class TokenLedger
{
    private readonly Dictionary<string, string?[]?> _acknowledged = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?[]?> _failedAttempt = new(StringComparer.Ordinal);
    private readonly HashSet<string> _settledFromFailedCall = new(StringComparer.Ordinal);

    /// <summary>The ids the ledger knows, deleted ones included.</summary>
    public IEnumerable<string> Ids => _acknowledged.Keys.Concat(_failedAttempt.Keys).Distinct(StringComparer.Ordinal);

    /// <summary>How many failed calls turned out to have taken effect (their new state was read afterwards).</summary>
    public int FailedCallsThatTookEffect { get; private set; }

    /// <summary>The ids of tokens acknowledged as present.</summary>
    public IEnumerable<string> Present => _acknowledged.Where(e => e.Value is not null).Select(e => e.Key);

    /// <summary>A save returned: <paramref name="token"/> (its id set by the store) is acknowledged.</summary>
    public void Saved(IToken token)
    {
        var fields = StoreFixture.Fields(token);
        _acknowledged[fields[0]!] = fields;
    }

    /// <summary>A delete returned.</summary>
    public void Deleted(string id) => _acknowledged[id] = null;

    /// <summary>A save of <paramref name="token"/> (its id known) threw: either its old state or this one is right.</summary>
    public void SaveFailed(IToken token)
    {
        var fields = StoreFixture.Fields(token);
        _failedAttempt[fields[0]!] = fields;
    }

    /// <summary>A delete of <paramref name="id"/> threw: the token may be there (as acknowledged) or gone.</summary>
    public void DeleteFailed(string id) => _failedAttempt[id] = null;

    /// <summary>Reads every known token by id, then lists them all, and compares with the ledger.</summary>
    public LedgerCheck Check(EncryptedTokenStore store)
    {
        var result = new LedgerCheck();
        foreach (var id in Ids.ToList())
        {
            var read = store.TryFindTokenById(id);
            Judge(id, read is null ? null : StoreFixture.Fields(read), result, "by id");
        }

        List<IToken> listing;
        try
        {
            listing = store.GetTokens();
        }
        catch (TokenStoreException e)
        {
            result.ReadFailed($"listing the tokens threw {e.Code}: {e.Message}");
            return result;
        }

        foreach (var token in listing)
        {
            var fields = StoreFixture.Fields(token);
            if (!_acknowledged.ContainsKey(fields[0]!) && !_failedAttempt.ContainsKey(fields[0]!))
            {
                result.WrongRead($"listing returned {fields[0]}, which no call ever saved");
            }
            else
            {
                Judge(fields[0]!, fields, result, "in the listing");
            }
        }

        var listed = listing.Select(t => ((OAuthToken)t).Id!).ToHashSet(StringComparer.Ordinal);
        foreach (var id in Present.Where(id => !listed.Contains(id)))
        {
            result.LostSave($"{id} is acknowledged but missing from the listing");
        }

        return result;
    }

    private void Judge(string id, string?[]? read, LedgerCheck result, string how)
    {
        // A token the ledger never acknowledged (a failed insert) is rightly absent.
        _acknowledged.TryGetValue(id, out var acknowledged);
        if (Same(read, acknowledged))
        {
            // A failed call that did not take effect: settled, later reads must agree.
            _failedAttempt.Remove(id);
            return;
        }

        if (_failedAttempt.TryGetValue(id, out var attempted) && Same(read, attempted))
        {
            _failedAttempt.Remove(id);
            _acknowledged[id] = attempted;
            _settledFromFailedCall.Add(id);
            FailedCallsThatTookEffect++;
            return;
        }

        if (_settledFromFailedCall.Contains(id))
        {
            result.WrongRead($"{id} ({how}): a failed call's change was read earlier, and now {(read is null ? "the token is gone" : "another value")}");
        }
        else if (read is null)
        {
            result.LostSave($"{id} ({how}): acknowledged but not found");
        }
        else
        {
            result.WrongRead($"{id} ({how}): read a value that was never acknowledged (access token '{read[5]}')");
        }
    }

    private static bool Same(string?[]? a, string?[]? b) =>
        a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
}
