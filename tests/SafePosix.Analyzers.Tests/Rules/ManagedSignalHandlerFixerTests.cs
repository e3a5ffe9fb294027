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
}
