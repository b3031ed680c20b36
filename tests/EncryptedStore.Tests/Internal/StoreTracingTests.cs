using System.Diagnostics;
using EncryptedStore.Internal;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Internal;

/// <summary>
/// The <c>EncryptedStore</c> activity source: one activity per long operation, tagged with counts and key versions;
/// and no tag of any instrument or activity ever holds a secret, an e-mail, a client id or a record id.
/// </summary>
[NonParallelizable]
public sealed class StoreTracingTests
{
    private const string FileName = "traced.db";

    private TempDirectory _dir = null!;
    private string _path = null!;
    private TelemetryCapture _capture = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _path = _dir.File(FileName);
        _capture = new TelemetryCapture();
    }

    [TearDown]
    public void TearDown()
    {
        _capture.Dispose();
        _dir.Dispose();
    }

    [Test]
    public void Open_NewStore_RecordsOpenWithItsFileNameAndKeyVersions()
    {
        using (StoreFixture.Open(_path))
        {
        }

        var open = _capture.ActivitiesOf(StoreTracing.Open, FileName).Single();

        Assert.Multiple(() =>
        {
            Assert.That(open.Status, Is.EqualTo(ActivityStatusCode.Unset));
            Assert.That(open.GetTagItem(StoreTracing.Created), Is.True);
            Assert.That(open.GetTagItem(StoreTracing.Sharing), Is.EqualTo("exclusive"));
            Assert.That(open.GetTagItem(StoreTracing.DataKeyVersion), Is.TypeOf<int>().And.Positive);
            Assert.That(open.GetTagItem(StoreTracing.IndexKeyVersion), Is.TypeOf<int>().And.Positive);
            Assert.That(open.GetTagItem(StoreTracing.RotationResumed), Is.False);
        });
    }

    [Test]
    public void Open_WrongKey_FailsWithTheErrorCodeOnly()
    {
        using (StoreFixture.Open(_path))
        {
        }

        _capture.Clear();
        Assert.That(() => StoreFixture.Open(_path, StoreFixture.OtherKey), StoreError.WithCode(TokenStoreErrorCodes.WrongKey));

        var open = _capture.ActivitiesOf(StoreTracing.Open, FileName).Single();
        Assert.Multiple(() =>
        {
            Assert.That(open.Status, Is.EqualTo(ActivityStatusCode.Error));
            Assert.That(open.StatusDescription, Is.EqualTo(TokenStoreErrorCodes.WrongKey));
            Assert.That(open.GetTagItem(StoreTracing.ErrorType), Is.EqualTo(TokenStoreErrorCodes.WrongKey));
        });
    }

    [Test]
    public void RotateKeys_FiveTokens_RecordsCountsAndNewKeyVersions()
    {
        using var store = StoreFixture.Open(_path);
        store.SaveTokens([.. Enumerable.Range(0, 5).Select(i => StoreFixture.Token($"user{i}@example.com"))]);

        var result = store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true, BatchSize = 2 });

        var rotate = _capture.ActivitiesOf(StoreTracing.Rotate, FileName).Single();
        Assert.Multiple(() =>
        {
            Assert.That(rotate.GetTagItem(StoreTracing.RecordsScanned), Is.EqualTo(5));
            Assert.That(rotate.GetTagItem(StoreTracing.RecordsRewritten), Is.EqualTo(5));
            Assert.That(rotate.GetTagItem(StoreTracing.RecordsFailed), Is.Zero);
            Assert.That(rotate.GetTagItem(StoreTracing.RotationResumed), Is.False);
            Assert.That(rotate.GetTagItem(StoreTracing.RotationIndexKey), Is.True);
            Assert.That(rotate.GetTagItem(StoreTracing.BatchSize), Is.EqualTo(2));
            Assert.That(rotate.GetTagItem(StoreTracing.DataKeyVersion), Is.EqualTo(result.DataKeyVersion));
            Assert.That(rotate.GetTagItem(StoreTracing.IndexKeyVersion), Is.EqualTo(result.IndexKeyVersion));
        });
    }

    [Test]
    public void Verify_HealthyStore_RecordsWhatWasChecked()
    {
        using var store = StoreFixture.Open(_path);
        store.SaveTokens([StoreFixture.Token("ann@example.com"), StoreFixture.Token("bob@example.com")]);

        var verification = store.Verify();

        var verify = _capture.ActivitiesOf(StoreTracing.Verify, FileName).Single();
        Assert.Multiple(() =>
        {
            Assert.That(verify.GetTagItem(StoreTracing.RecordsChecked), Is.EqualTo(2));
            Assert.That(verify.GetTagItem(StoreTracing.KeysChecked), Is.EqualTo(verification.KeysChecked));
            Assert.That(verify.GetTagItem(StoreTracing.Problems), Is.Zero);
        });
    }

    [Test]
    public void Compact_ClosedStore_RecordsDocumentsAndSizes()
    {
        using (var store = StoreFixture.Open(_path))
        {
            store.SaveTokens([.. Enumerable.Range(0, 20).Select(i => StoreFixture.Token($"user{i}@example.com"))]);
            store.DeleteTokens();
        }

        EncryptedTokenStore.Compact(_path);

        var compact = _capture.ActivitiesOf(StoreTracing.Compact, FileName).Single();
        Assert.Multiple(() =>
        {
            Assert.That(compact.Status, Is.EqualTo(ActivityStatusCode.Unset));
            Assert.That(compact.GetTagItem(StoreTracing.DocumentsCopied), Is.TypeOf<long>().And.Positive, "the metadata and keys");
            Assert.That(compact.GetTagItem(StoreTracing.SizeAfter), Is.EqualTo(new FileInfo(_path).Length));
            Assert.That(compact.GetTagItem(StoreTracing.SizeBefore), Is.TypeOf<long>().And.Positive);
        });
    }

    [Test]
    public void ChangeMasterKey_RecordsTheKeyRingElementsReencrypted()
    {
        using var store = StoreFixture.Open(_path);
        using var newKey = MasterKey.FromBytes(StoreFixture.OtherKey);

        store.ChangeMasterKey(newKey);

        var change = _capture.ActivitiesOf(StoreTracing.ChangeMasterKey, FileName).Single();
        Assert.Multiple(() =>
        {
            Assert.That(change.Status, Is.EqualTo(ActivityStatusCode.Unset));
            Assert.That(change.GetTagItem(StoreTracing.KeyRingElements), Is.TypeOf<int>().And.Positive);
        });
    }

    [Test]
    public void FullScenario_EveryTagOfEveryMeasurementAndActivity_HoldsNoSecret()
    {
        var tokens = Enumerable.Range(0, 3).Select(i => StoreFixture.Token($"person{i}@example.com", $"1000.CLIENT{i}XYZ")).ToList();
        using (var store = StoreFixture.Open(_path))
        {
            store.SaveTokens(tokens);
            store.FindTokenById(tokens[0].Id!);
            store.FindTokenById(tokens[0].Id!);
            store.FindToken(new OAuthToken { UserSignature = new UserSignature(tokens[1].UserSignature!.Name), ClientId = tokens[1].ClientId });
            store.FindToken(new OAuthToken { ClientId = tokens[2].ClientId, ClientSecret = tokens[2].ClientSecret, RefreshToken = tokens[2].RefreshToken });
            store.SaveToken(new OAuthToken { Id = tokens[0].Id, AccessToken = "1000.access.renewed.secret" });
            store.GetTokens();
            store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true, BatchSize = 2 });
            store.Verify();
            using var newKey = MasterKey.FromBytes(StoreFixture.OtherKey);
            store.ChangeMasterKey(newKey);
            store.DeleteToken(tokens[2].Id!);
        }

        EncryptedTokenStore.Compact(_path);
        Assert.That(() => StoreFixture.Open(_path), StoreError.WithCode(TokenStoreErrorCodes.WrongKey), "a failed open is recorded too");

        var secrets = tokens.SelectMany(t => new[] { t.Id, t.UserSignature!.Name, t.ClientId, t.ClientSecret, t.AccessToken, t.RefreshToken, t.GrantToken })
            .Append("1000.access.renewed.secret").Append(Convert.ToHexString(StoreFixture.Key)).Append(Convert.ToBase64String(StoreFixture.Key))
            .Append(Convert.ToHexString(StoreFixture.OtherKey)).Append("example.com").Append("CLIENT")
            .Select(s => s!).ToList();
        var recorded = Recorded().ToList();
        var allowed = new HashSet<string>(StringComparer.Ordinal)
        {
            FileName, "by_id", "by_match", "all", "hit", "miss", "not_found", "journal", "transaction", "insert", "update", "delete",
            "exclusive", "shared", "acquired", "timed_out", TokenStoreErrorCodes.WrongKey,
            StoreTracing.Open, StoreTracing.Rotate, StoreTracing.Verify, StoreTracing.Compact, StoreTracing.ChangeMasterKey,
        };

        Assert.Multiple(() =>
        {
            Assert.That(recorded.Select(r => r.Where).Distinct(), Is.SupersetOf(new[] { "encryptedstore.lookups", "encryptedstore.saves", StoreTracing.Open, StoreTracing.Rotate, StoreTracing.Verify, StoreTracing.Compact, StoreTracing.ChangeMasterKey }));
            Assert.That(recorded.Where(r => secrets.Any(s => r.Text.Contains(s, StringComparison.OrdinalIgnoreCase))), Is.Empty, "no secret, e-mail, client id, key or record id");
            Assert.That(recorded.Where(r => !r.IsKey && r.Text.Length > 0 && !allowed.Contains(r.Text) && !IsNumberOrBool(r.Text)), Is.Empty, "only known values, the file name, numbers and codes");
        });
    }

    private static bool IsNumberOrBool(string text) => double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out _) || bool.TryParse(text, out _);

    private static string Text(object? value) => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;

    /// <summary>Every name, tag key and tag value recorded, as text, with where it was seen.</summary>
    private IEnumerable<(string Where, string Text, bool IsKey)> Recorded()
    {
        foreach (var measurement in _capture.Measurements)
        {
            foreach (var (key, value) in measurement.Tags)
            {
                yield return (measurement.Instrument, key, true);
                yield return (measurement.Instrument, Text(value), false);
            }
        }

        foreach (var activity in _capture.Activities)
        {
            yield return (activity.OperationName, activity.OperationName, false);
            yield return (activity.OperationName, activity.DisplayName, false);
            yield return (activity.OperationName, activity.StatusDescription ?? string.Empty, false);
            var tags = activity.TagObjects.Concat(activity.Events.SelectMany(e => e.Tags)).Concat(activity.Baggage.Select(b => new KeyValuePair<string, object?>(b.Key, b.Value)));
            foreach (var (key, value) in tags)
            {
                yield return (activity.OperationName, key, true);
                yield return (activity.OperationName, Text(value), false);
            }
        }
    }
}
