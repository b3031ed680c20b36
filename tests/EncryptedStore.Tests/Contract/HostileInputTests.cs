using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace EncryptedStore.Tests.Contract;

/// <summary>
/// Property-based tests (FsCheck, fixed seeds) with hostile values: every field value either round-trips
/// exactly or is refused up front, on every kind of store, and the decoders given arbitrary bytes return null
/// instead of throwing.
/// </summary>
[TestFixture(StoreKind.File)]
[TestFixture(StoreKind.Memory)]
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
public class HostileInputTests(StoreKind kind)
{
    private const int MaxValueLength = 16 * 1024;
    private const int MaxIdLength = 128;
    private const int StoreCases = 150;
    private const int DecoderCases = 5_000;
    private const int DefaultSeed = 4711;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Values that have broken other stores: quotes, SQL and LiteDB expression text, markup, format strings, odd Unicode.</summary>
    private static readonly string[] Interesting =
    [
        "'", "\"", "`", "\\", "''", "\\'", "'; DROP TABLE tokens; --", "Robert'); DROP TABLE Students;--", "1 OR 1=1",
        "$", "$.a = 1", "@0", "_id", "{\"$gt\": \"\"}", "{\"_id\": 1}", "<x a='1'/>", "<![CDATA[]]>", "&amp;",
        "%s%n%x", "{0}", "${jndi:ldap://x}", "../../etc/passwd", "C:\\Windows\\", "null", "NULL", "undefined", "NaN", "-0",
        "😀", "👩‍👩‍👧", "e\u0301", "مرحبا", "\u202Eevil", "\u200B", "\uFEFF", "\uFFFD", "\uFFFF", "\uE000", "𝕏", "ß", "İ", "ǅ",
        "\0", "\t", "\r\n", "\u0085", "\u2028", "\u007F", "\u001B[31m", "\uD800", "\uDFFF", "\uDC00\uD800",
        " ", "  leading", "trailing  ", "a b",
    ];

    [Test]
    [Category("Slow")]
    public void SaveToken_HostileFieldValues_RoundTripAfterReopenOrAreRefusedAndTheStoreStaysConsistent()
    {
        // One store for the run, emptied before each case: a fresh server store per case would spend the run on DDL.
        TestServers.Require(kind);
        using var host = new StoreHost(kind);
        var cases = 0;
        var accepted = 0;
        var property = Prop.ForAll(TokenGenerator().ToArbitrary(), generated =>
        {
            cases++;
            if (SaveReopenAndCheck(host, generated))
            {
                accepted++;
            }
        });

        Check.One(Configuration(StoreCases), property);

        TestContext.Out.WriteLine($"{cases} tokens generated, {accepted} accepted, {cases - accepted} refused");
        Assert.Multiple(() =>
        {
            Assert.That(cases, Is.EqualTo(StoreCases));
            Assert.That(accepted, Is.GreaterThan(StoreCases / 10), "the generator must produce acceptable tokens too");
            Assert.That(cases - accepted, Is.GreaterThan(StoreCases / 10), "the generator must produce refused tokens too");
        });
    }

    [TestCase("1")]
    [TestCase("42")]
    [TestCase("{0f8fad5b-d9cb-469f-a165-70867728950e}")]
    [TestCase("0f8fad5b-d9cb-469f-a165-70867728950e")]
    [TestCase("id with spaces inside")]
    [TestCase("ünïcödé-😀")]
    [TestCase("'; DROP TABLE tokens; --")]
    [TestCase("$.AccessToken")]
    public void SaveToken_IdFromAnotherFormat_RoundTripsAfterReopen(string id)
    {
        using var host = new StoreHost(kind);
        var token = StoreFixture.Token("ids@example.com");
        token.Id = id;
        host.Store.SaveToken(token);

        var reopened = host.Reopen();
        var found = (OAuthToken)reopened.FindTokenById(id);

        Assert.Multiple(() =>
        {
            Assert.That(token.Id, Is.EqualTo(id));
            Assert.That(Fields(found), Is.EqualTo(Fields(token)));
        });
    }

