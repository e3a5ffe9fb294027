using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using SafePosix.Interop;
using PosixSignal = SafePosix.Signal;

namespace SafePosix;

/// <summary>Which state changes <see cref="ChildProcess.TryWaitForStateChange"/> reports.</summary>
[Flags]
public enum ChildStateChanges
{
    /// <summary>The child terminated (exited or was killed). Reaps it.</summary>
    Exited = 1,

    /// <summary>The child was stopped by a signal (waitid WSTOPPED). Does not reap.</summary>
    Stopped = 2,

    /// <summary>The stopped child was continued by SIGCONT (waitid WCONTINUED). Does not reap.</summary>
    Continued = 4,
}

/// <summary>
/// A child started with posix_spawn, waited for by its own pid only, never with waitpid(-1), so it lives side by
/// side with <see cref="Process"/> and anything else in the process that starts and reaps children.
/// </summary>
/// <remarks>
/// <para>On Linux 5.3 and later the child is tracked through a pidfd opened right after the spawn: waits use
/// waitid(P_PIDFD), async waits share one poller thread, and <see cref="Signal(PosixSignal)"/> uses
/// pidfd_send_signal, so a recycled pid is never signalled. When no pidfd could be opened (EMFILE, an old kernel,
/// seccomp) waits poll waitid(P_PID, pid, WNOHANG), opening the pidfd is retried when descriptors free up, and a
/// signal by pid is sent only after waitid(WNOWAIT) confirmed the child is still ours and unreaped; when that cannot
/// be known (SIGCHLD ignored, or running as pid 1) the signal is refused with <see cref="InvalidOperationException"/>.</para>
/// <para>If the exit status was consumed by someone else (SIGCHLD set to SIG_IGN, or a runtime reaping every
/// child as pid 1), waits return <see cref="ExitStatus.Unknown"/> rather than an invented exit code.</para>
/// <para><see cref="Dispose"/> neither kills nor blocks: a child still running is reaped in the background when
/// it exits, so it never lingers as a zombie.</para>
/// </remarks>
public sealed partial class ChildProcess : IDisposable
{
    private static int s_pidfdUnsupported;

    private readonly object _reapGate = new();
    private readonly bool _pidfdDisabled;
    private SafeFileDescriptor? _pidfd;
    private int _pidfdError;
    private ExitStatus? _finalStatus;
    private int _disposed;

    private ChildProcess(int pid, SafeFileDescriptor? pidfd, ExitStatus? statusIfAlreadyGone, bool pidfdDisabled, int pidfdError)
    {
        Id = pid;
        _pidfd = pidfd;
        _finalStatus = statusIfAlreadyGone;
        _pidfdDisabled = pidfdDisabled;
        _pidfdError = pidfdError;
    }

    /// <summary>The child's process id (kept after exit, for logs; do not signal it yourself, use <see cref="Signal(PosixSignal)"/>).</summary>
    public int Id { get; }

    /// <summary>
    /// The id of the process group the child leads (its own pid) when it was started with
    /// <see cref="SpawnOptions.ProcessGroup"/> = 0 or <see cref="SpawnOptions.NewSession"/>; otherwise null.
    /// </summary>
    public int? ProcessGroupId { get; private set; }

    /// <summary>The pipe to the child's stdin when <see cref="SpawnOptions.StandardInput"/> was <see cref="ChildStdio.Pipe"/>; otherwise null.</summary>
    public Stream? StandardInput { get; private set; }

    /// <summary>The pipe from the child's stdout when <see cref="SpawnOptions.StandardOutput"/> was <see cref="ChildStdio.Pipe"/>; otherwise null.</summary>
    public Stream? StandardOutput { get; private set; }

    /// <summary>The pipe from the child's stderr when <see cref="SpawnOptions.StandardError"/> was <see cref="ChildStdio.Pipe"/>; otherwise null.</summary>
    public Stream? StandardError { get; private set; }

    /// <summary>True when waits and signals go through a pidfd (Linux 5.3+), false while they fall back to the pid.</summary>
    public bool UsesPidfd
    {
        get
        {
            lock (_reapGate)
            {
                return _pidfd is not null;
            }
        }
    }

    /// <summary>The final status once a wait has seen the child terminate; null before.</summary>
    public ExitStatus? ExitStatus
    {
        get
        {
            lock (_reapGate)
            {
                return _finalStatus;
            }
        }
    }

    /// <summary>True once the child has terminated; checks without blocking (and reaps if it has).</summary>
    public bool HasExited => TryReap(out _);

    /// <summary>Starts <paramref name="program"/> with <paramref name="arguments"/>, all stdio inherited.</summary>
    /// <param name="program">A path, or a name searched in PATH.</param>
    /// <param name="arguments">The arguments after argv[0].</param>
    /// <exception cref="PosixException">The spawn failed, including exec failures such as ENOENT or EACCES.</exception>
    public static ChildProcess Start(string program, params string[] arguments) =>
        Start(new SpawnOptions(program, arguments));

