using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.ManagedSignalHandlerAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class ManagedSignalHandlerFixerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        delegate void SignalHandler(int signal);

        static class Native
        {
            public const int SIGTERM = 15, SIGWINCH = 28;

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr signal(int signum, SignalHandler handler);
        }

        """;

    [Fact]
    public Task MethodGroup_BecomesARegistrationThatCallsIt() => VerifyCS.CodeFixAsync<ManagedSignalHandlerFixer>(OwnInterop + """
        class Service
        {
            static void OnTerm(int signal) => Console.WriteLine("stopping");

            public static void Install()
            {
                [|Native.signal(Native.SIGTERM, OnTerm)|];
            }
        }
        """, OwnInterop + """
        class Service
        {
            private static PosixSignalRegistration? _sigtermRegistration;

            static void OnTerm(int signal) => Console.WriteLine("stopping");

            public static void Install()
            {
                _sigtermRegistration = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
                {
                    OnTerm(Native.SIGTERM);
                    context.Cancel = true;
                });
            }
        }
        """, ManagedSignalHandlerFixer.UseRegistrationKey);

    [Fact]
    public Task MonoLambda_KeepsItsBodyAndTheSignalItWasGiven() => VerifyCS.CodeFixAsync<ManagedSignalHandlerFixer>("""
        #pragma warning disable CS0618
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class Service
        {
            public void Install()
            {
                [|Stdlib.signal(Signum.SIGWINCH, signal => Console.WriteLine($"resized by {signal}"))|];
                [|Stdlib.signal(Signum.SIGUSR1, signal => { Console.WriteLine("reload"); })|];
            }
        }
        """, """
        #pragma warning disable CS0618
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class Service
        {
            private static PosixSignalRegistration? _sigwinchRegistration;
            private static PosixSignalRegistration? _signal10Registration;

            public void Install()
            {
                _sigwinchRegistration = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, context =>
                {
                    var signal = Signum.SIGWINCH;
                    Console.WriteLine($"resized by {signal}");
                });
                _signal10Registration = PosixSignalRegistration.Create((PosixSignal)10, context =>
                {
                    Console.WriteLine("reload");
                    context.Cancel = true;
                });
            }
        }
        """, ManagedSignalHandlerFixer.UseRegistrationKey);

    [Fact]
    public Task ResultUsedOrSignalUnknown_GetsNoFix() => VerifyCS.CodeFixAsync<ManagedSignalHandlerFixer>(OwnInterop + """
        class Service
        {
            static void OnSignal(int signal) { }

            public static void Install(int signal)
            {
                var previous = [|Native.signal(Native.SIGTERM, OnSignal)|];
                [|Native.signal(signal, OnSignal)|];
            }
        }
        """, OwnInterop + """
        class Service
        {
            static void OnSignal(int signal) { }

            public static void Install(int signal)
            {
                var previous = [|Native.signal(Native.SIGTERM, OnSignal)|];
                [|Native.signal(signal, OnSignal)|];
            }
        }
        """, ManagedSignalHandlerFixer.UseRegistrationKey);

    private const string SigactionInterop = """
        using System;
        using System.Runtime.InteropServices;

        delegate void SignalHandler(int signal);

        delegate void SigInfoHandler(int signal, IntPtr info, IntPtr context);

        struct SigAction
        {
            public IntPtr sa_handler;
            public ulong sa_mask;
            public int sa_flags;
            public IntPtr sa_restorer;
        }

        static unsafe class Native
        {
            public const int SIGTERM = 15, SIGHUP = 1, SA_SIGINFO = 4, SA_RESTART = 0x10000000, SA_RESETHAND = unchecked((int)0x80000000);

            [DllImport("libc", SetLastError = true)]
            public static extern int sigaction(int signum, SigAction* act, SigAction* oldact);

            [DllImport("libc", SetLastError = true)]
            public static extern int sigemptyset(ulong* set);

            [DllImport("libc", EntryPoint = "signal", SetLastError = true)]
            public static extern IntPtr SetHandler(int signum, IntPtr handler);
        }

        """;

    [Fact]
    public Task SigactionWithAMarshaledDelegate_BecomesARegistrationAndLosesTheStruct() => VerifyCS.CodeFixAsync<ManagedSignalHandlerFixer>(SigactionInterop + """
        unsafe class Service
        {
            private static readonly SignalHandler Handler = OnTerm;

            static void OnTerm(int signal) => Console.WriteLine("stopping");

            public static void Install()
            {
                var action = new SigAction();
                action.sa_handler = Marshal.GetFunctionPointerForDelegate(Handler);
                action.sa_flags = Native.SA_RESTART;
                Native.sigemptyset(&action.sa_mask);
                [|Native.sigaction(Native.SIGTERM, &action, null)|];
            }
        }
        """, SigactionInterop + """
        unsafe class Service
        {
            private static readonly SignalHandler Handler = OnTerm;
            private static PosixSignalRegistration? _sigtermRegistration;

            static void OnTerm(int signal) => Console.WriteLine("stopping");

            public static void Install()
            {
                _sigtermRegistration = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
                {
                    Handler(Native.SIGTERM);
                    context.Cancel = true;
                });
            }
        }
        """, ManagedSignalHandlerFixer.UseRegistrationKey);

    [Fact]
    public Task TmdsSigactionWithAnUnmanagedCallersOnlyMethod_MovesItsBodyIntoTheCallback() => VerifyCS.CodeFixAsync<ManagedSignalHandlerFixer>("""
        using System.Runtime.InteropServices;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class Service
        {
            private static int _stops;

            [UnmanagedCallersOnly]
            private static void OnSignal(int signal)
            {
                _stops++;
                System.Console.WriteLine(signal);
            }

            public void Install()
            {
                Tmds.Linux.sigaction action = default;
                action.sa_handler = (void*)(delegate* unmanaged<int, void>)&OnSignal;
                [|LibC.sigaction(SIGTERM, &action, null)|];
            }
        }
        """, """
        using System.Runtime.InteropServices;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class Service
        {
            private static int _stops;
            private static PosixSignalRegistration? _sigtermRegistration;

            public void Install()
            {
                _sigtermRegistration = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
                {
                    var signal = SIGTERM;
                    _stops++;
                    System.Console.WriteLine(signal);
                    context.Cancel = true;
                });
            }
        }
        """, ManagedSignalHandlerFixer.UseRegistrationKey);

    [Fact]
    public Task SignalWithAFunctionPointerToAnUnmanagedCallersOnlyMethod_KeepsAMethodOthersMayUse() => VerifyCS.CodeFixAsync<ManagedSignalHandlerFixer>(SigactionInterop + """
        unsafe class Service
        {
            [UnmanagedCallersOnly]
            public static void OnHangup(int signal) => Console.WriteLine("reload");

            public static void Install()
            {
                [|Native.SetHandler(Native.SIGHUP, (IntPtr)(delegate* unmanaged<int, void>)&OnHangup)|];
            }
        }
        """, SigactionInterop + """
        unsafe class Service
        {
            private static PosixSignalRegistration? _sighupRegistration;

            [UnmanagedCallersOnly]
            public static void OnHangup(int signal) => Console.WriteLine("reload");

            public static void Install()
            {
                _sighupRegistration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
                {
                    Console.WriteLine("reload");
                    context.Cancel = true;
                });
            }
        }
        """, ManagedSignalHandlerFixer.UseRegistrationKey);

    [Fact]
    public Task SigactionWithoutAFaithfulRewrite_GetsNoFix() => VerifyCS.CodeFixAsync<ManagedSignalHandlerFixer>(SigactionInterop + NoFixSigactions, SigactionInterop + NoFixSigactions, ManagedSignalHandlerFixer.UseRegistrationKey);

    // SA_SIGINFO (a three-argument handler), SA_RESETHAND (one shot), the old action kept, the struct used again,
    // an [UnmanagedCallersOnly] method of another type (its private state would not be reachable from here).
    private const string NoFixSigactions = """
        unsafe class Service
        {
            private static readonly SigInfoHandler Detailed = (signal, info, context) => { };
            private static readonly SignalHandler Handler = signal => { };

            public static void SigInfo()
            {
                var action = new SigAction();
                action.sa_handler = Marshal.GetFunctionPointerForDelegate(Detailed);
                action.sa_flags = Native.SA_SIGINFO;
                [|Native.sigaction(Native.SIGTERM, &action, null)|];
            }

            public static void OneShot()
            {
                var action = new SigAction();
                action.sa_handler = Marshal.GetFunctionPointerForDelegate(Handler);
                action.sa_flags = Native.SA_RESETHAND;
                [|Native.sigaction(Native.SIGTERM, &action, null)|];
            }

            public static void KeepsTheOldAction()
            {
                var action = new SigAction();
                SigAction previous;
                action.sa_handler = Marshal.GetFunctionPointerForDelegate(Handler);
                [|Native.sigaction(Native.SIGTERM, &action, &previous)|];
            }

            public static void StructUsedAgain()
            {
                var action = new SigAction();
                action.sa_handler = Marshal.GetFunctionPointerForDelegate(Handler);
                [|Native.sigaction(Native.SIGTERM, &action, null)|];
                Console.WriteLine(action.sa_flags);
            }

            public static void OtherType()
            {
                [|Native.SetHandler(Native.SIGTERM, (IntPtr)(delegate* unmanaged<int, void>)&Handlers.OnTerm)|];
            }
        }

        static class Handlers
        {
            private static int _count;

            [UnmanagedCallersOnly]
            public static void OnTerm(int signal) => _count++;
        }
        """;
}