    [Test]
    public void SaveToken_IdOf128Characters_RoundTripsAndOneMoreIsRefused()
    {
        using var host = new StoreHost(kind);
        var store = host.Store;
        var longest = StoreFixture.Token("long@example.com");
        longest.Id = new string('x', MaxIdLength);
        var tooLong = StoreFixture.Token("longer@example.com");
        tooLong.Id = new string('x', MaxIdLength + 1);

        store.SaveToken(longest);
        var e = Assert.Throws<TokenStoreException>(() => store.SaveToken(tooLong));

        Assert.Multiple(() =>
        {
            Assert.That(((OAuthToken)store.FindTokenById(longest.Id)).Id, Is.EqualTo(longest.Id));
            Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.InvalidToken));
            Assert.That(() => store.FindTokenById(tooLong.Id), Throws.ArgumentException);
        });
    }

    [Test]
    public void SaveToken_IdsDifferingOnlyInCase_AreDistinctRecords()
    {
        using var host = new StoreHost(kind);
        var upper = StoreFixture.Token("upper@example.com");
        upper.Id = "ABC";
        var lower = StoreFixture.Token("lower@example.com");
        lower.Id = "abc";
        host.Store.SaveToken(upper);
        host.Store.SaveToken(lower);

        var reopened = host.Reopen();

        Assert.Multiple(() =>
        {
            Assert.That(reopened.GetTokens(), Has.Count.EqualTo(2));
            Assert.That(((OAuthToken)reopened.FindTokenById("ABC")).UserSignature!.Name, Is.EqualTo("upper@example.com"));
            Assert.That(((OAuthToken)reopened.FindTokenById("abc")).UserSignature!.Name, Is.EqualTo("lower@example.com"));
            Assert.That(reopened.TryFindTokenById("Abc"), Is.Null);
        });
    }

    [Test]
    [Category("Slow")]
    public void Decode_ArbitraryOrMutatedBytes_ReturnsNullOrATokenAndNeverThrows()
    {
        RunOnce();
        var cases = 0;
        var decoded = 0;
        var payloads = Gen.OneOf(ArbitraryBytes(), MutatedEncodings());
        var property = Prop.ForAll(payloads.ToArbitrary(), (byte[] payload) =>
        {
            cases++;
            if (TokenFields.Decode(payload, "record-id") is { } token)
            {
                decoded++;

                // Whatever decodes is a well-formed encoding: encoding it again gives the same bytes.
                Assert.That(TokenFields.Encode(token), Is.EqualTo(payload));
            }
        });

        Check.One(Configuration(DecoderCases), property);

        TestContext.Out.WriteLine($"{cases} payloads decoded, {decoded} gave a token");
        Assert.That(cases, Is.EqualTo(DecoderCases));
    }

    [Test]
    public void Decrypt_ArbitraryOrMutatedCiphertext_ReturnsNullAndNeverThrows()
    {
        RunOnce();
        using var key = new DataKey(1, RandomNumberGenerator.GetBytes(Aead.KeySize), RandomNumberGenerator.GetBytes(16));
        var rawKey = RandomNumberGenerator.GetBytes(Aead.KeySize);
        var sealedRecord = key.Encrypt(TokenFields.Encode(StoreFixture.Token("a@example.com")), "record-id");
        var sealedAead = Aead.Seal(rawKey, "plaintext"u8, "context"u8);
        var cases = 0;
        var inputs = Gen.Frequency(
            (2, ArbitraryBytes()),
            (2, Mutations(sealedRecord)),
            (2, Mutations(sealedAead)));
        var property = Prop.ForAll(inputs.ToArbitrary(), HostileString().ToArbitrary(), (byte[] ciphertext, string recordId) =>
        {
            cases++;
            Assert.Multiple(() =>
            {
                Assert.That(key.Decrypt(ciphertext, recordId), Is.Null);
                Assert.That(key.Decrypt(ciphertext, "record-id"), Is.Null.Or.EqualTo(TokenFields.Encode(StoreFixture.Token("a@example.com"))));
                Assert.That(Aead.Open(rawKey, ciphertext, "context"u8), Is.Null.Or.EqualTo("plaintext"u8.ToArray()));
            });
        });

        Check.One(Configuration(DecoderCases), property);

        TestContext.Out.WriteLine($"{cases} ciphertexts tried");
        Assert.Multiple(() =>
        {
            Assert.That(cases, Is.EqualTo(DecoderCases));
            Assert.That(key.Decrypt(sealedRecord, "record-id"), Is.Not.Null, "the unmutated record still opens");
        });
    }

    /// <summary>
    /// Empties the store, saves a well-behaved token and the generated one, reopens the store and checks: the generated
    /// token round-trips exactly when its values are acceptable and is refused otherwise, and the
    /// well-behaved token and the store's integrity are untouched either way. Returns whether it was accepted.
    /// </summary>
    private static bool SaveReopenAndCheck(StoreHost host, OAuthToken generated)
    {
        var expected = Fields(generated);
        var acceptable = IsAcceptable(generated);
        var baseline = StoreFixture.Token("baseline@example.com");
        bool accepted;
        host.Store.DeleteTokens();
        host.Store.SaveToken(baseline);
        try
        {
            host.Store.SaveToken(generated);
            accepted = true;
        }
        catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.InvalidToken)
        {
            accepted = false;
        }
        catch (ArgumentException)
        {
            accepted = false;
        }

        var reopened = host.Reopen();
        Assert.Multiple(() =>
        {
            Assert.That(accepted, Is.EqualTo(acceptable), "accepted exactly when every value is acceptable");
            Assert.That(Fields((OAuthToken)reopened.FindTokenById(baseline.Id!)), Is.EqualTo(Fields(baseline)));
            Assert.That(reopened.GetTokens(), Has.Count.EqualTo(accepted ? 2 : 1));
            Assert.That(reopened.Verify().IsHealthy, Is.True);
        });
        if (accepted)
        {
            Assert.That(generated.Id, Is.Not.Null);
            Assert.That(Fields((OAuthToken)reopened.FindTokenById(generated.Id!)), Is.EqualTo(expected with { Id = generated.Id }));
        }

        return accepted;
    }

    /// <summary>The rules the store promises, stated independently of its code: bounded, printable, valid UTF-16, and findable.</summary>
    private static bool IsAcceptable(OAuthToken token)
    {
        var fields = Fields(token);
        return (token.Id is null || (!string.IsNullOrWhiteSpace(token.Id) && IsAcceptableValue(token.Id, MaxIdLength)))
            && fields.Values.All(v => v is null || IsAcceptableValue(v))
            && (!string.IsNullOrEmpty(fields.UserName) || !string.IsNullOrEmpty(fields.AccessToken)
                || !string.IsNullOrEmpty(fields.RefreshToken) || !string.IsNullOrEmpty(fields.GrantToken));
    }

    private static bool IsAcceptableValue(string value) => IsAcceptableValue(value, MaxValueLength);

    private static bool IsAcceptableValue(string value, int maxLength)
    {
        if (value.Length > maxLength || value.Any(char.IsControl))
        {
            return false;
        }

        try
        {
            StrictUtf8.GetByteCount(value);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>The decoder tests involve no store: they run once, with the File fixture.</summary>
    private void RunOnce()
    {
        if (kind != StoreKind.File)
        {
            Assert.Ignore("No store involved: runs once, with the File fixture.");
        }
    }

    private static Config Configuration(int cases)
    {
        // Another seed: dotnet test ... -- TestRunParameters.Parameter(name="HostileSeed", value="7")
        var seed = (ulong)TestContext.Parameters.Get("HostileSeed", DefaultSeed);
        var replay = new Replay(new Rnd(seed), FSharpOption<int>.None);
        return Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true).WithReplay(FSharpOption<Replay>.Some(replay));
    }

    private static Gen<OAuthToken> TokenGenerator()
    {
        var value = HostileString().OrNull();
        var id = Gen.Frequency((3, Gen.Constant<string?>(null)), (1, HostileString().Select(s => (string?)s)));
        return Gen.ArrayOf(value, 9).Zip(id).Select(pair => new OAuthToken
        {
            Id = pair.Item2,
            UserSignature = pair.Item1[0] is { } user ? new UserSignature(user) : null,
            ClientId = pair.Item1[1],
            ClientSecret = pair.Item1[2],
            RefreshToken = pair.Item1[3],
            AccessToken = pair.Item1[4],
            GrantToken = pair.Item1[5],
            ExpiresIn = pair.Item1[6],
            RedirectURL = pair.Item1[7],
            APIDomain = pair.Item1[8],
        });
    }

    /// <summary>
    /// Strings of interesting pieces, arbitrary UTF-16 code units (lone surrogates and controls too),
    /// astral characters, and lengths at the limits. Most are made of acceptable pieces only, so that
    /// tokens whose nine values are all acceptable are common too.
    /// </summary>
    private static Gen<string> HostileString()
    {
        var anyCodeUnit = Gen.Choose(0, 0xFFFF).Select(i => ((char)i).ToString());
        var anyPiece = Gen.Frequency((4, Gen.Elements(Interesting)), (3, anyCodeUnit), (1, AcceptablePiece()));
        var hostile = anyPiece.NonEmptyListOf().Select(list => string.Concat(list));
        var atLimit = Gen.Choose(MaxValueLength - 1, MaxValueLength + 1).Select(n => new string('t', n));
        var idLimit = Gen.Choose(MaxIdLength - 1, MaxIdLength + 1).Select(n => new string('i', n));
        var huge = Gen.Constant(string.Concat(Enumerable.Repeat("😀", 60_000)));
        return Gen.Frequency((12, AcceptableString()), (2, hostile), (1, Gen.Constant(string.Empty)), (1, atLimit), (1, idLimit), (1, huge));
    }

    /// <summary>Strings the store accepts as values: interesting pieces without control characters or lone surrogates.</summary>
    private static Gen<string> AcceptableString() =>
        AcceptablePiece().ListOf().Select(list => string.Concat(list));

    private static Gen<string> AcceptablePiece()
    {
        var astral = Gen.Choose(0x10000, 0x10FFFF).Select(char.ConvertFromUtf32);
        var printable = Gen.Choose(0x20, 0x7E).Select(i => ((char)i).ToString());
        var bmp = Gen.Choose(0xA0, 0xD7FF).Select(i => ((char)i).ToString());
        return Gen.Frequency((4, Gen.Elements(Interesting.Where(v => IsAcceptableValue(v)).ToArray())), (4, printable), (1, bmp), (1, astral));
    }

    private static Gen<byte[]> ArbitraryBytes() => Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf();

    /// <summary>Valid record encodings with a byte changed, a length field rewritten, or bytes cut off or added.</summary>
    private static Gen<byte[]> MutatedEncodings() =>
        Gen.ArrayOf(AcceptableString().OrNull(), 9)
            .Select(values =>
            {
                var token = new OAuthToken();
                for (var i = 0; i < values.Length; i++)
                {
                    TokenFields.Set(token, i, values[i]);
                }

                return TokenFields.Encode(token);
            })
            .SelectMany(Mutations);

    private static Gen<byte[]> Mutations(byte[] original)
    {
        var flip = Gen.Choose(0, original.Length - 1).Zip(Gen.Choose(1, 255)).Select(p =>
        {
            var copy = (byte[])original.Clone();
            copy[p.Item1] ^= (byte)p.Item2;
            return copy;
        });
        var truncate = Gen.Choose(0, original.Length - 1).Select(n => original[..n]);
        var extend = ArbitraryBytes().Select(tail => original.Concat(tail).ToArray());
        var length = Gen.Choose(0, Math.Max(0, original.Length - 5)).Zip(Gen.Elements(int.MinValue, -2, -1, 0, 1, int.MaxValue, original.Length)).Select(p =>
        {
            var copy = (byte[])original.Clone();
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(p.Item1), p.Item2);
            return copy;
        });
        return Gen.OneOf(flip, truncate, extend, length, Gen.Constant(original));
    }

    private static TokenValues Fields(OAuthToken token) => new(
        token.Id,
        token.UserSignature?.Name,
        token.ClientId,
        token.ClientSecret,
        token.RefreshToken,
        token.AccessToken,
        token.GrantToken,
        token.ExpiresIn,
        token.RedirectURL,
        token.APIDomain);

    /// <summary>A token's values, compared by value (null and empty distinct).</summary>
    private sealed record TokenValues(
        string? Id,
        string? UserName,
        string? ClientId,
        string? ClientSecret,
        string? RefreshToken,
        string? AccessToken,
        string? GrantToken,
        string? ExpiresIn,
        string? RedirectUrl,
        string? ApiDomain)
    {
        public IEnumerable<string?> Values => [UserName, ClientId, ClientSecret, RefreshToken, AccessToken, GrantToken, ExpiresIn, RedirectUrl, ApiDomain];
    }
}
