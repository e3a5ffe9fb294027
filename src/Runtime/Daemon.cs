using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using SafePosix.Interop;

namespace SafePosix;

/// <summary>How a daemon should be started by <see cref="Daemon.Start"/>.</summary>
public sealed class DaemonOptions
{
    /// <summary>
    /// The arguments the daemon copy of the program receives (after the program, or after the entry assembly when
    /// running under the <c>dotnet</c> host). Null (the default) repeats the current process's arguments.
    /// </summary>
    public IList<string>? Arguments { get; set; }

    /// <summary>Where the daemon's stdout and stderr go: a file opened O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC with
    /// <see cref="LogFileMode"/>. Null (the default) sends both to /dev/null. stdin is always /dev/null.</summary>
    public string? LogFilePath { get; set; }

    /// <summary>Permission bits for a log file that has to be created, 0 to 0777; 0600 by default (owner read/write).</summary>
    public int LogFileMode { get; set; } = Convert.ToInt32("600", 8);

    /// <summary>
    /// A pid file the daemon creates exclusively (O_CREAT|O_EXCL, mode 0600), write-locks (an OFD fcntl lock) for its whole
    /// life and removes on <see cref="DaemonContext.Dispose"/>. A leftover file that nobody holds locked is
    /// treated as stale and replaced; one still locked means the daemon already runs. Null: no pid file.
    /// </summary>
    public string? PidFilePath { get; set; }

    /// <summary>
    /// The daemon's umask, applied by <see cref="Daemon.Enter"/>: 027 by default, so files it creates are never
    /// world-accessible and group members may only read. (posix_spawn has no umask action, so the daemon side sets it.)
    /// </summary>
    public int Umask { get; set; } = Convert.ToInt32("027", 8);

    /// <summary>How long <see cref="Daemon.Start"/> waits for <see cref="DaemonContext.NotifyReady"/>; 30 s by default.</summary>
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra environment variables for the daemon, on top of the current environment.</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>What <see cref="Daemon.Start"/> observed.</summary>
public enum DaemonStartOutcome
{
    /// <summary>The daemon called <see cref="DaemonContext.NotifyReady"/>.</summary>
    Ready,

    /// <summary>The daemon closed the readiness pipe (usually by dying) before it was ready.</summary>
    ExitedBeforeReady,

    /// <summary>The daemon neither got ready nor died within <see cref="DaemonOptions.ReadinessTimeout"/>; it is left running.</summary>
    TimedOut,
}

/// <summary>The launcher's view of a daemon it started.</summary>
public sealed class DaemonLaunch
{
    internal DaemonLaunch(DaemonStartOutcome outcome, ChildProcess process, ExitStatus? exitStatus)
    {
        Outcome = outcome;
        Process = process;
        ExitStatus = exitStatus;
    }

    /// <summary>Whether the daemon reported ready, died first, or timed out.</summary>
    public DaemonStartOutcome Outcome { get; }

    /// <summary>
    /// The daemon process. It stays a child of the launcher until the launcher exits (then init or the nearest
    /// subreaper adopts it); a launcher that keeps running should wait for it eventually or dispose this object,
    /// which reaps it in the background when it exits.
    /// </summary>
    public ChildProcess Process { get; }

    /// <summary>How the daemon ended when <see cref="Outcome"/> is <see cref="DaemonStartOutcome.ExitedBeforeReady"/> and it
    /// exited within the rest of <see cref="DaemonOptions.ReadinessTimeout"/> (at least 5 s) after closing the pipe.</summary>
    public ExitStatus? ExitStatus { get; }

