using System;
using System.Runtime.InteropServices;
using System.Net.Sockets;
using Mono.Unix.Native;

namespace Showcase;

/// <summary>PSX2001-PSX2009: waiting for children and handling signals in a runtime that already does both.</summary>
internal static class WaitingAndSignalMistakes
{
    private const int WNOHANG = 1;
    private const int MSG_NOSIGNAL = 0x4000;

    [DllImport("libc", SetLastError = true)]
    private static extern int waitpid(int pid, out int status, int options);

    // PSX2001: one reap per SIGCHLD, but SIGCHLDs coalesce: children that exit together stay zombies.
    public static PosixSignalRegistration ReapOnSigchld() => PosixSignalRegistration.Create(PosixSignal.SIGCHLD, context =>
    {
        var pid = waitpid(-1, out var status, WNOHANG);
        if (pid > 0)
        {
            Console.WriteLine($"child {pid} exited with status {status}");
        }
    });

    // PSX2002: reaps any child, including the ones System.Diagnostics.Process is waiting for.
    public static int ReapAnyChild()
    {
        var reaped = 0;
        while (waitpid(-1, out _, WNOHANG) > 0)
        {
            reaped++;
        }

        return reaped;
    }

    // PSX2004: the runtime ignores SIGPIPE; putting the default back lets the next broken pipe kill the process.
    public static void RestoreDefaultSigpipe() => Stdlib.SetSignalAction(Signum.SIGPIPE, SignalAction.Default);

    // PSX2006: SocketFlags has no MSG_NOSIGNAL: every Send throws "Operation not supported".
    public static int SendWithoutSigpipe(Socket socket, byte[] data) => socket.Send(data, (SocketFlags)MSG_NOSIGNAL);

    // PSX2008: "no zombies" the C way: the kernel now reaps Process's children too, before it can see them exit.
    public static void NeverZombies() => Stdlib.SetSignalAction(Signum.SIGCHLD, SignalAction.Ignore);

    // PSX2003: a child killed by SIGKILL or SIGSEGV has "exit code" 0 here: a crash reads as success.
    public static int ExitCodeOf(int pid)
    {
        waitpid(pid, out var status, 0);
        return (status >> 8) & 0xff;
    }

    // PSX2009: managed code as a raw handler: it can run inside malloc or the GC on any thread.
    public static void OnTerminate() => Stdlib.signal(Signum.SIGTERM, signal => Console.WriteLine($"signal {signal}: stopping"));
}
