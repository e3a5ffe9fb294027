using System;
using System.Globalization;

namespace SafePosix;

/// <summary>What a wait reported about a child.</summary>
public enum ExitStatusKind
{
    /// <summary>
    /// The child was reaped by someone else, so its status is lost: this happens when SIGCHLD is ignored
    /// (the kernel auto-reaps) or when a runtime acting as pid 1 reaps every child. No exit code is invented.
    /// </summary>
    Unknown = 0,

    /// <summary>The child called exit; <see cref="ExitStatus.ExitCode"/> holds the low 8 bits of its code.</summary>
    Exited,

    /// <summary>The child was terminated by <see cref="ExitStatus.Signal"/>.</summary>
    Signaled,

    /// <summary>The child is stopped by <see cref="ExitStatus.Signal"/> (only reported when asked for).</summary>
    Stopped,

    /// <summary>The stopped child was resumed by SIGCONT (only reported when asked for).</summary>
    Continued,
}

/// <summary>
/// A decoded wait status: exited with a code, killed by a signal (with or without a core dump), stopped, or
/// continued. Decodes both the <c>int</c> status of waitpid(2) and the siginfo of waitid(2).
/// The default value is <see cref="ExitStatusKind.Unknown"/>.
/// </summary>
public readonly struct ExitStatus : IEquatable<ExitStatus>
{
    // si_code values for SIGCHLD (asm-generic/siginfo.h).
    private const int CLD_EXITED = 1;
    private const int CLD_KILLED = 2;
    private const int CLD_DUMPED = 3;
    private const int CLD_TRAPPED = 4;
    private const int CLD_STOPPED = 5;
    private const int CLD_CONTINUED = 6;

    private ExitStatus(ExitStatusKind kind, int exitCode, Signal signal, bool coreDumped)
    {
        Kind = kind;
        ExitCode = exitCode;
        Signal = signal;
        CoreDumped = coreDumped;
    }

    /// <summary>Which of the outcomes this is.</summary>
    public ExitStatusKind Kind { get; }

    /// <summary>
    /// The exit code: 0 to 255 when <see cref="Kind"/> is <see cref="ExitStatusKind.Exited"/>; 128 + the signal
    /// number when <see cref="ExitStatusKind.Signaled"/> (137 for SIGKILL), as the shell's <c>$?</c> and
    /// <see cref="System.Diagnostics.Process.ExitCode"/> report it; 0 otherwise. A child can also exit with 137 on
    /// its own: check <see cref="Kind"/> to tell the two apart.
    /// </summary>
    public int ExitCode { get; }

    /// <summary>The terminating or stopping signal for <see cref="ExitStatusKind.Signaled"/> and
    /// <see cref="ExitStatusKind.Stopped"/>; 0 otherwise.</summary>
    public Signal Signal { get; }

    /// <summary>True when the child was killed by a signal and the kernel wrote a core dump.</summary>
    public bool CoreDumped { get; }

    /// <summary>True when the child exited with code 0.</summary>
    public bool Succeeded => Kind == ExitStatusKind.Exited && ExitCode == 0;

    /// <summary>True when the child no longer exists: exited, killed, or reaped elsewhere.</summary>
    public bool IsTerminal => Kind is ExitStatusKind.Exited or ExitStatusKind.Signaled or ExitStatusKind.Unknown;

    /// <summary>A status for a child whose exit was consumed by someone else (see <see cref="ExitStatusKind.Unknown"/>).</summary>
    public static ExitStatus Unknown => default;

    /// <summary>A status for a normal exit with <paramref name="exitCode"/>.</summary>
    /// <param name="exitCode">The code, 0 to 255.</param>
    public static ExitStatus Exited(int exitCode)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(exitCode);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(exitCode, 255);
        return new ExitStatus(ExitStatusKind.Exited, exitCode, 0, false);
    }

    /// <summary>Decodes the status word filled in by waitpid(2) / wait4(2).</summary>
    /// <param name="status">The raw status, as in <c>waitpid(pid, &amp;status, options)</c>.</param>
    /// <exception cref="ArgumentException">The value is not a status any wait can produce.</exception>
    public static ExitStatus FromWaitStatus(int status)
    {
        // The same bit tests as glibc's WIFEXITED / WIFSIGNALED / WIFSTOPPED / WIFCONTINUED macros.
        var low7 = status & 0x7f;
        if (status == 0xffff)
        {
            return new ExitStatus(ExitStatusKind.Continued, 0, 0, false);
        }

        if ((status & 0xff) == 0x7f)
        {
            return new ExitStatus(ExitStatusKind.Stopped, 0, (Signal)((status >> 8) & 0xff), false);
        }

        if ((status & ~0xffff) != 0)
        {
            throw new ArgumentException("Not a wait status: bits above 16 are set.", nameof(status));
        }

        if (low7 == 0)
        {
            return new ExitStatus(ExitStatusKind.Exited, (status >> 8) & 0xff, 0, false);
        }

        return new ExitStatus(ExitStatusKind.Signaled, 128 + low7, (Signal)low7, (status & 0x80) != 0);
    }

    /// <summary>Decodes the <c>si_code</c> / <c>si_status</c> pair of a waitid(2) siginfo.</summary>
    /// <param name="code">si_code: CLD_EXITED (1), CLD_KILLED (2), CLD_DUMPED (3), CLD_TRAPPED (4),
    /// CLD_STOPPED (5) or CLD_CONTINUED (6).</param>
    /// <param name="status">si_status: the exit code or the signal number.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="code"/> is not a CLD_* value.</exception>
    public static ExitStatus FromSigInfo(int code, int status) => code switch
    {
        CLD_EXITED => new ExitStatus(ExitStatusKind.Exited, status & 0xff, 0, false),
        CLD_KILLED => new ExitStatus(ExitStatusKind.Signaled, 128 + status, (Signal)status, false),
        CLD_DUMPED => new ExitStatus(ExitStatusKind.Signaled, 128 + status, (Signal)status, true),
        CLD_TRAPPED or CLD_STOPPED => new ExitStatus(ExitStatusKind.Stopped, 0, (Signal)status, false),
        CLD_CONTINUED => new ExitStatus(ExitStatusKind.Continued, 0, 0, false),
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "Not a CLD_* si_code."),
    };

    /// <summary>A one-line description, e.g. "exited with code 42" or "killed by SIGSEGV (11), core dumped".</summary>
    public override string ToString() => Kind switch
    {
        ExitStatusKind.Exited => "exited with code " + ExitCode.ToString(CultureInfo.InvariantCulture),
        ExitStatusKind.Signaled => "killed by " + Describe(Signal) + (CoreDumped ? ", core dumped" : string.Empty),
        ExitStatusKind.Stopped => "stopped by " + Describe(Signal),
        ExitStatusKind.Continued => "continued",
        _ => "unknown (reaped elsewhere: the exit status was consumed by another waiter)",
    };

    /// <inheritdoc/>
    public bool Equals(ExitStatus other) =>
        Kind == other.Kind && ExitCode == other.ExitCode && Signal == other.Signal && CoreDumped == other.CoreDumped;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ExitStatus other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, ExitCode, Signal, CoreDumped);

    /// <summary>Compares two statuses field by field.</summary>
    /// <param name="left">The first status.</param>
    /// <param name="right">The second status.</param>
    public static bool operator ==(ExitStatus left, ExitStatus right) => left.Equals(right);

    /// <summary>Compares two statuses field by field.</summary>
    /// <param name="left">The first status.</param>
    /// <param name="right">The second status.</param>
    public static bool operator !=(ExitStatus left, ExitStatus right) => !left.Equals(right);

    private static string Describe(Signal signal) =>
        Enum.IsDefined(signal)
            ? signal.ToString() + " (" + ((int)signal).ToString(CultureInfo.InvariantCulture) + ")"
            : "signal " + ((int)signal).ToString(CultureInfo.InvariantCulture);
}
