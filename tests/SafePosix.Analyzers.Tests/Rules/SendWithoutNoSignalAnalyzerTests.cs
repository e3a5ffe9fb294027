using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.SendWithoutNoSignalAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class SendWithoutNoSignalAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;

            [DllImport("libc", SetLastError = true)]
            public static extern nint send(int fd, byte* buffer, nuint length, int flags);

            [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
            public static partial nint SendMessage(int fd, IntPtr message, int flags);
        }

        """;

    private static string Message(string function)
        => $"'{function}' without MSG_NOSIGNAL raises SIGPIPE on a closed peer where the host does not ignore it; add MSG_NOSIGNAL";

    [Fact]
    public Task SendsWithoutTheFlag_AreReportedOnEverySurface() => VerifyCS.AnalyzerAsync(OwnInterop.Replace("static unsafe class", "static unsafe partial class") + """
        unsafe class Sender
        {
            void Send(int fd, byte* data, nuint length, IntPtr message, byte[] bytes)
            {
                {|#0:Native.send(fd, data, length, 0)|};
                {|#1:Native.SendMessage(fd, message, Native.MSG_DONTWAIT)|};
                {|#2:Tmds.Linux.LibC.send(fd, data, (int)length, Tmds.Linux.LibC.MSG_DONTWAIT)|};
                {|#3:Mono.Unix.Native.Syscall.send(fd, bytes, (ulong)bytes.Length, 0)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2007").WithLocation(0).WithMessage(Message("send")),
        VerifyCS.Diagnostic("PSX2007").WithLocation(1).WithMessage(Message("sendmsg")),
        VerifyCS.Diagnostic("PSX2007").WithLocation(2).WithMessage(Message("send")),
        VerifyCS.Diagnostic("PSX2007").WithLocation(3).WithMessage(Message("send")));

    [Fact]
    public Task SendOnDescriptorMinusOne_IsSilent() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        static class Probe
        {
            static bool SendmsgAvailable()
            {
                _ = Syscall.sendmsg(-1, new Msghdr { msg_iov = new Iovec[0], msg_iovlen = 0 }, 0);
                return true;
            }
        }
        """);

    [Fact]
    public Task FlagsWithMsgNoSignalOrUnknown_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop.Replace("static unsafe class", "static unsafe partial class") + """
        unsafe class Sender
        {
            void Send(int fd, byte* data, nuint length, int flags, byte[] bytes, System.Net.Sockets.Socket socket)
            {
                Native.send(fd, data, length, Native.MSG_NOSIGNAL);
                Native.send(fd, data, length, Native.MSG_DONTWAIT | Native.MSG_NOSIGNAL);
                Native.send(fd, data, length, flags);
                Tmds.Linux.LibC.send(fd, data, (int)length, Tmds.Linux.LibC.MSG_NOSIGNAL);
                Mono.Unix.Native.Syscall.send(fd, bytes, (ulong)bytes.Length, Mono.Unix.Native.MessageFlags.MSG_NOSIGNAL);
                socket.Send(bytes);
            }
        }
        """);

    [Fact]
    public Task Fix_AddsTheSurfacesFlag() => VerifyCS.CodeFixAsync<SendWithoutNoSignalFixer>("""
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;
        using static Tmds.Linux.LibC;

        static unsafe class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern nint send(int fd, byte* buffer, nuint length, int flags);
        }

        unsafe class Sender
        {
            void Send(int fd, byte* data, nuint length, byte[] bytes)
            {
                [|Native.send(fd, data, length, 0)|];
                [|Native.send(fd, data, length, 0x40)|];
                [|send(fd, data, (int)length, MSG_DONTWAIT)|];
                [|Syscall.send(fd, bytes, (ulong)bytes.Length, 0)|];
            }
        }
        """, """
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;
        using static Tmds.Linux.LibC;

        static unsafe class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern nint send(int fd, byte* buffer, nuint length, int flags);
        }

        unsafe class Sender
        {
            void Send(int fd, byte* data, nuint length, byte[] bytes)
            {
                Native.send(fd, data, length, 0x4000 /* MSG_NOSIGNAL */);
                Native.send(fd, data, length, 0x40 | 0x4000 /* MSG_NOSIGNAL */);
                send(fd, data, (int)length, MSG_DONTWAIT | MSG_NOSIGNAL);
                Syscall.send(fd, bytes, (ulong)bytes.Length, MessageFlags.MSG_NOSIGNAL);
            }
        }
        """, SendWithoutNoSignalFixer.AddNoSignalKey);

    // A datagram or raw socket has no connection to lose: send never raises SIGPIPE on it (UDP, CAN).
    [Fact]
    public Task SendOnADatagramOrRawSocketMadeInTheMethod_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Lx
        {
            public const int AF_INET = 2, AF_UNIX = 1, PF_CAN = 29, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000, CAN_RAW = 1;

            [DllImport("libc", SetLastError = true)]
            public static extern int socket(int domain, int type, int protocol);

            [DllImport("libc", SetLastError = true)]
            public static extern nint sendto(int fd, byte[] buffer, nint length, int flags, byte[] address, int addressLength);
        }

        class C
        {
            void Send(byte[] data, byte[] address)
            {
                int udp = Lx.socket(Lx.AF_INET, Lx.SOCK_DGRAM | Lx.SOCK_CLOEXEC, 0);
                Lx.sendto(udp, data, data.Length, 0, address, address.Length);
                int can = Lx.socket(Lx.PF_CAN, Lx.SOCK_RAW, Lx.CAN_RAW);
                Lx.sendto(can, data, data.Length, 0, address, address.Length);
            }
        }
        """);

    // SocketCANSharp's tests: the socket is a private field a [SetUp] makes, and a [TearDown] clears.
    [Fact]
    public Task SendOnADatagramSocketField_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Lx
        {
            public const int AF_INET = 2, AF_UNIX = 1, PF_CAN = 29, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000, CAN_RAW = 1;

            [DllImport("libc", SetLastError = true)]
            public static extern int socket(int domain, int type, int protocol);

            [DllImport("libc", SetLastError = true)]
            public static extern nint sendto(int fd, byte[] buffer, nint length, int flags, byte[] address, int addressLength);
        }

        class J1939Tests
        {
            private int _socket = -1;

            void SetUp() => _socket = Lx.socket(Lx.PF_CAN, Lx.SOCK_DGRAM, 7);

            void TearDown() => _socket = -1;

            void Send(byte[] data, byte[] address) => Lx.sendto(_socket, data, data.Length, 0, address, address.Length);
        }
        """);

    // Stream and seqpacket sockets lose their peer: still reported.
    [Fact]
    public Task SendOnAStreamOrSeqpacketSocket_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Lx
        {
            public const int AF_INET = 2, AF_UNIX = 1, PF_CAN = 29, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000, CAN_RAW = 1;

            [DllImport("libc", SetLastError = true)]
            public static extern int socket(int domain, int type, int protocol);

            [DllImport("libc", SetLastError = true)]
            public static extern nint sendto(int fd, byte[] buffer, nint length, int flags, byte[] address, int addressLength);
        }

        class C
        {
            void Send(byte[] data, byte[] address)
            {
                int tcp = Lx.socket(Lx.AF_INET, Lx.SOCK_STREAM, 0);
                [|Lx.sendto(tcp, data, data.Length, 0, address, address.Length)|];
                int local = Lx.socket(Lx.AF_UNIX, Lx.SOCK_SEQPACKET, 0);
                [|Lx.sendto(local, data, data.Length, 0, address, address.Length)|];
            }
        }
        """);

    // A field some method may set to another socket: every value must be connectionless.
    [Fact]
    public Task SendOnAFieldAlsoGivenAStreamSocket_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Lx
        {
            public const int AF_INET = 2, AF_UNIX = 1, PF_CAN = 29, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000, CAN_RAW = 1;

            [DllImport("libc", SetLastError = true)]
            public static extern int socket(int domain, int type, int protocol);

            [DllImport("libc", SetLastError = true)]
            public static extern nint sendto(int fd, byte[] buffer, nint length, int flags, byte[] address, int addressLength);
        }

        class C
        {
            private int _socket;

            void Open(bool stream) => _socket = stream ? Lx.socket(Lx.AF_INET, Lx.SOCK_STREAM, 0) : Lx.socket(Lx.AF_INET, Lx.SOCK_DGRAM, 0);

            void Send(byte[] data, byte[] address) => [|Lx.sendto(_socket, data, data.Length, 0, address, address.Length)|];
        }
        """);

    // A field others can set is not judged by what this type writes.
    [Fact]
    public Task SendOnAPublicField_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Lx
        {
            public const int AF_INET = 2, AF_UNIX = 1, PF_CAN = 29, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000, CAN_RAW = 1;

            [DllImport("libc", SetLastError = true)]
            public static extern int socket(int domain, int type, int protocol);

            [DllImport("libc", SetLastError = true)]
            public static extern nint sendto(int fd, byte[] buffer, nint length, int flags, byte[] address, int addressLength);
        }

        class C
        {
            public int Socket = Lx.socket(Lx.AF_INET, Lx.SOCK_DGRAM, 0);

            void Send(byte[] data, byte[] address) => [|Lx.sendto(Socket, data, data.Length, 0, address, address.Length)|];
        }
        """);

    // Another instance's field written with a stream socket: the only value seen here (-1) proves nothing.
    [Fact]
    public Task SendOnAFieldAnotherInstanceFills_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Lx
        {
            public const int AF_INET = 2, AF_UNIX = 1, PF_CAN = 29, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000, CAN_RAW = 1;

            [DllImport("libc", SetLastError = true)]
            public static extern int socket(int domain, int type, int protocol);

            [DllImport("libc", SetLastError = true)]
            public static extern nint sendto(int fd, byte[] buffer, nint length, int flags, byte[] address, int addressLength);
        }

        class Connection
        {
            private int _fd = -1;

            public static Connection Open()
            {
                var connection = new Connection();
                connection._fd = Lx.socket(Lx.AF_UNIX, Lx.SOCK_STREAM, 0);
                return connection;
            }

            public void Send(byte[] data, byte[] address) => [|Lx.sendto(_fd, data, data.Length, 0, address, address.Length)|];
        }
        """);
}
