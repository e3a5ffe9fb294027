using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.EintrNotRetriedAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class EintrNotRetriedAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);

            [DllImport("libc", EntryPoint = "msgrcv", SetLastError = true)]
            public static extern nint ReceiveMessage(int queue, void* message, nuint size, long type, int flags);

            [DllImport("libc", SetLastError = true)]
            public static extern int semop(int set, void* operations, nuint count);

            [DllImport("libc", SetLastError = true)]
            public static extern nint read(int fd, void* buffer, nint count);
        }

        """;

    [Fact]
    public Task PollFailureThrown_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            int M(void* fds)
            {
                int ready = {|#0:Native.poll(fds, 1, 1000)|};
                if (ready == -1)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                return ready;
            }
        }
        """, VerifyCS.Diagnostic("PSX4004").WithLocation(0)
            .WithMessage("'poll' fails with EINTR when a signal arrives, even under SA_RESTART; retry it on EINTR instead of failing"));

    [Fact]
    public Task RenamedMsgrcvAndSemop_ComparedInline_AreReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            void M(int queue, int set, void* buffer)
            {
                if ([|Native.ReceiveMessage(queue, buffer, 64, 0, 0)|] < 0)
                {
                    throw new InvalidOperationException("msgrcv failed");
                }

                if ([|Native.semop(set, buffer, 1)|] != -1)
                {
                    return;
                }
            }
        }
        """);

    [Fact]
    public Task Tmds_EpollWait_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int M(int epoll, Tmds.Linux.epoll_event* events)
            {
                int count = [|epoll_wait(epoll, events, 16, -1)|];
                if (count < 0)
                {
                    throw new InvalidOperationException("epoll_wait failed");
                }

                return count;
            }
        }
        """);

    [Fact]
    public Task Mono_Poll_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            bool M(Pollfd[] fds)
            {
                int ready = [|Syscall.poll(fds, 1000)|];
                if (ready == -1)
                {
                    throw new InvalidOperationException("poll: " + Stdlib.GetLastError());
                }

                return ready > 0;
            }
        }
        """);

    [Fact]
    public Task LibraryImport_Nanosleep_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static unsafe partial class Native
        {
            [LibraryImport("libc", SetLastError = true)]
            public static partial int nanosleep(long* request, long* remaining);
        }

        unsafe class C
        {
            void Pause(long* request)
            {
                int rc = [|Native.nanosleep(request, null)|];
                if (rc == -1)
                {
                    throw new InvalidOperationException("nanosleep failed");
                }
            }
        }
        """);

    // ---- silent ------------------------------------------------------------------------------------------------

    [Fact]
    public Task RetryLoops_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            int Own(void* fds)
            {
                int ready;
                do
                {
                    ready = Native.poll(fds, 1, 1000);
                }
                while (ready == -1 && Marshal.GetLastPInvokeError() == Native.EINTR);

                if (ready == -1)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                return ready;
            }

            int OnMono(Mono.Unix.Native.Pollfd[] fds)
            {
                int ready;
                do
                {
                    ready = Mono.Unix.Native.Syscall.poll(fds, 1000);
                }
                while (Mono.Unix.UnixMarshal.ShouldRetrySyscall(ready));

                return ready < 0 ? throw new InvalidOperationException() : ready;
            }

            bool HandsEintrToTheCaller(int set, void* operations)
            {
                if (Native.semop(set, operations, 1) == -1)
                {
                    int error = Marshal.GetLastPInvokeError();
                    if (error == 4)
                    {
                        return false;
                    }

                    throw new Win32Exception(error);
                }

                return true;
            }
        }
        """);

    [Fact]
    public Task RestartedCalls_UncheckedResults_AndWrappers_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            void Read(int fd, void* buffer)
            {
                if (Native.read(fd, buffer, 16) == -1)
                {
                    throw new InvalidOperationException("read failed");
                }
            }

            int Wrapper(void* fds, int timeout) => Native.poll(fds, 1, timeout);

            void Ignored(void* fds) => Native.poll(fds, 0, 10);
        }
        """);

    [Fact]
    public Task CallsRepeatedAfterAnyFailure_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            void SleepFully(void* fds)
            {
                while (Native.poll(fds, 0, 1000) == -1)
                {
                }
            }

            void Loop(void* fds)
            {
                while (true)
                {
                    int ready = Native.poll(fds, 1, 1000);
                    if (ready < 0)
                    {
                        continue;
                    }

                    break;
                }
            }
        }
        """);

    [Fact]
    public Task EventLoopThatThrowsOnFailure_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            void Run(void* fds, System.Func<bool> running)
            {
                while (running())
                {
                    int ready = [|Native.poll(fds, 1, 1000)|];
                    if (ready < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }
                }
            }
        }
        """);

    [Fact]
    public Task ErrnoReturnedToARetryingCaller_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        enum WaitError { None, Interrupted, Other }

        unsafe class Sockets
        {
            // itexoft's socket layer: the error goes back mapped, and its caller loops on Interrupted.
            public static WaitError Wait(void* fds, out bool ready)
            {
                ready = false;
                var result = Native.poll(fds, 1, 100);
                if (result == -1)
                    return MapError(Marshal.GetLastPInvokeError());

                ready = result > 0;
                return WaitError.None;
            }

            static WaitError MapError(int error) => error == Native.EINTR ? WaitError.Interrupted : WaitError.Other;
        }
        """);

    [Fact]
    public Task ErrnoStoredInAnOutParameter_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Sockets
        {
            public static bool TryWait(void* fds, out int error)
            {
                error = 0;
                if (Native.poll(fds, 1, 100) < 0)
                {
                    error = Marshal.GetLastPInvokeError();
                    return false;
                }

                return true;
            }
        }
        """);

    [Fact]
    public Task FailureReturnedWithoutErrno_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Sockets
        {
            public static bool TryWait(void* fds)
            {
                if ([|Native.poll(fds, 1, 100)|] < 0)
                {
                    Console.WriteLine(Marshal.GetLastPInvokeError());
                    return false;
                }

                return true;
            }
        }
        """);

    [Fact]
    public Task ErrnoOfAnotherCallReturned_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            int M(void* fds, int fd, void* buffer)
            {
                if ([|Native.poll(fds, 1, 100)|] < 0)
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                var count = Native.read(fd, buffer, 10);
                if (count < 0) return -Marshal.GetLastPInvokeError();
                return (int)count;
            }
        }
        """);

    [Fact]
    public Task ErrnoOfAnotherCallKeptInALocalAndReturned_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            int M(void* fds, int fd, void* buffer)
            {
                int result = 0;
                if ([|Native.poll(fds, 1, 100)|] == -1)
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                if (Native.read(fd, buffer, 10) < 0)
                    result = Marshal.GetLastPInvokeError();
                return result;
            }
        }
        """);

    [Fact]
    public Task ABoolOrAMessageMadeFromErrnoReturned_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            const int EAGAIN = 11;

            bool TryWait(void* fds)
            {
                if ([|Native.poll(fds, 1, 100)|] < 0)
                    return Marshal.GetLastPInvokeError() == EAGAIN;
                return true;
            }

            string Wait(void* fds)
            {
                if ([|Native.poll(fds, 1, 100)|] < 0)
                    return "poll failed: " + Marshal.GetLastPInvokeError();
                return null;
            }
        }
        """);

    [Fact]
    public Task ErrnoKeptInALocalThatTheThrowingPathNeverReturns_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            int M(void* fds)
            {
                int error = 0;
                if ([|Native.poll(fds, 1, -1)|] < 0)
                {
                    error = Marshal.GetLastPInvokeError();
                    throw new System.IO.IOException("poll failed");
                }

                return error;
            }
        }
        """);

    [Fact]
    public Task ErrnoMappedThroughLocalsAndReturned_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        enum WaitError { None, Interrupted, Other }

        unsafe class C
        {
            WaitError Wait(void* fds)
            {
                if (Native.poll(fds, 1, 100) == -1)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    var mapped = Map(errno);
                    return mapped;
                }

                return WaitError.None;
            }

            static WaitError Map(int errno) => errno == Native.EINTR ? WaitError.Interrupted : WaitError.Other;
        }
        """);

    [Fact]
    public Task ErrnoOnlyInAMessageInsideAReturnedTuple_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            (bool Ok, string Error) Wait(void* fds)
            {
                if ([|Native.poll(fds, 1, 100)|] < 0)
                    return (false, $"poll: {Marshal.GetLastPInvokeError()}");
                return (true, null);
            }
        }
        """);

    [Fact]
    public Task WinsockSelect_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static unsafe class Winsock
        {
            [DllImport("ws2_32.dll", SetLastError = true, EntryPoint = "select")]
            public static extern int Select(int ignored, void* read, void* write, void* except, void* timeout);

            public static bool Readable(void* set)
            {
                if (Select(0, set, null, null, null) == -1)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                return true;
            }
        }
        """);

    [Fact]
    public Task LookAlikes_AreSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Net.Sockets;

        static class Events
        {
            public static int poll(int timeout) => -1;
        }

        class C
        {
            void M(Socket socket)
            {
                if (Events.poll(10) == -1)
                {
                    throw new InvalidOperationException();
                }

                if (!socket.Poll(1000, SelectMode.SelectRead))
                {
                    throw new TimeoutException();
                }
            }
        }
        """);
}
