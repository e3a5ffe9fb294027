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

    [Fact]
    public Task ForkThenExecWithoutAReset_IsReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class Runner
        {
            pid_t Run(byte* path, byte** argv, byte** envp)
            {
                pid_t pid = {|#0:fork()|};
                if (pid == 0)
                {
                    execve(path, argv, envp);
                    _exit(127);
                }

                return pid;
            }
        }
        """, VerifyCS.Diagnostic("PSX2005").WithLocation(0)
            .WithMessage("The child of 'fork' runs 'execve' with SIGPIPE ignored (inherited from .NET); reset it to default before exec"));

    [Fact]
    public Task ForkThatResetsSigpipeBeforeExecOrNeverExecs_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string?[] argv);

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr signal(int signum, IntPtr handler);

            [DllImport("libc")]
            public static extern void _exit(int status);
        }

        class Runner
        {
            int Run()
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    Native.signal(13, IntPtr.Zero);
                    Native.execv("/bin/sh", new[] { "sh", null });
                    Native._exit(127);
                }

                return pid;
            }

            int NoExec()
            {
                var pid = Native.fork();
                if (pid == 0)
                {
                    Native._exit(0);
                }

                return pid;
            }
        }
        """);
}
