using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.ForkFromManagedCodeAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class ForkFromManagedCodeAnalyzerTests
{
    private const string Generic =
        "'{0}' is unsafe in a multithreaded .NET process; start the program with Process.Start or posix_spawn";

    private static string WithChild(string function, string child)
        => $"'{function}' from managed code: the child {child}; use Process.Start or posix_spawn";

    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", EntryPoint = "fork", SetLastError = true)]
            public static extern int Fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string?[] argv);

            [DllImport("libc", SetLastError = true)]
            public static extern int waitpid(int pid, out int status, int options);

            [DllImport("libc")]
            public static extern void _exit(int status);
        }

        """;

    // ---- every surface --------------------------------------------------------------------------------------

    [Fact]
    public Task OwnDllImportWithEntryPoint_ChildMarshalsStringsForExecv() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                int pid = {|#0:Native.Fork()|};
                if (pid == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", "-l", null });
                    Native._exit(127);
                }

                Native.waitpid(pid, out _, 0);
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0)
            .WithMessage(WithChild("fork", "allocates 'string?[]'")));

    [Fact]
    public Task LibraryImport_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("c", SetLastError = true)]
            public static partial int fork();

            [LibraryImport("c")]
            public static partial void _exit(int status);
        }

        class C
        {
            void Run()
            {
                if ({|#0:Native.fork()|} == 0)
                {
                    Native._exit(0);
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0).WithMessage(string.Format(Generic, "fork")));

    [Fact]
    public Task LibcSo6AndExternLocalFunction_AreReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            void Run()
            {
                var pid = {|#0:fork()|};
                if (pid == 0)
                {
                    Console.WriteLine("in the child");
                    _exit(0);
                }

                [DllImport("libc.so.6", SetLastError = true)]
                static extern int fork();

                [DllImport("libc.so.6")]
                static extern void _exit(int status);
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0)
            .WithMessage(WithChild("fork", "calls 'Console.WriteLine'")));

    [Fact]
    public Task TmdsForkAndVfork_AreReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        class C
        {
            void Run()
            {
                pid_t pid = [|fork()|];
                if (pid == 0)
                {
                    _exit(0);
                }

                pid_t other = [|vfork()|];
                if (other == 0)
                {
                    _exit(0);
                }
            }
        }
        """);

    [Fact]
    public Task MonoLegacySyscallFork_IsReported() => VerifyCS.AnalyzerAsync("""
        #pragma warning disable CS0618
        using System;

        class C
        {
            void Run()
            {
                int pid = {|#0:Mono.Posix.Syscall.fork()|};
                if (pid == 0)
                {
                    Mono.Unix.Native.Syscall.execv("/bin/true", new[] { "true" });
                    Mono.Unix.Native.Syscall._exit(127);
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0)
            .WithMessage(WithChild("fork", "allocates 'string[]'")));

    [Fact]
    public Task ForkptyFromUtil_ChildSetsCurrentDirectory() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("util", SetLastError = true)]
            public static extern int forkpty(out int master, IntPtr name, IntPtr termp, IntPtr winp);

            [DllImport("libc", SetLastError = true)]
            public static extern int execvp(string file, string?[] argv);

            [DllImport("libc")]
            public static extern void _exit(int status);
        }

        class Terminal
        {
            public int Start(string directory, string shell)
            {
                var pid = {|#0:Native.forkpty(out var master, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero)|};
                if (pid == 0)
                {
                    Environment.CurrentDirectory = directory;
                    Native.execvp(shell, new[] { shell, null });
                    Native._exit(127);
                }

                return master;
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0)
            .WithMessage(WithChild("forkpty", "calls 'Environment.CurrentDirectory'")));

    // ---- what the child does --------------------------------------------------------------------------------

    [Fact]
    public Task ChildThrowsAfterFailedExec_SaysSo() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv, byte** envp)
            {
                var pid = {|#0:fork()|};
                if (pid == 0)
                {
                    execve(path, argv, envp);
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0)
            .WithMessage(WithChild("fork", "calls 'Marshal.GetLastPInvokeError'")));

    [Fact]
    public Task ChildCallsEnvironmentExit_SaysSo() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                if ({|#0:fork()|} == 0)
                {
                    execve(path, argv, null);
                    Environment.Exit(127);
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0)
            .WithMessage(WithChild("fork", "calls 'Environment.Exit'")));

    [Fact]
    public Task ChildFallsOutAfterExec_SaysSo() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int Run(byte* path, byte** argv)
            {
                var pid = {|#0:fork()|};
                if (pid == 0)
                {
                    execve(path, argv, null);
                }

                return pid;
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0)
            .WithMessage(WithChild("fork", "runs on into the parent's code")));

    [Fact]
    public Task ForkImmediatelyFollowedByExit_IsStillReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            void Run()
            {
                if ({|#0:fork()|} == 0)
                {
                    _exit(0);
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0).WithMessage(string.Format(Generic, "fork")));

    [Fact]
    public Task ParentWork_IsNotDescribedAsChildWork() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        class C
        {
            void Run()
            {
                var pid = {|#0:fork()|};
                if (pid == 0)
                {
                    _exit(0);
                }
                else if (pid > 0)
                {
                    Console.WriteLine($"started {pid}");
                    throw new InvalidOperationException("parent");
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0).WithMessage(string.Format(Generic, "fork")));

    [Fact]
    public Task Daemon_HasItsOwnMessage() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            void Run()
            {
                {|#0:daemon(0, 0)|};
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0)
            .WithMessage("'daemon' runs on in a child without the runtime's threads; run in the foreground under a service manager"));

    [Fact]
    public Task Clone_HasItsOwnMessage() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        unsafe class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern int clone(delegate* unmanaged<IntPtr, int> fn, IntPtr stack, int flags, IntPtr arg);

            void Run(delegate* unmanaged<IntPtr, int> fn, IntPtr stack)
            {
                {|#0:clone(fn, stack, 17, IntPtr.Zero)|};
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0)
            .WithMessage("'clone' runs code without the runtime's threads; use Process.Start for a process, Thread for a thread"));

    [Fact]
    public Task ForkInsideLambda_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        class C
        {
            Action Run() => () =>
            {
                if ({|#0:fork()|} == 0)
                {
                    Console.Error.WriteLine("child");
                    _exit(0);
                }
            };
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0)
            .WithMessage(WithChild("fork", "calls 'Console.Error.WriteLine'")));

    // ---- silent look-alikes ---------------------------------------------------------------------------------

    [Fact]
    public Task MethodNamedForkThatIsNotAPInvoke_IsSilent() => VerifyCS.AnalyzerAsync("""
        class Repository
        {
            public Repository fork() => new Repository();

            static int vfork() => 0;

            void Run()
            {
                var copy = fork();
                if (vfork() == 0)
                {
                    System.Console.WriteLine(copy);
                }
            }
        }
        """);

    [Fact]
    public Task ExternDeclarationAlone_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int daemon(int nochdir, int noclose);
        }
        """);

    [Fact]
    public Task OtherLibcCalls_AreSilent() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            int Run() => getpid() + (int)setsid();
        }
        """);

    [Fact]
    public Task IncompleteCode_DoesNotThrow() => new PosixAnalyzerTest<ForkFromManagedCodeAnalyzer>()
    {
        Source = """
            using static Tmds.Linux.LibC;

            class C
            {
                void Run()
                {
                    var pid = [|fork()|];
                    if (pid == 0
                    {
                        Missing(
                }
            }
            """,
        AllowCompilerErrors = true,
    }.RunAsync();

    [Fact]
    public Task ForkInLocalFunctionInsideLock_DescribesTheChild() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        class C
        {
            readonly object gate = new();

            void Run()
            {
                lock (gate)
                {
                    int Start()
                    {
                        int pid = {|#0:fork()|};
                        if (pid == 0)
                        {
                            Console.WriteLine("child");
                            _exit(1);
                        }

                        return pid;
                    }

                    Start();
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0).WithMessage(WithChild("fork", "calls 'Console.WriteLine'")));

    [Fact]
    public Task ForkInLambdaInsideForeach_ChildThatOnlyExits_GetsTheGenericMessage() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        class C
        {
            void Run(string[] names)
            {
                foreach (var name in names)
                {
                    Func<int> start = () =>
                    {
                        int pid = {|#0:fork()|};
                        if (pid == 0)
                        {
                            _exit(1);
                        }

                        return pid;
                    };
                    start();
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1001").WithLocation(0).WithMessage(string.Format(Generic, "fork")));
}