    /// <summary>True when the daemon reported ready.</summary>
    public bool Started => Outcome == DaemonStartOutcome.Ready;
}

/// <summary>
/// Daemonizing the .NET way: the program starts a second copy of itself through posix_spawn in a new session, with
/// cwd "/", stdio on /dev/null or a log file, and a readiness pipe; the copy calls <see cref="Enter"/> and then
/// <see cref="DaemonContext.NotifyReady"/>.
/// </summary>
/// <remarks>
/// <para>The classic fork()+setsid()+fork() cannot be done from C#: a .NET process is multithreaded before Main
/// (finalizer, tiered JIT, signal handling ...), and after fork only the calling thread exists while locks held by
/// the others stay held forever. Since .NET 7 executable memory is also double-mapped through a shared memfd (W^X),
/// so JIT or stub writes in a forked child land in the parent's code and crash it. Only async-signal-safe work is
/// allowed between fork and exec, and managed code is not. Re-launching through posix_spawn gives the same result
/// (new session, no controlling terminal, cwd "/", detached stdio) without running managed code in a forked child.</para>
/// <para>Under systemd, do not daemonize at all: run in the foreground with <c>Type=simple</c> (or <c>Type=notify</c>
/// with sd_notify READY=1, e.g. Microsoft.Extensions.Hosting.Systemd) and let systemd own sessions, logs, restarts
/// and pid tracking. Daemonizing under systemd needs <c>Type=forking</c> and a PIDFile, and gains nothing.</para>
/// <code>
/// if (Daemon.IsDaemon)
/// {
///     using var daemon = Daemon.Enter();
///     StartServing();
///     daemon.NotifyReady();
///     RunUntilStopped();
///     return 0;
/// }
/// var launch = Daemon.Start(new DaemonOptions { PidFilePath = "/run/myapp.pid", LogFilePath = "/var/log/myapp.log" });
/// return launch.Started ? 0 : 1;
/// </code>
/// </remarks>
public static class Daemon
{
    /// <summary>The environment variable that marks the relaunched copy as the daemon ("1").</summary>
    public const string MarkerVariable = "SAFEPOSIX_DAEMON";

    /// <summary>The descriptor number of the readiness pipe in the daemon.</summary>
    public const int ReadinessDescriptor = 3;

    private const string ReadyFdVariable = "SAFEPOSIX_DAEMON_READY_FD";
    private const string UmaskVariable = "SAFEPOSIX_DAEMON_UMASK";
    private const string PidFileVariable = "SAFEPOSIX_DAEMON_PID_FILE";

    /// <summary>True in the relaunched copy (the marker variable is set), until <see cref="Enter"/> clears it.</summary>
    public static bool IsDaemon => System.Environment.GetEnvironmentVariable(MarkerVariable) == "1";

    /// <summary>Relaunches the current program as a daemon and waits until it is ready, dies, or times out.</summary>
    /// <param name="options">Log file, pid file, umask, arguments, readiness timeout.</param>
    /// <returns>What happened, with the daemon's <see cref="ChildProcess"/>.</returns>
    /// <exception cref="ArgumentException">The options are invalid (e.g. a negative timeout, a relative path, a mode or umask outside 0 to 0777).</exception>
    /// <exception cref="InvalidOperationException">The current program's path is unknown, or this already is the daemon.</exception>
    /// <exception cref="PosixException">The log file could not be opened or the spawn failed.</exception>
    public static DaemonLaunch Start(DaemonOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var deadline = Deadline.From(options.ReadinessTimeout, nameof(options.ReadinessTimeout));
        ThrowIfNotAbsolute(options.LogFilePath, nameof(options.LogFilePath));
        ThrowIfNotAbsolute(options.PidFilePath, nameof(options.PidFilePath));
        if (options.Umask is < 0 or > 511)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Umask, "Umask must be between 0 and 0777.");
        }

        if (options.LogFileMode is < 0 or > 511)
        {
            // open(2) would honour set-user-ID, set-group-ID and sticky bits (and a negative int means all of them).
            throw new ArgumentOutOfRangeException(nameof(options), options.LogFileMode, "LogFileMode must be between 0 and 0777.");
        }

        if (IsDaemon)
        {
            throw new InvalidOperationException("This process is the daemon copy; call Daemon.Enter instead of Daemon.Start.");
        }

        var program = System.Environment.ProcessPath
            ?? throw new InvalidOperationException("Environment.ProcessPath is unknown, so the program cannot be relaunched.");
        var spawn = new SpawnOptions(program, RelaunchArguments(program, options.Arguments))
        {
            WorkingDirectory = "/",
            NewSession = true,
            StandardInput = ChildStdio.Null,
        };

        var environment = SpawnOptions.CurrentEnvironment();
        foreach (var (key, value) in options.Environment)
        {
            environment[key] = value;
        }

        environment[MarkerVariable] = "1";
        environment[ReadyFdVariable] = ReadinessDescriptor.ToString(CultureInfo.InvariantCulture);
        environment[UmaskVariable] = Convert.ToString(options.Umask, 8);
        if (options.PidFilePath is { } pidFile)
        {
            environment[PidFileVariable] = pidFile;
        }
        else
        {
            environment.Remove(PidFileVariable);
        }

        spawn.Environment = environment;

