using System.Globalization;

namespace EncryptedStore.Benchmarks.Soak;

/// <summary>Parses soak durations: a whole number with a unit, <c>30s</c>, <c>5m</c> or <c>1h</c>, up to <see cref="Maximum"/>.</summary>
internal static class SoakDuration
{
    /// <summary>The longest soak run accepted: 24 hours.</summary>
    public static readonly TimeSpan Maximum = TimeSpan.FromHours(24);

    /// <exception cref="FormatException"><paramref name="text"/> is not a positive whole number followed by s, m or h, or exceeds <see cref="Maximum"/>.</exception>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length < 2)
        {
            throw Invalid(text);
        }

        Func<double, TimeSpan>? unit = char.ToLowerInvariant(trimmed[^1]) switch
        {
            's' => TimeSpan.FromSeconds,
            'm' => TimeSpan.FromMinutes,
            'h' => TimeSpan.FromHours,
            _ => null,
        };
        if (unit is null
            || !long.TryParse(trimmed.AsSpan(0, trimmed.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
            || amount <= 0
            || amount > Maximum.TotalSeconds)
        {
            throw Invalid(text);
        }

        var duration = unit(amount);
        return duration <= Maximum
            ? duration
            : throw new FormatException($"The soak duration '{text}' is longer than the maximum of {Maximum.TotalHours:F0} hours.");
    }

    private static FormatException Invalid(string text) =>
        new($"The soak duration '{text}' is not a positive whole number followed by s, m or h (e.g. 30s, 5m, 1h).");
}
