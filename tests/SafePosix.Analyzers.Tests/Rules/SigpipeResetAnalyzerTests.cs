using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.SigpipeResetAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class SigpipeResetAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        [StructLayout(LayoutKind.Sequential)]
        struct SigAction
        {
            public IntPtr sa_handler;
            public ulong sa_mask;
            public int sa_flags;
            public IntPtr sa_restorer;
        }

        static unsafe class Native
        {
            public const int SIGPIPE = 13, SIGTERM = 15;
            public static readonly IntPtr SIG_DFL = IntPtr.Zero;
            public static readonly IntPtr SIG_IGN = new IntPtr(1);

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr signal(int signum, IntPtr handler);

            [DllImport("libc", EntryPoint = "sigaction", SetLastError = true)]
            public static extern int SetAction(int signum, SigAction* act, SigAction* oldact);
        }

        """;

    private static string Message(string function)
        => $"'{function}' sets SIGPIPE back to default, so a closed pipe or socket kills the process; remove it and handle EPIPE";

    [Fact]
    public Task SignalWithSigDfl_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Startup
        {
            void Run()
            {
                {|#0:Native.signal(Native.SIGPIPE, IntPtr.Zero)|};
                {|#1:Native.signal(13, Native.SIG_DFL)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2004").WithLocation(0).WithMessage(Message("signal")),
        VerifyCS.Diagnostic("PSX2004").WithLocation(1).WithMessage(Message("signal")));

    [Fact]
    public Task SigactionWhoseHandlerIsSigDfl_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Startup
        {
            void Run()
            {
                var action = new SigAction();
                action.sa_handler = Native.SIG_DFL;
                {|#0:Native.SetAction(Native.SIGPIPE, &action, null)|};

                var initialized = new SigAction { sa_handler = IntPtr.Zero };
                {|#1:Native.SetAction(Native.SIGPIPE, &initialized, null)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2004").WithLocation(0).WithMessage(Message("sigaction")),
        VerifyCS.Diagnostic("PSX2004").WithLocation(1).WithMessage(Message("sigaction")));

    [Fact]
    public Task TmdsSigaction_IsReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class Startup
        {
            void Run()
            {
                Tmds.Linux.sigaction action = default;
                action.sa_handler = SIG_DFL;
                if ([|LibC.sigaction(SIGPIPE, &action, null)|] != 0)
                {
                    throw new System.InvalidOperationException("sigaction failed");
                }
            }
        }
        """);

    [Fact]
    public Task MonoPosix_IsReported() => VerifyCS.AnalyzerAsync("""
        #pragma warning disable CS0618
        using Mono.Unix.Native;

        class Startup
        {
            void Run()
            {
                {|#0:Stdlib.SetSignalAction(Signum.SIGPIPE, SignalAction.Default)|};
                {|#1:Stdlib.signal(Signum.SIGPIPE, Stdlib.SIG_DFL)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2004").WithLocation(0).WithMessage(Message("SetSignalAction")),
        VerifyCS.Diagnostic("PSX2004").WithLocation(1).WithMessage(Message("signal")));

    [Fact]
    public Task IgnoringSigpipeOrResettingAnotherSignal_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Startup
        {
            void Run(IntPtr previous)
            {
                Native.signal(Native.SIGPIPE, Native.SIG_IGN);
                Native.signal(Native.SIGTERM, IntPtr.Zero);
                Native.signal(Native.SIGPIPE, previous);
                Mono.Unix.Native.Stdlib.SetSignalAction(Mono.Unix.Native.Signum.SIGPIPE, Mono.Unix.Native.SignalAction.Ignore);
                Mono.Unix.Native.Stdlib.SetSignalAction(Mono.Unix.Native.Signum.SIGTERM, Mono.Unix.Native.SignalAction.Default);

                var action = new SigAction();
                action.sa_handler = Native.SIG_IGN;
                Native.SetAction(Native.SIGPIPE, &action, null);

                var unknown = new SigAction();
                unknown.sa_handler = previous;
                Native.SetAction(Native.SIGPIPE, &unknown, null);

                using var registration = PosixSignalRegistration.Create((PosixSignal)13, context => { });
            }
        }
        """);

    [Fact]
    public Task LookAlikeThatIsNotLibc_IsSilent() => VerifyCS.AnalyzerAsync("""
        static class Events
        {
            public static void signal(int id, object? value) { }
        }

        class Startup
        {
            void Run() => Events.signal(13, null);
        }
        """);

    [Fact]
    public Task ResetInAForkChildBeforeExec_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        static class Process
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string?[] argv);

            [DllImport("libc")]
            public static extern void _exit(int status);
        }

        class Runner
        {
            int Run()
            {
                var pid = Process.fork();
                if (pid == 0)
                {
                    Native.signal(Native.SIGPIPE, IntPtr.Zero);
                    Process.execv("/bin/sh", new[] { "sh", null });
                    Process._exit(127);
                }

                return pid;
            }
        }
        """);
}