    /// <summary>Starts a child as <paramref name="options"/> describe.</summary>
    /// <param name="options">What to run and how.</param>
    /// <returns>The running child; dispose it when done.</returns>
    /// <exception cref="ArgumentException">The options are inconsistent, a string cannot be encoded as UTF-8 (a lone surrogate), or a handle in them is closed (see the message); checked before any system call.</exception>
    /// <exception cref="PlatformNotSupportedException">A working directory was requested and the C library lacks posix_spawn_file_actions_addchdir_np.</exception>
    /// <exception cref="PosixException">
    /// The spawn failed. glibc 2.24+ reports a failed exec (ENOENT, EACCES, ENOEXEC ...) and a failed file action
    /// (e.g. a missing working directory, named in the message) as the return value of posix_spawn, so they surface
    /// here instead of as a child exiting with 127.
    /// </exception>
    public static ChildProcess Start(SpawnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.KillOnParentExit)
        {
            return StartGuarded(options);
        }

        using var spawn = new SpawnRequest(options);
        var pid = spawn.Run();
        var child = Track(pid, options.DisablePidfd);
        if (options.NewSession || options.Terminal is not null || options.ProcessGroup == 0)
        {
            child.ProcessGroupId = pid;
        }

        try
        {
            spawn.HandParentEndsTo(child);
        }
        catch
        {
            // The child runs already; disposing hands it to the background reaper instead of leaving a zombie.
            child.Dispose();
            throw;
        }

