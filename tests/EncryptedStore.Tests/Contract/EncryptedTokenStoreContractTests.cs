using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Contract;

/// <summary>
/// The six-method contract (token-store-contract.md §2–§3 and the pitfalls of §6), run against a
/// store file, an in-memory store and a store on each database server, which must all behave the same.
/// </summary>
[TestFixture(StoreKind.File)]
[TestFixture(StoreKind.Memory)]
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
public class EncryptedTokenStoreContractTests(StoreKind kind)
{
    private const string ClientA = "1000.CLIENTA";
    private const string ClientB = "1000.CLIENTB";
    private const string Alice = "alice@example.com";
    private const string Bob = "bob@example.com";
    private const string Carol = "carol@example.com";

    private StoreHost _host = null!;

    private EncryptedTokenStore Store => _host.Store;

    [SetUp]
    public void SetUp() => _host = new StoreHost(kind);

    [TearDown]
    public void TearDown() => _host?.Dispose();

    // ---- FindToken: matching precedence -------------------------------------------------------

    private static IEnumerable<TestCaseData> MatchingRules()
    {
        var alice = StoreFixture.Token(Alice, ClientA);
        var bob = StoreFixture.Token(Bob, ClientA);
        var carol = StoreFixture.Token(Carol, ClientB);
        TestCaseData Case(string name, Func<OAuthToken> query, string? expectedUser) =>
            new TestCaseData(query, expectedUser).SetArgDisplayNames(name);

        // Rule 1: a non-empty user name, with the client id when given.
        yield return Case("user and client id", () => new() { UserSignature = new(Alice), ClientId = ClientA }, Alice);
        yield return Case("user without client id", () => new() { UserSignature = new(Bob) }, Bob);
        yield return Case("user with another client id", () => new() { UserSignature = new(Alice), ClientId = ClientB }, null);
        yield return Case("user wins over another user's access token", () => new() { UserSignature = new(Bob), AccessToken = alice.AccessToken }, Bob);
        yield return Case("unknown user with a known access token", () => new() { UserSignature = new("nobody@example.com"), AccessToken = alice.AccessToken }, null);

        // Rule 2: an access token with neither client id nor secret.
        yield return Case("access token alone", () => new() { AccessToken = alice.AccessToken }, Alice);
        yield return Case("access token with an empty user name", () => new() { UserSignature = new(string.Empty), AccessToken = bob.AccessToken }, Bob);
        yield return Case("access token with a client id", () => new() { AccessToken = alice.AccessToken, ClientId = ClientA }, null);
        yield return Case("access token with a client secret", () => new() { AccessToken = alice.AccessToken, ClientSecret = alice.ClientSecret }, null);
        yield return Case("unknown access token", () => new() { AccessToken = "1000.access.unknown" }, null);

        // Rule 3: a grant or refresh token with both client id and secret; grant first; same client only.
        yield return Case("grant token with client credentials", () => new() { GrantToken = carol.GrantToken, ClientId = ClientB, ClientSecret = carol.ClientSecret }, Carol);
        yield return Case("refresh token with client credentials", () => new() { RefreshToken = bob.RefreshToken, ClientId = ClientA, ClientSecret = bob.ClientSecret }, Bob);
        yield return Case("grant token wins over refresh token", () => new() { GrantToken = alice.GrantToken, RefreshToken = bob.RefreshToken, ClientId = ClientA, ClientSecret = "s" }, Alice);
        yield return Case("unknown grant token does not fall back to the refresh token", () => new() { GrantToken = "1000.grant.unknown", RefreshToken = bob.RefreshToken, ClientId = ClientA, ClientSecret = "s" }, null);
        yield return Case("grant token of another client", () => new() { GrantToken = carol.GrantToken, ClientId = ClientA, ClientSecret = "s" }, null);
        yield return Case("refresh token of another client", () => new() { RefreshToken = alice.RefreshToken, ClientId = ClientB, ClientSecret = "s" }, null);
        yield return Case("refresh token with client id only", () => new() { RefreshToken = bob.RefreshToken, ClientId = ClientA }, null);
        yield return Case("refresh token with client secret only", () => new() { RefreshToken = bob.RefreshToken, ClientSecret = bob.ClientSecret }, null);
        yield return Case("refresh token without client credentials", () => new() { RefreshToken = bob.RefreshToken }, null);
        yield return Case("grant token without client credentials", () => new() { GrantToken = carol.GrantToken }, null);

        // Rule 4: nothing to match by; never an arbitrary record.
        yield return Case("empty token", () => new(), null);
        yield return Case("client credentials only", () => new() { ClientId = ClientA, ClientSecret = alice.ClientSecret }, null);
        yield return Case("expiry, redirect URL and API domain only", () => new() { ExpiresIn = alice.ExpiresIn, RedirectURL = alice.RedirectURL, APIDomain = alice.APIDomain }, null);
        yield return Case("empty strings only", () => new() { UserSignature = new(string.Empty), AccessToken = string.Empty, RefreshToken = string.Empty, GrantToken = string.Empty }, null);
    }

