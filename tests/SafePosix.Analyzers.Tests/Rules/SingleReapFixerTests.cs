using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.SingleReapAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class SingleReapFixerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int WNOHANG = 1;

            [DllImport("libc", SetLastError = true)]
            public static extern int waitpid(int pid, out int status, int options);
        }

        """;

    [Fact]
    public Task DiscardedResult_BecomesALoopWithItsOwnLocal() => VerifyCS.CodeFixAsync<SingleReapFixer>(OwnInterop + """
        class Reaper
        {
            static PosixSignalRegistration Install() => PosixSignalRegistration.Create(PosixSignal.SIGCHLD, context =>
            {
                [|Native.waitpid(-1, out _, Native.WNOHANG)|];
            });
        }
        """, OwnInterop + """
        class Reaper
        {
            static PosixSignalRegistration Install() => PosixSignalRegistration.Create(PosixSignal.SIGCHLD, context =>
            {
                while (true)
                {
                    var reaped = Native.waitpid(-1, out _, Native.WNOHANG);
                    if (reaped == -1 && Marshal.GetLastPInvokeError() == 4 /* EINTR */)
                    {
                        continue;
                    }

                    if (reaped <= 0)
                    {
                        break;
                    }
                }
            });
        }
        """, SingleReapFixer.ReapInLoopKey);

    [Fact]
    public Task KeptResult_KeepsItsNameAndThePerChildCode() => VerifyCS.CodeFixAsync<SingleReapFixer>(OwnInterop + """
        class Reaper
        {
            static void OnChild(PosixSignalContext context)
            {
                Console.WriteLine("SIGCHLD");
                var pid = [|Native.waitpid(-1, out var status, Native.WNOHANG)|];
                if (pid > 0)
                {
                    Console.WriteLine($"{pid} exited with {status}");
                }
            }

            static PosixSignalRegistration Install() => PosixSignalRegistration.Create(PosixSignal.SIGCHLD, OnChild);
        }
        """, OwnInterop + """
        class Reaper
        {
            static void OnChild(PosixSignalContext context)
            {
                Console.WriteLine("SIGCHLD");
                while (true)
                {
                    var pid = Native.waitpid(-1, out var status, Native.WNOHANG);
                    if (pid == -1 && Marshal.GetLastPInvokeError() == 4 /* EINTR */)
                    {
                        continue;
                    }

                    if (pid <= 0)
                    {
                        break;
                    }

                    if (pid > 0)
                    {
                        Console.WriteLine($"{pid} exited with {status}");
                    }
                }
            }

            static PosixSignalRegistration Install() => PosixSignalRegistration.Create(PosixSignal.SIGCHLD, OnChild);
        }
        """, SingleReapFixer.ReapInLoopKey);

    [Fact]
    public Task ExpressionBodiedHandler_GetsABlock() => VerifyCS.CodeFixAsync<SingleReapFixer>(OwnInterop + """
        class Reaper
        {
            static PosixSignalRegistration Install() => PosixSignalRegistration.Create(PosixSignal.SIGCHLD, context => [|Native.waitpid(-1, out _, Native.WNOHANG)|]);
        }
        """, OwnInterop + """
        class Reaper
        {
            static PosixSignalRegistration Install() => PosixSignalRegistration.Create(PosixSignal.SIGCHLD, context =>
            {
                while (true)
                {
                    var reaped = Native.waitpid(-1, out _, Native.WNOHANG);
                    if (reaped == -1 && Marshal.GetLastPInvokeError() == 4 /* EINTR */)
                    {
                        continue;
                    }

                    if (reaped <= 0)
                    {
                        break;
                    }
                }
            });
        }
        """, SingleReapFixer.ReapInLoopKey);

    [Fact]
    public Task MonoPosix_RetriesWithMonosErrno() => VerifyCS.CodeFixAsync<SingleReapFixer>("""
        using Mono.Unix;
        using Mono.Unix.Native;

        class Reaper
        {
            void Run(UnixSignal[] signals)
            {
                while (true)
                {
                    UnixSignal.WaitAny(signals);
                    [|Syscall.waitpid(-1, out _, WaitOptions.WNOHANG)|];
                }
            }
        }
        """, """
        using Mono.Unix;
        using Mono.Unix.Native;

        class Reaper
        {
            void Run(UnixSignal[] signals)
            {
                while (true)
                {
                    UnixSignal.WaitAny(signals);
                    while (true)
                    {
                        var reaped = Syscall.waitpid(-1, out _, WaitOptions.WNOHANG);
                        if (reaped == -1 && Stdlib.GetLastError() == Errno.EINTR)
                        {
                            continue;
                        }

                        if (reaped <= 0)
                        {
                            break;
                        }
                    }
                }
            }
        }
        """, SingleReapFixer.ReapInLoopKey);

    [Fact]
    public Task FixAll_FixesEveryReaperInOnePass() => VerifyCS.CodeFixAsync<SingleReapFixer>(OwnInterop + """
        class Reaper
        {
            static void Tick()
            {
                [|Native.waitpid(-1, out _, Native.WNOHANG)|];
            }

            static void Tock()
            {
                var reaped = 0;
                [|Native.waitpid(0, out _, Native.WNOHANG)|];
            }
        }
        """, OwnInterop + """
        class Reaper
        {
            static void Tick()
            {
                while (true)
                {
                    var reaped = Native.waitpid(-1, out _, Native.WNOHANG);
                    if (reaped == -1 && Marshal.GetLastPInvokeError() == 4 /* EINTR */)
                    {
                        continue;
                    }

                    if (reaped <= 0)
                    {
                        break;
                    }
                }
            }

            static void Tock()
            {
                var reaped = 0;
                while (true)
                {
                    var reaped2 = Native.waitpid(0, out _, Native.WNOHANG);
                    if (reaped2 == -1 && Marshal.GetLastPInvokeError() == 4 /* EINTR */)
                    {
                        continue;
                    }

                    if (reaped2 <= 0)
                    {
                        break;
                    }
                }
            }
        }
        """, SingleReapFixer.ReapInLoopKey);

    [Fact]
    public Task PerChildCodeThatReturnsOrAStatusUsedLater_GetsNoFix() => VerifyCS.CodeFixAsync<SingleReapFixer>(OwnInterop + """
        class Reaper
        {
            static int Tick()
            {
                var pid = [|Native.waitpid(-1, out var status, Native.WNOHANG)|];
                if (pid > 0)
                {
                    return status;
                }

                return 0;
            }

            static int Tock()
            {
                [|Native.waitpid(-1, out var status, Native.WNOHANG)|];
                return status;
            }
        }
        """, OwnInterop + """
        class Reaper
        {
            static int Tick()
            {
                var pid = [|Native.waitpid(-1, out var status, Native.WNOHANG)|];
                if (pid > 0)
                {
                    return status;
                }

                return 0;
            }

            static int Tock()
            {
                [|Native.waitpid(-1, out var status, Native.WNOHANG)|];
                return status;
            }
        }
        """, SingleReapFixer.ReapInLoopKey);
}
