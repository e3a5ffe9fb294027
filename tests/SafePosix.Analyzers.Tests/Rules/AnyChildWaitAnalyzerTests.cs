using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.AnyChildWaitAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class AnyChildWaitAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Collections.Generic;
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int WNOHANG = 1, P_ALL = 0, P_PID = 1, P_PGID = 2, WEXITED = 4;

            [DllImport("libc", SetLastError = true)]
            public static extern int waitpid(int pid, out int status, int options);

            [DllImport("libc", SetLastError = true)]
            public static extern int wait(out int status);

            [DllImport("libc", SetLastError = true)]
            public static extern int wait3(out int status, int options, IntPtr rusage);

            [DllImport("libc", SetLastError = true)]
            public static extern int wait4(int pid, out int status, int options, IntPtr rusage);

            [DllImport("libc", SetLastError = true)]
            public static extern int waitid(int idtype, int id, IntPtr infop, int options);

            [DllImport("libc", EntryPoint = "waitpid", SetLastError = true)]
            public static extern int ReapChild(int pid, out int status, int options);
        }

        """;

    private static string Message(string function, string target)
        => $"'{function}' reaps {target}, even those Process owns (WaitForExit then hangs); wait for your own pids";

    [Fact]
    public Task WaitpidForAnyChild_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            void Reap()
            {
                while ({|#0:Native.waitpid(-1, out _, Native.WNOHANG)|} > 0)
                {
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX2002").WithLocation(0).WithMessage(Message("waitpid", "any child")));

    [Fact]
    public Task WaitpidForTheCallersGroupOrAnotherGroup_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            void Reap(int status)
            {
                {|#0:Native.waitpid(0, out status, 0)|};
                {|#1:Native.wait4(-42, out status, 0, IntPtr.Zero)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2002").WithLocation(0).WithMessage(Message("waitpid", "any child of its group")),
        VerifyCS.Diagnostic("PSX2002").WithLocation(1).WithMessage(Message("wait4", "any child of group 42")));

    [Fact]
    public Task WaitAndWait3_AreReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            int Reap()
            {
                var pid = {|#0:Native.wait(out var status)|};
                return pid + {|#1:Native.wait3(out status, Native.WNOHANG, IntPtr.Zero)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2002").WithLocation(0).WithMessage(Message("wait", "any child")),
        VerifyCS.Diagnostic("PSX2002").WithLocation(1).WithMessage(Message("wait3", "any child")));

    [Fact]
    public Task WaitidForAllOrAGroup_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            void Reap(IntPtr info)
            {
                {|#0:Native.waitid(Native.P_ALL, 0, info, Native.WEXITED)|};
                {|#1:Native.waitid(Native.P_PGID, 0, info, Native.WEXITED)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2002").WithLocation(0).WithMessage(Message("waitid", "any child")),
        VerifyCS.Diagnostic("PSX2002").WithLocation(1).WithMessage(Message("waitid", "any child of a group")));

    [Fact]
    public Task RenamedEntryPointAndNamedArguments_AreReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            const int AnyChild = -1;

            void Reap() => {|#0:Native.ReapChild(options: 0, status: out _, pid: AnyChild)|};
        }
        """, VerifyCS.Diagnostic("PSX2002").WithLocation(0).WithMessage(Message("waitpid", "any child")));

    [Fact]
    public Task LibraryImport_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("libc", SetLastError = true)]
            public static partial int waitpid(int pid, out int status, int options);
        }

        class Reaper
        {
            void Reap() => [|Native.waitpid(-1, out _, 1)|];
        }
        """);

    [Fact]
    public Task OwnWaitpidNextToTmdsCalls_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        static class Native
        {
            [DllImport("libc.so.6", SetLastError = true)]
            public static extern pid_t waitpid(pid_t pid, out int status, int options);
        }

        class Reaper
        {
            void Run()
            {
                pid_t child = fork();
                if (child == 0)
                {
                    _exit(0);
                }

                kill(child, SIGTERM);
                [|Native.waitpid(-1, out _, 0)|];
            }
        }
        """);

    [Fact]
    public Task MonoPosix_IsReported() => VerifyCS.AnalyzerAsync("""
        #pragma warning disable CS0618
        using Mono.Unix.Native;

        class Reaper
        {
            void Reap()
            {
                {|#0:Syscall.wait(out var status)|};
                {|#1:Syscall.waitpid(-1, out status, WaitOptions.WNOHANG)|};
                {|#2:Mono.Posix.Syscall.waitpid(-1, Mono.Posix.WaitOptions.WNOHANG)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2002").WithLocation(0).WithMessage(Message("wait", "any child")),
        VerifyCS.Diagnostic("PSX2002").WithLocation(1).WithMessage(Message("waitpid", "any child")),
        VerifyCS.Diagnostic("PSX2002").WithLocation(2).WithMessage(Message("waitpid", "any child")));

    [Fact]
    public Task WaitsForOnePid_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            private readonly List<int> _children = new();

            void Reap(IntPtr info)
            {
                foreach (var pid in _children)
                {
                    Native.waitpid(pid, out _, Native.WNOHANG);
                    Native.wait4(pid, out _, Native.WNOHANG, IntPtr.Zero);
                    Native.waitid(Native.P_PID, pid, info, Native.WEXITED);
                }

                Native.waitpid(_children[0], out _, 0);
                Native.waitpid(42, out _, 0);
                Mono.Unix.Native.Syscall.waitpid(_children[0], out _, Mono.Unix.Native.WaitOptions.WNOHANG);
            }
        }
        """);

    [Fact]
    public Task LookAlikesThatAreNotLibc_AreSilent() => VerifyCS.AnalyzerAsync("""
        using System.Diagnostics;
        using System.Threading.Tasks;

        static class Jobs
        {
            public static int waitpid(int pid, out int status, int options) { status = 0; return pid; }

            public static int wait(out int status) { status = 0; return 0; }
        }

        class Runner
        {
            async Task Run(Process process, Task[] tasks)
            {
                Jobs.waitpid(-1, out _, 0);
                Jobs.wait(out _);
                Task.WaitAny(tasks);
                process.WaitForExit();
                await process.WaitForExitAsync();
            }
        }
        """);
}