    [TestCaseSource(nameof(MatchingRules))]
    public void FindToken_MatchingRules_FindsExpectedRecordOrNull(Func<OAuthToken> makeQuery, string? expectedUser)
    {
        var ids = SeedAliceBobCarol();
        var query = makeQuery();
        var before = StoreFixture.Fields(query);

        var result = Store.FindToken(query);

        if (expectedUser is null)
        {
            Assert.Multiple(() =>
            {
                Assert.That(result, Is.Null);
                Assert.That(StoreFixture.Fields(query), Is.EqualTo(before), "a query that matches nothing is left untouched");
            });
            return;
        }

        // Each field the query left null now holds the record's value; each it set is unchanged.
        var stored = StoreFixture.Fields(Store.FindTokenById(ids[expectedUser]));
        var expected = before.Select((value, i) => value ?? stored[i]).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(result, Is.SameAs(query));
            Assert.That(query.Id, Is.EqualTo(ids[expectedUser]));
            Assert.That(StoreFixture.Fields(query), Is.EqualTo(expected));
        });
    }

    [Test]
    public void FindToken_QueryWithOnlyAnExistingId_ReturnsNull()
    {
        var ids = SeedAliceBobCarol();
        var query = new OAuthToken { Id = ids[Alice] };

        Assert.Multiple(() =>
        {
            Assert.That(Store.FindToken(query), Is.Null);
            Assert.That(query.UserSignature, Is.Null);
        });
    }

    [Test]
    public void FindToken_UserWithoutClientIdHavingTwoClients_ThrowsAmbiguousMatch()
    {
        Store.SaveToken(StoreFixture.Token(Alice, ClientA));
        Store.SaveToken(StoreFixture.Token(Alice, ClientB));

        Assert.That(() => Store.FindToken(new OAuthToken { UserSignature = new(Alice) }), StoreError.WithCode(TokenStoreErrorCodes.AmbiguousMatch));
    }

    [Test]
    public void FindToken_Found_FillsOnlyNullFieldsAndReturnsSameInstance()
    {
        var saved = StoreFixture.Token(Alice, ClientA);
        Store.SaveToken(saved);
        var query = new OAuthToken
        {
            UserSignature = new(Alice),
            ClientId = ClientA,
            AccessToken = "1000.access.held-by-the-caller",
            RedirectURL = string.Empty,
        };

        var result = Store.FindToken(query);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.SameAs(query));
            Assert.That(query.Id, Is.EqualTo(saved.Id));
            Assert.That(query.AccessToken, Is.EqualTo("1000.access.held-by-the-caller"), "a non-null field is not overwritten");
            Assert.That(query.RedirectURL, Is.Empty, "an empty string is a value, not a gap");
            Assert.That(query.ClientSecret, Is.EqualTo(saved.ClientSecret));
            Assert.That(query.RefreshToken, Is.EqualTo(saved.RefreshToken));
            Assert.That(query.GrantToken, Is.EqualTo(saved.GrantToken));
            Assert.That(query.ExpiresIn, Is.EqualTo(saved.ExpiresIn));
            Assert.That(query.APIDomain, Is.EqualTo(saved.APIDomain));
        });
        Assert.That(((OAuthToken)Store.FindTokenById(saved.Id!)).AccessToken, Is.EqualTo(saved.AccessToken), "FindToken does not write");
    }

    [Test]
    public void FindToken_SameUserTwoClients_EachClientFindsItsOwnToken()
    {
        var production = StoreFixture.Token(Alice, ClientA);
        var sandbox = StoreFixture.Token(Alice, ClientB);
        Store.SaveToken(production);
        Store.SaveToken(sandbox);

        var findA = Store.FindToken(new OAuthToken { UserSignature = new(Alice), ClientId = ClientA }) as OAuthToken;
        var findB = Store.FindToken(new OAuthToken { UserSignature = new(Alice), ClientId = ClientB }) as OAuthToken;

        Assert.Multiple(() =>
        {
            Assert.That(production.Id, Is.Not.EqualTo(sandbox.Id));
            Assert.That(findA?.Id, Is.EqualTo(production.Id));
            Assert.That(findA?.RefreshToken, Is.EqualTo(production.RefreshToken));
            Assert.That(findB?.Id, Is.EqualTo(sandbox.Id));
            Assert.That(findB?.RefreshToken, Is.EqualTo(sandbox.RefreshToken));
        });
    }

    // ---- SaveToken ------------------------------------------------------------------------------

    [Test]
    public void SaveToken_NewToken_InsertsAndSetsNewIdOnToken()
    {
        var token = StoreFixture.Token(Alice);
        var expected = StoreFixture.Copy(token);

        Store.SaveToken(token);

        Assert.That(token.Id, Is.Not.Null.And.Not.Empty);
        expected.Id = token.Id;
        Assert.That(StoreFixture.Fields(_host.Reopen().FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(expected)));
    }

    [Test]
    public void SaveToken_SameUserAndClientTwoClients_KeepsThemApartOnUpdate()
    {
        var production = StoreFixture.Token(Alice, ClientA);
        var sandbox = StoreFixture.Token(Alice, ClientB);
        Store.SaveToken(production);
        Store.SaveToken(sandbox);

        var refreshed = new OAuthToken { UserSignature = new(Alice), ClientId = ClientA, ClientSecret = production.ClientSecret, AccessToken = "1000.access.refreshed" };
        Store.SaveToken(refreshed);

        Assert.Multiple(() =>
        {
            Assert.That(refreshed.Id, Is.EqualTo(production.Id));
            Assert.That(Store.GetTokens(), Has.Count.EqualTo(2));
            Assert.That(((OAuthToken)Store.FindTokenById(production.Id!)).AccessToken, Is.EqualTo("1000.access.refreshed"));
            Assert.That(((OAuthToken)Store.FindTokenById(sandbox.Id!)).AccessToken, Is.EqualTo(sandbox.AccessToken));
        });
    }

    [Test]
    public void SaveToken_ExistingId_UpdatesThatRecordEvenWhenKeysChange()
    {
        var token = StoreFixture.Token(Alice);
        Store.SaveToken(token);
        var update = StoreFixture.Token("alice.renamed@example.com", ClientA, suffix: ".v2");
        update.Id = token.Id;

        Store.SaveToken(update);

        var stored = (OAuthToken)_host.Reopen().FindTokenById(token.Id!);
        Assert.Multiple(() =>
        {
            Assert.That(update.Id, Is.EqualTo(token.Id));
            Assert.That(Store.GetTokens(), Has.Count.EqualTo(1));
            Assert.That(stored.UserSignature?.Name, Is.EqualTo("alice.renamed@example.com"));
            Assert.That(stored.RefreshToken, Is.EqualTo(update.RefreshToken));
            Assert.That(Store.FindToken(new OAuthToken { UserSignature = new(Alice), ClientId = ClientA }), Is.Null, "the old user index entry is gone");
        });
    }

    private static IEnumerable<TestCaseData> UpsertByMatchingRule()
    {
        var alice = StoreFixture.Token(Alice, ClientA);
        TestCaseData Case(string name, Func<OAuthToken> update) => new TestCaseData(update).SetArgDisplayNames(name);

        yield return Case("user and client id", () => new() { UserSignature = new(Alice), ClientId = ClientA, ClientSecret = alice.ClientSecret });
        yield return Case("user without client id", () => new() { UserSignature = new(Alice) });
        yield return Case("access token without client credentials", () => new() { AccessToken = alice.AccessToken });
        yield return Case("refresh token with client credentials", () => new() { RefreshToken = alice.RefreshToken, ClientId = ClientA, ClientSecret = alice.ClientSecret });
        yield return Case("grant token with client credentials", () => new() { GrantToken = alice.GrantToken, ClientId = ClientA, ClientSecret = alice.ClientSecret });
    }

    [TestCaseSource(nameof(UpsertByMatchingRule))]
    public void SaveToken_NoIdButMatchingRecord_UpdatesItAndSetsItsId(Func<OAuthToken> makeUpdate)
    {
        var original = StoreFixture.Token(Alice, ClientA);
        Store.SaveToken(original);
        Store.SaveToken(StoreFixture.Token(Bob, ClientA));
        var update = makeUpdate();
        update.ExpiresIn = "1900000000000";

        Store.SaveToken(update);

        var stored = (OAuthToken)_host.Reopen().FindTokenById(original.Id!);
        Assert.Multiple(() =>
        {
            Assert.That(update.Id, Is.EqualTo(original.Id));
            Assert.That(Store.GetTokens(), Has.Count.EqualTo(2));
            Assert.That(stored.ExpiresIn, Is.EqualTo("1900000000000"));
            Assert.That(stored.RefreshToken, Is.EqualTo(original.RefreshToken));
            Assert.That(update.RefreshToken, Is.EqualTo(original.RefreshToken), "null fields of the saved token are filled from the record");
        });
    }

    [Test]
    public void SaveToken_UnknownGivenId_InsertsUnderThatId()
    {
        var token = StoreFixture.Token(Alice);
        token.Id = "imported-7";

        Store.SaveToken(token);

        Assert.Multiple(() =>
        {
            Assert.That(token.Id, Is.EqualTo("imported-7"));
            Assert.That(((OAuthToken)_host.Reopen().FindTokenById("imported-7")).UserSignature?.Name, Is.EqualTo(Alice));
        });
    }

    [Test]
    public void SaveToken_NullField_KeepsStoredValueAndFillsToken()
    {
        var original = StoreFixture.Token(Alice);
        Store.SaveToken(original);
        var update = new OAuthToken { Id = original.Id, AccessToken = "1000.access.new", ExpiresIn = "1900000000000" };

        Store.SaveToken(update);

        var expected = StoreFixture.Copy(original);
        expected.AccessToken = "1000.access.new";
        expected.ExpiresIn = "1900000000000";
        Assert.Multiple(() =>
        {
            Assert.That(StoreFixture.Fields(_host.Reopen().FindTokenById(original.Id!)), Is.EqualTo(StoreFixture.Fields(expected)));
            Assert.That(StoreFixture.Fields(update), Is.EqualTo(StoreFixture.Fields(expected)));
        });
    }

    [Test]
    public void SaveToken_EmptyString_ReplacesStoredValue()
    {
        var original = StoreFixture.Token(Alice);
        Store.SaveToken(original);
        var update = (OAuthToken)Store.FindTokenById(original.Id!);
        update.ClientSecret = string.Empty;
        update.GrantToken = string.Empty;
        update.RedirectURL = string.Empty;

        Store.SaveToken(update);

        var stored = (OAuthToken)_host.Reopen().FindTokenById(original.Id!);
        Assert.Multiple(() =>
        {
            Assert.That(stored.ClientSecret, Is.Empty);
            Assert.That(stored.GrantToken, Is.Empty);
            Assert.That(stored.RedirectURL, Is.Empty);
            Assert.That(stored.RefreshToken, Is.EqualTo(original.RefreshToken));
            Assert.That(Store.FindToken(new OAuthToken { GrantToken = original.GrantToken, ClientId = ClientA, ClientSecret = "s" }), Is.Null, "the replaced grant token no longer finds the record");
        });
    }

    private static IEnumerable<TestCaseData> Unidentifiable()
    {
        TestCaseData Case(string name, Func<OAuthToken> token) => new TestCaseData(token).SetArgDisplayNames(name);

        yield return Case("empty token", () => new());
        yield return Case("client credentials only", () => new() { ClientId = ClientA, ClientSecret = "secret" });
        yield return Case("empty user name", () => new() { UserSignature = new(string.Empty), ClientId = ClientA });
        yield return Case("expiry, redirect URL and API domain", () => new() { ExpiresIn = "1767225600000", RedirectURL = "https://a.example", APIDomain = "https://www.zohoapis.com" });
        yield return Case("empty strings only", () => new() { UserSignature = new(string.Empty), AccessToken = string.Empty, RefreshToken = string.Empty, GrantToken = string.Empty });
        yield return Case("an unknown id only", () => new() { Id = "unknown-id", ClientSecret = "secret" });
    }

    [TestCaseSource(nameof(Unidentifiable))]
    public void SaveToken_NothingToIdentify_ThrowsInvalidTokenAndWritesNothing(Func<OAuthToken> makeToken)
    {
        Store.SaveToken(StoreFixture.Token(Alice));
        var token = makeToken();
        var idBefore = token.Id;

        Assert.Multiple(() =>
        {
            Assert.That(() => Store.SaveToken(token), StoreError.WithCode(TokenStoreErrorCodes.InvalidToken));
            Assert.That(token.Id, Is.EqualTo(idBefore));
            Assert.That(_host.Reopen().GetTokens(), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void SaveToken_ExistingIdWithNothingElseToIdentify_ThrowsInvalidTokenAndKeepsRecord()
    {
        var original = StoreFixture.Token(Alice);
        Store.SaveToken(original);

        Assert.That(() => Store.SaveToken(new OAuthToken { Id = original.Id, ExpiresIn = "1" }), StoreError.WithCode(TokenStoreErrorCodes.InvalidToken));
        Assert.That(((OAuthToken)_host.Reopen().FindTokenById(original.Id!)).ExpiresIn, Is.EqualTo(original.ExpiresIn));
    }

    [TestCase("refresh")]
    [TestCase("access")]
    [TestCase("grant")]
    public void SaveToken_TokenValueHeldByAnotherRecord_ThrowsDuplicateTokenAndWritesNothing(string field)
    {
        var alice = StoreFixture.Token(Alice);
        var bob = StoreFixture.Token(Bob);
        Store.SaveToken(alice);
        Store.SaveToken(bob);
        var dave = StoreFixture.Token("dave@example.com");
        var bobUpdate = new OAuthToken { Id = bob.Id };
        switch (field)
        {
            case "refresh": dave.RefreshToken = bobUpdate.RefreshToken = alice.RefreshToken; break;
            case "access": dave.AccessToken = bobUpdate.AccessToken = alice.AccessToken; break;
            default: dave.GrantToken = bobUpdate.GrantToken = alice.GrantToken; break;
        }

        Assert.Multiple(() =>
        {
            Assert.That(() => Store.SaveToken(dave), StoreError.WithCode(TokenStoreErrorCodes.DuplicateToken), "insert");
            Assert.That(dave.Id, Is.Null);
            Assert.That(() => Store.SaveToken(bobUpdate), StoreError.WithCode(TokenStoreErrorCodes.DuplicateToken), "update");
        });
        var store = _host.Reopen();
        Assert.Multiple(() =>
        {
            Assert.That(store.GetTokens(), Has.Count.EqualTo(2));
            Assert.That(store.FindToken(new OAuthToken { UserSignature = new("dave@example.com") }), Is.Null);
            Assert.That(StoreFixture.Fields(store.FindTokenById(bob.Id!)), Is.EqualTo(StoreFixture.Fields(bob)));
            Assert.That(StoreFixture.Fields(store.FindTokenById(alice.Id!)), Is.EqualTo(StoreFixture.Fields(alice)));
        });
    }

    [Test]
    public void SaveToken_UserWithoutClientIdHavingTwoClients_ThrowsAmbiguousMatchAndWritesNothing()
    {
        var production = StoreFixture.Token(Alice, ClientA);
        Store.SaveToken(production);
        Store.SaveToken(StoreFixture.Token(Alice, ClientB));

        Assert.That(() => Store.SaveToken(new OAuthToken { UserSignature = new(Alice), AccessToken = "1000.access.x" }), StoreError.WithCode(TokenStoreErrorCodes.AmbiguousMatch));
        Assert.Multiple(() =>
        {
            Assert.That(Store.GetTokens(), Has.Count.EqualTo(2));
            Assert.That(((OAuthToken)Store.FindTokenById(production.Id!)).AccessToken, Is.EqualTo(production.AccessToken));
        });
    }

    [Test]
    public void SaveToken_TwelveTokens_AllDistinctIdsAndRetrievable()
    {
        // Reference pitfall: ids made by max(id)+1 on a text column make the 11th token collide with the 2nd.
        var tokens = Enumerable.Range(1, 12).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        foreach (var token in tokens)
        {
            Store.SaveToken(token);
        }

        var store = _host.Reopen();
        Assert.Multiple(() =>
        {
            Assert.That(tokens.Select(t => t.Id), Is.Unique.And.All.Not.Null);
            Assert.That(store.GetTokens(), Has.Count.EqualTo(12));
            foreach (var token in tokens)
            {
                Assert.That(StoreFixture.Fields(store.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)), token.UserSignature!.Name);
            }
        });
    }

    [Test]
    public void SaveToken_NullAndEmptyFields_RoundTripDistinctly()
    {
        // Reference pitfall: a NULL user name read back as an empty string breaks the next update.
        var token = new OAuthToken
        {
            ClientId = ClientA,
            ClientSecret = "secret",
            RefreshToken = "1000.refresh.no-user",
            AccessToken = string.Empty,
            RedirectURL = string.Empty,
        };
        Store.SaveToken(token);

        var stored = (OAuthToken)_host.Reopen().FindTokenById(token.Id!);
        Assert.Multiple(() =>
        {
            Assert.That(stored.UserSignature, Is.Null);
            Assert.That(stored.GrantToken, Is.Null);
            Assert.That(stored.ExpiresIn, Is.Null);
            Assert.That(stored.APIDomain, Is.Null);
            Assert.That(stored.AccessToken, Is.Empty);
            Assert.That(stored.RedirectURL, Is.Empty);
        });

        // The SDK's refresh: the same object, updated and saved again, stays one record without a user.
        stored.AccessToken = "1000.access.after-refresh";
        Store.SaveToken(stored);
        var again = (OAuthToken)_host.Reopen().FindTokenById(token.Id!);
        Assert.Multiple(() =>
        {
            Assert.That(Store.GetTokens(), Has.Count.EqualTo(1));
            Assert.That(again.UserSignature, Is.Null);
            Assert.That(again.AccessToken, Is.EqualTo("1000.access.after-refresh"));
        });
    }

    // ---- FindTokenById / TryFindTokenById ------------------------------------------------------

    [Test]
    public void FindTokenById_Existing_ReturnsNewFullyPopulatedToken()
    {
        var saved = StoreFixture.Token(Alice);
        Store.SaveToken(saved);

        var found = Store.FindTokenById(saved.Id!);

        Assert.Multiple(() =>
        {
            Assert.That(found, Is.Not.SameAs(saved));
            Assert.That(StoreFixture.Fields(found), Is.EqualTo(StoreFixture.Fields(saved)));
        });
    }

    [Test]
    public void FindTokenById_UnknownId_ThrowsNotFound()
    {
        Store.SaveToken(StoreFixture.Token(Alice));

        Assert.That(() => Store.FindTokenById("no-such-id"), StoreError.WithCode(TokenStoreErrorCodes.NotFound).And.Message.Contains("no-such-id"));
    }

    [Test]
    public void TryFindTokenById_UnknownId_ReturnsNull()
    {
        var saved = StoreFixture.Token(Alice);
        Store.SaveToken(saved);

        Assert.Multiple(() =>
        {
            Assert.That(Store.TryFindTokenById("no-such-id"), Is.Null);
            Assert.That(StoreFixture.Fields(Store.TryFindTokenById(saved.Id!)), Is.EqualTo(StoreFixture.Fields(saved)));
        });
    }

    // ---- DeleteToken / GetTokens / DeleteTokens -------------------------------------------------

    [Test]
    public void DeleteToken_ExistingId_DeletesOnlyThatRecord()
    {
        var ids = SeedAliceBobCarol();

        Store.DeleteToken(ids[Bob]);

        var store = _host.Reopen();
        Assert.Multiple(() =>
        {
            Assert.That(store.TryFindTokenById(ids[Bob]), Is.Null);
            Assert.That(store.FindToken(new OAuthToken { UserSignature = new(Bob) }), Is.Null);
            Assert.That(store.GetTokens().Select(t => ((OAuthToken)t).Id), Is.EquivalentTo(new[] { ids[Alice], ids[Carol] }));
        });
    }

    [Test]
    public void DeleteToken_UnknownId_DoesNothing()
    {
        SeedAliceBobCarol();

        Assert.That(() => Store.DeleteToken("no-such-id"), Throws.Nothing);
        Assert.That(Store.GetTokens(), Has.Count.EqualTo(3));
    }

    [Test]
    public void GetTokens_SeveralTokens_ReturnsEveryTokenFullyPopulated()
    {
        var saved = new[] { StoreFixture.Token(Alice, ClientA), StoreFixture.Token(Alice, ClientB), StoreFixture.Token(Bob) };
        foreach (var token in saved)
        {
            Store.SaveToken(token);
        }

        var all = _host.Reopen().GetTokens();

        Assert.Multiple(() =>
        {
            Assert.That(all, Has.Count.EqualTo(3).And.All.TypeOf<OAuthToken>());
            Assert.That(all.Select(StoreFixture.Fields), Is.EquivalentTo(saved.Select(StoreFixture.Fields)));
        });
    }

    [Test]
    public void DeleteTokens_SeveralTokens_DeletesAllAlsoAfterReopen()
    {
        // Reference pitfall: delete_tokens committed a connection that did not exist, so nothing was deleted.
        var ids = SeedAliceBobCarol();

        Store.DeleteTokens();

        Assert.That(Store.GetTokens(), Is.Empty);
        var store = _host.Reopen();
        Assert.Multiple(() =>
        {
            Assert.That(store.GetTokens(), Is.Empty);
            Assert.That(ids.Values.Select(store.TryFindTokenById), Is.All.Null);
            Assert.That(store.FindToken(new OAuthToken { AccessToken = StoreFixture.Token(Alice).AccessToken }), Is.Null);
        });

        var again = StoreFixture.Token(Alice);
        store.SaveToken(again);
        Assert.That(store.GetTokens(), Has.Count.EqualTo(1), "the store is usable after deleting everything");
    }

    [Test]
    public void EveryMethod_EmptyStore_Works()
    {
        // Reference pitfall: the sample crashed when the table existed but was empty.
        Assert.Multiple(() =>
        {
            Assert.That(Store.GetTokens(), Is.Empty);
            Assert.That(Store.FindToken(new OAuthToken { UserSignature = new(Alice) }), Is.Null);
            Assert.That(Store.FindToken(new OAuthToken { UserSignature = new(Alice), ClientId = ClientA }), Is.Null);
            Assert.That(Store.FindToken(new OAuthToken { AccessToken = "a" }), Is.Null);
            Assert.That(Store.FindToken(new OAuthToken { RefreshToken = "r", ClientId = ClientA, ClientSecret = "s" }), Is.Null);
            Assert.That(Store.FindToken(new OAuthToken { GrantToken = "g", ClientId = ClientA, ClientSecret = "s" }), Is.Null);
            Assert.That(() => Store.FindTokenById("x"), StoreError.WithCode(TokenStoreErrorCodes.NotFound));
            Assert.That(Store.TryFindTokenById("x"), Is.Null);
            Assert.That(() => Store.DeleteToken("x"), Throws.Nothing);
            Assert.That(() => Store.DeleteTokens(), Throws.Nothing);
            Assert.That(_host.Reopen().GetTokens(), Is.Empty);
        });
    }

    private Dictionary<string, string> SeedAliceBobCarol()
    {
        var tokens = new[] { StoreFixture.Token(Alice, ClientA), StoreFixture.Token(Bob, ClientA), StoreFixture.Token(Carol, ClientB) };
        foreach (var token in tokens)
        {
            Store.SaveToken(token);
        }

        return tokens.ToDictionary(t => t.UserSignature!.Name, t => t.Id!);
    }
}
