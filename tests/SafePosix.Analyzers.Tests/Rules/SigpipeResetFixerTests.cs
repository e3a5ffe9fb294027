using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.SigpipeResetAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class SigpipeResetFixerTests
{
    [Fact]
    public Task UnusedReset_IsRemoved() => VerifyCS.CodeFixAsync<SigpipeResetFixer>("""
        using Mono.Unix.Native;

        class Startup
        {
            void Run()
            {
                Console();
                [|Stdlib.SetSignalAction(Signum.SIGPIPE, SignalAction.Default)|];
                Console();
            }

            void Console() { }
        }
        """, """
        using Mono.Unix.Native;

        class Startup
        {
            void Run()
            {
                Console();
                Console();
            }

            void Console() { }
        }
        """, SigpipeResetFixer.RemoveResetKey);

    [Fact]
    public Task FixAll_RemovesEveryUnusedReset() => VerifyCS.CodeFixAsync<SigpipeResetFixer>("""
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr signal(int signum, IntPtr handler);
        }

        class Startup
        {
            void Run()
            {
                [|Native.signal(13, IntPtr.Zero)|];
                _ = [|Native.signal(13, IntPtr.Zero)|];
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr signal(int signum, IntPtr handler);
        }

        class Startup
        {
            void Run()
            {
            }
        }
        """, SigpipeResetFixer.RemoveResetKey);

    [Fact]
    public Task ResetWhoseResultIsUsed_GetsNoFix() => VerifyCS.CodeFixAsync<SigpipeResetFixer>("""
        using Mono.Unix.Native;

        class Startup
        {
            void Run()
            {
                if ([|Stdlib.SetSignalAction(Signum.SIGPIPE, SignalAction.Default)|] != 0)
                {
                    throw new System.InvalidOperationException();
                }

                if (System.Environment.ProcessorCount > 1)
                    [|Stdlib.SetSignalAction(Signum.SIGPIPE, SignalAction.Default)|];
            }
        }
        """, """
        using Mono.Unix.Native;

        class Startup
        {
            void Run()
            {
                if ([|Stdlib.SetSignalAction(Signum.SIGPIPE, SignalAction.Default)|] != 0)
                {
                    throw new System.InvalidOperationException();
                }

                if (System.Environment.ProcessorCount > 1)
                    [|Stdlib.SetSignalAction(Signum.SIGPIPE, SignalAction.Default)|];
            }
        }
        """, SigpipeResetFixer.RemoveResetKey);
}
