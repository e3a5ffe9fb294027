using System;
using System.ComponentModel;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Mono.Unix;
using Mono.Unix.Native;
using static Tmds.Linux.LibC;

namespace Showcase;

/// <summary>
/// PSX4001-PSX4006: descriptors, sockets and System V IPC, each mistake as seen in real projects. None of these
/// methods is called; they exist to be analyzed.
/// </summary>
internal static unsafe class DescriptorAndIpcMistakes
{
    private const int OpenReadOnly = 0, IpcCreate = 0x200, Eintr = 4, FD_CLOEXEC = 1;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenFile(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int msgget(int key, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint msgrcv(int queue, void* message, nuint size, long type, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int CloseDescriptor(int fd);

    // PSX4001: the control socket of the previous run is still on disk; this bind fails with EADDRINUSE after a crash.
    public static Socket ListenForCommands(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen();
        return socket;
    }

    // PSX4002: every child this process starts inherits the key file, the socket and both ends of the pipe.
    public static int OpenKey(string path) => OpenFile(path, OpenReadOnly);

    public static int CreateListener() => socket(AF_UNIX, SOCK_STREAM, 0);

    public static int CreateWakeUpPipe(out int writing) => Syscall.pipe(out var reading, out writing) == 0 ? reading : -1;

    // PSX4002: F_SETFL ignores FD_CLOEXEC (it is F_SETFD's flag), so the received descriptor stays inheritable.
    public static int KeepFromChildren(int fd) => Syscall.fcntl(fd, FcntlCommand.F_SETFL, FD_CLOEXEC);

    // PSX4003: a short write silently drops the end of the record.
    public static void AppendRecord(int fd, byte* record, int length)
    {
        write(fd, record, length);
    }

    // PSX4004: a child exiting (SIGCHLD) makes this receive fail, and the worker stops.
    public static long ReceiveJob(int queue, void* buffer)
    {
        nint received = msgrcv(queue, buffer, 256, 0, 0);
        if (received == -1)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }

        return received;
    }

    // PSX4005: System V IPC ignores the umask: any local user can post jobs to this queue.
    public static int CreateJobQueue(int key) => msgget(key, IpcCreate | 0x1b6);

    // PSX4006: the retry may close a descriptor another thread has just opened.
    public static void CloseQuietly(int fd)
    {
        int result;
        do
        {
            result = CloseDescriptor(fd);
        }
        while (result == -1 && Marshal.GetLastPInvokeError() == Eintr);
    }

    // Mono.Posix's own retry helper has the same problem.
    public static void CloseWithMono(int fd)
    {
        int result;
        do
        {
            result = Syscall.close(fd);
        }
        while (UnixMarshal.ShouldRetrySyscall(result));
    }
}
