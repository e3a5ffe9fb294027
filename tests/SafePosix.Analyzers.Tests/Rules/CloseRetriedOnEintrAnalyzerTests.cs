using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.CloseRetriedOnEintrAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class CloseRetriedOnEintrAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int EINTR = 4;

            [DllImport("libc", SetLastError = true)]
            public static extern int close(int fd);

            [DllImport("libc", EntryPoint = "close", SetLastError = true)]
            public static extern int CloseDescriptor(int fd);

            [DllImport("libc", SetLastError = true)]
            public static extern nint read(int fd, IntPtr buffer, nint count);
        }

        """;

    [Fact]
    public Task DoWhileOnEintr_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                int result;
                do
                {
                    result = {|#0:Native.close(fd)|};
                }
                while (result == -1 && Marshal.GetLastPInvokeError() == Native.EINTR);
            }
        }
        """, VerifyCS.Diagnostic("PSX4006").WithLocation(0)
            .WithMessage("'close' is retried on EINTR, but Linux has already freed the descriptor and a retry may close another; call it once"));

    [Fact]
    public Task WhileConditionRetry_WithLiteralFourAndRenamedEntryPoint_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                while ([|Native.CloseDescriptor(fd)|] < 0 && Marshal.GetLastWin32Error() == 4)
                {
                }
            }
        }
        """);

    [Fact]
    public Task InfiniteLoopWithContinueOnEintr_ThroughAnErrnoLocal_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                for (;;)
                {
                    if ([|Native.close(fd)|] == 0)
                    {
                        break;
                    }

                    int error = Marshal.GetLastPInvokeError();
                    if (error == 4)
                    {
                        continue;
                    }

                    throw new InvalidOperationException("close failed: " + error);
                }
            }
        }
        """);

    [Fact]
    public Task Tmds_ErrnoProperty_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            void M(int fd)
            {
                int rc;
                do
                {
                    rc = [|close(fd)|];
                }
                while (rc == -1 && errno == EINTR);
            }
        }
        """);

    [Fact]
    public Task Mono_ShouldRetrySyscallAndErrnoEnum_AreReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix;
        using Mono.Unix.Native;

        class C
        {
            void Retry(int fd)
            {
                int r;
                do
                {
                    r = [|Syscall.close(fd)|];
                }
                while (UnixMarshal.ShouldRetrySyscall(r));
            }

            void Loop(int fd)
            {
                while ([|Syscall.close(fd)|] == -1 && Stdlib.GetLastError() == Errno.EINTR)
                {
                }
            }
        }
        """);

    [Fact]
    public Task LibraryImport_Close_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("libc", SetLastError = true)]
            public static partial int close(int fd);
        }

        class C
        {
            void M(int fd)
            {
                while ([|Native.close(fd)|] == -1 && Marshal.GetLastPInvokeError() == 4)
                {
                }
            }
        }
        """);

    // ---- silent ------------------------------------------------------------------------------------------------

    [Fact]
    public Task SingleCloseIgnoringEintr_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                if (Native.close(fd) == -1 && Marshal.GetLastPInvokeError() != Native.EINTR)
                {
                    throw new InvalidOperationException("close failed");
                }
            }
        }
        """);

    [Fact]
    public Task ClosingManyDescriptors_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void CloseFrom(int first, int last, int[] fds)
            {
                for (int fd = first; fd <= last; fd++)
                {
                    if (Native.close(fd) == -1 && Marshal.GetLastPInvokeError() == Native.EINTR)
                    {
                        continue;
                    }
                }

                foreach (var fd in fds)
                {
                    if (Native.close(fd) == -1 && Marshal.GetLastPInvokeError() == Native.EINTR)
                    {
                        continue;
                    }
                }
            }
        }
        """);

    [Fact]
    public Task EintrRetryOfAnotherCall_WithCloseInTheSameLoop_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd, IntPtr buffer)
            {
                while (true)
                {
                    nint n = Native.read(fd, buffer, 4096);
                    if (n == -1 && Marshal.GetLastPInvokeError() == Native.EINTR)
                    {
                        continue;
                    }

                    Native.close(fd);
                    break;
                }
            }
        }
        """);

    [Fact]
    public Task LoopWithoutEintrTest_AndLookAlikes_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int close(int fd) => 0;

            void M(int fd, System.IO.Stream stream)
            {
                while (Native.close(fd) == -1 && Marshal.GetLastPInvokeError() == 9) { }
                while (close(fd) == -1 && Marshal.GetLastPInvokeError() == Native.EINTR) { }
                do { stream.Close(); } while (Marshal.GetLastPInvokeError() == Native.EINTR);
            }
        }
        """);
}
