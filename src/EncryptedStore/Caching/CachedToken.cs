using EncryptedStore.Internal;

namespace EncryptedStore.Caching;

/// <summary>
/// An immutable copy of a decrypted token; callers always get a fresh <see cref="OAuthToken"/> made from it (sharing
/// its immutable <see cref="UserSignature"/>), plus the cache's bookkeeping: retired, referenced, its slot.
/// </summary>
internal sealed class CachedToken
{
    private readonly string?[] _fields;
    private readonly UserSignature? _user;
    private List<LookupKey>? _lookupKeys;
    private bool _retired;
    private bool _referenced;

    public CachedToken(OAuthToken token)
    {
        Id = token.Id!;
        HasValidId = Guard.IsValidId(Id);
        Fields = Get;
        _fields = new string?[TokenFields.Names.Length];
        for (var i = 0; i < _fields.Length; i++)
        {
            _fields[i] = TokenFields.Get(token, i);
        }

        _user = _fields[TokenFields.UserName] is { } user ? new UserSignature(user) : null;
    }

    public string Id { get; }

    /// <summary>
    /// Whether <see cref="Guard.Id"/> accepts <see cref="Id"/> (a saved id always passes; a record's may predate the
    /// rule): a hit for it can then be served before the id is checked, with the same outcome.
    /// </summary>
    public bool HasValidId { get; }

    /// <summary>The entry's slot in <see cref="TokenCache"/>'s ring; under the cache's lock.</summary>
    public int Slot { get; set; }

    /// <summary>Whether a hit marked the entry since the cache's hand last passed it (a race with the hand only shifts one eviction).</summary>
    public bool IsReferenced => _referenced;

    /// <summary>
    /// True once the cache no longer holds this entry as its token's state (the token was saved, deleted
    /// or evicted): a lookup value still pointing here is then a miss.
    /// </summary>
    public bool IsRetired => Volatile.Read(ref _retired);

    public void Retire() => Volatile.Write(ref _retired, true);

    /// <summary>On a hit, without a lock: marks the entry read, writing only when the mark is not set yet.</summary>
    public void MarkReferenced()
    {
        if (!_referenced)
        {
            _referenced = true;
        }
    }

    /// <summary>Under the cache's lock, when its hand passes: clears the mark; true when it was set (the entry stays).</summary>
    public bool TakeSecondChance()
    {
        if (!_referenced)
        {
            return false;
        }

        _referenced = false;
        return true;
    }

    /// <summary>The lookup values that lead to this entry (kept by <see cref="TokenCache"/> under its lock).</summary>
    public IReadOnlyList<LookupKey> LookupKeys => _lookupKeys ?? (IReadOnlyList<LookupKey>)[];

    /// <summary>Records that <paramref name="key"/> leads here; under the cache's lock.</summary>
    public void AddLookupKey(LookupKey key)
    {
        _lookupKeys ??= [];
        if (!_lookupKeys.Contains(key))
        {
            _lookupKeys.Add(key);
        }
    }

    /// <summary><see cref="Get"/> as a delegate made once, so checking a warm lookup allocates nothing.</summary>
    public Func<int, string?> Fields { get; }

    public string? Get(int field) => _fields[field];

    /// <summary>Sets every null field of <paramref name="target"/> (and its id) from this entry.</summary>
    public void FillNulls(OAuthToken target)
    {
        target.Id ??= Id;
        for (var i = 0; i < _fields.Length; i++)
        {
            if (_fields[i] is { } value && TokenFields.Get(target, i) is null)
            {
                if (i == TokenFields.UserName)
                {
                    target.UserSignature = _user;
                }
                else
                {
                    TokenFields.Set(target, i, value);
                }
            }
        }
    }

    public OAuthToken ToToken() => new()
    {
        Id = Id,
        UserSignature = _user,
        ClientId = _fields[TokenFields.ClientId],
        ClientSecret = _fields[TokenFields.ClientSecret],
        RefreshToken = _fields[TokenFields.RefreshToken],
        AccessToken = _fields[TokenFields.AccessToken],
        GrantToken = _fields[TokenFields.GrantToken],
        ExpiresIn = _fields[TokenFields.ExpiresIn],
        RedirectURL = _fields[TokenFields.RedirectUrl],
        APIDomain = _fields[TokenFields.ApiDomain],
    };
}