        SafeFileDescriptor.CreatePipe(out var readyRead, out var readyWrite);
        using (readyRead)
        {
            ChildProcess child;
            using (readyWrite)
            using (var log = options.LogFilePath is null
                ? null
                : SafeFileDescriptor.Open(options.LogFilePath, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND | Libc.O_NOCTTY, options.LogFileMode))
            {
                spawn.StandardOutput = log is null ? ChildStdio.Null : ChildStdio.From(log);
                spawn.StandardError = spawn.StandardOutput;
                spawn.ExtraDescriptors.Add(new DescriptorMapping(readyWrite, ReadinessDescriptor));
                child = ChildProcess.Start(spawn);
            }

            // Our copy of the write end is closed now, so EOF means every daemon-side copy is gone too.
            var outcome = WaitForReadiness(readyRead, deadline);
            ExitStatus? exitStatus = null;
            // EOF usually means the daemon is dying, but a .NET process that dies of an unhandled exception still
            // prints it and aborts after closing the pipe, which takes seconds on a loaded machine: wait for the
            // rest of the readiness time (at least 5 s, at most 30 s when it is infinite) rather than a fixed 5 s.
            var remaining = deadline.RemainingMilliseconds();
            var exitWait = TimeSpan.FromMilliseconds(remaining < 0 ? 30_000 : Math.Max(remaining, 5_000));
            if (outcome == DaemonStartOutcome.ExitedBeforeReady && child.TryWaitForExit(exitWait, out var status))
            {
                exitStatus = status;
            }

            return new DaemonLaunch(outcome, child, exitStatus);
        }
    }

    /// <summary>
    /// Daemon side: applies the umask, creates and locks the pid file, and takes over the readiness pipe. Clears
    /// the marker variables so the daemon's own children do not think they are daemons.
    /// </summary>
    /// <returns>The context; call <see cref="DaemonContext.NotifyReady"/> once serving, dispose it on shutdown.</returns>
    /// <exception cref="InvalidOperationException">This process was not started by <see cref="Start"/>.</exception>
    /// <exception cref="PosixException">The pid file exists and is locked by a running daemon (EAGAIN), or cannot be created.</exception>
    public static DaemonContext Enter()
    {
        if (!IsDaemon)
        {
            throw new InvalidOperationException("This process was not started by Daemon.Start (" + MarkerVariable + " is not set).");
        }

        var readyFd = int.Parse(System.Environment.GetEnvironmentVariable(ReadyFdVariable) ?? "-1", CultureInfo.InvariantCulture);
        var umaskText = System.Environment.GetEnvironmentVariable(UmaskVariable);
        var pidFile = System.Environment.GetEnvironmentVariable(PidFileVariable);
        foreach (var name in new[] { MarkerVariable, ReadyFdVariable, UmaskVariable, PidFileVariable })
        {
            System.Environment.SetEnvironmentVariable(name, null);
        }

        if (umaskText is not null)
        {
            Libc.umask((uint)Convert.ToInt32(umaskText, 8));
        }

        SafeFileDescriptor? readiness = null;
        if (readyFd >= 0)
        {
            readiness = new SafeFileDescriptor(readyFd, ownsHandle: true);
            // The pipe reached us through dup2, which clears close-on-exec; set it again so programs the daemon
            // starts cannot hold the pipe open and hide the daemon's death from the launcher.
            Libc.fcntl(readyFd, Libc.F_SETFD, Libc.FD_CLOEXEC);
        }

        try
        {
            var lockedPidFile = pidFile is null ? null : PidFile.CreateAndLock(pidFile);
            return new DaemonContext(readiness, lockedPidFile, pidFile);
        }
        catch
        {
            readiness?.Dispose();
            throw;
        }
    }

    private static string[] RelaunchArguments(string program, IList<string>? requested)
    {
        var current = System.Environment.GetCommandLineArgs();
        var arguments = new List<string>();

        // Under the dotnet host the process is "dotnet app.dll ...": the entry assembly must come first again.
        // An apphost or a native AOT executable is the program itself.
        if (Path.GetFileNameWithoutExtension(program) == "dotnet" && current.Length > 0 && current[0].EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            arguments.Add(current[0]);
        }

        if (requested is null)
        {
            for (var i = 1; i < current.Length; i++)
            {
                arguments.Add(current[i]);
            }
        }
        else
        {
            arguments.AddRange(requested);
        }

        return arguments.ToArray();
    }

    private static void ThrowIfNotAbsolute(string? path, string parameterName)
    {
        // The daemon runs in "/", so a relative path would silently mean something else there.
        if (path is not null && !Path.IsPathRooted(path))
        {
            throw new ArgumentException("The path must be absolute: the daemon's working directory is \"/\".", parameterName);
        }

        if (path is not null)
        {
            NativeStrings.ThrowIfContainsNul(path, parameterName);
        }
    }

    private static unsafe DaemonStartOutcome WaitForReadiness(SafeFileDescriptor readEnd, Deadline deadline)
    {
        var fd = readEnd.DangerousGetDescriptor();
        while (true)
        {
            var remaining = deadline.RemainingMilliseconds();
            if (remaining == 0)
            {
                return DaemonStartOutcome.TimedOut;
            }

            var pollFd = new Libc.PollFd { Fd = fd, Events = Libc.POLLIN };
            var ready = Libc.poll(&pollFd, 1, remaining);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == Errno.EINTR)
                {
                    continue;
                }

                throw PosixException.FromLastError("poll");
            }

            if (ready == 0)
            {
                continue;
            }

            byte signal;
            var read = Libc.read(fd, &signal, 1);
            if (read < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR)
            {
                continue;
            }

            if (read < 0)
            {
                throw PosixException.FromLastError("read");
            }

            return read == 1 ? DaemonStartOutcome.Ready : DaemonStartOutcome.ExitedBeforeReady;
        }
    }
}

