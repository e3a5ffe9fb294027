using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.DiscardedByteCountAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class DiscardedByteCountAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern nint write(int fd, byte* buffer, nint count);

            [DllImport("libc", EntryPoint = "read", SetLastError = true)]
            public static extern nint ReadBytes(int fd, byte* buffer, nint count);

            [DllImport("libc", SetLastError = true)]
            public static extern long sendfile(int outFd, int inFd, IntPtr offset, nuint count);
        }

        """;

    [Fact]
    public Task OwnDllImport_WriteAsStatement_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            void M(int fd, byte* data, int length)
            {
                {|#0:Native.write(fd, data, length)|};
            }
        }
        """, VerifyCS.Diagnostic("PSX4003").WithLocation(0)
            .WithMessage("The result of 'write' is discarded: errors and short transfers go unnoticed; loop until every byte is written"));

    // A constant -1 descriptor is no descriptor: the call can only fail with EBADF, which is why code makes it (to
    // probe that the entry point exists, as dbus-sharp does with Mono's sendmsg).
    [Fact]
    public Task CallOnDescriptorMinusOne_IsSilent() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        static class Probe
        {
            static bool SendmsgAvailable()
            {
                Syscall.sendmsg(-1, new Msghdr { msg_iov = new Iovec[0], msg_iovlen = 0 }, 0);
                return true;
            }
        }
        """);

    [Fact]
    public Task OwnDllImport_RenamedReadAndSendfile_AreReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            void M(int fd, int file, byte* buffer)
            {
                {|#0:Native.ReadBytes(fd, buffer, 512)|};
                {|#1:Native.sendfile(fd, file, IntPtr.Zero, 4096)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX4003").WithLocation(0)
            .WithMessage("The result of 'read' is discarded: errors and short transfers go unnoticed; use only the bytes it reports"),
        VerifyCS.Diagnostic("PSX4003").WithLocation(1)
            .WithMessage("The result of 'sendfile' is discarded: errors and short transfers go unnoticed; loop until every byte is sent"));

    [Fact]
    public Task Tmds_WriteAndSend_AreReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(int fd, byte* data)
            {
                [|write(fd, data, 16)|];
                [|send(fd, data, 16, MSG_NOSIGNAL)|];
                [|read(fd, data, 16)|];
            }
        }
        """);

    [Fact]
    public Task Mono_WriteAndRecv_AreReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        unsafe class C
        {
            void M(int fd, byte[] data, byte* raw)
            {
                [|Syscall.write(fd, raw, 16)|];
                [|Syscall.recv(fd, data, (ulong)data.Length, 0)|];
            }
        }
        """);

    [Fact]
    public Task LibraryImport_RenamedSend_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static unsafe partial class Native
        {
            [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
            public static partial nint SendBytes(int fd, byte* buffer, nuint count, int flags);
        }

        unsafe class C
        {
            void M(int fd, byte* data) => [|Native.SendBytes(fd, data, 4, 0)|];
        }
        """);

    [Fact]
    public Task OwnWrapper_ResultDiscardedAtItsCallSite_IsReported_NotInItsBody() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Log
        {
            static long Write(int fd, byte* b, long n) => Native.write(fd, b, (nint)n);

            void Append(int fd, byte* text)
            {
                {|#0:Write(fd, text, 4)|};
            }
        }
        """, VerifyCS.Diagnostic("PSX4003").WithLocation(0)
            .WithMessage("The result of 'write' is discarded: errors and short transfers go unnoticed; loop until every byte is written"));

    [Fact]
    public Task TmdsWrapperOfAWrapper_ResultDiscarded_IsReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        static unsafe class Io
        {
            public static ssize_t Send(int socket, byte* data, int length)
            {
                return send(socket, data, length, MSG_NOSIGNAL);
            }

            public static long SendAll(int socket, byte* data, int length) => Send(socket, data, length);
        }

        unsafe class Peer
        {
            void Hello(int socket, byte* data)
            {
                [|Io.Send(socket, data, 5)|];
                [|Io.SendAll(socket, data, 5)|];
            }
        }
        """);

    // ---- silent ------------------------------------------------------------------------------------------------

    [Fact]
    public Task WrapperThatChecksTheCount_IsSilentAtItsCallSite() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Log
        {
            static long WriteChecked(int fd, byte* b, int n)
            {
                nint written = Native.write(fd, b, n);
                if (written != n)
                {
                    throw new InvalidOperationException("short write");
                }

                return written;
            }

            void Append(int fd, byte* text)
            {
                WriteChecked(fd, text, 4);
            }
        }
        """);

    [Fact]
    public Task WrapperThatReturnsSomethingElse_IsSilentAtItsCallSite() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Log
        {
            static bool TryWrite(int fd, byte* b, int n) => Native.write(fd, b, n) == n;

            static int Flush(int fd, byte* b, int n)
            {
                [|Native.write(fd, b, n)|];
                return 0;
            }

            static int Length(int fd, byte* b, int n) => n;

            void Append(int fd, byte* text)
            {
                TryWrite(fd, text, 4);
                Flush(fd, text, 4);
                Length(fd, text, 4);
            }
        }
        """);

    [Fact]
    public Task UsedResults_AndExplicitDiscards_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            nint M(int fd, byte* data, nint length)
            {
                while (length > 0)
                {
                    nint written = Native.write(fd, data, length);
                    if (written < 0)
                    {
                        throw new InvalidOperationException();
                    }

                    data += written;
                    length -= written;
                }

                _ = Native.write(fd, data, 1);
                if (Native.ReadBytes(fd, data, 1) != 1)
                {
                    return -1;
                }

                return Native.write(fd, data, 1);
            }
        }
        """);

    [Fact]
    public Task LookAlikes_AreSilent() => VerifyCS.AnalyzerAsync("""
        using System.IO;
        using System.Net.Sockets;

        static class Log
        {
            public static int write(string text) => text.Length;
        }

        class C
        {
            void M(Stream stream, Socket socket, byte[] data)
            {
                stream.Write(data, 0, data.Length);
                socket.Send(data);
                stream.Read(data, 0, data.Length);
                Log.write("x");
            }
        }
        """);
}
