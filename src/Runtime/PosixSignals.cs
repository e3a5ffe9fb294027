using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace SafePosix;

/// <summary>
/// One signal's state in a process as the kernel reports it in /proc/&lt;pid&gt;/status (SigIgn, SigCgt, SigBlk).
/// </summary>
public readonly struct SignalDisposition
{
    internal SignalDisposition(Signal signal, bool ignored, bool caught, bool blocked)
    {
        Signal = signal;
        IsIgnored = ignored;
        IsCaught = caught;
        IsBlocked = blocked;
    }

    /// <summary>The signal described.</summary>
    public Signal Signal { get; }

    /// <summary>The disposition is SIG_IGN: delivery does nothing, and the setting survives exec.</summary>
    public bool IsIgnored { get; }

    /// <summary>A handler is installed (by the runtime, PosixSignalRegistration or native code).</summary>
    public bool IsCaught { get; }

    /// <summary>The signal is in the blocked mask (of the calling thread for the current process, of the
    /// main thread for another process): it stays pending until unblocked.</summary>
    public bool IsBlocked { get; }

    /// <summary>The disposition is SIG_DFL (neither ignored nor caught); blocking is independent of this.</summary>
    public bool IsDefault => !IsIgnored && !IsCaught;

    /// <summary>E.g. "SIGPIPE: ignored" or "SIGTERM: default, blocked".</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Signal.ToString()).Append(": ");
        text.Append(IsIgnored ? "ignored" : IsCaught ? "caught" : "default");
        if (IsBlocked)
        {
            text.Append(", blocked");
        }

        return text.ToString();
    }
}

/// <summary>
/// Reads signal dispositions; it never changes them. To react to SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD,
/// SIGCONT, SIGWINCH, SIGTTIN or SIGTTOU, use <see cref="System.Runtime.InteropServices.PosixSignalRegistration"/>:
/// installing raw handlers from managed code competes with the runtime's own handlers and cannot run managed code
/// safely inside a signal handler.
/// </summary>
/// <remarks>
/// Every .NET process starts with SIGPIPE ignored (the runtime sets SIG_IGN before Main), so
/// <c>PosixSignals.IsIgnored(Signal.SIGPIPE)</c> is normally true: writes to a closed pipe fail with EPIPE instead of
/// killing the process. Ignored signals are inherited across exec, which is why <see cref="ChildProcess"/> resets
/// every signal to default in its children.
/// </remarks>
public static class PosixSignals
{
    /// <summary>True when <paramref name="signal"/> is ignored (SIG_IGN) in the current process.</summary>
    /// <param name="signal">The signal to look up.</param>
    public static bool IsIgnored(Signal signal) => GetDisposition(signal).IsIgnored;

    /// <summary>The disposition of <paramref name="signal"/> in the current process; blocked refers to the calling thread.</summary>
    /// <param name="signal">The signal to look up (1 to 64).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="signal"/> is outside 1 to 64.</exception>
    public static SignalDisposition GetDisposition(Signal signal)
    {
        ThrowIfInvalid(signal);
        // thread-self: the blocked mask is per thread, and the caller asks about its own thread.
        return Read("/proc/thread-self/status", signal);
    }

    /// <summary>The disposition of <paramref name="signal"/> in process <paramref name="processId"/>; blocked refers to its main thread.</summary>
    /// <param name="processId">The process to inspect (must be visible in /proc).</param>
    /// <param name="signal">The signal to look up (1 to 64).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="processId"/> is not positive or <paramref name="signal"/> is outside 1 to 64.</exception>
    /// <exception cref="PosixException">The process does not exist (ESRCH) or /proc cannot be read.</exception>
    public static SignalDisposition GetDisposition(int processId, Signal signal)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(processId);
        ThrowIfInvalid(signal);
        return Read("/proc/" + processId.ToString(CultureInfo.InvariantCulture) + "/status", signal);
    }

    private static void ThrowIfInvalid(Signal signal)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan((int)signal, 1, nameof(signal));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((int)signal, 64, nameof(signal));
    }

    private static SignalDisposition Read(string statusPath, Signal signal)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(statusPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new PosixException("open", Errno.ESRCH, statusPath);
        }

        ulong ignored = 0, caught = 0, blocked = 0;
        foreach (var line in lines)
        {
            if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
            {
                ignored = ParseMask(line);
            }
            else if (line.StartsWith("SigCgt:", StringComparison.Ordinal))
            {
                caught = ParseMask(line);
            }
            else if (line.StartsWith("SigBlk:", StringComparison.Ordinal))
            {
                blocked = ParseMask(line);
            }
        }

        var bit = 1UL << ((int)signal - 1);
        return new SignalDisposition(signal, (ignored & bit) != 0, (caught & bit) != 0, (blocked & bit) != 0);
    }

    private static ulong ParseMask(string line) =>
        ulong.Parse(line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
