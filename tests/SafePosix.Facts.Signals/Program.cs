using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace SafePosix.Facts.Signals;

/// <summary>
/// One scenario per run, so a scenario that kills or hangs its process cannot take the test host with it.
/// Each prints "key=value" lines; the tests assert on them.
/// </summary>
internal static unsafe class Program
{
    private const int SIGPIPE = 13;
    private const int SIGKILL = 9;
    private const int SIGCHLD = 17;
    private const int WNOHANG = 1;
    private const int MSG_NOSIGNAL = 0x4000;
    private const short POSIX_SPAWN_SETSIGDEF = 0x04;
    private const short POSIX_SPAWN_SETPGROUP = 0x02;

    private static int Main(string[] args)
    {
        return args.Length == 0 ? Usage() : args[0] switch
        {
            "sigpipe-at-main" => SigpipeAtMain(),
            "sigpipe-children" => SigpipeInChildren(),
            "sigpipe-reset" => SigpipeReset(),
            "waitpid-any" => WaitAnyStealsProcessChild(),
            "socketflags-nosignal" => SocketFlagsNoSignal(),
            "sigchld-coalesce" => SigchldCoalesce(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 16),
            "sigchld-ignored" => SigchldIgnored(),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: facts sigpipe-at-main | sigpipe-children | sigpipe-reset | waitpid-any | socketflags-nosignal | sigchld-coalesce [n] | sigchld-ignored");
        return 2;
    }

    /// <summary>The runtime ignores SIGPIPE before Main: bit 13 of SigIgn.</summary>
    private static int SigpipeAtMain()
    {
        Console.WriteLine("sigign=" + SigIgn(File.ReadAllText("/proc/self/status")).ToString("x16", null));
        Console.WriteLine("sigpipe_ignored=" + IsSet(SigIgn(File.ReadAllText("/proc/self/status")), SIGPIPE));
        return 0;
    }

    /// <summary>An ignored signal stays ignored across exec: what Process.Start and posix_spawn children see.</summary>
    private static int SigpipeInChildren()
    {
        using (var process = Process.Start(new ProcessStartInfo("/bin/cat", "/proc/self/status") { RedirectStandardOutput = true })!)
        {
            var status = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Console.WriteLine("process_start_child_sigpipe_ignored=" + IsSet(SigIgn(status), SIGPIPE));
        }

        Console.WriteLine("posix_spawn_child_sigpipe_ignored=" + IsSet(SigIgn(SpawnCatStatus(resetSigpipe: false)), SIGPIPE));
        Console.WriteLine("posix_spawn_setsigdef_child_sigpipe_ignored=" + IsSet(SigIgn(SpawnCatStatus(resetSigpipe: true)), SIGPIPE));

        // What the inherited disposition does to a pipeline in the child: `yes` gets EPIPE instead of dying.
        using var pipeline = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "yes | head -n 1 >/dev/null; echo done"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stderr = pipeline.StandardError.ReadToEndAsync();
        pipeline.StandardOutput.ReadToEnd();
        pipeline.WaitForExit();
        Console.WriteLine("yes_head_stderr=" + stderr.Result.Trim().Replace('\n', '|'));
        return 0;
    }

    /// <summary>After signal(SIGPIPE, SIG_DFL), writing to a pipe whose reader is gone kills the process.</summary>
    private static int SigpipeReset()
    {
        var fds = stackalloc int[2];
        if (pipe(fds) != 0)
        {
            Console.WriteLine("error=pipe");
            return 1;
        }

        close(fds[0]);
        byte b = 1;
        var before = write(fds[1], &b, 1);
        var errno = Marshal.GetLastPInvokeError();
        Console.WriteLine("write_while_ignored=" + before);
        Console.WriteLine("write_while_ignored_errno=" + errno);
        Console.Out.Flush();
        signal(SIGPIPE, IntPtr.Zero);
        var after = write(fds[1], &b, 1);
        Console.WriteLine("survived_write_after_reset=" + after);
        return 0;
    }

    /// <summary>
    /// waitpid(-1) in user code reaps a child System.Diagnostics.Process started and waits for. Whatever the
    /// runtime then does (hang, FailFast, or an unknown exit code) is printed before it happens.
    /// </summary>
    private static int WaitAnyStealsProcessChild()
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 0.3; exit 3"]))!;
        var pid = process.Id;
        var reaped = waitpid(-1, out var status, 0);
        Console.WriteLine("process_pid=" + pid);
        Console.WriteLine("waitpid_any_returned=" + reaped);
        Console.WriteLine("stolen=" + (reaped == pid));
        Console.WriteLine("stolen_status=" + ((status >> 8) & 0xff));
        Console.Out.Flush();
        var exited = process.WaitForExit(3000);
        Console.WriteLine("wait_for_exit=" + exited);
        if (exited)
        {
            Console.WriteLine("exit_code=" + process.ExitCode);
        }

        Console.Out.Flush();
        return 0;
    }

    /// <summary>MSG_NOSIGNAL belongs to raw send; cast into SocketFlags it makes Socket.Send fail.</summary>
    private static int SocketFlagsNoSignal()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        Console.WriteLine("send_none=" + client.Send(new byte[] { 1 }, SocketFlags.None));
        try
        {
            var sent = client.Send(new byte[] { 1 }, (SocketFlags)MSG_NOSIGNAL);
            Console.WriteLine("send_msg_nosignal=" + sent);
        }
        catch (SocketException e)
        {
            Console.WriteLine("send_msg_nosignal_error=" + e.SocketErrorCode);
            Console.WriteLine("send_msg_nosignal_message=" + e.Message);
        }

