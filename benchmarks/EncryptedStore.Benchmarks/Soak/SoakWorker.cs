using EncryptedStore.Benchmarks.Baselines;

namespace EncryptedStore.Benchmarks.Soak;

/// <summary>
/// One soak thread: a random mix of operations on its own user slots (which no other thread writes) and
/// on the shared read-only tokens, each answer checked against what this thread last wrote, so every
/// expectation is exact however the threads interleave.
/// </summary>
internal sealed class SoakWorker
{
    /// <summary>Relative weights of <see cref="SoakOperation"/>, in its order.</summary>
    private static readonly int[] Weights = [8, 15, 30, 10, 10, 8, 8, 6, 1];

    private static readonly int TotalWeight = Weights.Sum();

    private readonly SoakStore _holder;
    private readonly IReadOnlyList<OAuthToken> _shared;
    private readonly SoakErrors _errors;
    private readonly SoakSlot[] _slots;
    private readonly Random _random;
    private readonly long[] _counts = new long[Enum.GetValues<SoakOperation>().Length];
    private readonly string _name;

    public SoakWorker(SoakStore store, IReadOnlyList<OAuthToken> shared, SoakErrors errors, SoakOptions options, string runId, int index)
    {
        _holder = store;
        _shared = shared;
        _errors = errors;
        _name = $"thread {index}";
        // Seeded per run: a second run on the same store file must not repeat the values of the first.
        _random = new Random(HashCode.Combine(runId, index));
        _slots = new SoakSlot[options.SlotsPerThread];
        for (var i = 0; i < _slots.Length; i++)
        {
            var sandbox = i % 2 == 1;
            _slots[i] = new SoakSlot(
                $"soak.{runId}.t{index}.u{i}@soak.example.com",
                sandbox ? "1000.SOAKSANDBOXCLIENT" : "1000.SOAKPRODUCTIONCLIENT",
                sandbox ? "soak-sandbox-client-secret" : "soak-production-client-secret");
        }
    }

    /// <summary>The open store; valid while an operation holds the store (see <see cref="Execute"/>).</summary>
    private EncryptedTokenStore Store => _holder.Current;

    /// <summary>Operations done so far, per kind; read by the progress reporter while the thread runs.</summary>
    public long Count(SoakOperation operation) => Volatile.Read(ref _counts[(int)operation]);

    /// <summary>An exception that escaped the operation loop (a bug of the soak itself), if any.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Runs operations until <paramref name="stop"/> is cancelled, then checks everything once with <c>GetTokens</c>.</summary>
    public void Run(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Execute(NextOperation());
            }

            Execute(SoakOperation.GetTokens);
        }
#pragma warning disable CA1031 // Reported as an error of the run rather than lost with the thread.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Failure = e;
        }
    }

    /// <summary>After the run (the store closed and reopened): every record of this thread and every shared one, once more.</summary>
    public void FinalCheck() => Execute(SoakOperation.GetTokens);

    private SoakOperation NextOperation()
    {
        var draw = _random.Next(TotalWeight);
        for (var i = 0; i < Weights.Length; i++)
        {
            draw -= Weights[i];
            if (draw < 0)
            {
                return (SoakOperation)i;
            }
        }

        throw new InvalidOperationException("Weights do not add up.");
    }

    private void Execute(SoakOperation operation)
    {
        // Writes need a slot in the right state; when none is, the opposite write keeps the mix going.
        var present = Pick(s => s.Current is not null);
        var absent = Pick(s => s.Current is null);
        operation = operation switch
        {
            SoakOperation.Update or SoakOperation.Delete when present is null => SoakOperation.Insert,
            SoakOperation.Insert when absent is null => SoakOperation.Update,
            _ => operation,
        };
        var slot = operation == SoakOperation.Insert ? absent : present;
        _holder.EnterOperation();
        try
        {
            switch (operation)
            {
                case SoakOperation.Insert:
                    Insert(slot!);
                    break;
                case SoakOperation.Update:
                    Update(slot!);
                    break;
                case SoakOperation.Delete:
                    Delete(slot!);
                    break;
                case SoakOperation.FindTokenById:
                    FindById();
                    break;
                case SoakOperation.FindTokenByUser:
                case SoakOperation.FindTokenByAccess:
                case SoakOperation.FindTokenByRefresh:
                case SoakOperation.FindTokenByGrant:
                    Find(operation);
                    break;
                case SoakOperation.GetTokens:
                    CheckAll();
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(operation), operation, null);
            }
        }
        catch (TokenStoreException e)
        {
            _errors.Add(e.Code, $"{_name} {operation}: {e.Code} {e.Message}");
            Resync(slot);
        }
