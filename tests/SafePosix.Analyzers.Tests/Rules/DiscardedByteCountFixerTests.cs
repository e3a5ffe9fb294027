using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using SafePosix.CodeFixes.Rules;
using Xunit;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class DiscardedByteCountFixerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern nint write(int fd, byte* buffer, nint count);

            [DllImport("libc", SetLastError = true)]
            public static extern nint read(int fd, byte* buffer, nint count);

            [DllImport("libc", SetLastError = true)]
            public static extern nint pwrite(int fd, byte* buffer, nint count, long offset);
        }

        """;

    private const string OwnInteropFixed = """
        using System;
        using System.Runtime.InteropServices;
        using SafePosix;
        using SafePosix.Ipc;

        static unsafe class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern nint write(int fd, byte* buffer, nint count);

            [DllImport("libc", SetLastError = true)]
            public static extern nint read(int fd, byte* buffer, nint count);

            [DllImport("libc", SetLastError = true)]
            public static extern nint pwrite(int fd, byte* buffer, nint count, long offset);
        }

        """;

    /// <summary>The fix test with the SafePosix runtime referenced (or not), Fix All included; the fixed code must compile.</summary>
    private static Task VerifyAsync(string source, string fixedSource, bool runtimeReferenced = true)
    {
        var test = new PosixCodeFixTest<DiscardedByteCountAnalyzer, DiscardedByteCountFixer>
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = DiscardedByteCountFixer.WriteAllKey,
        };
        if (runtimeReferenced)
        {
            test.TestState.AdditionalReferences.Add(TestReferences.Runtime);
        }

        return test.RunAsync();
    }

    [Fact]
    public Task OwnDllImport_PointerWrite_BecomesWriteAllOverASpan() => VerifyAsync(OwnInterop + """
        unsafe class Log
        {
            void Append(int fd, byte* text, int length)
            {
                [|Native.write(fd, text, length)|];
            }
        }
        """, OwnInteropFixed + """
        unsafe class Log
        {
            void Append(int fd, byte* text, int length)
            {
                PosixIo.WriteAll(new SafeFileDescriptor(fd, ownsHandle: false), new ReadOnlySpan<byte>(text, length));
            }
        }
        """);

    [Fact]
    public Task Tmds_WriteAndSendWithoutFlags_AreFixedInOnePass_UsingsAddedOnce() => VerifyAsync("""
        using static Tmds.Linux.LibC;

        unsafe class Peer
        {
            void Hello(int fd, int socket, byte* data)
            {
                [|write(fd, data, 16)|];
                [|send(socket, data, 16, 0)|];
                [|write(fd, data, 1)|];
            }
        }
        """, """
        using System;
        using SafePosix;
        using SafePosix.Ipc;
        using static Tmds.Linux.LibC;

        unsafe class Peer
        {
            void Hello(int fd, int socket, byte* data)
            {
                PosixIo.WriteAll(new SafeFileDescriptor(fd, ownsHandle: false), new ReadOnlySpan<byte>(data, 16));
                PosixIo.WriteAll(new SafeFileDescriptor(socket, ownsHandle: false), new ReadOnlySpan<byte>(data, 16));
                PosixIo.WriteAll(new SafeFileDescriptor(fd, ownsHandle: false), new ReadOnlySpan<byte>(data, 1));
            }
        }
        """);

    [Fact]
    public Task Mono_SendOfAWholeArray_PassesTheArray() => VerifyAsync("""
        using Mono.Unix.Native;

        class Peer
        {
            void Hello(int socket, byte[] message)
            {
                [|Syscall.send(socket, message, (ulong)message.Length, 0)|];
            }
        }
        """, """
        using Mono.Unix.Native;
        using SafePosix;
        using SafePosix.Ipc;

        class Peer
        {
            void Hello(int socket, byte[] message)
            {
                PosixIo.WriteAll(new SafeFileDescriptor(socket, ownsHandle: false), message);
            }
        }
        """);

    [Fact]
    public Task Mono_SendOfPartOfAnArray_PassesASpanOfThatPart() => VerifyAsync("""
        using Mono.Unix.Native;

        class Peer
        {
            void Hello(int socket, byte[] message, int used)
            {
                [|Syscall.send(socket, message, (ulong)used, 0)|];
            }
        }
        """, """
        using System;
        using Mono.Unix.Native;
        using SafePosix;
        using SafePosix.Ipc;

        class Peer
        {
            void Hello(int socket, byte[] message, int used)
            {
                PosixIo.WriteAll(new SafeFileDescriptor(socket, ownsHandle: false), new ReadOnlySpan<byte>(message, 0, used));
            }
        }
        """);

    [Fact]
    public Task Mono_IntPtrWriteInUnsafeCode_BecomesASpanOverThePointer() => VerifyAsync("""
        using System;
        using Mono.Unix.Native;

        unsafe class Sink
        {
            void Put(int fd, IntPtr buffer, int length)
            {
                [|Syscall.write(fd, buffer, (ulong)length)|];
            }
        }
        """, """
        using System;
        using Mono.Unix.Native;
        using SafePosix;
        using SafePosix.Ipc;

        unsafe class Sink
        {
            void Put(int fd, IntPtr buffer, int length)
            {
                PosixIo.WriteAll(new SafeFileDescriptor(fd, ownsHandle: false), new ReadOnlySpan<byte>((void*)buffer, length));
            }
        }
        """);

    [Fact]
    public Task LibraryImport_SafeHandleAndSpan_PassedAsTheyAre() => VerifyAsync("""
        using System;
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("libc", SetLastError = true)]
            public static partial nint write(SafeHandle fd, ReadOnlySpan<byte> buffer, nint count);
        }

        class Sink
        {
            void Put(SafeHandle file, ReadOnlySpan<byte> data)
            {
                [|Native.write(file, data, data.Length)|];
                [|Native.write(file, data, 4)|];
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;
        using SafePosix.Ipc;

        static partial class Native
        {
            [LibraryImport("libc", SetLastError = true)]
            public static partial nint write(SafeHandle fd, ReadOnlySpan<byte> buffer, nint count);
        }

        class Sink
        {
            void Put(SafeHandle file, ReadOnlySpan<byte> data)
            {
                PosixIo.WriteAll(file, data);
                PosixIo.WriteAll(file, data.Slice(0, 4));
            }
        }
        """);

    // ---- no fix ------------------------------------------------------------------------------------------------

    [Fact]
    public Task WithoutTheRuntime_NoFixIsOffered() => VerifyAsync(OwnInterop + """
        unsafe class Log
        {
            void Append(int fd, byte* text, int length)
            {
                [|Native.write(fd, text, length)|];
            }
        }
        """, OwnInterop + """
        unsafe class Log
        {
            void Append(int fd, byte* text, int length)
            {
                [|Native.write(fd, text, length)|];
            }
        }
        """, runtimeReferenced: false);

    [Fact]
    public Task Reads_AreNotFixed() => VerifyAsync("""
        using Mono.Unix.Native;
        using static Tmds.Linux.LibC;

        unsafe class Source
        {
            void Fill(int fd, byte* buffer, byte[] array)
            {
                [|read(fd, buffer, 16)|];
                [|Syscall.recv(fd, array, (ulong)array.Length, 0)|];
            }
        }
        """, """
        using Mono.Unix.Native;
        using static Tmds.Linux.LibC;

        unsafe class Source
        {
            void Fill(int fd, byte* buffer, byte[] array)
            {
                [|read(fd, buffer, 16)|];
                [|Syscall.recv(fd, array, (ulong)array.Length, 0)|];
            }
        }
        """);

    [Fact]
    public Task ArgumentsThatDoNotMapCleanly_AreNotFixed() => VerifyAsync("""
        using System;
        using Mono.Unix.Native;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class Peer
        {
            void Send(int socket, byte* data, ulong size)
            {
                [|send(socket, data, 16, MSG_NOSIGNAL)|];
                [|write(socket, data, (size_t)size)|];
                [|pwrite(socket, data, 16, 0)|];
            }
        }

        class Safe
        {
            void Put(int fd, IntPtr buffer, int length)
            {
                [|Syscall.write(fd, buffer, (ulong)length)|];
            }
        }
        """, """
        using System;
        using Mono.Unix.Native;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class Peer
        {
            void Send(int socket, byte* data, ulong size)
            {
                [|send(socket, data, 16, MSG_NOSIGNAL)|];
                [|write(socket, data, (size_t)size)|];
                [|pwrite(socket, data, 16, 0)|];
            }
        }

        class Safe
        {
            void Put(int fd, IntPtr buffer, int length)
            {
                [|Syscall.write(fd, buffer, (ulong)length)|];
            }
        }
        """);

    [Fact]
    public Task CallThroughTheProjectsWrapper_IsNotFixed() => VerifyAsync(OwnInterop + """
        unsafe class Log
        {
            static long Write(int fd, byte* b, long n) => Native.write(fd, b, (nint)n);

            void Append(int fd, byte* text)
            {
                [|Write(fd, text, 4)|];
            }
        }
        """, OwnInterop + """
        unsafe class Log
        {
            static long Write(int fd, byte* b, long n) => Native.write(fd, b, (nint)n);

            void Append(int fd, byte* text)
            {
                [|Write(fd, text, 4)|];
            }
        }
        """);
}
