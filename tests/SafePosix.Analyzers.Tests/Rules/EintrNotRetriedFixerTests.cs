using System;
using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.EintrNotRetriedAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class EintrNotRetriedFixerTests
{
    [Fact]
    public Task OwnInterop_Declaration_BecomesRetryLoopWithOwnConstant() => VerifyCS.CodeFixAsync<EintrNotRetriedFixer>("""
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                var ready = [|Native.poll(fds, 1, 1000)|];
                if (ready == -1)
                {
                    throw new InvalidOperationException();
                }

                return ready;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                int ready;
                do
                {
                    ready = Native.poll(fds, 1, 1000);
                }
                while (ready == -1 && Marshal.GetLastPInvokeError() == Native.EINTR);
                if (ready == -1)
                {
                    throw new InvalidOperationException();
                }

                return ready;
            }
        }
        """, EintrNotRetriedFixer.RetryOnEintrKey);

    [Fact]
    public Task Tmds_Assignment_UsesTmdsEintrAndImportsMarshal() => VerifyCS.CodeFixAsync<EintrNotRetriedFixer>("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int M(int epoll, Tmds.Linux.epoll_event* events)
            {
                int count;
                count = [|epoll_wait(epoll, events, 16, -1)|];
                return count < 0 ? throw new InvalidOperationException() : count;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int M(int epoll, Tmds.Linux.epoll_event* events)
            {
                int count;
                do
                {
                    count = epoll_wait(epoll, events, 16, -1);
                }
                while (count == -1 && Marshal.GetLastPInvokeError() == EINTR);
                return count < 0 ? throw new InvalidOperationException() : count;
            }
        }
        """);

    [Fact]
    public Task Mono_UsesShouldRetrySyscall() => VerifyCS.CodeFixAsync<EintrNotRetriedFixer>("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            int M(Pollfd[] fds)
            {
                int ready = [|Syscall.poll(fds, 1000)|];
                if (ready == -1)
                {
                    throw new InvalidOperationException();
                }

                return ready;
            }
        }
        """, """
        using System;
        using Mono.Unix;
        using Mono.Unix.Native;

        class C
        {
            int M(Pollfd[] fds)
            {
                int ready;
                do
                {
                    ready = Syscall.poll(fds, 1000);
                }
                while (UnixMarshal.ShouldRetrySyscall(ready));
                if (ready == -1)
                {
                    throw new InvalidOperationException();
                }

                return ready;
            }
        }
        """);

    [Fact]
    public Task CallInsideCondition_HasNoFix() => VerifyCS.CodeFixAsync<EintrNotRetriedFixer>("""
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int semop(int set, void* operations, nuint count);
        }

        unsafe class C
        {
            void M(int set, void* operations)
            {
                if ([|Native.semop(set, operations, 1)|] == -1)
                {
                    throw new InvalidOperationException();
                }
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int semop(int set, void* operations, nuint count);
        }

        unsafe class C
        {
            void M(int set, void* operations)
            {
                if ([|Native.semop(set, operations, 1)|] == -1)
                {
                    throw new InvalidOperationException();
                }
            }
        }
        """);

    [Fact]
    public Task FixAll_TwoCallsInOneDocument_BothBecomeLoops_AndOneUsing() => VerifyCS.CodeFixAsync<EintrNotRetriedFixer>("""
        using System;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int First(void* fds)
            {
                int ready = [|Native.poll(fds, 1, 1000)|];
                if (ready == -1)
                {
                    throw new InvalidOperationException();
                }

                return ready;
            }

            int Second(void* fds)
            {
                int ready = [|Native.poll(fds, 2, 50)|];
                if (ready == -1)
                {
                    throw new InvalidOperationException();
                }

                return ready;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int First(void* fds)
            {
                int ready;
                do
                {
                    ready = Native.poll(fds, 1, 1000);
                }
                while (ready == -1 && Marshal.GetLastPInvokeError() == Native.EINTR);
                if (ready == -1)
                {
                    throw new InvalidOperationException();
                }

                return ready;
            }

            int Second(void* fds)
            {
                int ready;
                do
                {
                    ready = Native.poll(fds, 2, 50);
                }
                while (ready == -1 && Marshal.GetLastPInvokeError() == Native.EINTR);
                if (ready == -1)
                {
                    throw new InvalidOperationException();
                }

                return ready;
            }
        }
        """, EintrNotRetriedFixer.RetryOnEintrKey);

    // A call written over several lines keeps its line breaks (that statement goes through Roslyn's formatter), and its
    // continuation line moves into the loop with it.
    [Fact]
    public Task CallOverSeveralLines_KeepsItsLineBreaks() => VerifyCS.CodeFixAsync<EintrNotRetriedFixer>("""
        using System;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                int ready = [|Native.poll(fds, 1,
                    1000)|];
                return ready == -1 ? throw new InvalidOperationException() : ready;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                int ready;
                do
                {
                    ready = Native.poll(fds, 1,
                        1000);
                }
                while (ready == -1 && Marshal.GetLastPInvokeError() == Native.EINTR);
                return ready == -1 ? throw new InvalidOperationException() : ready;
            }
        }
        """);

    [Fact]
    public Task CallOverSeveralLines_CommentLineInside_MovesWithIt() => VerifyCS.CodeFixAsync<EintrNotRetriedFixer>("""
        using System;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                int ready = [|Native.poll(
                    fds,
                    1,

                    // one second
                    1000)|];
                return ready == -1 ? throw new InvalidOperationException() : ready;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                int ready;
                do
                {
                    ready = Native.poll(
                        fds,
                        1,

                        // one second
                        1000);
                }
                while (ready == -1 && Marshal.GetLastPInvokeError() == Native.EINTR);
                return ready == -1 ? throw new InvalidOperationException() : ready;
            }
        }
        """);

    // In a tab-indented document the loop is indented with tabs too.
    [Fact]
    public Task TabIndentedDocument_LoopIsIndentedWithTabs() => VerifyCS.CodeFixAsync<EintrNotRetriedFixer>("""
        using System;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                int ready = [|Native.poll(fds, 1, 1000)|];
                return ready == -1 ? throw new InvalidOperationException() : ready;
            }
        }
        """.Replace("    ", "\t", StringComparison.Ordinal), """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                int ready;
                do
                {
                    ready = Native.poll(fds, 1, 1000);
                }
                while (ready == -1 && Marshal.GetLastPInvokeError() == Native.EINTR);
                return ready == -1 ? throw new InvalidOperationException() : ready;
            }
        }
        """.Replace("    ", "\t", StringComparison.Ordinal));

    // The document's line endings are kept.
    [Fact]
    public Task CrlfLineEndings_AreKept() => VerifyCS.CodeFixAsync<EintrNotRetriedFixer>("""
        using System;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                int ready = [|Native.poll(fds, 1, 1000)|];
                return ready == -1 ? throw new InvalidOperationException() : ready;
            }
        }
        """.ReplaceLineEndings("\r\n"), """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                int ready;
                do
                {
                    ready = Native.poll(fds, 1, 1000);
                }
                while (ready == -1 && Marshal.GetLastPInvokeError() == Native.EINTR);
                return ready == -1 ? throw new InvalidOperationException() : ready;
            }
        }
        """.ReplaceLineEndings("\r\n"));

    // The body is one level of the code's own indentation deeper, here two spaces.
    [Fact]
    public Task TwoSpaceIndentation_BodyIsTwoSpacesDeeper() => VerifyCS.CodeFixAsync<EintrNotRetriedFixer>("""
        using System;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                int ready = [|Native.poll(fds, 1, 1000)|];
                return ready == -1 ? throw new InvalidOperationException() : ready;
            }
        }
        """.Replace("    ", "  ", StringComparison.Ordinal), """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds)
            {
                int ready;
                do
                {
                    ready = Native.poll(fds, 1, 1000);
                }
                while (ready == -1 && Marshal.GetLastPInvokeError() == Native.EINTR);
                return ready == -1 ? throw new InvalidOperationException() : ready;
            }
        }
        """.Replace("    ", "  ", StringComparison.Ordinal));

    // Nested blocks: the loop keeps the statement's depth, the body goes one level deeper.
    [Fact]
    public Task StatementTwoBlocksDeep_KeepsItsDepth() => VerifyCS.CodeFixAsync<EintrNotRetriedFixer>("""
        using System;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds, bool wait)
            {
                var total = 0;
                if (wait)
                {
                    for (var i = 0; i < 3; i++)
                    {
                        int ready = [|Native.poll(fds, 1, 1000)|];
                        total += ready == -1 ? throw new InvalidOperationException() : ready;
                    }
                }

                return total;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int EINTR = 4;

            [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
            public static extern int poll(void* fds, nuint count, int timeout);
        }

        unsafe class C
        {
            int M(void* fds, bool wait)
            {
                var total = 0;
                if (wait)
                {
                    for (var i = 0; i < 3; i++)
                    {
                        int ready;
                        do
                        {
                            ready = Native.poll(fds, 1, 1000);
                        }
                        while (ready == -1 && Marshal.GetLastPInvokeError() == Native.EINTR);
                        total += ready == -1 ? throw new InvalidOperationException() : ready;
                    }
                }

                return total;
            }
        }
        """);
}
