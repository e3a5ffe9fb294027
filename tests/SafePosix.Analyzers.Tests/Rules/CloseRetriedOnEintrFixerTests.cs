using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.CloseRetriedOnEintrAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class CloseRetriedOnEintrFixerTests
{
    [Fact]
    public Task OwnInterop_DoWhile_BecomesOneCloseWithEintrAsSuccess() => VerifyCS.CodeFixAsync<CloseRetriedOnEintrFixer>("""
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int close(int fd);
        }

        class C
        {
            void M(int fd)
            {
                int result;
                do
                {
                    result = [|Native.close(fd)|];
                }
                while (result == -1 && Marshal.GetLastPInvokeError() == 4);

                if (result == -1)
                {
                    throw new InvalidOperationException("close failed");
                }
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int close(int fd);
        }

        class C
        {
            void M(int fd)
            {
                int result;
                result = Native.close(fd);
                if (result == -1 && Marshal.GetLastPInvokeError() == 4)
                {
                    result = 0;
                }

                if (result == -1)
                {
                    throw new InvalidOperationException("close failed");
                }
            }
        }
        """, CloseRetriedOnEintrFixer.CloseOnceKey);

    [Fact]
    public Task Tmds_EmptyWhile_BecomesOneClose() => VerifyCS.CodeFixAsync<CloseRetriedOnEintrFixer>("""
        using static Tmds.Linux.LibC;

        class C
        {
            void M(int fd)
            {
                while ([|close(fd)|] == -1 && errno == EINTR)
                {
                }
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        class C
        {
            void M(int fd)
            {
                close(fd);
            }
        }
        """);

    [Fact]
    public Task SeveralLoopsInOneDocument_AreAllFixedInOnePass() => VerifyCS.CodeFixAsync<CloseRetriedOnEintrFixer>("""
        using static Tmds.Linux.LibC;

        class C
        {
            void M(int input, int output)
            {
                while ([|close(input)|] == -1 && errno == EINTR)
                {
                }

                switch (output)
                {
                    case > 2:
                        while ([|close(output)|] == -1 && errno == EINTR)
                        {
                        }

                        break;
                }
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        class C
        {
            void M(int input, int output)
            {
                close(input);

                switch (output)
                {
                    case > 2:
                        close(output);

                        break;
                }
            }
        }
        """);

    [Fact]
    public Task Mono_ShouldRetrySyscall_BecomesOneClose() => VerifyCS.CodeFixAsync<CloseRetriedOnEintrFixer>("""
        using Mono.Unix;
        using Mono.Unix.Native;

        class C
        {
            int M(int fd)
            {
                int r;
                do
                {
                    r = [|Syscall.close(fd)|];
                }
                while (UnixMarshal.ShouldRetrySyscall(r));
                return r;
            }
        }
        """, """
        using Mono.Unix;
        using Mono.Unix.Native;

        class C
        {
            int M(int fd)
            {
                int r;
                r = Syscall.close(fd);
                if (UnixMarshal.ShouldRetrySyscall(r))
                {
                    r = 0;
                }

                return r;
            }
        }
        """);

    [Fact]
    public Task ForLoopRetry_HasNoFix() => VerifyCS.CodeFixAsync<CloseRetriedOnEintrFixer>("""
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        class C
        {
            void M(int fd)
            {
                for (;;)
                {
                    if ([|close(fd)|] == 0 || Marshal.GetLastPInvokeError() != EINTR)
                    {
                        break;
                    }
                }
            }
        }
        """, """
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        class C
        {
            void M(int fd)
            {
                for (;;)
                {
                    if ([|close(fd)|] == 0 || Marshal.GetLastPInvokeError() != EINTR)
                    {
                        break;
                    }
                }
            }
        }
        """);
}