/// <summary>The daemon's side of <see cref="Daemon"/>: readiness notification and the locked pid file.</summary>
public sealed class DaemonContext : IDisposable
{
    private SafeFileDescriptor? _readiness;
    private SafeFileDescriptor? _pidFile;

    internal DaemonContext(SafeFileDescriptor? readiness, SafeFileDescriptor? pidFile, string? pidFilePath)
    {
        _readiness = readiness;
        _pidFile = pidFile;
        PidFilePath = pidFilePath;
    }

    /// <summary>The pid file this daemon holds locked, or null.</summary>
    public string? PidFilePath { get; }

    /// <summary>Tells the launcher the daemon is ready (writes one byte to the readiness pipe and closes it).
    /// Calling it again does nothing.</summary>
    /// <exception cref="PosixException">The write failed for a reason other than the launcher having gone (EPIPE).</exception>
    public unsafe void NotifyReady()
    {
        var readiness = Interlocked.Exchange(ref _readiness, null);
        if (readiness is null)
        {
            return;
        }

        using (readiness)
        {
            byte ready = (byte)'R';
            nint written;
            do
            {
                written = Libc.write(readiness.DangerousGetDescriptor(), &ready, 1);
            }
            while (written < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);

            // EPIPE: the launcher stopped waiting (it timed out or exited). SIGPIPE is ignored in .NET, so we just
            // see the error, and a daemon without a launcher is still a daemon.
            if (written < 0 && Marshal.GetLastPInvokeError() != Errno.EPIPE)
            {
                throw PosixException.FromLastError("write", "readiness pipe");
            }
        }
    }

    /// <summary>Removes the pid file (while still holding its lock) and releases it; closes the readiness pipe if
    /// <see cref="NotifyReady"/> was never called, which the launcher sees as a failed start.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _readiness, null)?.Dispose();
        var pidFile = Interlocked.Exchange(ref _pidFile, null);
        if (pidFile is not null)
        {
            // Unlink before closing: once the lock is released another daemon may take the path over. And only
            // if the path still names our file: an administrator may have removed it and another daemon created
            // its own since.
            PidFile.RemoveIfOwn(pidFile, PidFilePath!);
            pidFile.Dispose();
        }
    }
}

/// <summary>Exclusive creation, locking and stale-file takeover for pid files.</summary>
internal static unsafe class PidFile
{
    private const int MaxAttempts = 8;

    internal static SafeFileDescriptor CreateAndLock(string path) => CreateAndLock(path, afterCreate: null);

    /// <param name="path">The pid file.</param>
    /// <param name="afterCreate">Test hook, run between the exclusive create and the lock.</param>
    internal static SafeFileDescriptor CreateAndLock(string path, Action? afterCreate)
    {
        var mode = Convert.ToInt32("600", 8);
        for (var attempt = 0; ; attempt++)
        {
            SafeFileDescriptor file;
            try
            {
                file = SafeFileDescriptor.Open(path, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOCTTY, mode);
            }
            catch (PosixException e) when (e.ErrorNumber == Errno.EEXIST && attempt < MaxAttempts)
            {
                RemoveIfStale(path);
                continue;
            }

            try
            {
                afterCreate?.Invoke();

                // Between our create and our lock the fresh, empty, unlocked file looks stale to another starter,
                // which may lock it, unlink it and create its own. Our lock then succeeds on an unlinked inode, and
                // two daemons would both believe they own the path. So after locking, check that the path still
                // names the file we hold; if not, start over (the other starter's lock will answer EAGAIN).
                Lock(file, path);
                if (!SameFile(file, path))
                {
                    if (attempt >= MaxAttempts)
                    {
                        throw new PosixException("open", Errno.EEXIST, path + " keeps being replaced by another starter");
                    }

                    file.Dispose();
                    continue;
                }

                var text = Encoding.ASCII.GetBytes(Libc.getpid().ToString(CultureInfo.InvariantCulture) + "\n");
                WriteAll(file, text, path);

                return file;
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
    }

    /// <summary>Writes all of <paramref name="bytes"/>, finishing partial writes and retrying EINTR.</summary>
    internal static void WriteAll(SafeFileDescriptor file, ReadOnlySpan<byte> bytes, string path)
    {
        fixed (byte* start = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var written = Libc.write(file.DangerousGetDescriptor(), start + done, bytes.Length - done);
                if (written < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Errno.EINTR)
                    {
                        continue;
                    }

                    throw PosixException.FromLastError("write", path);
                }

                done += (int)written;
            }
        }
    }

