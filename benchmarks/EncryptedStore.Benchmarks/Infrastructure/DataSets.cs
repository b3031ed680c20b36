using EncryptedStore.Benchmarks.Data;

namespace EncryptedStore.Benchmarks.Infrastructure;

/// <summary>The generated tokens of a store of a given size; the same size always gives the same tokens.</summary>
internal static class DataSets
{
    public static List<OAuthToken> Tokens(int size) => new TokenGenerator().Generate(size);

    /// <summary>
    /// <paramref name="count"/> indices into a data set of <paramref name="size"/> tokens, drawn with a fixed
    /// seed, so a benchmark cycles through many records rather than hitting one cached page.
    /// </summary>
    public static int[] Targets(int size, int count)
    {
        var random = new Random(TokenGenerator.DefaultSeed + size);
        var targets = new int[count];
        for (var i = 0; i < count; i++)
        {
            targets[i] = random.Next(size);
        }

        return targets;
    }
}
