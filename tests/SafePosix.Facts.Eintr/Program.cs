using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;

namespace SafePosix.Facts.Eintr;

/// <summary>
/// One blocked call, one signal delivered to the blocked thread itself (tgkill), then the call is unblocked. The call
/// either failed with EINTR when the signal arrived, or the kernel restarted it and it returned after the unblock.
/// </summary>
internal static unsafe class Program
{
    private const int EINTR = 4;
    private const int SIGUSR1 = 10, SIGUSR2 = 12, SIGCHLD = 17, SIGVTALRM = 26;
    private const int SA_RESTART = 0x10000000;
    private const int O_CLOEXEC = 0x80000, O_NONBLOCK = 0x800, F_SETFL = 4;
    private const int IPC_PRIVATE = 0, IPC_CREAT = 0x200, IPC_RMID = 0;
    private const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;
    private const int EPOLL_CTL_ADD = 1, EPOLLIN = 1;
    private const short POLLIN = 1;
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    public static int Main(string[] args)
    {
        // Installed before any measurement: the runtime's handlers (SIGUSR1 through PosixSignalRegistration, SIGCHLD
        // once a Process has been used) and two raw handlers that only call getpid (async-signal-safe, native).
        using var registration = PosixSignalRegistration.Create((PosixSignal)SIGUSR1, context => context.Cancel = true);
        using (var first = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false }))
        {
            first!.WaitForExit();
        }

        var nativeNoOp = NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), "getpid");
        InstallRaw(SIGUSR2, nativeNoOp, flags: 0);
        InstallRaw(SIGVTALRM, nativeNoOp, flags: SA_RESTART);

        var sources = new (string Name, int Signal)[]
        {
            ("PosixSignalRegistration (SIGUSR1)", SIGUSR1),
            ("runtime SIGCHLD handler", SIGCHLD),
            ("raw handler, no SA_RESTART (SIGUSR2)", SIGUSR2),
            ("raw handler, SA_RESTART (SIGVTALRM)", SIGVTALRM),
        };

        var subjects = new List<(string Name, Func<Subject> Create)>
        {
            ("read (pipe)", ReadPipe),
            ("write (full pipe)", WriteFullPipe),
            ("accept (unix socket)", Accept),
            ("waitpid", WaitPid),
            ("poll", Poll),
            ("epoll_wait", EpollWait),
            ("select", Select),
            ("nanosleep", NanoSleep),
            ("msgrcv", MessageReceive),
            ("semop", SemaphoreWait),
        };

        Console.WriteLine("| call | " + string.Join(" | ", Array.ConvertAll(sources, s => s.Name)) + " |");
        Console.WriteLine("|---|" + string.Concat(Array.ConvertAll(sources, _ => "---|")));
        foreach (var (name, create) in subjects)
        {
            var cells = new List<string>();
            foreach (var (_, signal) in sources)
            {
                cells.Add(Measure(create, signal));
            }

            Console.WriteLine("| " + name + " | " + string.Join(" | ", cells) + " |");
        }

        return 0;
    }

    private sealed class Subject : IDisposable
    {
        public required Func<long> Call { get; init; }

        public required Action Unblock { get; init; }

        public Action? Cleanup { get; init; }

        public void Dispose() => Cleanup?.Invoke();
    }

    private static string Measure(Func<Subject> create, int signal)
    {
        using var subject = create();
        var ready = new ManualResetEventSlim();
        var tid = 0;
        long result = 0;
        var error = 0;
        var thread = new Thread(() =>
        {
            tid = gettid();
            ready.Set();
            result = subject.Call();
            error = Marshal.GetLastPInvokeError();
        }) { IsBackground = true };
        thread.Start();
        ready.Wait();
        Thread.Sleep(Settle);
        if (tgkill(getpid(), tid, signal) != 0)
        {
            return "tgkill failed";
        }

        if (thread.Join(Settle))
        {
            subject.Unblock();
            return result == -1 && error == EINTR ? "**EINTR**" : $"returned {result} (errno {error}) before the unblock";
        }

        subject.Unblock();
        if (!thread.Join(TimeSpan.FromSeconds(5)))
        {
            return "still blocked";
        }

        return result == -1 ? $"failed, errno {error}" : "restarted";
    }

    private static Subject ReadPipe()
    {
        var fds = Pipe();
        var buffer = new byte[16];
        return new Subject
        {
            Call = () => { fixed (byte* b = buffer) { return (long)read(fds[0], b, 16); } },
            Unblock = () => WriteByte(fds[1]),
            Cleanup = () => CloseAll(fds),
        };
    }

    private static Subject WriteFullPipe()
    {
        var fds = new int[2];
        fixed (int* f = fds)
        {
            Check(pipe2(f, O_CLOEXEC | O_NONBLOCK), "pipe2");
        }

        var chunk = new byte[65536];
        fixed (byte* c = chunk)
        {
            // Fill the pipe while it does not block, then make it blocking: the next write waits for a reader.
            while (write(fds[1], c, 4096) > 0)
            {
            }

            Check(fcntl(fds[1], F_SETFL, 0), "fcntl");
        }

        return new Subject
        {
            Call = () => { fixed (byte* c = chunk) { return (long)write(fds[1], c, 4096); } },
            Unblock = () => { fixed (byte* c = chunk) { read(fds[0], c, 65536); } },
            Cleanup = () => CloseAll(fds),
        };
    }

    private static Subject Accept()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "eintr-" + Environment.ProcessId + "-" + Environment.TickCount64 + ".sock");
        var listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        var address = UnixAddress(path);
        fixed (byte* a = address)
        {
            Check(bind(listener, a, address.Length), "bind");
        }

        Check(listen(listener, 1), "listen");
        var client = -1;
        return new Subject
        {
            Call = () => accept4(listener, null, null, SOCK_CLOEXEC),
            Unblock = () =>
            {
                client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                fixed (byte* a = address)
                {
                    connect(client, a, address.Length);
                }
            },
            Cleanup = () =>
            {
                close(listener);
                close(client);
                System.IO.File.Delete(path);
            },
        };
    }

    private static Subject WaitPid()
    {
        // A child the runtime does not know about (posix_spawn, not Process), so only this waitpid reaps it.
        var argv = new[] { Utf8("/bin/sleep"), Utf8("30"), IntPtr.Zero };
        int spawned;
        fixed (IntPtr* a = argv)
        {
            var error = posix_spawn(&spawned, (byte*)argv[0], IntPtr.Zero, IntPtr.Zero, a, null);
            if (error != 0)
            {
                throw new InvalidOperationException("posix_spawn failed: " + error);
            }
        }

        var pid = spawned;

        Marshal.FreeHGlobal(argv[0]);
        Marshal.FreeHGlobal(argv[1]);
        return new Subject
        {
            Call = () => { int status; return waitpid(pid, &status, 0); },
            Unblock = () => kill(pid, 9),
        };
    }

    private static Subject Poll()
    {
        var fds = Pipe();
        return new Subject
        {
            Call = () => { var p = new PollFd { Fd = fds[0], Events = POLLIN }; return poll(&p, 1, 10_000); },
            Unblock = () => WriteByte(fds[1]),
            Cleanup = () => CloseAll(fds),
        };
    }

    private static Subject EpollWait()
    {
        var fds = Pipe();
        var epoll = epoll_create1(O_CLOEXEC);
        var registration = new EpollEvent { Events = EPOLLIN, Data = 0 };
        Check(epoll_ctl(epoll, EPOLL_CTL_ADD, fds[0], &registration), "epoll_ctl");
        return new Subject
        {
            Call = () => { EpollEvent happened; return epoll_wait(epoll, &happened, 1, 10_000); },
            Unblock = () => WriteByte(fds[1]),
            Cleanup = () => { CloseAll(fds); close(epoll); },
        };
    }

    private static Subject Select() => new()
    {
        Call = () => { var timeout = new Timeval { Seconds = 1, Microseconds = 500_000 }; return select(0, null, null, null, &timeout); },
        Unblock = () => { },
    };

    private static Subject NanoSleep() => new()
    {
        Call = () => { var request = new Timespec { Seconds = 1, Nanoseconds = 500_000_000 }; Timespec remaining; return nanosleep(&request, &remaining); },
        Unblock = () => { },
    };

    private static Subject MessageReceive()
    {
        var queue = msgget(IPC_PRIVATE, IPC_CREAT | 0x180);
        Check(queue, "msgget");
        return new Subject
        {
            Call = () => { var message = stackalloc long[2]; return (long)msgrcv(queue, message, 8, 0, 0); },
            Unblock = () => { var message = stackalloc long[2]; message[0] = 1; msgsnd(queue, message, 8, 0); },
            Cleanup = () => msgctl(queue, IPC_RMID, IntPtr.Zero),
        };
    }

    private static Subject SemaphoreWait()
    {
        var set = semget(IPC_PRIVATE, 1, IPC_CREAT | 0x180);
        Check(set, "semget");
        return new Subject
        {
            Call = () => { var down = new SemBuf { Number = 0, Operation = -1 }; return semop(set, &down, 1); },
            Unblock = () => { var up = new SemBuf { Number = 0, Operation = 1 }; semop(set, &up, 1); },
            Cleanup = () => semctl(set, 0, IPC_RMID),
        };
    }

    private static int[] Pipe()
    {
        var fds = new int[2];
        fixed (int* f = fds)
        {
            Check(pipe2(f, O_CLOEXEC), "pipe2");
        }

        return fds;
    }

    private static void WriteByte(int fd)
    {
        byte one = 1;
        write(fd, &one, 1);
    }

    private static void CloseAll(int[] fds)
    {
        foreach (var fd in fds)
        {
            close(fd);
        }
    }

    private static byte[] UnixAddress(string path)
    {
        var address = new byte[110];
        address[0] = AF_UNIX;
        System.Text.Encoding.UTF8.GetBytes(path, 0, path.Length, address, 2);
        return address;
    }

    private static IntPtr Utf8(string text) => Marshal.StringToCoTaskMemUTF8(text);

    private static void InstallRaw(int signal, IntPtr handler, int flags)
    {
        // glibc's struct sigaction on x86-64 and arm64: handler, 128-byte mask, int flags, restorer.
        var action = stackalloc byte[152];
        new Span<byte>(action, 152).Clear();
        *(IntPtr*)action = handler;
        *(int*)(action + 136) = flags;
        Check(sigaction(signal, action, null), "sigaction");
    }

    private static void Check(int result, string call)
    {
        if (result < 0)
        {
            throw new InvalidOperationException($"{call} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timeval
    {
        public long Seconds;
        public long Microseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SemBuf
    {
        public ushort Number;
        public short Operation;
        public short Flags;
    }

    [DllImport("libc", SetLastError = true)] private static extern nint read(int fd, byte* buffer, nint count);
    [DllImport("libc", SetLastError = true)] private static extern nint write(int fd, byte* buffer, nint count);
    [DllImport("libc", SetLastError = true)] private static extern int pipe2(int* fds, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int fcntl(int fd, int command, int argument);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int poll(PollFd* fds, nuint count, int timeout);
    [DllImport("libc", SetLastError = true)] private static extern int epoll_create1(int flags);
    [DllImport("libc", SetLastError = true)] private static extern int epoll_ctl(int epoll, int operation, int fd, EpollEvent* happening);
    [DllImport("libc", SetLastError = true)] private static extern int epoll_wait(int epoll, EpollEvent* events, int count, int timeout);
    [DllImport("libc", SetLastError = true)] private static extern int select(int count, void* read, void* write, void* except, Timeval* timeout);
    [DllImport("libc", SetLastError = true)] private static extern int nanosleep(Timespec* request, Timespec* remaining);
    [DllImport("libc", SetLastError = true)] private static extern int msgget(int key, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int msgsnd(int queue, long* message, nuint size, int flags);
    [DllImport("libc", SetLastError = true)] private static extern nint msgrcv(int queue, long* message, nuint size, long type, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int msgctl(int queue, int command, IntPtr buffer);
    [DllImport("libc", SetLastError = true)] private static extern int semget(int key, int count, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int semop(int set, SemBuf* operations, nuint count);
    [DllImport("libc", SetLastError = true)] private static extern int semctl(int set, int number, int command);
    [DllImport("libc", SetLastError = true)] private static extern int waitpid(int pid, int* status, int options);
    [DllImport("libc", SetLastError = true)] private static extern int posix_spawn(int* pid, byte* path, IntPtr fileActions, IntPtr attributes, IntPtr* argv, IntPtr* envp);
    [DllImport("libc", SetLastError = true)] private static extern int kill(int pid, int signal);
    [DllImport("libc", SetLastError = true)] private static extern int socket(int domain, int type, int protocol);
    [DllImport("libc", SetLastError = true)] private static extern int bind(int fd, byte* address, int length);
    [DllImport("libc", SetLastError = true)] private static extern int listen(int fd, int backlog);
    [DllImport("libc", SetLastError = true)] private static extern int accept4(int fd, byte* address, int* length, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int connect(int fd, byte* address, int length);
    [DllImport("libc", SetLastError = true)] private static extern int sigaction(int signal, byte* action, byte* previous);
    [DllImport("libc")] private static extern int gettid();
    [DllImport("libc")] private static extern int getpid();
    [DllImport("libc", SetLastError = true)] private static extern int tgkill(int pid, int tid, int signal);
}
