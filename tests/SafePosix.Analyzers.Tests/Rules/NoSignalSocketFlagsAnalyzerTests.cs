using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.NoSignalSocketFlagsAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class NoSignalSocketFlagsAnalyzerTests
{
    private const string Message = "MSG_NOSIGNAL (0x4000) is not a SocketFlags value: Socket.Send fails with 'Operation not supported'; remove it";

    [Fact]
    public Task LiteralAndOwnConstant_AreReported() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;

        class Sender
        {
            const int MSG_NOSIGNAL = 0x4000;
            const SocketFlags NoSignal = {|#0:(SocketFlags)16384|};

            void Send(Socket socket, byte[] data)
            {
                socket.Send(data, {|#1:(SocketFlags)0x4000|});
                socket.Send(data, SocketFlags.Peek | {|#2:(SocketFlags)MSG_NOSIGNAL|});
                socket.Send(data, NoSignal);
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2006").WithLocation(0).WithMessage(Message),
        VerifyCS.Diagnostic("PSX2006").WithLocation(1).WithMessage(Message),
        VerifyCS.Diagnostic("PSX2006").WithLocation(2).WithMessage(Message));

    [Fact]
    public Task TmdsAndMonoConstants_AreReported() => VerifyCS.AnalyzerAsync("""
        using System.Net.Sockets;
        using Mono.Unix.Native;
        using static Tmds.Linux.LibC;

        class Sender
        {
            void Send(Socket socket, byte[] data)
            {
                socket.Send(data, {|#0:(SocketFlags)MSG_NOSIGNAL|});
                socket.Send(data, {|#1:(SocketFlags)(MessageFlags.MSG_NOSIGNAL | MessageFlags.MSG_DONTWAIT)|});
                socket.SendTo(data, {|#2:(SocketFlags)(MSG_DONTWAIT | MSG_NOSIGNAL)|}, socket.RemoteEndPoint!);
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2006").WithLocation(0).WithMessage(Message),
        VerifyCS.Diagnostic("PSX2006").WithLocation(1).WithMessage(Message),
        VerifyCS.Diagnostic("PSX2006").WithLocation(2).WithMessage(Message));

    [Fact]
    public Task RawSendWithMsgNoSignalAndOtherSocketFlags_AreSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Net.Sockets;
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int MSG_NOSIGNAL = 0x4000;

            [DllImport("libc", SetLastError = true)]
            public static extern nint send(int fd, byte[] buffer, nuint length, int flags);
        }

        class Sender
        {
            void Send(Socket socket, byte[] data, int flags)
            {
                Native.send((int)socket.Handle, data, (nuint)data.Length, Native.MSG_NOSIGNAL);
                socket.Send(data, SocketFlags.None);
                socket.Send(data, (SocketFlags)0x40);
                socket.Send(data, (SocketFlags)flags);
                var asInt = (int)SocketFlags.Partial | Native.MSG_NOSIGNAL;
                Console.WriteLine(asInt);
            }
        }
        """);

    [Fact]
    public Task Fix_RemovesTheFlagAndKeepsTheRest() => VerifyCS.CodeFixAsync<NoSignalSocketFlagsFixer>("""
        using System.Net.Sockets;
        using static Tmds.Linux.LibC;

        class Sender
        {
            const int NoSignal = 0x4000;

            void Send(Socket socket, byte[] data)
            {
                socket.Send(data, [|(SocketFlags)0x4000|]);
                socket.Send(data, SocketFlags.Peek | [|(SocketFlags)NoSignal|]);
                socket.Send(data, [|(SocketFlags)(MSG_DONTWAIT | MSG_NOSIGNAL)|]);
            }
        }
        """, """
        using System.Net.Sockets;
        using static Tmds.Linux.LibC;

        class Sender
        {
            const int NoSignal = 0x4000;

            void Send(Socket socket, byte[] data)
            {
                socket.Send(data, SocketFlags.None);
                socket.Send(data, SocketFlags.Peek);
                socket.Send(data, (SocketFlags)(MSG_DONTWAIT));
            }
        }
        """, NoSignalSocketFlagsFixer.RemoveFlagKey);

    [Fact]
    public Task FlagFoldedIntoALargerConstant_GetsNoFix() => VerifyCS.CodeFixAsync<NoSignalSocketFlagsFixer>("""
        using System.Net.Sockets;

        class Sender
        {
            void Send(Socket socket, byte[] data) => socket.Send(data, [|(SocketFlags)0x4040|]);
        }
        """, """
        using System.Net.Sockets;

        class Sender
        {
            void Send(Socket socket, byte[] data) => socket.Send(data, [|(SocketFlags)0x4040|]);
        }
        """, NoSignalSocketFlagsFixer.RemoveFlagKey);
}
