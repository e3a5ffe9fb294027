using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.SigchldIgnoredAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class SigchldIgnoredAnalyzerTests
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
            public const int SIGCHLD = 17, SIGPIPE = 13, SA_NOCLDSTOP = 1, SA_NOCLDWAIT = 2, SA_RESTART = 0x10000000;
            public static readonly IntPtr SIG_IGN = (IntPtr)1;

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr signal(int signum, IntPtr handler);

            [DllImport("libc", SetLastError = true)]
            public static extern int sigaction(int signum, SigAction* act, SigAction* oldact);
        }

        """;

    private static string Message(string function, string how)
        => $"'{function}' with {how} lets the kernel reap every child: waits fail with ECHILD, Process.WaitForExit hangs";

    [Fact]
    public Task SignalWithSigIgn_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Startup
        {
            void Run() => {|#0:Native.signal(Native.SIGCHLD, Native.SIG_IGN)|};
        }
        """, VerifyCS.Diagnostic("PSX2008").WithLocation(0).WithMessage(Message("signal", "SIG_IGN")));

    [Fact]
    public Task SigactionWithSigIgnOrNoCldWait_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Startup
        {
            void Run(IntPtr handler)
            {
                var ignore = new SigAction { sa_handler = Native.SIG_IGN };
                {|#0:Native.sigaction(Native.SIGCHLD, &ignore, null)|};

                var noWait = new SigAction();
                noWait.sa_handler = handler;
                noWait.sa_flags = Native.SA_NOCLDWAIT | Native.SA_RESTART;
                {|#1:Native.sigaction(Native.SIGCHLD, &noWait, null)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2008").WithLocation(0).WithMessage(Message("sigaction", "SIG_IGN")),
        VerifyCS.Diagnostic("PSX2008").WithLocation(1).WithMessage(Message("sigaction", "SA_NOCLDWAIT")));

    [Fact]
    public Task Tmds_IsReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class Startup
        {
            void Run()
            {
                {|#0:sigignore(SIGCHLD)|};

                Tmds.Linux.sigaction action = default;
                action.sa_handler = SIG_DFL;
                action.sa_flags = SA_NOCLDWAIT;
                {|#1:LibC.sigaction(SIGCHLD, &action, null)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2008").WithLocation(0).WithMessage(Message("sigignore", "SIG_IGN")),
        VerifyCS.Diagnostic("PSX2008").WithLocation(1).WithMessage(Message("sigaction", "SA_NOCLDWAIT")));

    [Fact]
    public Task MonoPosix_IsReported() => VerifyCS.AnalyzerAsync("""
        #pragma warning disable CS0618
        using Mono.Unix.Native;

        class Startup
        {
            void Run()
            {
                {|#0:Stdlib.SetSignalAction(Signum.SIGCHLD, SignalAction.Ignore)|};
                {|#1:Stdlib.signal(Signum.SIGCHLD, Stdlib.SIG_IGN)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2008").WithLocation(0).WithMessage(Message("SetSignalAction", "SIG_IGN")),
        VerifyCS.Diagnostic("PSX2008").WithLocation(1).WithMessage(Message("signal", "SIG_IGN")));

    [Fact]
    public Task DefaultOrOtherSignalsOrOtherFlags_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Startup
        {
            void Run(IntPtr handler)
            {
                Native.signal(Native.SIGCHLD, IntPtr.Zero);
                Native.signal(Native.SIGPIPE, Native.SIG_IGN);
                Native.signal(Native.SIGCHLD, handler);
                Mono.Unix.Native.Stdlib.SetSignalAction(Mono.Unix.Native.Signum.SIGCHLD, Mono.Unix.Native.SignalAction.Default);

                var stopOnly = new SigAction();
                stopOnly.sa_handler = handler;
                stopOnly.sa_flags = Native.SA_NOCLDSTOP | Native.SA_RESTART;
                Native.sigaction(Native.SIGCHLD, &stopOnly, null);

                var otherSignal = new SigAction { sa_handler = Native.SIG_IGN, sa_flags = Native.SA_NOCLDWAIT };
                Native.sigaction(Native.SIGPIPE, &otherSignal, null);

                using var registration = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, context => { });
            }
        }
        """);
}
