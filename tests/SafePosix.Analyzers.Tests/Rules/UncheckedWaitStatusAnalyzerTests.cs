using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.UncheckedWaitStatusAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class UncheckedWaitStatusAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        static unsafe class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int waitpid(int pid, out int status, int options);

            [DllImport("libc", EntryPoint = "waitpid", SetLastError = true)]
            public static extern int WaitPtr(int pid, int* status, int options);
        }

        """;

    private static string Macro(string decoder, string check)
        => $"'{decoder}' is read without checking {check}: for a child that ended otherwise it means nothing; check first";

    private static string HandDecoded(string local)
        => $"Exit code decoded from '{local}' before checking that the child exited: a child killed by a signal reads as 0";

    private static string Discarded(string local)
        => $"'{local}' is read but the wait's result is discarded: on -1 (EINTR, ECHILD) it is garbage; check the result first";

    private static string FailedWait(string local, string returned)
        => $"'{local}' is read where the wait may have returned {returned} and written nothing; check that it returned a pid first";

    private static string ReturnValue(string local)
        => $"'{local}' holds the pid the wait returned, not the child's status; decode the status argument instead";

    [Fact]
    public Task MonoMacrosWithoutTheirCheck_AreReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class Runner
        {
            int Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                if (Syscall.WIFEXITED(status))
                {
                    System.Console.WriteLine({|#0:Syscall.WTERMSIG(status)|});
                }

                return {|#1:Syscall.WEXITSTATUS(status)|} + (int){|#2:Syscall.WSTOPSIG(status)|};
            }

            int Unchecked(int pid)
            {
                if (Syscall.wait(out var status) == -1) return -1;
                return {|#3:Syscall.WEXITSTATUS(status)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WTERMSIG", "WIFSIGNALED")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(1).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(2).WithMessage(Macro("WSTOPSIG", "WIFSTOPPED")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(3).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task HandDecodingWithoutTheExitCheck_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Runner
        {
            int Run(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                return {|#0:(status >> 8) & 0xff|};
            }

            int RunPointer(int pid)
            {
                int status = 0;
                if (Native.WaitPtr(pid, &status, 0) <= 0) return -1;
                return {|#1:(status & 0xff00) >> 8|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(HandDecoded("status")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(1).WithMessage(HandDecoded("status")));

    [Fact]
    public Task ReturnValueDecodedAsStatus_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid)
            {
                var result = Native.waitpid(pid, out _, 0);
                return {|#0:(result >> 8) & 0xff|};
            }

            int RunMono(int pid)
            {
                var reaped = Mono.Unix.Native.Syscall.waitpid(pid, out _, 0);
                return {|#1:Mono.Unix.Native.Syscall.WEXITSTATUS(reaped)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(ReturnValue("result")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(1).WithMessage(ReturnValue("reaped")));

    [Fact]
    public Task OwnWaitpidNextToTmdsFork_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        static class Native
        {
            [DllImport("libc.so.6", SetLastError = true)]
            public static extern pid_t waitpid(pid_t pid, out int status, int options);
        }

        class Runner
        {
            int Run()
            {
                pid_t pid = fork();
                if (pid == 0)
                {
                    _exit(3);
                }

                if (Native.waitpid(pid, out int status, 0) != pid) return -1;
                return [|(status >> 8) & 0xff|];
            }
        }
        """);

    [Fact]
    public Task CheckedDecoding_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Macros(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                if (Syscall.WIFEXITED(status))
                {
                    return Syscall.WEXITSTATUS(status);
                }

                return Syscall.WIFSIGNALED(status) ? 128 + (int)Syscall.WTERMSIG(status) : -1;
            }

            int ByHand(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                if ((status & 0x7f) == 0)
                {
                    return (status >> 8) & 0xff;
                }

                return 128 + (status & 0x7f);
            }
        }
        """);

    [Fact]
    public Task NonZeroStatusDecodedAsExitCode_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            // A child killed by SIGKILL has status 9: non-zero, and (9 >> 8) & 0xff is 0, "success".
            int SuccessOrFail(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                return status == 0 ? 0 : {|#0:(status >> 8) & 0xff|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(HandDecoded("status")));

    [Fact]
    public Task EarlyReturnOnTheNegatedCheck_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Mono(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                if (!Syscall.WIFEXITED(status)) return -1;
                return Syscall.WEXITSTATUS(status);
            }

            int IntReturningCheck(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                if (Own.WIFEXITED(status) == 0) throw new InvalidOperationException("killed");
                return Own.WEXITSTATUS(status);
            }

            int ByHand(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                if ((status & 0x7f) != 0) return 128 + (status & 0x7f);
                return (status >> 8) & 0xff;
            }
        }

        static class Own
        {
            [DllImport("libwaitmacros")]
            public static extern int WIFEXITED(int status);

            [DllImport("libwaitmacros")]
            public static extern int WEXITSTATUS(int status);
        }
        """);

    [Fact]
    public Task EarlyReturnOnTheWrongCheck_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Mono(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                if (Syscall.WIFEXITED(status)) return -1;
                return {|#0:Syscall.WEXITSTATUS(status)|};
            }

            int ByHand(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                if ((status & 0x7f) == 0) return 0;
                return {|#1:(status >> 8) & 0xff|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(1).WithMessage(HandDecoded("status")));

    [Fact]
    public Task CheckInTheTernaryCondition_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Mono(int pid)
                => Syscall.waitpid(pid, out var status, 0) == pid && Syscall.WIFEXITED(status) ? Syscall.WEXITSTATUS(status) : -1;

            int ByHand(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
            }
        }
        """);

    [Fact]
    public Task DecodingInTheTernaryArmWhereTheCheckFailed_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Mono(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                return Syscall.WIFEXITED(status) ? -1 : {|#0:Syscall.WEXITSTATUS(status)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task CheckEarlierInAnAndChain_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            bool Succeeded(int pid)
                => Syscall.waitpid(pid, out var status, 0) == pid && Syscall.WIFEXITED(status) && Syscall.WEXITSTATUS(status) == 0;

            bool SucceededByHand(int pid)
                => Native.waitpid(pid, out var status, 0) > 0 && (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0;
        }
        """);

    [Fact]
    public Task CheckInAnOrChain_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            bool Succeeded(int pid, bool quiet)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return false;
                if (Syscall.WIFEXITED(status) || quiet)
                {
                    return {|#0:Syscall.WEXITSTATUS(status)|} == 0;
                }

                return false;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task SwitchOnTheLowBits_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int ByHand(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                switch (status & 0x7f)
                {
                    case 0:
                        return (status >> 8) & 0xff;
                    default:
                        return 128 + (status & 0x7f);
                }
            }

            int Mono(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                switch (pid)
                {
                    case > 0 when Syscall.WIFEXITED(status):
                        return Syscall.WEXITSTATUS(status);
                    default:
                        return -1;
                }
            }
        }
        """);

    [Fact]
    public Task DecodingInTheWrongSwitchCase_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int ByHand(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                switch (status & 0x7f)
                {
                    case 0:
                        return 0;
                    default:
                        return {|#0:(status >> 8) & 0xff|};
                }
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(HandDecoded("status")));

    [Fact]
    public Task CheckInAnotherBranch_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Mono(int pid, bool verbose)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                if (verbose)
                {
                    if (!Syscall.WIFEXITED(status)) return -1;
                }
                else
                {
                    Console.WriteLine("done");
                }

                return {|#0:Syscall.WEXITSTATUS(status)|};
            }

            int NotDominating(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                if ((status & 0x7f) == 0)
                {
                    Console.WriteLine("exited");
                }

                return {|#1:(status >> 8) & 0xff|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(1).WithMessage(HandDecoded("status")));

    [Fact]
    public Task CheckOfAnEarlierStatus_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Mono(int first, int second)
            {
                if (Syscall.waitpid(first, out var status, 0) != first) return -1;
                if (!Syscall.WIFEXITED(status)) return -1;
                if (Syscall.waitpid(second, out status, 0) != second) return -1;
                return {|#0:Syscall.WEXITSTATUS(status)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task CheckInTheProgramsOwnHelper_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            static bool Exited(int status) => (status & 0x7f) == 0;

            int Run(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                if (!Exited(status)) return -1;
                return (status >> 8) & 0xff;
            }
        }
        """);

    [Fact]
    public Task StatusOfADiscardedWait_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Mono(int pid)
            {
                Syscall.waitpid(pid, out var status, 0);
                if ({|#0:Syscall.WIFEXITED(status)|})
                {
                    return Syscall.WEXITSTATUS(status);
                }

                return -1;
            }

            int Own(int pid)
            {
                _ = Native.waitpid(pid, out var status, 0);
                return {|#1:status & 0x7f|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Discarded("status")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(1).WithMessage(Discarded("status")));

    [Fact]
    public Task StatusOfADiscardedTmdsPidWait_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        static class Native
        {
            [DllImport("libc.so.6", SetLastError = true)]
            public static extern pid_t waitpid(pid_t pid, out int status, int options);
        }

        class Runner
        {
            int Run()
            {
                pid_t pid = fork();
                if (pid == 0)
                {
                    _exit(3);
                }

                Native.waitpid(pid, out int status, 0);
                return {|#0:status & 0x7f|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Discarded("status")));

    [Fact]
    public Task StatusAfterAWnohangWaitThatMayHaveFoundNothing_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            const int WNOHANG = 1;

            int? Poll(int pid)
            {
                int reaped = Native.waitpid(pid, out var status, WNOHANG);
                if (reaped == -1) throw new InvalidOperationException("waitpid failed");
                return {|#0:Syscall.WIFEXITED(status)|} ? Syscall.WEXITSTATUS(status) : null;
            }

            int? PollMono(int pid)
            {
                int reaped = Syscall.waitpid(pid, out var status, WaitOptions.WNOHANG);
                if (reaped < 0) return null;
                return {|#1:Syscall.WIFEXITED(status)|} ? Syscall.WEXITSTATUS(status) : null;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(FailedWait("status", "0")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(1).WithMessage(FailedWait("status", "0")));

    [Fact]
    public Task StatusReadInTheBranchWhereTheWaitFailed_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid)
            {
                int reaped = Native.waitpid(pid, out var status, 0);
                if (reaped == -1)
                {
                    Console.WriteLine("wait failed, status " + ({|#0:status & 0x7f|}));
                    return -1;
                }

                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(FailedWait("status", "-1")));

    [Fact]
    public Task StatusReadAfterThePidWasConfirmed_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            const int WNOHANG = 1;

            int? Poll(int pid)
            {
                int reaped = Native.waitpid(pid, out var status, WNOHANG);
                if (reaped <= 0) return null;
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : null;
            }

            int? PollPattern(int pid)
            {
                if (Syscall.waitpid(pid, out var status, WaitOptions.WNOHANG) is not > 0) return null;
                return Syscall.WIFEXITED(status) ? Syscall.WEXITSTATUS(status) : null;
            }

            void Reap(int pid)
            {
                while (Native.waitpid(pid, out var status, WNOHANG) > 0)
                {
                    if ((status & 0x7f) == 0) Console.WriteLine((status >> 8) & 0xff);
                }
            }

            int Blocking(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) == -1) throw new InvalidOperationException("waitpid failed");
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1;
            }

            int RetriedOnEintr(int pid)
            {
                int reaped;
                int status;
                do
                {
                    reaped = Native.waitpid(pid, out status, 0);
                }
                while (reaped == -1 && Marshal.GetLastPInvokeError() == 4);

                if (reaped == -1) throw new InvalidOperationException("waitpid failed");
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1;
            }

            int? Switched(int pid)
            {
                int reaped = Syscall.waitpid(pid, out var status, WaitOptions.WNOHANG);
                switch (reaped)
                {
                    case -1:
                    case 0:
                        return null;
                    default:
                        return Syscall.WIFEXITED(status) ? Syscall.WEXITSTATUS(status) : null;
                }
            }
        }
        """);

    [Fact]
    public Task CheckedDecodingInLambdasAndLocalFunctions_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            Func<int, int> Waiter() => pid =>
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                return Syscall.WIFEXITED(status) ? Syscall.WEXITSTATUS(status) : -1;
            };

            int Run(int pid)
            {
                return Wait();

                int Wait()
                {
                    if (Native.waitpid(pid, out var status, 0) <= 0) return -1;
                    if ((status & 0x7f) != 0) return -1;
                    return (status >> 8) & 0xff;
                }
            }
        }
        """);

    [Fact]
    public Task UncheckedDecodingInALocalFunction_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid)
            {
                return Wait();

                int Wait()
                {
                    Syscall.waitpid(pid, out var status, 0);
                    return {|#0:Syscall.WEXITSTATUS(status)|};
                }
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Discarded("status")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task EveryFieldDecodedFirstAndUsedUnderItsCheckThroughLocals_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        static class Reaper
        {
            public static event Action<int, int> ProcessExit;

            // An init's reaper (sharpinit): every field named first, each used under its own check.
            static void ReapChildren()
            {
                int pid;
                while ((pid = Syscall.wait(out int status)) > -1)
                {
                    var signalBits = status & 0x7f;
                    var exitCode = (status & 0xff00) >> 8;
                    var stopped = (status & 0xff) == 0x7f;
                    var exited = signalBits == 0;

                    if (stopped)
                        Console.WriteLine($"pid {pid} stopped");

                    if (exited)
                        ProcessExit?.Invoke(pid, exitCode);
                }
            }
        }
        """);

    [Fact]
    public Task MacroDecodedFirstAndUsedOnlyAfterTheCheck_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                var code = Syscall.WEXITSTATUS(status);
                if (!Syscall.WIFEXITED(status)) return -1;
                return code;
            }
        }
        """);

    [Fact]
    public Task CheckHeldInALocal_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                bool exited = Syscall.WIFEXITED(status), signaled = Syscall.WIFSIGNALED(status);
                if (signaled) return 128 + (int)Syscall.WTERMSIG(status);
                return exited ? Syscall.WEXITSTATUS(status) : -1;
            }
        }
        """);

    [Fact]
    public Task DecodedFirstAndUsedBeforeTheCheck_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                var code = {|#0:(status >> 8) & 0xff|};
                Console.WriteLine(code);
                var exited = (status & 0x7f) == 0;
                return exited ? code : -1;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(HandDecoded("status")));

    [Fact]
    public Task DecodedFirstAndUsedWhereTheCheckFailed_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                var code = {|#0:Syscall.WEXITSTATUS(status)|};
                var exited = Syscall.WIFEXITED(status);
                if (!exited) Console.WriteLine(code);
                return 0;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task CheckHeldInALocalBeforeTheNextWait_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int first, int second)
            {
                if (Syscall.waitpid(first, out var status, 0) != first) return -1;
                var exited = Syscall.WIFEXITED(status);
                if (Syscall.waitpid(second, out status, 0) != second) return -1;
                return exited ? {|#0:Syscall.WEXITSTATUS(status)|} : -1;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task DecodedBeforeTheNextWaitAndUsedAfterItsCheck_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int first, int second)
            {
                if (Syscall.waitpid(first, out var status, 0) != first) return -1;
                var code = {|#0:Syscall.WEXITSTATUS(status)|};
                if (Syscall.waitpid(second, out status, 0) != second) return -1;
                return Syscall.WIFEXITED(status) ? code : -1;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task CheckLocalAssignedTwice_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid, bool assumeExited)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                var exited = Syscall.WIFEXITED(status);
                if (assumeExited) exited = true;
                return exited ? {|#0:Syscall.WEXITSTATUS(status)|} : -1;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task DecodedFirstAndReadInALambda_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            Func<int> Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return null;
                var code = {|#0:Syscall.WEXITSTATUS(status)|};
                if (!Syscall.WIFEXITED(status)) return null;
                return () => code;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task DecodedIntoALocalOfTheEnclosingMethod_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid)
            {
                int code = -1;
                Action reap = () =>
                {
                    if (Syscall.waitpid(pid, out var status, 0) != pid) return;
                    code = {|#0:Syscall.WEXITSTATUS(status)|};
                };
                reap();
                return code;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task DecodedFirstAndReadInAFinally_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int exitCode;

            void Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return;
                var code = {|#0:Syscall.WEXITSTATUS(status)|};
                try { Console.WriteLine(pid); }
                finally { exitCode = code; }
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task DecodedFirstAndReadInACatch_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            void Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return;
                var code = {|#0:Syscall.WEXITSTATUS(status)|};
                try { Console.WriteLine(pid); }
                catch (Exception e) { throw new Exception("exit " + code, e); }
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task CheckLocalWrittenThroughARefLocal_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                var exited = Syscall.WIFEXITED(status);
                ref bool alias = ref exited;
                alias = true;
                return exited ? {|#0:Syscall.WEXITSTATUS(status)|} : -1;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task CheckLocalOfAStatusALocalFunctionWaitsFor_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                var exited = Syscall.WIFEXITED(status);
                WaitAgain();
                return exited ? {|#0:Syscall.WEXITSTATUS(status)|} : -1;

                void WaitAgain() => Syscall.waitpid(pid, out status, 0);
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task DecodedIntoALocalDeclaredEarlier_AndUsedAfterTheCheck_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            void Report(int code) { }

            void Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return;
                int code;
                code = Syscall.WEXITSTATUS(status);
                if (Syscall.WIFEXITED(status)) Report(code);
            }
        }
        """);

    [Fact]
    public Task StatusOnlyReadInALambda_KeepsItsAliases_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            void Report(int code) { }

            void Run(int pid, Action<Func<string>> log)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return;
                var code = Syscall.WEXITSTATUS(status);
                log(() => "raw status " + status);
                if (Syscall.WIFEXITED(status)) Report(code);
            }
        }
        """);

    [Fact]
    public Task DecodedFirstAndReadInCodeNoPathReaches_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            const bool Trace = false;

            void Report(int code) { }

            void Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return;
                var code = Syscall.WEXITSTATUS(status);
                if (Trace) Console.WriteLine(code);
                if (Syscall.WIFEXITED(status)) Report(code);
            }
        }
        """);

    [Fact]
    public Task CheckLocalOfAStatusALambdaWritesThroughARef_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            int Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                var exited = Syscall.WIFEXITED(status);
                Action again = () =>
                {
                    ref int alias = ref status;
                    Syscall.waitpid(-1, out alias, WaitOptions.WNOHANG);
                };
                again();
                return exited ? {|#0:Syscall.WEXITSTATUS(status)|} : -1;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task CheckLocalInALambda_OfAStatusASiblingLambdaWaitsFor_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            void Run(int pid)
            {
                int status = 0;
                Action reapAny = () => Syscall.waitpid(-1, out status, WaitOptions.WNOHANG);
                Action report = () =>
                {
                    if (Syscall.waitpid(pid, out status, 0) != pid) return;
                    var exited = Syscall.WIFEXITED(status);
                    reapAny();
                    if (exited) Console.WriteLine({|#0:Syscall.WEXITSTATUS(status)|});
                };
                report();
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task HelpersAndOtherShifts_AreSilent() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        static class Status
        {
            public static int ExitCode(int status) => (status >> 8) & 0xff;

            public static int Decode(int status) => Syscall.WEXITSTATUS(status);

            public static int HighByte(int value)
            {
                var word = value * 2;
                return (word >> 8) & 0xff;
            }
        }
        """);
}
