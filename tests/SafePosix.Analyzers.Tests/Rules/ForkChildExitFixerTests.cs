using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.ForkChildExitAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class ForkChildExitFixerTests
{
    [Fact]
    public Task TmdsEnvironmentExit_BecomesExitWithTheSameStatus() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                if (fork() == 0)
                {
                    execve(path, argv, null);
                    [|Environment.Exit(126)|];
                }
            }
        }
        """, """
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                if (fork() == 0)
                {
                    execve(path, argv, null);
                    _exit(126);
                }
            }
        }
        """, ForkChildExitFixer.UseExitKey);

    [Fact]
    public Task LoneExecAtTheEndOfTheBranch_GetsExitAfterIt() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    [|execve(path, argv, null);|]
                }

                return pid;
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    execve(path, argv, null);
                    _exit(127);
                }

                return pid;
            }
        }
        """);

    [Fact]
    public Task ThrowInVoidMethod_IsReplaced() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                if (fork() == 0)
                {
                    execve(path, argv, null);
                    [|throw new InvalidOperationException("exec failed");|]
                }
            }
        }
        """, """
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                if (fork() == 0)
                {
                    execve(path, argv, null);
                    _exit(127);
                }
            }
        }
        """);

    [Fact]
    public Task OwnInteropWithoutExit_DeclaresItOnceForFixAll() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string?[] argv);
        }

        class C
        {
            int Start()
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", null });
                    [|return 0;|]
                }

                return pid;
            }

            void StartAndForget()
            {
                if (Native.fork() == 0)
                {
                    [|Native.execv("/bin/true", new[] { "true", null });|]
                }
            }
        }
        """, """
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", EntryPoint = "_exit")]
            public static extern void _exit(int status);

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string?[] argv);
        }

        class C
        {
            int Start()
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", null });
                    Native._exit(127);
                    return 0;
                }

                return pid;
            }

            void StartAndForget()
            {
                if (Native.fork() == 0)
                {
                    Native.execv("/bin/true", new[] { "true", null });
                    Native._exit(127);
                }
            }
        }
        """);

    [Fact]
    public Task OwnInteropWithExit_CallsIt() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", EntryPoint = "fork", SetLastError = true)]
            public static extern int Fork();

            [DllImport("libc", EntryPoint = "_exit")]
            public static extern void Exit(int status);

            [DllImport("libc")]
            public static extern void exit(int status);
        }

        class C
        {
            void Run()
            {
                if (Native.Fork() == 0)
                {
                    [|Native.exit(3)|];
                }
            }
        }
        """, """
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", EntryPoint = "fork", SetLastError = true)]
            public static extern int Fork();

            [DllImport("libc", EntryPoint = "_exit")]
            public static extern void Exit(int status);

            [DllImport("libc")]
            public static extern void exit(int status);
        }

        class C
        {
            void Run()
            {
                if (Native.Fork() == 0)
                {
                    Native.Exit(3);
                }
            }
        }
        """);

    [Fact]
    public Task MonoLegacyFork_UsesSyscallExit() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        #pragma warning disable CS0618
        using Mono.Unix.Native;

        class C
        {
            void Run()
            {
                if (Mono.Posix.Syscall.fork() == 0)
                {
                    Syscall.execv("/bin/true", new[] { "true" });
                    [|Stdlib.exit(1)|];
                }
            }
        }
        """, """
        #pragma warning disable CS0618
        using Mono.Unix.Native;

        class C
        {
            void Run()
            {
                if (Mono.Posix.Syscall.fork() == 0)
                {
                    Syscall.execv("/bin/true", new[] { "true" });
                    Syscall._exit(1);
                }
            }
        }
        """);

    [Fact]
    public Task ExternLocalFunction_GetsALocalExit() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using System.Runtime.InteropServices;

        class C
        {
            void Run()
            {
                switch (fork())
                {
                    case 0:
                        execv("/bin/ls", new[] { "ls", null });
                        [|return;|]
                }

                [DllImport("libc", SetLastError = true)]
                static extern int fork();

                [DllImport("libc", SetLastError = true)]
                static extern int execv(string path, string?[] argv);
            }
        }
        """, """
        using System.Runtime.InteropServices;

        class C
        {
            void Run()
            {
                switch (fork())
                {
                    case 0:
                        execv("/bin/ls", new[] { "ls", null });
                        _exit(127);
                        return;
                }

                [DllImport("libc", SetLastError = true)]
                static extern int fork();

                [DllImport("libc", EntryPoint = "_exit")]
                static extern void _exit(int status);

                [DllImport("libc", SetLastError = true)]
                static extern int execv(string path, string?[] argv);
            }
        }
        """);

    [Fact]
    public Task VoidReturnInANestedBlockEndingASwitchCase_KeepsTheReturn() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                switch ((int)fork())
                {
                    case 0:
                        {
                            execve(path, argv, null);
                            [|return;|]
                        }
                }
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                switch ((int)fork())
                {
                    case 0:
                        {
                            execve(path, argv, null);
                            _exit(127);
                            return;
                        }
                }
            }
        }
        """);

    [Fact]
    public Task LabeledVoidReturnEndingASwitchCase_KeepsTheReturn() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                switch ((int)fork())
                {
                    case 0:
                        execve(path, argv, null);
                    done:
                        [|return;|]
                }
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                switch ((int)fork())
                {
                    case 0:
                        execve(path, argv, null);
                    done:
                        {
                            _exit(127);
                            return;
                        }
                }
            }
        }
        """);

    [Fact]
    public Task ThrowInANestedBlockEndingASwitchCase_KeepsTheThrow() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                switch ((int)fork())
                {
                    case 0:
                        {
                            execve(path, argv, null);
                            [|throw new InvalidOperationException("exec failed");|]
                        }
                }
            }
        }
        """, """
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                switch ((int)fork())
                {
                    case 0:
                        {
                            execve(path, argv, null);
                            _exit(127);
                            throw new InvalidOperationException("exec failed");
                        }
                }
            }
        }
        """);

    [Fact]
    public Task VoidReturnOutsideAnySwitch_IsReplaced() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                if (fork() == 0)
                {
                    execve(path, argv, null);
                    [|return;|]
                }
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                if (fork() == 0)
                {
                    execve(path, argv, null);
                    _exit(127);
                }
            }
        }
        """);

    // ---- Fix All compiles in one pass -----------------------------------------------------------------------

    [Fact]
    public Task ForkAndVforkDeclaredInOneClass_FixAllDeclaresExitOnce() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int vfork();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string?[] argv);
        }

        class C
        {
            void Start()
            {
                if (Native.fork() == 0)
                {
                    [|Native.execv("/bin/ls", new[] { "ls", null });|]
                }
            }

            void StartFast(string?[] argv)
            {
                if (Native.vfork() == 0)
                {
                    [|Native.execv("/bin/ls", argv);|]
                }
            }
        }
        """, """
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", EntryPoint = "_exit")]
            public static extern void _exit(int status);

            [DllImport("libc", SetLastError = true)]
            public static extern int vfork();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string?[] argv);
        }

        class C
        {
            void Start()
            {
                if (Native.fork() == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", null });
                    Native._exit(127);
                }
            }

            void StartFast(string?[] argv)
            {
                if (Native.vfork() == 0)
                {
                    Native.execv("/bin/ls", argv);
                    Native._exit(127);
                }
            }
        }
        """);

    [Fact]
    public Task FixAllInProjectScope_FixesChildrenInEveryDocument()
    {
        var test = new PosixCodeFixTest<ForkChildExitAnalyzer, ForkChildExitFixer>();
        test.TestState.Sources.Add(("/0/A.cs", """
            using System;
            using static Tmds.Linux.LibC;

            class A
            {
                void Run()
                {
                    if (fork() == 0)
                    {
                        {|#0:Environment.Exit(3)|};
                    }
                }
            }
            """));
        test.TestState.Sources.Add(("/0/B.cs", """
            using static Tmds.Linux.LibC;

            unsafe class B
            {
                void Run(byte* path, byte** argv)
                {
                    if (vfork() == 0)
                    {
                        execve(path, argv, null);
                        {|#1:throw new System.InvalidOperationException();|}
                    }
                }
            }
            """));
        test.ExpectedDiagnostics.Add(VerifyCS.Diagnostic(ForkChildExitAnalyzer.UnsafeExitRule).WithLocation(0).WithArguments("fork", "Environment.Exit"));
        test.ExpectedDiagnostics.Add(VerifyCS.Diagnostic(ForkChildExitAnalyzer.ThrowRule).WithLocation(1).WithArguments("vfork"));
        test.FixedState.Sources.Add(("/0/A.cs", """
            using System;
            using static Tmds.Linux.LibC;

            class A
            {
                void Run()
                {
                    if (fork() == 0)
                    {
                        _exit(3);
                    }
                }
            }
            """));
        test.FixedState.Sources.Add(("/0/B.cs", """
            using static Tmds.Linux.LibC;

            unsafe class B
            {
                void Run(byte* path, byte** argv)
                {
                    if (vfork() == 0)
                    {
                        execve(path, argv, null);
                        _exit(127);
                    }
                }
            }
            """));
        return test.RunAsync();
    }

    [Fact]
    public Task ChildLeavingInsideAHelper_OffersNoFix() => VerifyCS.CodeFixAsync<ForkChildExitFixer>("""
        using System;
        using static Tmds.Linux.LibC;

        class C
        {
            void Run()
            {
                if (fork() == 0)
                {
                    [|Die()|];
                }
            }

            static void Die() => Environment.Exit(1);
        }
        """, """
        using System;
        using static Tmds.Linux.LibC;

        class C
        {
            void Run()
            {
                if (fork() == 0)
                {
                    [|Die()|];
                }
            }

            static void Die() => Environment.Exit(1);
        }
        """);
}