        return child;
    }

    /// <summary>Blocks until the child terminates, then reaps it.</summary>
    /// <returns>How the child ended, or <see cref="ExitStatus.Unknown"/> if it was reaped elsewhere.</returns>
    public ExitStatus WaitForExit()
    {
        TryWaitForExit(Timeout.InfiniteTimeSpan, out var status);
        return status;
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the child to terminate, reaping it if it did.</summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> waits forever, zero only checks.</param>
    /// <param name="status">The final status when the method returns true.</param>
    /// <returns>True if the child terminated within the timeout.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite) or too large.</exception>
    public bool TryWaitForExit(TimeSpan timeout, out ExitStatus status)
    {
        var deadline = Deadline.From(timeout, nameof(timeout));
        while (true)
        {
            if (TryReap(out status))
            {
                return true;
            }

            var remaining = deadline.RemainingMilliseconds();
            if (remaining == 0)
            {
                return false;
            }

            var pidfd = CurrentPidfd();
            if (pidfd is null)
            {
                Thread.Sleep(Math.Min(remaining < 0 ? 10 : remaining, 10));
                continue;
            }

            if (remaining < 0)
            {
                BlockUntilTerminated(pidfd);
            }
            else
            {
                PollPidfd(pidfd, remaining);
            }
        }
    }

    /// <summary>Waits asynchronously for the child to terminate, then reaps it. Uses no thread per child.</summary>
    /// <param name="cancellationToken">Cancels the wait (not the child; see <see cref="WaitForExitAsync(TimeSpan, CancellationToken)"/>).</param>
    /// <returns>How the child ended, or <see cref="ExitStatus.Unknown"/> if it was reaped elsewhere.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    /// <exception cref="PosixException">The shared poller could not be created or could not watch the pidfd (e.g. EMFILE).</exception>
    public async Task<ExitStatus> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        var delay = 1;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryReap(out var status))
            {
                return status;
            }

            var pidfd = CurrentPidfd();
            if (pidfd is null)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Math.Min(delay * 2, 50);
                continue;
            }

            await PidfdPoller.Instance.WhenReadable(pidfd, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits for the child to terminate; when <paramref name="cancellationToken"/> is cancelled, stops it
    /// gracefully: <see cref="PosixSignal.SIGTERM"/> (to the whole group when the child leads one), up to
    /// <paramref name="gracePeriod"/> for it to exit, then <see cref="PosixSignal.SIGKILL"/>.
    /// </summary>
    /// <param name="gracePeriod">How long the child may take to exit after SIGTERM.</param>
    /// <param name="cancellationToken">Starts the stop.</param>
    /// <returns>How the child ended; after a cancellation the method returns the status instead of throwing, so
    /// the caller sees whether the child obeyed SIGTERM (<see cref="ExitStatus.Signal"/>) or had to be killed.</returns>
    public async Task<ExitStatus> WaitForExitAsync(TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        Deadline.From(gracePeriod, nameof(gracePeriod));
        try
        {
            return await WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await StopAsync(gracePeriod).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the child: sends <paramref name="signal"/> (SIGTERM by default; to the whole process group when the
    /// child leads one), waits up to <paramref name="gracePeriod"/>, then sends SIGKILL and waits for the end.
    /// </summary>
    /// <param name="gracePeriod">How long the child may take to exit after the first signal.</param>
    /// <param name="signal">The polite signal.</param>
    /// <param name="cancellationToken">Skips the rest of the grace period (goes straight to SIGKILL).</param>
    /// <returns>How the child ended.</returns>
    public async Task<ExitStatus> StopAsync(TimeSpan gracePeriod, PosixSignal signal = PosixSignal.SIGTERM, CancellationToken cancellationToken = default)
    {
        Deadline.From(gracePeriod, nameof(gracePeriod));
        SignalChildOrGroup(signal);
        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            grace.CancelAfter(gracePeriod);
            try
            {
                return await WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The grace period is over (or the caller is in a hurry).
            }
        }

        SignalChildOrGroup(PosixSignal.SIGKILL);
        return await WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for one of <paramref name="changes"/>. Stops and continues are
    /// reported without reaping; an exit is reaped. Stops and continues are not signalled through a pidfd, so
    /// this method polls waitid with short sleeps; use it for job control and tests, not hot paths.
    /// </summary>
    /// <param name="changes">The changes of interest; at least one flag.</param>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> waits forever.</param>
    /// <param name="status">The change seen when the method returns true. When it returns false because the child
    /// terminated and <see cref="ChildStateChanges.Exited"/> was not asked for, the terminal status (the child is
    /// not reaped: a later wait still gets it); otherwise default.</param>
    /// <returns>True if a requested change was seen within the timeout; false on timeout, or as soon as the child
    /// has terminated when exits were not asked for (a stop or continue can then never come).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="changes"/> is empty or has unknown flags, or <paramref name="timeout"/> is invalid.</exception>
    public bool TryWaitForStateChange(ChildStateChanges changes, TimeSpan timeout, out ExitStatus status)
    {
        if (changes == 0 || (changes & ~(ChildStateChanges.Exited | ChildStateChanges.Stopped | ChildStateChanges.Continued)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(changes), changes, "Give one or more of Exited, Stopped, Continued.");
        }

        var deadline = Deadline.From(timeout, nameof(timeout));
        var wantsExit = (changes & ChildStateChanges.Exited) != 0;
        var options = Libc.WNOHANG
            | (wantsExit ? Libc.WEXITED : 0)
            | ((changes & ChildStateChanges.Stopped) != 0 ? Libc.WSTOPPED : 0)
            | ((changes & ChildStateChanges.Continued) != 0 ? Libc.WCONTINUED : 0);
        var sleep = 1;
        while (true)
        {
            lock (_reapGate)
            {
                if (_finalStatus is { } final)
                {
                    status = final;
                    return wantsExit;
                }

                if (!wantsExit && WaitOnce(Libc.WEXITED | Libc.WNOHANG | Libc.WNOWAIT, out var terminal))
                {
                    // Terminated: no stop or continue can follow. Looked at, not reaped, unless it is already gone.
                    if (terminal.Kind == ExitStatusKind.Unknown)
                    {
                        SetFinal(terminal);
                    }

                    status = terminal;
                    return false;
                }

                // Without WEXITED, a child that exits right now makes waitid fail with ECHILD although it is ours:
                // that is not an answer, the next round sees the exit above.
                if (WaitOnce(options, out status, echildIsUnknown: wantsExit))
                {
                    if (status.IsTerminal)
                    {
                        SetFinal(status);
                    }

                    return true;
                }
            }

            var remaining = deadline.RemainingMilliseconds();
            if (remaining == 0)
            {
                status = default;
                return false;
            }

            Thread.Sleep(remaining < 0 ? sleep : Math.Min(sleep, remaining));
            sleep = Math.Min(sleep * 2, 20);
        }
    }

    /// <summary>Sends SIGKILL (or <paramref name="signal"/>) to the child; see <see cref="Signal(PosixSignal)"/>.</summary>
    /// <param name="signal">The signal; <see cref="PosixSignal.SIGKILL"/> by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="signal"/> is not between 1 and 64.</exception>
    /// <exception cref="InvalidOperationException">The child is tracked by pid only and it cannot be known that the pid is still the child's.</exception>
    /// <exception cref="PosixException">The signal could not be sent (e.g. EPERM).</exception>
    public void Kill(PosixSignal signal = PosixSignal.SIGKILL) => Signal(signal);

    /// <summary>
    /// Sends <paramref name="signal"/> to the child, through its pidfd when there is one so that a recycled pid
    /// is never hit. Does nothing once the child has been reaped or has exited.
    /// </summary>
    /// <param name="signal">The signal, e.g. <see cref="PosixSignal.SIGTERM"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="signal"/> is not between 1 and 64.</exception>
    /// <exception cref="InvalidOperationException">
    /// The child is tracked by pid only (no pidfd could be opened) and the kernel or the runtime may have reaped it
    /// without us (SIGCHLD ignored or SA_NOCLDWAIT, or this process is pid 1), so its pid may belong to another
    /// process by now.
    /// </exception>
    /// <exception cref="PosixException">The signal could not be sent (e.g. EPERM).</exception>
    public void Signal(PosixSignal signal)
    {
        ThrowIfNotASignal(signal);
        lock (_reapGate)
        {
            if (_finalStatus is not null)
            {
                return;
            }

            TryUpgradeToPidfd();
            if (_finalStatus is not null)
            {
                return;
            }

            if (_pidfd is not null)
            {
                var result = Libc.syscall((nint)Libc.SYS_pidfd_send_signal, _pidfd.DangerousGetDescriptor(), (int)signal, 0, 0);
                if (result != 0)
                {
                    var error = Marshal.GetLastPInvokeError();
                    // ESRCH: the child already exited (a zombie waiting for us); there is nothing left to signal.
                    if (error != Errno.ESRCH)
                    {
                        throw new PosixException("pidfd_send_signal", error, "pid " + Id);
                    }
                }

                return;
            }

            if (!ConfirmUnreapedByPid())
            {
                return;
            }

            if (Libc.kill(Id, (int)signal) != 0 && Marshal.GetLastPInvokeError() != Errno.ESRCH)
            {
                throw PosixException.FromLastError("kill", "pid " + Id);
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to every process in the group the child leads (kill(-pgid)), grandchildren
    /// included, as long as they did not move to another group or session. Only while the leader is unreaped: then
    /// its pid, and so the group id, cannot belong to anyone else. Does nothing after the leader was reaped (wait
    /// after signalling the group, as <see cref="StopAsync"/> does).
    /// </summary>
    /// <param name="signal">The signal, e.g. <see cref="PosixSignal.SIGKILL"/>.</param>
    /// <exception cref="InvalidOperationException">The child does not lead a group (start it with
    /// <see cref="SpawnOptions.ProcessGroup"/> = 0 or <see cref="SpawnOptions.NewSession"/>), or it is tracked by pid
    /// only and its pid cannot be confirmed.</exception>
    /// <exception cref="PosixException">kill failed (e.g. EPERM).</exception>
    public void SignalProcessGroup(PosixSignal signal)
    {
        ThrowIfNotASignal(signal);
        if (ProcessGroupId is not { } group)
        {
            throw new InvalidOperationException("pid " + Id + " does not lead a process group: start it with SpawnOptions.ProcessGroup = 0 or NewSession.");
        }

        lock (_reapGate)
        {
            if (_finalStatus is not null)
            {
                return;
            }

            // With a guardian, the guardian leads the group and stays unreaped until this child has ended.
            if (_guardian is null && !LeaderStillHoldsItsPid())
            {
                return;
            }

            if (Libc.kill(-group, (int)signal) != 0 && Marshal.GetLastPInvokeError() != Errno.ESRCH)
            {
                throw PosixException.FromLastError("kill", "process group " + group);
            }
        }
    }

    /// <summary>
    /// Closes the parent's pipe ends. Does not kill the child: a child still running is reaped in the background
    /// when it exits, so it never stays a zombie.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        StandardInput?.Dispose();
        StandardOutput?.Dispose();
        StandardError?.Dispose();
        lock (_reapGate)
        {
            if (TryReap(out _))
            {
                // Under the lock: a concurrent wait either sees the final status or holds a reference on the handle.
                _pidfd?.Dispose();
                return;
            }
        }

        _ = ReapInBackgroundAsync();
    }

    /// <summary>Describes the child, e.g. "pid 1234 (running)" or "pid 1234 (exited with code 0)".</summary>
    public override string ToString()
    {
        var status = ExitStatus;
        return "pid " + Id + " (" + (status is { } s ? s.ToString() : "running") + ")";
    }

    internal static ChildProcess Track(int pid, bool disablePidfd)
    {
        if (disablePidfd || Volatile.Read(ref s_pidfdUnsupported) != 0)
        {
            return new ChildProcess(pid, null, null, disablePidfd, Errno.ENOSYS);
        }

        // Opened before anyone waits: only we wait for this pid, so it cannot have been reaped and recycled yet
        // (short of a waitpid(-1) elsewhere, which is that code's bug, or auto-reaping, handled below).
        var fd = (int)Libc.syscall((nint)Libc.SYS_pidfd_open, pid, 0, 0, 0);
        if (fd >= 0)
        {
            return new ChildProcess(pid, new SafeFileDescriptor(fd, ownsHandle: true), null, false, 0);
        }

        var error = Marshal.GetLastPInvokeError();
        switch (error)
        {
            case Errno.ESRCH:
                // Gone already although we never waited: the kernel (SIGCHLD ignored) or another reaper took it.
                return new ChildProcess(pid, null, SafePosix.ExitStatus.Unknown, false, error);
            case Errno.ENOSYS or Errno.EPERM:
                // Kernel before 5.3, or a seccomp policy that forbids pidfd_open: waitpid(pid) works everywhere.
                Volatile.Write(ref s_pidfdUnsupported, 1);
                return new ChildProcess(pid, null, null, false, error);
            default:
                // EMFILE/ENFILE: the child is running and must still be waited for, so degrade rather than throw;
                // the pidfd is opened later, once descriptors are free (TryUpgradeToPidfd).
                return new ChildProcess(pid, null, null, false, error);
        }
    }

    internal void AttachStreams(Stream? standardInput, Stream? standardOutput, Stream? standardError)
    {
        StandardInput = standardInput;
        StandardOutput = standardOutput;
        StandardError = standardError;
    }

    /// <summary>
    /// Whether an exited child of ours may vanish without our wait: SIGCHLD ignored or SA_NOCLDWAIT (the kernel
    /// reaps), or this process is pid 1 (the .NET runtime's SIGCHLD handler then reaps every child). Then a pid we
    /// hold no pidfd for may already name another process.
    /// </summary>
    internal static unsafe bool ChildrenMayBeReapedWithoutUs()
    {
        if (Environment.ProcessId == 1)
        {
            return true;
        }

        var action = stackalloc byte[Libc.SigActionSize];
        new Span<byte>(action, Libc.SigActionSize).Clear();
        if (Libc.sigaction(Libc.SIGCHLD, null, action) != 0)
        {
            return true;
        }

        return *(nint*)action == Libc.SIG_IGN || (*(int*)(action + Libc.SigActionFlagsOffset) & Libc.SA_NOCLDWAIT) != 0;
    }

    /// <summary>
    /// True when this child (a group leader) is unreaped, alive or a zombie, so its pid and so the group id cannot
    /// name anyone else. Call with <see cref="_reapGate"/> held.
    /// </summary>
    private bool LeaderStillHoldsItsPid()
    {
        TryUpgradeToPidfd();
        if (!ChildrenMayBeReapedWithoutUs())
        {
            // Only our own wait reaps it, and we hold the lock; ECHILD would mean a waitpid(-1) elsewhere.
            if (WaitOnce(Libc.WEXITED | Libc.WNOHANG | Libc.WNOWAIT, out var peeked) && peeked.Kind == ExitStatusKind.Unknown)
            {
                SetFinal(peeked);
                return false;
            }

            return true;
        }

        if (_pidfd is null)
        {
            throw new InvalidOperationException(
                "Refusing to signal process group " + Id + ": the leader has no pidfd (pidfd_open: " + Errno.NameOf(_pidfdError)
                + ") and SIGCHLD is ignored or this is pid 1, so the group id may already belong to another process.");
        }

        // Auto-reaped children never linger as zombies: a leader that still accepts signal 0 is alive.
        return Libc.syscall((nint)Libc.SYS_pidfd_send_signal, _pidfd.DangerousGetDescriptor(), 0, 0, 0) == 0;
    }

    private static void ThrowIfNotASignal(PosixSignal signal)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan((int)signal, 1, nameof(signal));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((int)signal, 64, nameof(signal));
    }

    private void SignalChildOrGroup(PosixSignal signal)
    {
        if (ProcessGroupId is not null)
        {
            SignalProcessGroup(signal);
        }
        else
        {
            Signal(signal);
        }
    }

    /// <summary>
    /// For a child tracked by pid only: true when it is still ours, unreaped and running, so its pid cannot name
    /// anyone else while we hold the reap lock. Records the end when it is gone. Call with <see cref="_reapGate"/> held.
    /// </summary>
    /// <exception cref="InvalidOperationException">Children may be reaped without us here, so the pid proves nothing.</exception>
    private bool ConfirmUnreapedByPid()
    {
        if (ChildrenMayBeReapedWithoutUs())
        {
            throw new InvalidOperationException(
                "Refusing to signal pid " + Id + ": it has no pidfd (pidfd_open: " + Errno.NameOf(_pidfdError)
                + ") and SIGCHLD is ignored or this is pid 1, so the kernel may already have reaped it and given the pid to another process.");
        }

        if (WaitOnce(Libc.WEXITED | Libc.WNOHANG | Libc.WNOWAIT, out var peeked))
        {
            if (peeked.Kind == ExitStatusKind.Unknown)
            {
                SetFinal(peeked);
            }

            // An exited zombie has nothing left to signal (and its pid is still held until we reap it).
            return false;
        }

        return true;
    }

    /// <summary>
    /// Opens the pidfd that <see cref="Track"/> could not (EMFILE), once it is safe: the pid still names our child
    /// only if nobody can have reaped it without us. Call with <see cref="_reapGate"/> held.
    /// </summary>
    private void TryUpgradeToPidfd()
    {
        if (_pidfd is not null || _finalStatus is not null || _pidfdDisabled || _pidfdError is 0 or Errno.ENOSYS or Errno.EPERM
            || Volatile.Read(ref s_pidfdUnsupported) != 0 || ChildrenMayBeReapedWithoutUs())
        {
            return;
        }

        var fd = (int)Libc.syscall((nint)Libc.SYS_pidfd_open, Id, 0, 0, 0);
        if (fd < 0)
        {
            _pidfdError = Marshal.GetLastPInvokeError();
            return;
        }

        _pidfd = new SafeFileDescriptor(fd, ownsHandle: true);
        _pidfdError = 0;
    }

    /// <summary>The pidfd for polling, after a retry to open it; null while the child is tracked by pid only.</summary>
    private SafeFileDescriptor? CurrentPidfd()
    {
        lock (_reapGate)
        {
            TryUpgradeToPidfd();
            return _pidfd is { IsClosed: false } pidfd ? pidfd : null;
        }
    }

    private async Task ReapInBackgroundAsync()
    {
        try
        {
            await WaitForExitAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (_reapGate)
            {
                _pidfd?.Dispose();
            }
        }
    }

    private bool TryReap(out ExitStatus status)
    {
        lock (_reapGate)
        {
            if (_finalStatus is { } final)
            {
                status = final;
                return true;
            }

            if (WaitOnce(Libc.WEXITED | Libc.WNOHANG, out status))
            {
                SetFinal(status);
                return true;
            }

            return false;
        }
    }

    /// <summary>One non-blocking waitid for our child only. Call with <see cref="_reapGate"/> held.</summary>
    /// <param name="options">waitid options; WNOHANG must be among them.</param>
    /// <param name="status">What was reported.</param>
    /// <param name="echildIsUnknown">Whether ECHILD means "reaped elsewhere" (true when WEXITED is asked for).</param>
    private unsafe bool WaitOnce(int options, out ExitStatus status, bool echildIsUnknown = true)
    {
        var info = stackalloc byte[Libc.SigInfoSize];
        int result;
        do
        {
            new Span<byte>(info, Libc.SigInfoSize).Clear();
            result = _pidfd is not null && !_pidfd.IsClosed
                ? Libc.waitid(Libc.P_PIDFD, _pidfd.DangerousGetDescriptor(), info, options)
                : Libc.waitid(Libc.P_PID, Id, info, options);
        }
        while (result != 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);

        if (result != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            if (error == Errno.ECHILD)
            {
                // Our pid is no longer our child to wait for: its status went to someone else. Say so.
                status = SafePosix.ExitStatus.Unknown;
                return echildIsUnknown;
            }

            throw new PosixException("waitid", error, "pid " + Id);
        }

        // siginfo_t for SIGCHLD: si_signo, si_errno, si_code, padding, then si_pid, si_uid, si_status.
        var reportedPid = *(int*)(info + 16);
        if (reportedPid == 0)
        {
            // WNOHANG and nothing to report yet.
            status = default;
            return false;
        }

        status = SafePosix.ExitStatus.FromSigInfo(*(int*)(info + 8), *(int*)(info + 24));
        return true;
    }

    /// <summary>
    /// Sleeps in waitid(P_PIDFD, WEXITED|WNOWAIT) until the child has terminated, without reaping it and without
    /// the reap lock (so signals and other waits go on); the caller's loop then reaps under the lock. One system
    /// call instead of poll plus waitid for untimed waits.
    /// </summary>
    private static unsafe void BlockUntilTerminated(SafeFileDescriptor handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var info = stackalloc byte[Libc.SigInfoSize];
            int result;
            do
            {
                result = Libc.waitid(Libc.P_PIDFD, handle.DangerousGetDescriptor(), info, Libc.WEXITED | Libc.WNOWAIT);
            }
            while (result != 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);

            // ECHILD (reaped elsewhere) or any other failure: the caller's reap check reports it.
        }
        catch (ObjectDisposedException)
        {
            // Dispose reaped the child and closed the pidfd after our reap check: the caller's loop finds the status.
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static unsafe void PollPidfd(SafeFileDescriptor handle, int timeoutMilliseconds)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var pollFd = new Libc.PollFd { Fd = handle.DangerousGetDescriptor(), Events = Libc.POLLIN };
            // EINTR simply returns to the caller's loop, which recomputes the remaining time.
            Libc.poll(&pollFd, 1, timeoutMilliseconds);
        }
        catch (ObjectDisposedException)
        {
            // Dispose reaped the child and closed the pidfd after our reap check: the caller's loop finds the status.
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Builds the native spawn arguments, runs posix_spawn, and cleans up whatever happens.</summary>
    private sealed unsafe class SpawnRequest : IDisposable
    {
        private readonly SpawnOptions _options;
        private readonly List<SafeHandle> _addedRefs = new();
        private readonly List<SafeFileDescriptor> _ownedTemporaries = new();
        private readonly SafeFileDescriptor?[] _parentEnds = new SafeFileDescriptor?[3];
        private readonly List<byte[]> _argv;
        private readonly List<byte[]>? _envp;
        private readonly byte[] _programBytes;
        private readonly byte[]? _directoryBytes;

        internal SpawnRequest(SpawnOptions options)
        {
            _options = options;
            _programBytes = NativeStrings.ToNullTerminatedUtf8(options.Program, nameof(options.Program));
            _argv = new List<byte[]>(options.Arguments.Count + 1)
            {
                NativeStrings.ToUtf8(options.ArgumentZero ?? options.Program, nameof(options.ArgumentZero)),
            };
            if (options.ArgumentBytes is { } rawArguments)
            {
                if (options.Arguments.Count != 0)
                {
                    throw new ArgumentException("Give the arguments either as strings (Arguments) or as bytes (ArgumentBytes), not both.", nameof(options));
                }

                foreach (var argument in rawArguments)
                {
                    _argv.Add(NativeStrings.CheckBytes(argument, nameof(options.ArgumentBytes)));
                }
            }

            foreach (var argument in options.Arguments)
            {
                if (argument is null)
                {
                    throw new ArgumentException("An argument is null.", nameof(options));
                }

                _argv.Add(NativeStrings.ToUtf8(argument, nameof(options.Arguments)));
            }

            if (options.Environment is not null && options.EnvironmentBytes is not null)
            {
                throw new ArgumentException("Give the environment either as strings (Environment) or as bytes (EnvironmentBytes), not both.", nameof(options));
            }

            if (options.Environment is { } environment)
            {
                _envp = new List<byte[]>(environment.Count);
                foreach (var (key, value) in environment)
                {
                    if (string.IsNullOrEmpty(key) || key.Contains('=', StringComparison.Ordinal))
                    {
                        throw new ArgumentException("An environment variable name is empty or contains '='.", nameof(options));
                    }

                    ArgumentNullException.ThrowIfNull(value, nameof(options.Environment));
                    _envp.Add(NativeStrings.ToUtf8(key + "=" + value, nameof(options.Environment)));
                }
            }
            else if (options.EnvironmentBytes is { } rawEnvironment)
            {
                _envp = new List<byte[]>(rawEnvironment.Count);
                foreach (var entry in rawEnvironment)
                {
                    var bytes = NativeStrings.CheckBytes(entry, nameof(options.EnvironmentBytes));
                    if (bytes.AsSpan().IndexOf((byte)'=') <= 0)
                    {
                        throw new ArgumentException("An environment entry is not NAME=value (no '=' after a non-empty name).", nameof(options));
                    }

                    _envp.Add(bytes);
                }
            }

            if (options.WorkingDirectory is { } directory)
            {
                _directoryBytes = NativeStrings.ToNullTerminatedUtf8(directory, nameof(options.WorkingDirectory));
            }

            ArgumentNullException.ThrowIfNull(options.StandardInput, nameof(options.StandardInput));
            ArgumentNullException.ThrowIfNull(options.StandardOutput, nameof(options.StandardOutput));
            ArgumentNullException.ThrowIfNull(options.StandardError, nameof(options.StandardError));

            var seen = new HashSet<int>();
            foreach (var mapping in options.ExtraDescriptors)
            {
                if (mapping is null)
                {
                    throw new ArgumentException("A descriptor mapping is null.", nameof(options));
                }

                if (!seen.Add(mapping.ChildDescriptor))
                {
                    throw new ArgumentException("Two mappings target child descriptor " + mapping.ChildDescriptor + ".", nameof(options));
                }
            }

            // Handles may have been closed since the mapping or ChildStdio.From was made; say so here, before any
            // pipe is created, rather than with an ObjectDisposedException from the middle of the spawn.
            foreach (var mapping in options.ExtraDescriptors)
            {
                ThrowIfUnusable(mapping.Handle, "A descriptor mapping's handle (child descriptor " + mapping.ChildDescriptor + ")");
            }

            foreach (var (stdio, name) in new[] { (options.StandardInput, "StandardInput"), (options.StandardOutput, "StandardOutput"), (options.StandardError, "StandardError") })
            {
                if (stdio.Handle is { } handle)
                {
                    ThrowIfUnusable(handle, name + "'s handle");
                }
            }

            if ((options.NewSession || options.Terminal is not null) && options.ProcessGroup is not null)
            {
                throw new ArgumentException(
                    "NewSession already makes the child the leader of a new process group; a session leader cannot change groups.",
                    nameof(options));
            }

            if (options.ProcessGroup is < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(options), options.ProcessGroup, "ProcessGroup must be 0 (new group) or a process group id.");
            }

            if (_directoryBytes is not null && OptionalExports.AddChdir == null)
            {
                throw new PlatformNotSupportedException(
                    "A working directory needs posix_spawn_file_actions_addchdir_np (glibc 2.29 or later), which this C library lacks.");
            }
        }

        internal int Run()
        {
            var highestTarget = 2;
            foreach (var mapping in _options.ExtraDescriptors)
            {
                highestTarget = Math.Max(highestTarget, mapping.ChildDescriptor);
            }

            var fileActions = NativeMemory.AllocZeroed(Libc.SpawnFileActionsSize);
            var attributes = NativeMemory.AllocZeroed(Libc.SpawnAttrSize);
            var signalSets = stackalloc byte[2 * Libc.SigSetSize];
            var allSignals = signalSets;
            var noSignals = signalSets + Libc.SigSetSize;
            var fileActionsReady = false;
            var attributesReady = false;
            try
            {
                Check(Libc.posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init");
                fileActionsReady = true;
                Check(Libc.posix_spawnattr_init(attributes), "posix_spawnattr_init");
                attributesReady = true;

                if (_options.Terminal is { } terminal)
                {
                    // Opened by path after setsid (glibc runs setsid before the file actions): a session leader
                    // without a controlling terminal that opens a tty without O_NOCTTY acquires it.
                    fixed (byte* slave = terminal.SlavePathBytes())
                    {
                        Check(Libc.posix_spawn_file_actions_addopen(fileActions, 0, slave, Libc.O_RDWR, 0), "posix_spawn_file_actions_addopen");
                    }

                    Check(Libc.posix_spawn_file_actions_adddup2(fileActions, 0, 1), "posix_spawn_file_actions_adddup2");
                    Check(Libc.posix_spawn_file_actions_adddup2(fileActions, 0, 2), "posix_spawn_file_actions_adddup2");
                }
                else
                {
                    AddStdio(fileActions, 0, _options.StandardInput, highestTarget);
                    AddStdio(fileActions, 1, _options.StandardOutput, highestTarget);
                    AddStdio(fileActions, 2, _options.StandardError, highestTarget);
                }
                foreach (var mapping in _options.ExtraDescriptors)
                {
                    var source = SourceAbove(mapping.Handle, highestTarget);
                    Check(Libc.posix_spawn_file_actions_adddup2(fileActions, source, mapping.ChildDescriptor), "posix_spawn_file_actions_adddup2");
                }

                if (_options.CloseOtherDescriptors && OptionalExports.AddCloseFrom != null)
                {
                    Check(OptionalExports.AddCloseFrom(fileActions, highestTarget + 1), "posix_spawn_file_actions_addclosefrom_np");
                }

                if (_directoryBytes is not null)
                {
                    fixed (byte* directory = _directoryBytes)
                    {
                        // glibc copies the path into the file actions, so the pin may end here.
                        Check(OptionalExports.AddChdir(fileActions, directory), "posix_spawn_file_actions_addchdir_np");
                    }
                }

                // The child must not inherit the parent's ignored signals (SIGPIPE in every .NET process) or its
                // blocked ones: reset every signal to default and start from an empty mask. The "all" set is filled
                // by hand because glibc's sigfillset leaves out its internal signals 32 and 33, and glibc's spawn
                // helper sets exactly those to SIG_IGN in the child unless they are in the default set, so they
                // would stay ignored across exec (observed with glibc 2.36).
                new Span<byte>(allSignals, Libc.SigSetSize).Fill(0xff);
                Libc.sigemptyset(noSignals);
                var flags = (short)(Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK);
                Check(Libc.posix_spawnattr_setsigdefault(attributes, allSignals), "posix_spawnattr_setsigdefault");
                Check(Libc.posix_spawnattr_setsigmask(attributes, noSignals), "posix_spawnattr_setsigmask");
                if (_options.NewSession || _options.Terminal is not null)
                {
                    flags |= Libc.POSIX_SPAWN_SETSID;
                }

                if (_options.ProcessGroup is { } group)
                {
                    flags |= Libc.POSIX_SPAWN_SETPGROUP;
                    Check(Libc.posix_spawnattr_setpgroup(attributes, group), "posix_spawnattr_setpgroup");
                }

                Check(Libc.posix_spawnattr_setflags(attributes, flags), "posix_spawnattr_setflags");

                var environment = _envp ?? SpawnOptions.CurrentEnvironmentEntries();
                using var argv = new NativeStrings.StringArray(_argv);
                using var envp = new NativeStrings.StringArray(environment);
                var searchPath = !_options.Program.Contains('/', StringComparison.Ordinal);
                var executable = searchPath ? ExecutableSearch.Find(_options.Program, environment, _options.WorkingDirectory) : _programBytes;
                int pid;
                int error;
                fixed (byte* program = executable)
                {
                    error = Libc.posix_spawn(&pid, program, fileActions, attributes, argv.Pointer, envp.Pointer);
                }

                if (error != 0)
                {
                    if (_options.WorkingDirectory is { } directory && !Directory.Exists(directory))
                    {
                        // posix_spawn reports the chdir file action's error exactly like an exec error.
                        throw new PosixException("chdir", error, "working directory " + directory + " for " + _options.Program);
                    }

                    // After our own PATH search the call was posix_spawn of the file found; say which file that was.
                    throw new PosixException(
                        "posix_spawn",
                        error,
                        searchPath ? _options.Program + " (found in PATH as " + System.Text.Encoding.UTF8.GetString(executable, 0, executable.Length - 1) + ")" : _options.Program);
                }

                return pid;
            }
            finally
            {
                if (attributesReady)
                {
                    Libc.posix_spawnattr_destroy(attributes);
                }

                if (fileActionsReady)
                {
                    Libc.posix_spawn_file_actions_destroy(fileActions);
                }

                NativeMemory.Free(attributes);
                NativeMemory.Free(fileActions);
            }
        }

        /// <summary>Gives the parent's pipe ends to the child object as streams; the child ends close on Dispose.</summary>
        internal void HandParentEndsTo(ChildProcess child)
        {
            Stream? ToStream(int index, PipeDirection direction)
            {
                var end = _parentEnds[index];
                _parentEnds[index] = null;
                return end is null ? null : SafeFileDescriptor.ToPipeStream(end, direction);
            }

            child.AttachStreams(ToStream(0, PipeDirection.Out), ToStream(1, PipeDirection.In), ToStream(2, PipeDirection.In));
        }

        public void Dispose()
        {
            foreach (var handle in _addedRefs)
            {
                handle.DangerousRelease();
            }

            foreach (var temporary in _ownedTemporaries)
            {
                temporary.Dispose();
            }

            foreach (var end in _parentEnds)
            {
                end?.Dispose();
            }
        }

        private static void ThrowIfUnusable(SafeHandle handle, string what)
        {
            if (handle.IsClosed || handle.IsInvalid || handle.DangerousGetHandle() < 0 || handle.DangerousGetHandle() > int.MaxValue)
            {
                throw new ArgumentException(what + " is closed or invalid.", "options");
            }
        }

        private static void Check(int error, string function)
        {
            if (error != 0)
            {
                throw new PosixException(function, error);
            }
        }

        private void AddStdio(void* fileActions, int target, ChildStdio stdio, int highestTarget)
        {
            switch (stdio.Kind)
            {
                case ChildStdioKind.Inherit:
                    return;
                case ChildStdioKind.Null:
                    fixed (byte* devNull = "/dev/null"u8)
                    {
                        Check(
                            Libc.posix_spawn_file_actions_addopen(fileActions, target, devNull, target == 0 ? Libc.O_RDONLY : Libc.O_WRONLY, 0),
                            "posix_spawn_file_actions_addopen");
                    }

                    return;
                case ChildStdioKind.Pipe:
                    SafeFileDescriptor.CreatePipe(out var readEnd, out var writeEnd);
                    var (childEnd, parentEnd) = target == 0 ? (readEnd, writeEnd) : (writeEnd, readEnd);
                    _parentEnds[target] = parentEnd;
                    _ownedTemporaries.Add(childEnd);
                    Check(Libc.posix_spawn_file_actions_adddup2(fileActions, SourceAbove(childEnd, highestTarget), target), "posix_spawn_file_actions_adddup2");
                    return;
                default:
                    Check(Libc.posix_spawn_file_actions_adddup2(fileActions, SourceAbove(stdio.Handle!, highestTarget), target), "posix_spawn_file_actions_adddup2");
                    return;
            }
        }

        /// <summary>
        /// The descriptor number to dup2 from. File actions run in order, so a source whose number is also some
        /// target could be overwritten before it is read; such a source is first duplicated (close-on-exec) above
        /// every target.
        /// </summary>
        private int SourceAbove(SafeHandle handle, int highestTarget)
        {
            var added = false;
            handle.DangerousAddRef(ref added);
            _addedRefs.Add(handle);
            var fd = (int)handle.DangerousGetHandle();
            if (fd < 0)
            {
                throw new ArgumentException("A descriptor handle is invalid.", nameof(handle));
            }

            if (fd > highestTarget)
            {
                return fd;
            }

            var copy = Libc.fcntl(fd, Libc.F_DUPFD_CLOEXEC, highestTarget + 1);
            if (copy < 0)
            {
                throw PosixException.FromLastError("fcntl(F_DUPFD_CLOEXEC)");
            }

            var owned = new SafeFileDescriptor(copy, ownsHandle: true);
            _ownedTemporaries.Add(owned);
            return copy;
        }
    }
}
