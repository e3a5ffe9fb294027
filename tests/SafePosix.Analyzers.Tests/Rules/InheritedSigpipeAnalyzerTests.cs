using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.InheritedSigpipeAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class InheritedSigpipeAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04;

            [DllImport("libc")]
            public static extern int posix_spawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp);

            [DllImport("libc")]
            public static extern int posix_spawnp(out int pid, string file, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp);

            [DllImport("libc")]
            public static extern int posix_spawnattr_init(IntPtr attributes);

            [DllImport("libc")]
            public static extern int posix_spawnattr_setflags(IntPtr attributes, short flags);

            [DllImport("libc")]
            public static extern int posix_spawnattr_setsigdefault(IntPtr attributes, ulong* set);

            [DllImport("libc")]
            public static extern int waitpid(int pid, out int status, int options);
        }

        """;

    private static string Message(string function)
        => $"'{function}' starts a child with SIGPIPE ignored (inherited from .NET); reset it with POSIX_SPAWN_SETSIGDEF";

    [Fact]
    public Task SpawnWithoutAttributes_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            void Run()
            {
                {|#0:Native.posix_spawnp(out var pid, "sh", IntPtr.Zero, IntPtr.Zero, new[] { "sh", "-c", "yes | head -1", null }, new string?[] { null })|};
                Native.waitpid(pid, out _, 0);
            }
        }
        """, VerifyCS.Diagnostic("PSX2005").WithLocation(0).WithMessage(Message("posix_spawnp")));

    [Fact]
    public Task AttributesBuiltHereWithoutASigDefaultSet_AreReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Runner
        {
            void Run(IntPtr attributes)
            {
                Native.posix_spawnattr_init(attributes);
                Native.posix_spawnattr_setflags(attributes, Native.POSIX_SPAWN_SETPGROUP);
                {|#0:Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null })|};
                Native.waitpid(pid, out _, 0);
            }
        }
        """, VerifyCS.Diagnostic("PSX2005").WithLocation(0).WithMessage(Message("posix_spawn")));

    [Fact]
    public Task AttributesThatResetSignalsOrComeFromElsewhere_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class Runner
        {
            void Reset(IntPtr attributes)
            {
                var set = stackalloc ulong[16];
                set[0] = 1UL << 12;
                Native.posix_spawnattr_init(attributes);
                Native.posix_spawnattr_setsigdefault(attributes, set);
                Native.posix_spawnattr_setflags(attributes, Native.POSIX_SPAWN_SETSIGDEF | Native.POSIX_SPAWN_SETPGROUP);
                Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null });
                Native.waitpid(pid, out _, 0);
            }

            void Elsewhere(IntPtr attributes)
            {
                Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null });
                Native.waitpid(pid, out _, 0);
            }
        }
        """);
}
