using System.CommandLine;

namespace EncryptedStore.Cli.Commands;

/// <summary>"Did you mean …?" for a mistyped command or option, as git and gh offer; it names only our own words.</summary>
internal static class Suggestions
{
    private const int MaxDistance = 2;

    /// <summary>The names of <paramref name="command"/>'s subcommands and options closest to <paramref name="typed"/>, if any is close.</summary>
    public static IReadOnlyList<string> For(string typed, Command command)
    {
        if (typed.Length < 2)
        {
            return [];
        }

        var names = command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name))
            .Concat(AllOptions(command).SelectMany(o => o.Aliases.Prepend(o.Name)))
            .Where(name => !name.StartsWith('-') || typed.StartsWith('-'))
            .Distinct(StringComparer.Ordinal)
            .Select(name => (name, distance: Distance(typed, name)))
            .Where(candidate => candidate.distance <= Math.Min(MaxDistance, Math.Max(1, typed.Length / 3)))
            .ToList();
        var best = names.Count == 0 ? 0 : names.Min(n => n.distance);
        return [.. names.Where(n => n.distance == best).Select(n => n.name).Order(StringComparer.Ordinal)];
    }

    private static IEnumerable<Option> AllOptions(Command command)
    {
        // Recursive options (the global ones) live on the root; a subcommand accepts them too.
        var options = command.Options.AsEnumerable();
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
        {
            options = options.Concat(parent.Options.Where(o => o.Recursive));
        }

        return options;
    }

    /// <summary>Levenshtein distance, with a swap of two neighbours counting as one edit (Damerau's restricted form).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
