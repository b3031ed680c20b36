using System.Globalization;

namespace EncryptedStore.Cli.Output;

/// <summary>Describes an SDK <c>expiry_time</c> (Unix epoch milliseconds as text) for people.</summary>
internal static class ExpiryText
{
    public static DateTimeOffset? Parse(string? expiryTime) =>
        long.TryParse(expiryTime, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
        && ms >= 0 && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    /// <summary>E.g. <c>2026-01-01 10:50:00Z (in 49 min)</c> or <c>… (expired 5 min ago)</c>; the raw text when it is not a time.</summary>
    public static string? Describe(string? expiryTime, DateTimeOffset now)
    {
        if (Parse(expiryTime) is not { } expiry)
        {
            return expiryTime;
        }

        var left = expiry - now;
        var relative = left >= TimeSpan.Zero ? $"in {Span(left)}" : $"expired {Span(-left)} ago";
        return string.Create(CultureInfo.InvariantCulture, $"{expiry.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z ({relative})");
    }

    /// <summary>E.g. <c>in 49 min</c> or <c>5 days ago</c> (when it expired), for tables; the raw text when it is not a time.</summary>
    public static string? Relative(string? expiryTime, DateTimeOffset now)
    {
        if (Parse(expiryTime) is not { } expiry)
        {
            return expiryTime;
        }

        var left = expiry - now;
        return left >= TimeSpan.Zero ? $"in {Span(left)}" : $"{Span(-left)} ago";
    }

    private static string Span(TimeSpan span) => span.TotalMinutes < 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalSeconds} s")
        : span.TotalHours < 48
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes} min")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays} days");
}
