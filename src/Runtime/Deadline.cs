using System;
using System.Diagnostics;
using System.Threading;

namespace SafePosix;

/// <summary>A timeout turned into a point in time, so loops that retry after EINTR or spurious wake-ups do not
/// restart the full timeout each time.</summary>
internal readonly struct Deadline
{
    private readonly long _endTimestamp;
    private readonly bool _infinite;

    private Deadline(long endTimestamp, bool infinite)
    {
        _endTimestamp = endTimestamp;
        _infinite = infinite;
    }

    internal static Deadline From(TimeSpan timeout, string parameterName)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return new Deadline(0, infinite: true);
        }

        if (timeout < TimeSpan.Zero || timeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(parameterName, timeout, "The timeout must be between zero and int.MaxValue milliseconds, or Timeout.InfiniteTimeSpan.");
        }

        return new Deadline(Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency), infinite: false);
    }

    /// <summary>Milliseconds left (rounded up so a wait never ends early), 0 when expired, -1 when infinite.</summary>
    internal int RemainingMilliseconds()
    {
        if (_infinite)
        {
            return -1;
        }

        var ticks = _endTimestamp - Stopwatch.GetTimestamp();
        if (ticks <= 0)
        {
            return 0;
        }

        return (int)Math.Min(int.MaxValue, (ticks * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
    }
}