    /// <summary>Removes <paramref name="path"/> only while it still names <paramref name="lockedFile"/>, so a
    /// daemon never deletes a pid file that another daemon has since created at the same path.</summary>
    internal static void RemoveIfOwn(SafeFileDescriptor lockedFile, string path)
    {
        if (SameFile(lockedFile, path))
        {
            Remove(path);
        }
    }

    internal static void Remove(string path)
    {
        var bytes = NativeStrings.ToNullTerminatedUtf8(path, nameof(path));
        fixed (byte* p = bytes)
        {
            Libc.unlink(p);
        }
    }

    internal static void RemoveIfStale(string path)
    {
        SafeFileDescriptor existing;
        try
        {
            existing = SafeFileDescriptor.Open(path, Libc.O_WRONLY | Libc.O_NOCTTY, 0); // a write lock needs a writable descriptor
        }
        catch (PosixException e) when (e.ErrorNumber == Errno.ENOENT)
        {
            return; // removed meanwhile: just retry the exclusive create
        }

        using (existing)
        {
            // Throws EAGAIN when a live daemon holds the lock: that is the "already running" answer.
            Lock(existing, path);

            // Only remove the path if it still names the file we locked; another starter may have replaced it
            // after we opened it.
            if (SameFile(existing, path))
            {
                Remove(path);
            }
        }
    }

    /// <summary>
    /// Takes an open-file-description (OFD) write lock on the whole file, without waiting.
    /// </summary>
    /// <remarks>
    /// Not flock: .NET's FileStream emulates FileShare on Unix with flock(LOCK_SH), so a pid file held with
    /// flock(LOCK_EX) makes File.ReadAllText in any .NET program fail with IOException. Not classic fcntl locks
    /// either: they belong to the process and vanish when any descriptor for the file is closed, e.g. by the daemon
    /// itself reading its pid file. OFD locks (Linux 3.15+) belong to this descriptor only and are independent of flock.
    /// </remarks>
    private static void Lock(SafeFileDescriptor file, string path)
    {
        var request = new Libc.FileLock { Type = Libc.F_WRLCK, Whence = 0, Start = 0, Length = 0, Pid = 0 };
        int result;
        do
        {
            result = Libc.fcntl_lock(file.DangerousGetDescriptor(), Libc.F_OFD_SETLK, &request);
        }
        while (result != 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);

        if (result != 0)
        {
            throw PosixException.FromLastError("fcntl(F_OFD_SETLK)", path + " is locked by a running daemon or cannot be locked");
        }
    }

    private static bool SameFile(SafeFileDescriptor file, string path)
    {
        var opened = stackalloc byte[Libc.StatxSize];
        var named = stackalloc byte[Libc.StatxSize];
        var bytes = NativeStrings.ToNullTerminatedUtf8(path, nameof(path));
        fixed (byte* p = bytes)
        fixed (byte* empty = ""u8)
        {
            if (Libc.statx(file.DangerousGetDescriptor(), empty, Libc.AT_EMPTY_PATH, Libc.STATX_INO, opened) != 0
                || Libc.statx(Libc.AT_FDCWD, p, 0, Libc.STATX_INO, named) != 0)
            {
                return false;
            }
        }

        return *(ulong*)(opened + Libc.StatxInoOffset) == *(ulong*)(named + Libc.StatxInoOffset)
            && *(uint*)(opened + Libc.StatxDevMajorOffset) == *(uint*)(named + Libc.StatxDevMajorOffset)
            && *(uint*)(opened + Libc.StatxDevMinorOffset) == *(uint*)(named + Libc.StatxDevMinorOffset);
    }
}
