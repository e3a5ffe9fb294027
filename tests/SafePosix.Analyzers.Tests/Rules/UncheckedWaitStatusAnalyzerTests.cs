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

    private static string ReturnValue(string local)
        => $"'{local}' holds the pid the wait returned, not the child's status; decode the status argument instead";

    [Fact]
    public Task MonoMacrosWithoutTheirCheck_AreReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class Runner
        {
            int Run(int pid)
            {
                Syscall.waitpid(pid, out var status, 0);
                if (Syscall.WIFEXITED(status))
                {
                    System.Console.WriteLine({|#0:Syscall.WTERMSIG(status)|});
                }

                return {|#1:Syscall.WEXITSTATUS(status)|} + (int){|#2:Syscall.WSTOPSIG(status)|};
            }

            int Unchecked(int pid)
            {
                Syscall.wait(out var status);
                return {|#3:Syscall.WEXITSTATUS(status)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2003").WithLocation(0).WithMessage(Macro("WTERMSIG", "WIFSIGNALED")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(2).WithMessage(Macro("WSTOPSIG", "WIFSTOPPED")),
        VerifyCS.Diagnostic("PSX2003").WithLocation(3).WithMessage(Macro("WEXITSTATUS", "WIFEXITED")));

    [Fact]
    public Task HandDecodingWithoutTheExitCheck_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Runner
        {
            int Run(int pid)
            {
                Native.waitpid(pid, out var status, 0);
                return {|#0:(status >> 8) & 0xff|};
            }

            int RunPointer(int pid)
            {
                int status = 0;
                Native.WaitPtr(pid, &status, 0);
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

                Native.waitpid(pid, out int status, 0);
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
                Syscall.waitpid(pid, out var status, 0);
                if (Syscall.WIFEXITED(status))
                {
                    return Syscall.WEXITSTATUS(status);
                }

                return Syscall.WIFSIGNALED(status) ? 128 + (int)Syscall.WTERMSIG(status) : -1;
            }

            int ByHand(int pid)
            {
                Native.waitpid(pid, out var status, 0);
                if ((status & 0x7f) == 0)
                {
                    return (status >> 8) & 0xff;
                }

                return 128 + (status & 0x7f);
            }

            int SuccessOrFail(int pid)
            {
                Native.waitpid(pid, out var status, 0);
                return status == 0 ? 0 : (status >> 8) & 0xff;
            }
        }
        """);

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
