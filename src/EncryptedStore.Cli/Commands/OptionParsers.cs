using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// Parsers and checks that say in plain words what an option takes, in place of System.CommandLine's messages
/// (which name .NET types such as <c>System.Int32</c> and list values with tab characters).
/// </summary>
internal static class OptionParsers
{
    /// <summary>A parser of a whole number that reports <paramref name="message"/> for anything else.</summary>
    public static Func<ArgumentResult, int> WholeNumber(string message) => result =>
    {
        if (result.Tokens is [var token] && int.TryParse(token.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        result.AddError(message);
        return 0;
    };

    /// <summary>Accepts only <paramref name="values"/> (and completes them); anything else is "OPTION must be one of: a, b".</summary>
    public static Option<string> OneOf(this Option<string> option, params string[] values)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && !values.Contains(token.Value, StringComparer.Ordinal))
            {
                result.AddError($"{option.Name} must be one of: {string.Join(", ", values)}.");
            }
        });
        option.CompletionSources.Add(values);
        return option;
    }
}
