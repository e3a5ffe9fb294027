using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.ManagedSignalHandlerAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class ManagedSignalHandlerAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        delegate void SignalHandler(int signal);

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
            public const int SIGINT = 2, SIGTERM = 15;

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr signal(int signum, SignalHandler handler);

            [DllImport("libc", EntryPoint = "signal", SetLastError = true)]
            public static extern IntPtr SetHandler(int signum, IntPtr handler);

            [DllImport("libc", SetLastError = true)]
            public static extern int sigaction(int signum, SigAction* act, SigAction* oldact);
        }

        """;

    private static string Message(string function)
        => $"'{function}' installs managed code as a signal handler, which must be async-signal-safe; use PosixSignalRegistration";

    [Fact]
    public Task DelegatesPassedToSignal_AreReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Service
        {
            private static readonly SignalHandler Keep = OnSignal;

            static void OnSignal(int signal) => Console.WriteLine("stopping");

            void Install()
            {
                SignalHandler local = OnSignal;
                {|#3:Native.signal(Native.SIGTERM, local)|};
                {|#0:Native.signal(Native.SIGTERM, OnSignal)|};
                {|#1:Native.signal(Native.SIGINT, signal => Console.WriteLine(signal))|};
                {|#2:Native.signal(Native.SIGINT, Keep)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2009").WithLocation(0).WithMessage(Message("signal")),
        VerifyCS.Diagnostic("PSX2009").WithLocation(1).WithMessage(Message("signal")),
        VerifyCS.Diagnostic("PSX2009").WithLocation(2).WithMessage(Message("signal")),
        VerifyCS.Diagnostic("PSX2009").WithLocation(3).WithMessage(Message("signal")));

    [Fact]
    public Task FunctionPointersAndMarshaledDelegates_AreReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Service
        {
            private static readonly SignalHandler Keep = signal => { };

            [UnmanagedCallersOnly]
            static void OnSignal(int signal) { }

            void Install()
            {
                {|#0:Native.SetHandler(Native.SIGTERM, (IntPtr)(delegate* unmanaged<int, void>)&OnSignal)|};

                var action = new SigAction();
                action.sa_handler = Marshal.GetFunctionPointerForDelegate(Keep);
                {|#1:Native.sigaction(Native.SIGINT, &action, null)|};

                var pointer = Marshal.GetFunctionPointerForDelegate(Keep);
                {|#2:Native.SetHandler(Native.SIGINT, pointer)|};
            }
        }
        """,
        VerifyCS.Diagnostic("PSX2009").WithLocation(0).WithMessage(Message("signal")),
        VerifyCS.Diagnostic("PSX2009").WithLocation(1).WithMessage(Message("sigaction")),
        VerifyCS.Diagnostic("PSX2009").WithLocation(2).WithMessage(Message("signal")));

    [Fact]
    public Task TmdsSigactionWithAnUnmanagedCallersOnlyMethod_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class Service
        {
            [UnmanagedCallersOnly]
            static void OnSignal(int signal) { }

            void Install()
            {
                Tmds.Linux.sigaction action = default;
                action.sa_handler = (void*)(delegate* unmanaged<int, void>)&OnSignal;
                [|LibC.sigaction(SIGTERM, &action, null)|];
            }
        }
        """);

    [Fact]
    public Task MonoObsoleteSignal_IsReported() => VerifyCS.AnalyzerAsync("""
        #pragma warning disable CS0618
        using Mono.Unix.Native;

        class Service
        {
            void Install() => [|Stdlib.signal(Signum.SIGTERM, signal => System.Console.WriteLine(signal))|];
        }
        """);

    [Fact]
    public Task SentinelsUnknownPointersAndRegistrations_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        #pragma warning disable CS0618
        unsafe class Service
        {
            private Mono.Unix.Native.SignalHandler? _previous;

            void Restore(SignalHandler passedIn)
            {
                _previous = Mono.Unix.Native.Stdlib.signal(Mono.Unix.Native.Signum.SIGTERM, Mono.Unix.Native.Stdlib.SIG_IGN);
                Mono.Unix.Native.Stdlib.signal(Mono.Unix.Native.Signum.SIGTERM, _previous);
                Native.signal(Native.SIGTERM, passedIn);
            }

            void Install(IntPtr previous, SigAction* saved)
            {
                Native.SetHandler(Native.SIGTERM, IntPtr.Zero);
                Native.SetHandler(Native.SIGTERM, (IntPtr)1);
                Native.SetHandler(Native.SIGTERM, previous);
                Native.signal(Native.SIGTERM, null!);
                Native.sigaction(Native.SIGTERM, saved, null);
                Mono.Unix.Native.Stdlib.signal(Mono.Unix.Native.Signum.SIGTERM, Mono.Unix.Native.Stdlib.SIG_IGN);
                Mono.Unix.Native.Stdlib.signal(Mono.Unix.Native.Signum.SIGTERM, Mono.Unix.Native.Stdlib.SIG_DFL);
                using var registration = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Console.WriteLine("stopping"));
            }
        }
        """);
}