        byte b = 2;
        var raw = send((int)client.Handle, &b, 1, MSG_NOSIGNAL);
        Console.WriteLine("raw_send_msg_nosignal=" + raw);
        return 0;
    }

    /// <summary>
    /// N children killed by one kill(-pgid) exit together: the handler runs fewer times than children exited, and
    /// every one of them is still waiting to be reaped, so a handler that reaps one child per run leaves zombies.
    /// </summary>
    private static int SigchldCoalesce(int count)
    {
        var runs = 0;
        using var registration = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, _ => Interlocked.Increment(ref runs));
        var attributes = Marshal.AllocHGlobal(1024);
        posix_spawnattr_init(attributes);
        posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETPGROUP);
        var pids = new List<int>();
        var group = 0;
        for (var i = 0; i < count; i++)
        {
            posix_spawnattr_setpgroup(attributes, group);
            if (posix_spawn(out var pid, "/bin/sleep", IntPtr.Zero, attributes, ["sleep", "30", null], [null]) != 0)
            {
                Console.WriteLine("error=posix_spawn");
                return 1;
            }

            pids.Add(pid);
            group = pids[0];
        }

        posix_spawnattr_destroy(attributes);
        Marshal.FreeHGlobal(attributes);
        Thread.Sleep(300);
        kill(-group, SIGKILL);
        Thread.Sleep(1000);
        var zombies = 0;
        foreach (var pid in pids)
        {
            if (waitpid(pid, out _, WNOHANG) == pid)
            {
                zombies++;
            }
        }

        Console.WriteLine("children=" + count);
        Console.WriteLine("handler_runs=" + Volatile.Read(ref runs));
        Console.WriteLine("reaped_after=" + zombies);
        return 0;
    }

    /// <summary>SIGCHLD set to SIG_IGN: the kernel reaps every child; waits see ECHILD, Process cannot get the exit code.</summary>
    private static int SigchldIgnored()
    {
        signal(SIGCHLD, (IntPtr)1);
        posix_spawn(out var pid, "/bin/true", IntPtr.Zero, IntPtr.Zero, ["true", null], [null]);
        Thread.Sleep(300);
        var reaped = waitpid(pid, out _, 0);
        var errno = Marshal.GetLastPInvokeError();
        Console.WriteLine("waitpid_own_child=" + reaped);
        Console.WriteLine("waitpid_own_child_errno=" + errno);
        Console.Out.Flush();
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exit 3"]))!;
        var exited = process.WaitForExit(3000);
        Console.WriteLine("process_wait_for_exit=" + exited);
        if (exited)
        {
            try
            {
                Console.WriteLine("process_exit_code=" + process.ExitCode);
            }
            catch (InvalidOperationException e)
            {
                Console.WriteLine("process_exit_code_error=" + e.Message);
            }
        }

        return 0;
    }

    private static string SpawnCatStatus(bool resetSigpipe)
    {
        var fds = stackalloc int[2];
        pipe(fds);
        var actions = Marshal.AllocHGlobal(1024);
        var attributes = Marshal.AllocHGlobal(1024);
        posix_spawn_file_actions_init(actions);
        posix_spawn_file_actions_adddup2(actions, fds[1], 1);
        posix_spawn_file_actions_addclose(actions, fds[0]);
        posix_spawnattr_init(attributes);
        if (resetSigpipe)
        {
            var set = stackalloc ulong[16];
            sigemptyset(set);
            sigaddset(set, SIGPIPE);
            posix_spawnattr_setsigdefault(attributes, set);
            posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGDEF);
        }

        posix_spawn(out var pid, "/bin/cat", actions, attributes, ["cat", "/proc/self/status", null], [null]);
        close(fds[1]);
        using var reader = new StreamReader(new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fds[0], true), FileAccess.Read));
        var text = reader.ReadToEnd();
        waitpid(pid, out _, 0);
        posix_spawn_file_actions_destroy(actions);
        posix_spawnattr_destroy(attributes);
        Marshal.FreeHGlobal(actions);
        Marshal.FreeHGlobal(attributes);
        return text;
    }

    private static ulong SigIgn(string status)
    {
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
            {
                return Convert.ToUInt64(line.Substring("SigIgn:".Length).Trim(), 16);
            }
        }

        throw new InvalidOperationException("no SigIgn line");
    }

    private static bool IsSet(ulong mask, int signal) => (mask & (1UL << (signal - 1))) != 0;

    [DllImport("libc", SetLastError = true)]
    private static extern int pipe(int* fds);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, void* buffer, nuint count);

    [DllImport("libc", SetLastError = true)]
    private static extern nint send(int fd, void* buffer, nuint count, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr signal(int signal, IntPtr handler);

    [DllImport("libc", SetLastError = true)]
    private static extern int waitpid(int pid, out int status, int options);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [DllImport("libc")]
    private static extern int posix_spawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp);

    [DllImport("libc")]
    private static extern int posix_spawnattr_init(IntPtr attributes);

    [DllImport("libc")]
    private static extern int posix_spawnattr_destroy(IntPtr attributes);

    [DllImport("libc")]
    private static extern int posix_spawnattr_setflags(IntPtr attributes, short flags);

    [DllImport("libc")]
    private static extern int posix_spawnattr_setpgroup(IntPtr attributes, int group);

    [DllImport("libc")]
    private static extern int posix_spawnattr_setsigdefault(IntPtr attributes, ulong* set);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_init(IntPtr actions);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_destroy(IntPtr actions);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_adddup2(IntPtr actions, int fd, int newFd);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_addclose(IntPtr actions, int fd);

    [DllImport("libc")]
    private static extern int sigemptyset(ulong* set);

    [DllImport("libc")]
    private static extern int sigaddset(ulong* set, int signal);
}
