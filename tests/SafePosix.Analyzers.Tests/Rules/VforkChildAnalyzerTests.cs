using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.VforkChildAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class VforkChildAnalyzerTests
{
    [Fact]
    public Task TmdsVforkChild_EveryCallAndAssignmentIsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int _state;

            void Run(byte* path, byte** argv)
            {
                pid_t pid = vfork();
                if (pid == 0)
                {
                    {|#0:Console.WriteLine("child")|};
                    {|#1:_state = 1|};
                    execve(path, argv, null);
                    _exit(127);
                }

                Console.WriteLine("parent");
                _state = 2;
            }
        }
        """,
        VerifyCS.Diagnostic("PSX1002").WithLocation(0)
            .WithMessage("The vfork child calls 'Console.WriteLine' on the parent's stack; call only exec* and _exit there"),
        VerifyCS.Diagnostic("PSX1002").WithLocation(1)
            .WithMessage("The vfork child writes '_state' into the parent's memory; call only exec* and _exit there"));

    [Fact]
    public Task ExecThenExit_IsSilent() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv, byte** envp)
            {
                if (vfork() == 0)
                {
                    execve(path, argv, envp);
                    _exit(127);
                }
            }
        }
        """);

    [Fact]
    public Task ParentBranch_IsNeverReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int Run(byte* path, byte** argv)
            {
                var pid = vfork();
                if (pid < 0)
                {
                    throw new InvalidOperationException("vfork failed");
                }

                if (pid > 0)
                {
                    Console.WriteLine(pid);
                    var copy = pid;
                    return copy;
                }

                execve(path, argv, null);
                _exit(127);
                return 0;
            }
        }
        """);

    [Fact]
    public Task OwnDeclaration_ReturnAfterFailedExec_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", EntryPoint = "vfork")]
            public static extern int VFork();

            [DllImport("libc", SetLastError = true)]
            public static extern unsafe int execv(byte* path, byte** argv);
        }

        unsafe class C
        {
            int Run(byte* path, byte** argv)
            {
                int pid = Native.VFork();
                if (pid == 0)
                {
                    Native.execv(path, argv);
                    {|#0:return -1;|}
                }

                return pid;
            }
        }
        """, VerifyCS.Diagnostic("PSX1002").WithLocation(0)
            .WithMessage("The vfork child returns into the suspended parent's frame; end the child with _exit, or use posix_spawn"));

    [Fact]
    public Task ThrowAndAllocation_AreReportedAtTheirOwnLocations() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                if (vfork() == 0)
                {
                    execve(path, argv, null);
                    {|#0:throw {|#1:new InvalidOperationException("exec failed")|};|}
                }
            }
        }
        """,
        VerifyCS.Diagnostic("PSX1002").WithLocation(0)
            .WithMessage("The vfork child throws through the suspended parent's frames; end the child with _exit, or use posix_spawn"),
        VerifyCS.Diagnostic("PSX1002").WithLocation(1)
            .WithMessage("The vfork child allocates 'InvalidOperationException' on the parent's heap; call only exec* and _exit there"));

    [Fact]
    public Task FallOutAfterExec_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = vfork();
                if (pid == 0)
                {
                    {|#0:execve(path, argv, null);|}
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1002").WithLocation(0)
            .WithMessage("The vfork child runs on into the parent's code; end it with _exit(127) after exec, or use posix_spawn"));

    [Fact]
    public Task CodeBetweenVforkAndTheTest_RunsInTheChildToo() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        class C
        {
            void Run()
            {
                var pid = vfork();
                [|Console.WriteLine(pid)|];
                if (pid == 0)
                {
                    _exit(0);
                }
            }
        }
        """);

    [Fact]
    public Task LibcCallsOtherThanExec_AreReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv, int fd)
            {
                if (vfork() == 0)
                {
                    [|close(fd)|];
                    execve(path, argv, null);
                    _exit(127);
                }
            }
        }
        """);

    [Fact]
    public Task MarshalledExecArgumentsBuiltInTheChild_AreReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", EntryPoint = "vfork")]
            public static extern int VFork();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string?[] argv);

            [DllImport("libc")]
            public static extern void _exit(int status);
        }

        class C
        {
            void Run(string program)
            {
                if (Native.VFork() == 0)
                {
                    Native.execv(program, [|new[] { program, null }|]);
                    Native._exit(127);
                }
            }
        }
        """);

    [Fact]
    public Task ForkChild_IsNotThisRule() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        class C
        {
            void Run()
            {
                if (fork() == 0)
                {
                    Console.WriteLine("fork, not vfork");
                    _exit(0);
                }
            }
        }
        """);

    [Fact]
    public Task IncompleteCode_DoesNotThrow() => new PosixAnalyzerTest<VforkChildAnalyzer>()
    {
        Source = """
            using static Tmds.Linux.LibC;

            class C
            {
                void Run()
                {
                    var pid = vfork();
                    if (pid == 0)
                    {
                        Missing();
                        [|System.Console.WriteLine(1)|];
                        _exit(0);
                    }

                    var x = ;
                }
            }
            """,
        AllowCompilerErrors = true,
    }.RunAsync();
}