#pragma warning disable CA1031 // Any other exception is an error of the run, counted by type.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            _errors.Add(e.GetType().Name, $"{_name} {operation}: {e.GetType().Name} {e.Message}");
            Resync(slot);
        }
        finally
        {
            _holder.ExitOperation();
        }

        Interlocked.Increment(ref _counts[(int)operation]);
    }

    private void Insert(SoakSlot slot)
    {
        var token = new OAuthToken
        {
            UserSignature = new UserSignature(slot.User),
            ClientId = slot.ClientId,
            ClientSecret = slot.ClientSecret,
            GrantToken = NewValue(),
            RefreshToken = NewValue(),
            AccessToken = NewValue(),
            ExpiresIn = NewExpiry(),
            RedirectURL = "https://soak.example.com/callback",
            APIDomain = "https://www.zohoapis.com",
        };
        Store.SaveToken(token);
        if (token.Id is not { Length: 32 } || token.Id == slot.DeletedId)
        {
            Mismatch(SoakOperation.Insert, token.Id, "the new record got no new id");
        }

        slot.Current = TokenCopy.Clone(token);
    }

    /// <summary>What the SDK does after a refresh: a new access token and expiry, sometimes a new refresh token; by id or by user and client.</summary>
    private void Update(SoakSlot slot)
    {
        var current = slot.Current!;
        var byId = _random.Next(2) == 0;
        var token = byId
            ? new OAuthToken { Id = current.Id }
            : new OAuthToken { UserSignature = new UserSignature(slot.User), ClientId = slot.ClientId };
        var newRefreshToken = _random.Next(4) == 0 ? NewValue() : null;
        token.AccessToken = NewValue();
        token.ExpiresIn = NewExpiry();
        token.RefreshToken = newRefreshToken;

        Store.SaveToken(token);
        var expected = TokenCopy.Clone(current);
        expected.AccessToken = token.AccessToken;
        expected.ExpiresIn = token.ExpiresIn;
        expected.RefreshToken = newRefreshToken ?? current.RefreshToken;

        // SaveToken fills the argument's null properties from the stored token: it must now read as expected.
        Check(SoakOperation.Update, expected, token);

        slot.StaleAccessToken = current.AccessToken;
        if (newRefreshToken is not null)
        {
            slot.StaleRefreshToken = current.RefreshToken;
        }

        slot.Current = expected;
    }

    private void Delete(SoakSlot slot)
    {
        var current = slot.Current!;
        Store.DeleteToken(current.Id!);
        slot.Current = null;
        slot.DeletedId = current.Id;
        slot.StaleAccessToken = current.AccessToken;
        slot.StaleRefreshToken = current.RefreshToken;
    }

    private void FindById()
    {
        var draw = _random.Next(10);
        if (draw == 0 && Pick(s => s.Current is null && s.DeletedId is not null) is { } deleted)
        {
            try
            {
                _ = Store.FindTokenById(deleted.DeletedId!);
                Mismatch(SoakOperation.FindTokenById, deleted.DeletedId, "a deleted record was found");
            }
            catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.NotFound)
            {
            }

            return;
        }

        var expected = draw < 7 && Pick(s => s.Current is not null) is { } own ? own.Current! : SharedToken();
        Check(SoakOperation.FindTokenById, expected, Store.FindTokenById(expected.Id!));
    }

    private void Find(SoakOperation operation)
    {
        var draw = _random.Next(10);
        var own = Pick(s => s.Current is not null);
        if (draw == 0)
        {
            // Values this thread replaced or deleted, and a user slot without a record: must match nothing.
            var gone = Pick(s => s.StaleAccessToken is not null);
            var query = operation switch
            {
                SoakOperation.FindTokenByUser => Pick(s => s.Current is null) is { } empty
                    ? new OAuthToken { UserSignature = new UserSignature(empty.User), ClientId = empty.ClientId }
                    : null,
                SoakOperation.FindTokenByAccess when gone is not null => new OAuthToken { AccessToken = gone.StaleAccessToken },
                SoakOperation.FindTokenByRefresh when Pick(s => s.StaleRefreshToken is not null) is { } stale =>
                    new OAuthToken { RefreshToken = stale.StaleRefreshToken, ClientId = stale.ClientId, ClientSecret = stale.ClientSecret },
                _ => null,
            };
            if (query is not null)
            {
                if (Store.FindToken(query) is not null)
                {
                    Mismatch(operation, query.Id, "a replaced or deleted value still matched");
                }

                return;
            }
        }

        var expected = draw < 6 && own is not null ? own.Current! : SharedToken();
        var lookup = operation switch
        {
            SoakOperation.FindTokenByUser => new OAuthToken { UserSignature = new UserSignature(expected.UserSignature!.Name), ClientId = expected.ClientId },
            SoakOperation.FindTokenByAccess => new OAuthToken { AccessToken = expected.AccessToken },
            SoakOperation.FindTokenByRefresh => new OAuthToken { RefreshToken = expected.RefreshToken, ClientId = expected.ClientId, ClientSecret = expected.ClientSecret },
            _ => new OAuthToken { GrantToken = expected.GrantToken, ClientId = expected.ClientId, ClientSecret = expected.ClientSecret },
        };
        Check(operation, expected, Store.FindToken(lookup));
    }

    /// <summary><c>GetTokens</c>: every record of this thread and every shared one as expected, no deleted record.</summary>
    private void CheckAll()
    {
        var all = new Dictionary<string, OAuthToken>(StringComparer.Ordinal);
        foreach (var token in Store.GetTokens().Cast<OAuthToken>())
        {
            all[token.Id!] = token;
        }

        foreach (var slot in _slots)
        {
            if (slot.Current is { } current)
            {
                Check(SoakOperation.GetTokens, current, all.GetValueOrDefault(current.Id!));
            }
            else if (slot.DeletedId is { } deleted && all.ContainsKey(deleted))
            {
                Mismatch(SoakOperation.GetTokens, deleted, "a deleted record was listed");
            }
        }

        foreach (var shared in _shared)
        {
            Check(SoakOperation.GetTokens, shared, all.GetValueOrDefault(shared.Id!));
        }
    }

    /// <summary>After a failed operation the slot's state is unknown: read it back so later checks stay exact.</summary>
    private void Resync(SoakSlot? slot)
    {
        if (slot is null)
        {
            return;
        }

        slot.StaleAccessToken = null;
        slot.StaleRefreshToken = null;
        slot.DeletedId = null;
        try
        {
            var found = Store.FindToken(new OAuthToken { UserSignature = new UserSignature(slot.User), ClientId = slot.ClientId });
            slot.Current = found is OAuthToken token ? TokenCopy.Clone(token) : null;
        }
        catch (TokenStoreException e)
        {
            _errors.Add(e.Code, $"{_name} resync: {e.Code} {e.Message}");
            slot.Current = null;
        }
    }

    private void Check(SoakOperation operation, OAuthToken expected, IToken? actual)
    {
        if (actual is not OAuthToken token)
        {
            Mismatch(operation, expected.Id, "not found");
            return;
        }

        var differing = new List<string>();
        Compare("Id", expected.Id, token.Id);
        Compare("UserSignature", expected.UserSignature?.Name, token.UserSignature?.Name);
        Compare("ClientId", expected.ClientId, token.ClientId);
        Compare("ClientSecret", expected.ClientSecret, token.ClientSecret);
        Compare("RefreshToken", expected.RefreshToken, token.RefreshToken);
        Compare("AccessToken", expected.AccessToken, token.AccessToken);
        Compare("GrantToken", expected.GrantToken, token.GrantToken);
        Compare("ExpiresIn", expected.ExpiresIn, token.ExpiresIn);
        Compare("RedirectURL", expected.RedirectURL, token.RedirectURL);
        Compare("APIDomain", expected.APIDomain, token.APIDomain);
        if (differing.Count > 0)
        {
            // Field names only: the values are secrets.
            Mismatch(operation, expected.Id, "differs in " + string.Join(", ", differing));
        }

        void Compare(string field, string? wanted, string? got)
        {
            if (!string.Equals(wanted, got, StringComparison.Ordinal))
            {
                differing.Add(field);
            }
        }
    }

    private void Mismatch(SoakOperation operation, string? id, string what) =>
        _errors.Add(SoakErrors.Mismatch, $"{_name} {operation}: record {id ?? "(none)"} {what}");

    private OAuthToken SharedToken() => _shared[_random.Next(_shared.Count)];

    /// <summary>A random slot that satisfies <paramref name="condition"/>, or null when none does.</summary>
    private SoakSlot? Pick(Func<SoakSlot, bool> condition)
    {
        var start = _random.Next(_slots.Length);
        for (var i = 0; i < _slots.Length; i++)
        {
            var slot = _slots[(start + i) % _slots.Length];
            if (condition(slot))
            {
                return slot;
            }
        }

        return null;
    }

    private string NewValue()
    {
        Span<byte> bytes = stackalloc byte[32];
        _random.NextBytes(bytes);
        return "1000." + Convert.ToHexStringLower(bytes[..16]) + "." + Convert.ToHexStringLower(bytes[16..]);
    }

    private string NewExpiry() =>
        (1_795_000_000_000L + _random.Next(0, 3_600_000)).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
