using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.ZombieChildAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class ZombieChildAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Collections.Generic;
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int SIGKILL = 9, SIGTERM = 15;

            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int waitpid(int pid, out int status, int options);

            [DllImport("libc", SetLastError = true)]
            public static extern int wait(out int status);

            [DllImport("libc", SetLastError = true)]
            public static extern int kill(int pid, int signal);

            [DllImport("libc", SetLastError = true)]
            public static extern int posix_spawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp);

            [DllImport("libc")]
            public static extern void _exit(int status);
        }

        """;

    private static string NeverWaited(string function, string why)
        => $"Nothing waits for the '{function}' child ({why}), so it stays a zombie; call waitpid";

    // ---- never waited -----------------------------------------------------------------------------------------

    [Fact]
    public Task PidKeptInALocalThatOnlyALogSees_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                var pid = {|#0:Native.fork()|};
                if (pid == 0)
                {
                    Native._exit(0);
                }

                Console.WriteLine($"started {pid}");
            }
        }
        """, VerifyCS.Diagnostic("PSX1004").WithLocation(0)
            .WithMessage(NeverWaited("fork", "pid only in 'pid'")));

    [Fact]
    public Task PidOnlyCompared_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            void Run()
            {
                if ({|#0:vfork()|} == 0)
                {
                    _exit(0);
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1004").WithLocation(0).WithMessage(NeverWaited("vfork", "pid only compared")));

    [Fact]
    public Task DiscardedPid_IsReported() => VerifyCS.AnalyzerAsync("""
        #pragma warning disable CS0618
        class C
        {
            void Run()
            {
                {|#0:Mono.Posix.Syscall.fork()|};
            }
        }
        """, VerifyCS.Diagnostic("PSX1004").WithLocation(0).WithMessage(NeverWaited("fork", "pid discarded")));

    [Fact]
    public Task PosixSpawnPidNeverWaited_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                var error = {|#0:Native.posix_spawn(out var pid, "/bin/true", IntPtr.Zero, IntPtr.Zero, new[] { "true", null }, new string?[] { null })|};
                if (error != 0)
                {
                    throw new InvalidOperationException("spawn failed");
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX1004").WithLocation(0)
            .WithMessage(NeverWaited("posix_spawn", "pid only in 'pid'")));

    [Fact]
    public Task ForkptyWithTmdsPidT_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;
        using Tmds.Linux;

        static class Pty
        {
            [DllImport("util", SetLastError = true)]
            public static extern pid_t forkpty(out int master, IntPtr name, IntPtr termp, IntPtr winp);
        }

        class C
        {
            int Open()
            {
                pid_t pid = [|Pty.forkpty(out var master, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero)|];
                if (pid == 0)
                {
                    LibC._exit(0);
                }

                return master;
            }
        }
        """);

    // ---- seen by something that may wait ----------------------------------------------------------------------

    [Fact]
    public Task WaitedStoredReturnedOrPassedOn_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            private int _child;
            private readonly List<int> _children = new();

            void Waited()
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    Native._exit(0);
                }

                Native.waitpid(pid, out _, 0);
            }

            void Stored()
            {
                _child = Native.fork();
                var pid = Native.fork();
                _children.Add(pid);
            }

            int Returned() => Native.fork();

            int ReturnedLocal()
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    Native._exit(0);
                }

                return pid;
            }

            void Spawned()
            {
                Native.posix_spawn(out var pid, "/bin/true", IntPtr.Zero, IntPtr.Zero, new[] { "true", null }, new string?[] { null });
                Native.waitpid(pid, out _, 0);
            }
        }
        """);

    [Fact]
    public Task WaitForAnyChildInTheMethod_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                if (Native.fork() == 0)
                {
                    Native._exit(0);
                }

                Native.wait(out _);
            }

            void RunAll()
            {
                for (var i = 0; i < 4; i++)
                {
                    if (Native.fork() == 0)
                    {
                        Native._exit(0);
                    }
                }

                while (Native.waitpid(-1, out _, 0) > 0)
                {
                }
            }
        }
        """);

    // ---- kill(pid, SIGKILL) -------------------------------------------------------------------------------------

    [Fact]
    public Task KillWithoutWaitAfterIt_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int Run(bool timedOut)
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    Native._exit(0);
                }

                if (timedOut)
                {
                    {|#0:Native.kill(pid, Native.SIGKILL)|};
                    return -1;
                }

                Native.waitpid(pid, out var status, 0);
                return status;
            }
        }
        """, VerifyCS.Diagnostic("PSX1004").WithLocation(0)
            .WithMessage("'pid' gets SIGKILL but is never waited for, so it stays a zombie; call waitpid after kill"));

    [Fact]
    public Task TmdsKillWithSigkillProperty_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern int waitpid(int pid, out int status, int options);

            void Run(bool stop)
            {
                pid_t pid = fork();
                if (pid == 0)
                {
                    _exit(0);
                }

                if (stop)
                {
                    [|kill(pid, SIGKILL)|];
                }
                else
                {
                    waitpid(pid, out _, 0);
                }
            }
        }
        """);

    [Fact]
    public Task KillThenWait_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    Native._exit(0);
                }

                Native.kill(pid, Native.SIGKILL);
                Native.waitpid(pid, out _, 0);
            }
        }
        """);

    [Fact]
    public Task KillOfAPidThisMethodDidNotCreate_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Stop(int pid) => Native.kill(pid, Native.SIGKILL);

            void StopFromFile(string path)
            {
                var pid = int.Parse(System.IO.File.ReadAllText(path));
                Native.kill(pid, 9);
            }

            void Terminate()
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    Native._exit(0);
                }

                Native.kill(pid, Native.SIGTERM);
                Native.waitpid(pid, out _, 0);
            }
        }
        """);

    [Fact]
    public Task IncompleteCode_DoesNotThrow() => new PosixAnalyzerTest<ZombieChildAnalyzer>()
    {
        Source = """
            using static Tmds.Linux.LibC;

            class C
            {
                void Run()
                {
                    var pid = [|fork()|];
                    if (pid == 0)
                    {
                        _exit(0);
                    }

                    kill(pid, SIGKILL);
                    var x = ;
                }
            }
            """,
        AllowCompilerErrors = true,
    }.RunAsync();

    // ---- posix_spawn(out _, ...) --------------------------------------------------------------------------------

    [Theory]
    [InlineData("out _")]
    [InlineData("out var _")]
    [InlineData("out int _")]
    public Task SpawnedPidDiscarded_IsReported(string pid) => VerifyCS.AnalyzerAsync(OwnInterop + $$"""
        class C
        {
            void Run()
            {
                {|#0:Native.posix_spawn({{pid}}, "/bin/true", IntPtr.Zero, IntPtr.Zero, new[] { "true", null }, new string?[] { null })|};
            }
        }
        """, VerifyCS.Diagnostic("PSX1004").WithLocation(0).WithMessage(NeverWaited("posix_spawn", "pid discarded")));

    [Fact]
    public Task SpawnedPidKeptAndWaitedFor_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                Native.posix_spawn(out var child, "/bin/true", IntPtr.Zero, IntPtr.Zero, new[] { "true", null }, new string?[] { null });
                Native.waitpid(child, out _, 0);
            }
        }
        """);

    // ---- kill(field or property, SIGKILL) -----------------------------------------------------------------------

    [Fact]
    public Task SigkillOfAPidInAField_WithNoWaitAfterIt_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Worker
        {
            private int _pid;

            public void Start(int pid) => _pid = pid;

            public void Stop()
            {
                {|#0:Native.kill(_pid, Native.SIGKILL)|};
                _pid = 0;
            }
        }
        """, VerifyCS.Diagnostic(ZombieChildAnalyzer.KilledNotWaitedRule).WithLocation(0).WithArguments("_pid"));

    [Fact]
    public Task SigkillOfAPidInAProperty_WithNoWaitAfterIt_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        class Worker
        {
            [DllImport("libc", SetLastError = true)]
            static extern int waitpid(int pid, out int status, int options);

            public int ChildPid { get; set; }

            public void Stop()
            {
                {|#0:kill(this.ChildPid, SIGKILL)|};
            }
        }
        """, VerifyCS.Diagnostic(ZombieChildAnalyzer.KilledNotWaitedRule).WithLocation(0).WithArguments("ChildPid"));

    [Fact]
    public Task SigkillOfAPidInAField_WaitedForAfterIt_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Worker
        {
            private int _pid;

            public void Stop()
            {
                Native.kill(_pid, Native.SIGKILL);
                Native.waitpid(_pid, out _, 0);
            }
        }
        """);

    [Fact]
    public Task SigkillOfAPidInAField_PassedOnAfterIt_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Worker
        {
            private int _pid;

            public void Stop(Reaper reaper)
            {
                Native.kill(_pid, Native.SIGKILL);
                reaper.Reap(_pid);
            }
        }

        class Reaper
        {
            public void Reap(int pid) => Native.waitpid(pid, out _, 0);
        }
        """);

    [Fact]
    public Task SigtermOfAPidInAField_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Worker
        {
            private int _pid;

            public void Stop() => Native.kill(_pid, Native.SIGTERM);
        }
        """);

    [Fact]
    public Task SigkillOfAPidInAField_ReapedByAnotherMemberOfTheType_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Worker : IDisposable
        {
            private int _pid;

            public void Stop() => Native.kill(_pid, Native.SIGKILL);

            public void Dispose() => Native.waitpid(_pid, out _, 0);
        }
        """);

    [Fact]
    public Task SigkillOfABaseClassPid_ReapedByAnotherMemberOfTheDerivedClass_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        abstract class Execution
        {
            protected Execution(int id) => Id = id;

            public int Id { get; }

            protected abstract void Poll();

            protected abstract void Kill();
        }

        // Itexoft's process layer: the base class keeps the pid, the Unix class polls it and kills it.
        sealed class UnixExecution : Execution
        {
            public UnixExecution(int id) : base(id)
            {
            }

            protected override void Poll() => Native.waitpid(this.Id, out _, 1);

            protected override void Kill() => Native.kill(this.Id, Native.SIGKILL);
        }
        """);

    [Fact]
    public Task SigkillOfAGenericBaseClassPid_ReapedByTheBaseClass_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        abstract class Execution<T>
        {
            protected int Pid;

            public void Reap() => Native.waitpid(Pid, out _, 0);
        }

        sealed class UnixExecution : Execution<string>
        {
            public void Kill() => Native.kill(Pid, Native.SIGKILL);
        }
        """);

    [Fact]
    public Task SigkillOfABaseClassPid_WithNoWaitInEitherClass_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        abstract class Execution
        {
            protected Execution(int id) => Id = id;

            public int Id { get; }

            protected abstract void Kill();
        }

        sealed class UnixExecution : Execution
        {
            public UnixExecution(int id) : base(id)
            {
            }

            protected override void Kill() => {|#0:Native.kill(this.Id, Native.SIGKILL)|};
        }
        """, VerifyCS.Diagnostic(ZombieChildAnalyzer.KilledNotWaitedRule).WithLocation(0).WithArguments("Id"));

    [Fact]
    public Task SigkillOfAForkWrappersPid_WithNoWait_IsReportedAtTheWrapperCall() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int Spawn() => Native.fork();

            void Run()
            {
                var pid = {|#0:Spawn()|};
                if (pid == 0)
                {
                    Native._exit(0);
                }

                Native.kill(pid, Native.SIGKILL);
            }
        }
        """, VerifyCS.Diagnostic("PSX1004").WithLocation(0).WithMessage(NeverWaited("fork", "pid only in 'pid'")));
}
