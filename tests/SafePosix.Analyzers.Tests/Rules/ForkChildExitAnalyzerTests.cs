using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.ForkChildExitAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class ForkChildExitAnalyzerTests
{
    private const string FallOut =
        "The '{0}' child runs on into the parent's code (exec returns only on failure); end the child with _exit(127)";

    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string?[] argv);

            [DllImport("libc")]
            public static extern void exit(int status);
        }

        """;

    // ---- bad exits ------------------------------------------------------------------------------------------

    [Fact]
    public Task EnvironmentExit_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                if (Native.fork() == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", null });
                    {|#0:Environment.Exit(127)|};
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0)
            .WithMessage("The 'fork' child ends with 'Environment.Exit', which runs the parent's exit handlers; end the child with _exit"));

    [Fact]
    public Task LibcExit_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", null });
                    {|#0:Native.exit(1)|};
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0).WithArguments("fork", "exit"));

    [Fact]
    public Task MonoStdlibExitAndLegacyExit_AreReported() => VerifyCS.AnalyzerAsync("""
        #pragma warning disable CS0618
        using Mono.Unix.Native;

        class C
        {
            void Run()
            {
                if (Mono.Posix.Syscall.fork() == 0)
                {
                    Syscall.execv("/bin/true", new[] { "true" });
                    {|#0:Stdlib.exit(1)|};
                }

                if (Mono.Posix.Syscall.fork() == 0)
                {
                    {|#1:Mono.Posix.Syscall.exit(1)|};
                }
            }
        }
        """,
        VerifyCS.Diagnostic("PSX1003").WithLocation(0).WithArguments("fork", "Stdlib.exit"),
        VerifyCS.Diagnostic("PSX1003").WithLocation(1).WithArguments("fork", "Syscall.exit"));

    [Fact]
    public Task ThrowAfterFailedExec_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    execve(path, argv, null);
                    {|#0:throw new Win32Exception(Marshal.GetLastPInvokeError());|}
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0)
            .WithMessage("The 'fork' child throws into the parent's handlers; end the child with _exit(127)"));

    // The child's own try: its catch is child code, judged by how it ends, not the parent's handlers.
    [Fact]
    public Task ThrowCaughtByTheChildsOwnCatch_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        execve(path, argv, null);
                        throw new InvalidOperationException("exec failed");
                    }
                    catch
                    {
                        _exit(127);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task HelperThatAlwaysThrows_CaughtInTheChild_OnlyTheHandlersExitIsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        Exec(path, argv);
                    }
                    catch (Exception)
                    {
                        {|#0:Environment.Exit(1)|};
                    }
                }
            }

            static void Exec(byte* path, byte** argv)
            {
                execve(path, argv, null);
                throw new Win32Exception(Marshal.GetLastPInvokeError());
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0)
            .WithMessage("The 'fork' child ends with 'Environment.Exit', which runs the parent's exit handlers; end the child with _exit"));

    [Fact]
    public Task ThrowOfATypeTheChildsCatchDoesNotTake_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        execve(path, argv, null);
                        {|#0:throw new InvalidOperationException("exec failed");|}
                    }
                    catch (IOException)
                    {
                        _exit(126);
                    }
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0)
            .WithMessage("The 'fork' child throws into the parent's handlers; end the child with _exit(127)"));

    [Fact]
    public Task ThrowCaughtByAMatchingTypedCatch_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        execve(path, argv, null);
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }
                    catch (Win32Exception)
                    {
                        _exit(127);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task ThrowOfAVariableTypedException_CaughtByADerivedCatch_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv, Exception failure)
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        execve(path, argv, null);
                        throw failure;
                    }
                    catch (IOException)
                    {
                        _exit(127);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task ThrowCaughtByAChildCatchThatRethrows_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        execve(path, argv, null);
                        {|#0:throw new InvalidOperationException("exec failed");|}
                    }
                    catch
                    {
                        Console.Error.WriteLine("exec failed");
                        throw;
                    }
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0)
            .WithMessage("The 'fork' child throws into the parent's handlers; end the child with _exit(127)"));

    // The handler's own `throw;` counts, not one of a catch nested inside it.
    [Fact]
    public Task ChildCatchWhoseNestedCatchRethrows_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        execve(path, argv, null);
                        throw new InvalidOperationException("exec failed");
                    }
                    catch
                    {
                        try
                        {
                            Console.Error.WriteLine("exec failed");
                        }
                        catch
                        {
                            throw;
                        }

                        _exit(127);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task RethrowTakenByAnOuterChildCatch_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        try
                        {
                            execve(path, argv, null);
                            throw new InvalidOperationException("exec failed");
                        }
                        catch
                        {
                            Console.Error.WriteLine("exec failed");
                            throw;
                        }
                    }
                    catch (Exception)
                    {
                        _exit(127);
                    }
                }
            }
        }
        """);

    // A new object's type is exact: a catch of a type derived from it cannot take it.
    [Fact]
    public Task NewExceptionNotTakenByACatchOfADerivedType_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        execve(path, argv, null);
                        {|#0:throw new InvalidOperationException("exec failed");|}
                    }
                    catch (ObjectDisposedException)
                    {
                        _exit(127);
                    }
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0)
            .WithMessage("The 'fork' child throws into the parent's handlers; end the child with _exit(127)"));

    [Fact]
    public Task ThrowOfATypeParameter_CaughtByCatchException_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run<TFailure>(byte* path, byte** argv, TFailure failure)
                where TFailure : Exception
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        execve(path, argv, null);
                        throw failure;
                    }
                    catch (Exception)
                    {
                        _exit(127);
                    }
                }
            }
        }
        """);

    // C# takes the first handler that matches: this one rethrows, and the catch after it never sees the exception.
    [Fact]
    public Task FirstMatchingChildCatchRethrows_TheCatchAfterItDoesNotHideTheThrow() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        execve(path, argv, null);
                        {|#0:throw new InvalidOperationException("exec failed");|}
                    }
                    catch (InvalidOperationException)
                    {
                        Console.Error.WriteLine("exec failed");
                        throw;
                    }
                    catch (Exception)
                    {
                        _exit(127);
                    }
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0)
            .WithMessage("The 'fork' child throws into the parent's handlers; end the child with _exit(127)"));

    [Fact]
    public Task ChildCatchOfATypeParameter_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run<TFailure>(byte* path, byte** argv)
                where TFailure : Exception
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        execve(path, argv, null);
                        throw new InvalidOperationException("exec failed");
                    }
                    catch (TFailure)
                    {
                        _exit(127);
                    }
                }
            }
        }
        """);

    // A `throw;` inside a try nested in the handler goes to that try's own catches.
    [Fact]
    public Task RethrowDispatchedByATryInsideTheChildCatch_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.IO;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    try
                    {
                        execve(path, argv, null);
                        throw new InvalidOperationException("exec failed");
                    }
                    catch
                    {
                        try
                        {
                            throw;
                        }
                        catch (IOException)
                        {
                            _exit(74);
                        }
                        catch
                        {
                            _exit(127);
                        }
                    }
                }
            }
        }
        """);

    // A try around the fork is the parent's too: its catch runs the parent's code in the child.
    [Fact]
    public Task ThrowCaughtByATryAroundTheFork_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int Run(byte* path, byte** argv)
            {
                try
                {
                    var pid = fork();
                    if (pid == 0)
                    {
                        execve(path, argv, null);
                        {|#0:throw new InvalidOperationException("exec failed");|}
                    }

                    return pid;
                }
                catch (Exception)
                {
                    return -1;
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0)
            .WithMessage("The 'fork' child throws into the parent's handlers; end the child with _exit(127)"));

    [Fact]
    public Task ReturnZeroAfterFailedExec_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int Run()
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", null });
                    {|#0:return 0;|}
                }

                return pid;
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0)
            .WithMessage("The 'fork' child returns and runs on as a copy of the parent; end the child with _exit(127)"));

    [Fact]
    public Task VoidReturnInTheChild_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                switch (Native.fork())
                {
                    case 0:
                        Native.execv("/bin/ls", new[] { "ls", null });
                        [|return;|]
                    case -1:
                        throw new InvalidOperationException();
                }

                Console.WriteLine("parent");
            }
        }
        """);

    [Fact]
    public Task FallOutAfterLoneExec_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int Run()
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    {|#0:Native.execv("/bin/ls", new[] { "ls", null });|}
                }

                return pid;
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0).WithMessage(string.Format(FallOut, "fork")));

    [Fact]
    public Task ChildAfterNotZeroReturn_FallsOutAtTheEndOfTheMethod() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid != 0)
                {
                    return;
                }

                [|execve(path, argv, null);|]
            }
        }
        """);

    [Fact]
    public Task ForkptyChildInALoop_FallsOutIntoTheLoop() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libutil.so.1", SetLastError = true)]
            public static extern int forkpty(out int master, IntPtr name, IntPtr termp, IntPtr winp);

            [DllImport("libc", SetLastError = true)]
            public static extern int execvp(string file, string?[] argv);
        }

        class C
        {
            void Run(string[] shells)
            {
                foreach (var shell in shells)
                {
                    var pid = Native.forkpty(out _, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
                    if (pid == 0)
                    {
                        {|#0:Native.execvp(shell, new[] { shell, null });|}
                    }
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0).WithMessage(string.Format(FallOut, "forkpty")));

    [Fact]
    public Task VforkChildReturn_IsReportedToo() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int Run(byte* path, byte** argv)
            {
                if (vfork() == 0)
                {
                    execve(path, argv, null);
                    {|#0:return 1;|}
                }

                return 0;
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0)
            .WithMessage("The 'vfork' child returns and runs on as a copy of the parent; end the child with _exit(127)"));

    [Fact]
    public Task EqualityOperatorOfAStructOutsideTheBinding_IsNotTakenForTheChildTest() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        namespace Mine
        {
            // Not a binding typedef: its == may mean anything, so 'pid == 0' says nothing about the fork's result.
            public struct Pid
            {
                private readonly int _value;
                public static bool operator ==(Pid left, int right) => left._value != right;
                public static bool operator !=(Pid left, int right) => left._value == right;
                public override bool Equals(object? obj) => false;
                public override int GetHashCode() => _value;
            }

            static class C
            {
                [DllImport("libc", SetLastError = true)]
                static extern Pid fork();

                static void Run()
                {
                    var pid = fork();
                    if (pid == 0)
                    {
                        Environment.Exit(1);
                    }
                }
            }
        }
        """);

    // ---- correct exits and look-alikes ----------------------------------------------------------------------

    [Fact]
    public Task ExitUnderscoreOnEverySurface_IsSilent() => VerifyCS.AnalyzerAsync("""
        #pragma warning disable CS0618
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        unsafe class C
        {
            [DllImport("libc", EntryPoint = "_exit")]
            static extern void Exit(int status);

            void Run(byte* path, byte** argv)
            {
                if (Tmds.Linux.LibC.fork() == 0)
                {
                    Tmds.Linux.LibC.execve(path, argv, null);
                    Tmds.Linux.LibC._exit(127);
                }

                if (Mono.Posix.Syscall.fork() == 0)
                {
                    Syscall.execv("/bin/true", new[] { "true" });
                    Syscall._exit(127);
                }

                if (Mono.Posix.Syscall.fork() == 0)
                {
                    Stdlib._Exit(127);
                }

                if (Tmds.Linux.LibC.vfork() == 0)
                {
                    Exit(127);
                }
            }
        }
        """);

    [Fact]
    public Task ForkImmediatelyFollowedByExit_IsSilent() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            void Run()
            {
                if (fork() == 0)
                {
                    _exit(0);
                }
            }
        }
        """);

    [Fact]
    public Task ParentExitsAndThrows_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        class C
        {
            int Run()
            {
                var pid = fork();
                if (pid < 0)
                {
                    throw new InvalidOperationException("fork failed");
                }

                if (pid > 0)
                {
                    Environment.Exit(0);
                    return pid;
                }

                _exit(1);
                return 0;
            }
        }
        """);

    [Fact]
    public Task UserHelperThatMayExit_IsSilent() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int Run(byte* path, byte** argv)
            {
                var pid = fork();
                if (pid == 0)
                {
                    ExecOrDie(path, argv);
                    return 0;
                }

                return pid;
            }

            static void ExecOrDie(byte* path, byte** argv)
            {
                execve(path, argv, null);
                _exit(127);
            }
        }
        """);

    [Fact]
    public Task ResultNeverTested_IsNotThisRule() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            int Wrapper() => fork();

            int Wrapper2()
            {
                var pid = fork();
                return pid;
            }
        }
        """);

    // ---- nested functions inside regions of the enclosing body (lock, foreach, using, try) -----------------

    [Fact]
    public Task ChildInLocalFunctionInsideLock_IsReported() => VerifyCS.AnalyzerAsync("""
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
                        int pid = fork();
                        if (pid == 0)
                        {
                            {|#0:Environment.Exit(1)|};
                        }

                        return pid;
                    }

                    Start();
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1003").WithLocation(0).WithArguments("fork", "Environment.Exit"));

    [Fact]
    public Task ChildInLocalFunctionInsideLock_ExitingWithUnderscoreExit_IsSilent() => VerifyCS.AnalyzerAsync("""
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
                        int pid = fork();
                        if (pid == 0)
                        {
                            _exit(1);
                        }

                        return pid;
                    }

                    Start();
                }
            }
        }
        """);

    [Fact]
    public Task ChildInLambdaInsideForeach_IsReported() => VerifyCS.AnalyzerAsync("""
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
                        int pid = fork();
                        if (pid == 0)
                        {
                            {|#0:throw new InvalidOperationException(name);|}
                        }

                        return pid;
                    };
                    start();
                }
            }
        }
        """, VerifyCS.Diagnostic(ForkChildExitAnalyzer.ThrowRule).WithLocation(0).WithArguments("fork"));

    [Fact]
    public Task ChildInLambdaInsideForeach_ExitingWithUnderscoreExit_IsSilent() => VerifyCS.AnalyzerAsync("""
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
                        int pid = fork();
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
        """);

    [Fact]
    public Task ChildInLocalFunctionInsideTryFinally_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        class C
        {
            void Run()
            {
                try
                {
                    using (var stream = new System.IO.MemoryStream())
                    {
                        int Start()
                        {
                            int pid = fork();
                            if (pid == 0)
                            {
                                {|#0:return 0;|}
                            }

                            return pid;
                        }

                        Start();
                    }
                }
                finally
                {
                    Console.WriteLine();
                }
            }
        }
        """, VerifyCS.Diagnostic(ForkChildExitAnalyzer.ReturnRule).WithLocation(0).WithArguments("fork"));

    [Fact]
    public Task IncompleteCode_DoesNotThrow() => new PosixAnalyzerTest<ForkChildExitAnalyzer>()
    {
        Source = """
            using System;
            using static Tmds.Linux.LibC;

            class C
            {
                void Run()
                {
                    if (fork() == 0)
                    {
                        [|Environment.Exit(1)|];
                    }

                    var x = ;
                }
            }
            """,
        AllowCompilerErrors = true,
    }.RunAsync();
}
