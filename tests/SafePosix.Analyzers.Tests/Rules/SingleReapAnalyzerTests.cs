using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.SingleReapAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class SingleReapAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Collections.Generic;
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int WNOHANG = 1, SIGCHLD = 17;

            [DllImport("libc", SetLastError = true)]
            public static extern int waitpid(int pid, out int status, int options);

            [DllImport("libc", SetLastError = true)]
            public static extern int wait(out int status);

            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc")]
            public static extern void _exit(int status);
        }

        """;

    private static string InHandler(string function)
        => $"'{function}' reaps one child per signal, but SIGCHLDs coalesce and the rest stay zombies; loop until it returns 0 or -1";

    private static string NonBlocking(string function)
        => $"'{function}' with WNOHANG reaps at most one of the exited children; loop until it returns 0 or -1";

    private static string AfterLoop(string function)
        => $"'{function}' reaps one child after a loop that started several; loop until it returns -1 so none stays a zombie";

    [Fact]
    public Task LambdaSigchldHandler_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            private static PosixSignalRegistration? _registration;

            static void Install()
            {
                _registration = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, context =>
                {
                    var pid = {|#0:Native.waitpid(-1, out var status, Native.WNOHANG)|};
                    if (pid > 0)
                    {
                        Console.WriteLine($"child {pid} exited: {status}");
                    }
                });
            }
        }
        """, VerifyCS.Diagnostic("PSX2001").WithLocation(0).WithMessage(InHandler("waitpid")));

    [Fact]
    public Task MethodGroupHandlerWithARawSignalNumber_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            private static PosixSignalRegistration? _registration;

            static void Install() => _registration = PosixSignalRegistration.Create((PosixSignal)Native.SIGCHLD, OnChildExited);

            static void OnChildExited(PosixSignalContext context)
            {
                {|#0:Native.wait(out _)|};
            }
        }
        """, VerifyCS.Diagnostic("PSX2001").WithLocation(0).WithMessage(InHandler("wait")));

    [Fact]
    public Task HandlerDeclaredBeforeItsRegistration_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            static void OnChildExited(PosixSignalContext context) => {|#0:Native.wait(out _)|};

            static PosixSignalRegistration Install() => PosixSignalRegistration.Create(PosixSignal.SIGCHLD, OnChildExited);
        }
        """, VerifyCS.Diagnostic("PSX2001").WithLocation(0).WithMessage(InHandler("wait")));

    [Fact]
    public Task HandlerRegisteredInAnotherPartOfItsClass_IsReported()
    {
        var test = new PosixAnalyzerTest<SingleReapAnalyzer>();
        test.TestState.Sources.Add(("/0/Install.cs", OwnInterop + """
            partial class Reaper
            {
                static PosixSignalRegistration Install() => PosixSignalRegistration.Create(PosixSignal.SIGCHLD, OnChildExited);
            }
            """));
        test.TestState.Sources.Add(("/0/Handler.cs", """
            using System.Runtime.InteropServices;

            partial class Reaper
            {
                static void OnChildExited(PosixSignalContext context) => {|#0:Native.waitpid(-1, out _, 0)|};
            }
            """));
        test.ExpectedDiagnostics.Add(VerifyCS.Diagnostic("PSX2001").WithLocation(0).WithMessage(InHandler("waitpid")));
        return test.RunAsync();
    }

    [Fact]
    public Task BlockingWaitInAMethodRegisteredForAnotherSignal_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Service
        {
            static PosixSignalRegistration Install() => PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerminate);

            static void OnTerminate(PosixSignalContext context) => Native.wait(out _);
        }
        """);

    [Fact]
    public Task HandlerInstalledWithLibcSignalUnderAnotherName_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            delegate void SignalHandler(int signal);

            [DllImport("libc", EntryPoint = "signal")]
            static extern IntPtr InstallHandler(int signal, SignalHandler handler);

            static void Install() => InstallHandler(Native.SIGCHLD, OnSignal);

            static void OnSignal(int signal) => {|#0:Native.wait(out _)|};
        }
        """, VerifyCS.Diagnostic("PSX2001").WithLocation(0).WithMessage(InHandler("wait")));

    [Fact]
    public Task BlockingWaitInAMethodShapedLikeAHandlerButNeverRegistered_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Service
        {
            static void OnSignal(int signal) => Native.wait(out _);

            static void Run() => OnSignal(Native.SIGCHLD);
        }
        """);

    [Fact]
    public Task LocalFunctionHandler_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            static PosixSignalRegistration Install()
            {
                return PosixSignalRegistration.Create(PosixSignal.SIGCHLD, Reap);

                void Reap(PosixSignalContext context) => {|#0:Native.waitpid(0, out _, 0)|};
            }
        }
        """, VerifyCS.Diagnostic("PSX2001").WithLocation(0).WithMessage(InHandler("waitpid")));

    [Fact]
    public Task MonoUnixSignalThread_IsReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix;
        using Mono.Unix.Native;

        class Reaper
        {
            void Run()
            {
                var signals = new[] { new UnixSignal(Signum.SIGCHLD) };
                while (true)
                {
                    UnixSignal.WaitAny(signals);
                    {|#0:Syscall.waitpid(-1, out _, WaitOptions.WNOHANG)|};
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX2001").WithLocation(0).WithMessage(InHandler("waitpid")));

    [Fact]
    public Task MonoObsoleteSignalHandler_IsReported() => VerifyCS.AnalyzerAsync("""
        #pragma warning disable CS0618
        using Mono.Unix.Native;

        class Reaper
        {
            void Install() => Stdlib.signal(Signum.SIGCHLD, OnChild);

            static void OnChild(int signal) => {|#0:Syscall.wait(out _)|};
        }
        """, VerifyCS.Diagnostic("PSX2001").WithLocation(0).WithMessage(InHandler("wait")));

    [Fact]
    public Task SingleNonBlockingWaitOutsideALoop_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Supervisor
        {
            public void Tick()
            {
                if ({|#0:Native.waitpid(-1, out var status, Native.WNOHANG)|} > 0)
                {
                    Console.WriteLine(status);
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX2001").WithLocation(0).WithMessage(NonBlocking("waitpid")));

    [Fact]
    public Task OneWaitAfterALoopThatForks_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Pool
        {
            public void RunAll(int workers)
            {
                for (var i = 0; i < workers; i++)
                {
                    if (Native.fork() == 0)
                    {
                        Native._exit(0);
                    }
                }

                {|#0:Native.wait(out _)|};
            }
        }
        """, VerifyCS.Diagnostic("PSX2001").WithLocation(0).WithMessage(AfterLoop("wait")));

    [Fact]
    public Task OwnWaitpidNextToTmdsForkInALoop_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        static partial class Native
        {
            [LibraryImport("libc.so.6", SetLastError = true)]
            public static partial int waitpid(int pid, out int status, int options);
        }

        class Pool
        {
            public void RunAll(int workers)
            {
                for (var i = 0; i < workers; i++)
                {
                    pid_t pid = fork();
                    if (pid == 0)
                    {
                        _exit(0);
                    }
                }

                [|Native.waitpid(-1, out _, 0)|];
            }
        }
        """);

    [Fact]
    public Task ReaperThatLoopsUntilNoChildIsLeft_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Reaper
        {
            static PosixSignalRegistration Install() => PosixSignalRegistration.Create(PosixSignal.SIGCHLD, context =>
            {
                int pid;
                while ((pid = Native.waitpid(-1, out _, Native.WNOHANG)) > 0)
                {
                    Console.WriteLine(pid);
                }
            });

            static void OnChild(PosixSignalContext context)
            {
                for (;;)
                {
                    var pid = Native.wait(out _);
                    if (pid <= 0)
                    {
                        break;
                    }
                }
            }

            static PosixSignalRegistration InstallMethod() => PosixSignalRegistration.Create(PosixSignal.SIGCHLD, OnChild);
        }
        """);

    [Fact]
    public Task OneWaitPerChildOrPerOwnPid_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Pool
        {
            private readonly List<int> _children = new();

            public void RunAll(int workers)
            {
                for (var i = 0; i < workers; i++)
                {
                    _children.Add(Native.fork());
                }

                for (var i = 0; i < workers; i++)
                {
                    Native.wait(out _);
                }
            }

            public void OnChild()
            {
                foreach (var pid in _children)
                {
                    Native.waitpid(pid, out _, Native.WNOHANG);
                }

                Native.waitpid(_children[0], out _, Native.WNOHANG);
            }

            public void RunOne()
            {
                if (Native.fork() == 0)
                {
                    Native._exit(0);
                }

                Native.wait(out _);
            }
        }
        """);

    [Fact]
    public Task BlockingWaitInAnotherSignalsHandler_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Service
        {
            static PosixSignalRegistration Install() => PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Native.waitpid(-1, out _, 0));

            static void NotAHandler() => Native.wait(out _);
        }
        """);

    [Fact]
    public Task MonoUnixSignalThreadThatLoopsInside_IsSilent() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix;
        using Mono.Unix.Native;

        class Reaper
        {
            void Run()
            {
                var signals = new[] { new UnixSignal(Signum.SIGCHLD) };
                while (true)
                {
                    UnixSignal.WaitAny(signals);
                    while (Syscall.waitpid(-1, out _, WaitOptions.WNOHANG) > 0)
                    {
                    }
                }
            }
        }
        """);
}
