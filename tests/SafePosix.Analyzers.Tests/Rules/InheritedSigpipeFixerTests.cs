using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.InheritedSigpipeAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class InheritedSigpipeFixerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04;
            public const int SIGPIPE = 13;

            [DllImport("libc")]
            public static extern int posix_spawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp);

            [DllImport("libc")]
            public static extern int posix_spawnattr_init(IntPtr attributes);

            [DllImport("libc")]
            public static extern int posix_spawnattr_setflags(IntPtr attributes, short flags);

            [DllImport("libc")]
            public static extern int posix_spawnattr_setsigdefault(IntPtr attributes, ulong* set);

            [DllImport("libc")]
            public static extern int sigemptyset(ulong* set);

            [DllImport("libc")]
            public static extern int sigaddset(ulong* set, int signal);

            [DllImport("libc")]
            public static extern int waitpid(int pid, out int status, int options);
        }

        """;

    [Fact]
    public Task ExistingFlags_KeepTheirBitsAndGainSetSigDef() => VerifyCS.CodeFixAsync<InheritedSigpipeFixer>(OwnInterop + """
        unsafe class Runner
        {
            void Run(IntPtr attributes)
            {
                Native.posix_spawnattr_init(attributes);
                Native.posix_spawnattr_setflags(attributes, Native.POSIX_SPAWN_SETPGROUP);
                [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null })|];
                Native.waitpid(pid, out _, 0);
            }
        }
        """, OwnInterop + """
        unsafe class Runner
        {
            void Run(IntPtr attributes)
            {
                Native.posix_spawnattr_init(attributes);
                ulong* sigpipeDefault = stackalloc ulong[16];
                Native.sigemptyset(sigpipeDefault);
                Native.sigaddset(sigpipeDefault, Native.SIGPIPE);
                Native.posix_spawnattr_setsigdefault(attributes, sigpipeDefault);
                Native.posix_spawnattr_setflags(attributes, Native.POSIX_SPAWN_SETPGROUP | Native.POSIX_SPAWN_SETSIGDEF);
                Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null });
                Native.waitpid(pid, out _, 0);
            }
        }
        """, InheritedSigpipeFixer.SetSigDefaultKey);

    [Fact]
    public Task NoFlagsYet_SetsOnlySetSigDef() => VerifyCS.CodeFixAsync<InheritedSigpipeFixer>("""
        using System;
        using System.Runtime.InteropServices;

        static unsafe partial class Native
        {
            [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
            public static partial int posix_spawnp(out int pid, string file, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp);

            [LibraryImport("libc")]
            public static partial int posix_spawnattr_init(IntPtr attributes);

            [LibraryImport("libc")]
            public static partial int posix_spawnattr_setflags(IntPtr attributes, int flags);

            [LibraryImport("libc")]
            public static partial int posix_spawnattr_setsigdefault(IntPtr attributes, uint* set);

            [LibraryImport("libc")]
            public static partial int sigemptyset(uint* set);

            [LibraryImport("libc")]
            public static partial int sigaddset(uint* set, int signal);
        }

        static unsafe partial class Native
        {
            public static partial int posix_spawnp(out int pid, string file, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp) { pid = 0; return 0; }
            public static partial int posix_spawnattr_init(IntPtr attributes) => 0;
            public static partial int posix_spawnattr_setflags(IntPtr attributes, int flags) => 0;
            public static partial int posix_spawnattr_setsigdefault(IntPtr attributes, uint* set) => 0;
            public static partial int sigemptyset(uint* set) => 0;
            public static partial int sigaddset(uint* set, int signal) => 0;
        }

        class Runner
        {
            unsafe int Run()
            {
                var attributes = Marshal.AllocHGlobal(1024);
                Native.posix_spawnattr_init(attributes);
                [|Native.posix_spawnp(out var pid, "yes", IntPtr.Zero, attributes, new[] { "yes", null }, new string?[] { null })|];
                return pid;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static unsafe partial class Native
        {
            [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
            public static partial int posix_spawnp(out int pid, string file, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp);

            [LibraryImport("libc")]
            public static partial int posix_spawnattr_init(IntPtr attributes);

            [LibraryImport("libc")]
            public static partial int posix_spawnattr_setflags(IntPtr attributes, int flags);

            [LibraryImport("libc")]
            public static partial int posix_spawnattr_setsigdefault(IntPtr attributes, uint* set);

            [LibraryImport("libc")]
            public static partial int sigemptyset(uint* set);

            [LibraryImport("libc")]
            public static partial int sigaddset(uint* set, int signal);
        }

        static unsafe partial class Native
        {
            public static partial int posix_spawnp(out int pid, string file, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp) { pid = 0; return 0; }
            public static partial int posix_spawnattr_init(IntPtr attributes) => 0;
            public static partial int posix_spawnattr_setflags(IntPtr attributes, int flags) => 0;
            public static partial int posix_spawnattr_setsigdefault(IntPtr attributes, uint* set) => 0;
            public static partial int sigemptyset(uint* set) => 0;
            public static partial int sigaddset(uint* set, int signal) => 0;
        }

        class Runner
        {
            unsafe int Run()
            {
                var attributes = Marshal.AllocHGlobal(1024);
                Native.posix_spawnattr_init(attributes);
                uint* sigpipeDefault = stackalloc uint[32];
                Native.sigemptyset(sigpipeDefault);
                Native.sigaddset(sigpipeDefault, 13 /* SIGPIPE */);
                Native.posix_spawnattr_setsigdefault(attributes, sigpipeDefault);
                Native.posix_spawnattr_setflags(attributes, 0x04 /* POSIX_SPAWN_SETSIGDEF */);
                Native.posix_spawnp(out var pid, "yes", IntPtr.Zero, attributes, new[] { "yes", null }, new string?[] { null });
                return pid;
            }
        }
        """, InheritedSigpipeFixer.SetSigDefaultKey);

    [Fact]
    public Task TmdsSigset_UsesTmdsSigemptysetAndSigaddset() => VerifyCS.CodeFixAsync<InheritedSigpipeFixer>("""
        using System;
        using System.Runtime.InteropServices;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        static unsafe class Spawn
        {
            [DllImport("libc.so.6", SetLastError = true)]
            public static extern int posix_spawn(pid_t* pid, byte* path, IntPtr fileActions, IntPtr attributes, byte** argv, byte** envp);

            [DllImport("libc.so.6")]
            public static extern int posix_spawnattr_init(IntPtr attributes);

            [DllImport("libc.so.6")]
            public static extern int posix_spawnattr_setsigdefault(IntPtr attributes, sigset_t* set);

            [DllImport("libc.so.6")]
            public static extern int posix_spawnattr_setflags(IntPtr attributes, short flags);
        }

        unsafe class Runner
        {
            pid_t Run(IntPtr attributes, byte* path, byte** argv, byte** envp, short flags)
            {
                pid_t pid;
                Spawn.posix_spawnattr_init(attributes);
                Spawn.posix_spawnattr_setflags(attributes, flags);
                [|Spawn.posix_spawn(&pid, path, IntPtr.Zero, attributes, argv, envp)|];
                return pid;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        static unsafe class Spawn
        {
            [DllImport("libc.so.6", SetLastError = true)]
            public static extern int posix_spawn(pid_t* pid, byte* path, IntPtr fileActions, IntPtr attributes, byte** argv, byte** envp);

            [DllImport("libc.so.6")]
            public static extern int posix_spawnattr_init(IntPtr attributes);

            [DllImport("libc.so.6")]
            public static extern int posix_spawnattr_setsigdefault(IntPtr attributes, sigset_t* set);

            [DllImport("libc.so.6")]
            public static extern int posix_spawnattr_setflags(IntPtr attributes, short flags);
        }

        unsafe class Runner
        {
            pid_t Run(IntPtr attributes, byte* path, byte** argv, byte** envp, short flags)
            {
                pid_t pid;
                Spawn.posix_spawnattr_init(attributes);
                sigset_t sigpipeDefault = default;
                sigemptyset(&sigpipeDefault);
                sigaddset(&sigpipeDefault, SIGPIPE);
                Spawn.posix_spawnattr_setsigdefault(attributes, &sigpipeDefault);
                Spawn.posix_spawnattr_setflags(attributes, (short)(flags | 0x04 /* POSIX_SPAWN_SETSIGDEF */));
                Spawn.posix_spawn(&pid, path, IntPtr.Zero, attributes, argv, envp);
                return pid;
            }
        }
        """, InheritedSigpipeFixer.SetSigDefaultKey);

    [Fact]
    public Task TwoSpawnsInADocument_AreFixedTogether() => VerifyCS.CodeFixAsync<InheritedSigpipeFixer>(OwnInterop + """
        unsafe class Runner
        {
            void First(IntPtr attributes)
            {
                Native.posix_spawnattr_init(attributes);
                [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null })|];
                Native.waitpid(pid, out _, 0);
            }

            void Second(IntPtr attributes)
            {
                Native.posix_spawnattr_init(attributes);
                [|Native.posix_spawn(out var pid, "/bin/true", IntPtr.Zero, attributes, new[] { "true", null }, new string?[] { null })|];
                Native.waitpid(pid, out _, 0);
            }
        }
        """, OwnInterop + """
        unsafe class Runner
        {
            void First(IntPtr attributes)
            {
                Native.posix_spawnattr_init(attributes);
                ulong* sigpipeDefault = stackalloc ulong[16];
                Native.sigemptyset(sigpipeDefault);
                Native.sigaddset(sigpipeDefault, Native.SIGPIPE);
                Native.posix_spawnattr_setsigdefault(attributes, sigpipeDefault);
                Native.posix_spawnattr_setflags(attributes, Native.POSIX_SPAWN_SETSIGDEF);
                Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null });
                Native.waitpid(pid, out _, 0);
            }

            void Second(IntPtr attributes)
            {
                Native.posix_spawnattr_init(attributes);
                ulong* sigpipeDefault = stackalloc ulong[16];
                Native.sigemptyset(sigpipeDefault);
                Native.sigaddset(sigpipeDefault, Native.SIGPIPE);
                Native.posix_spawnattr_setsigdefault(attributes, sigpipeDefault);
                Native.posix_spawnattr_setflags(attributes, Native.POSIX_SPAWN_SETSIGDEF);
                Native.posix_spawn(out var pid, "/bin/true", IntPtr.Zero, attributes, new[] { "true", null }, new string?[] { null });
                Native.waitpid(pid, out _, 0);
            }
        }
        """, InheritedSigpipeFixer.SetSigDefaultKey);

    [Fact]
    public Task SigsetFunctionsNotDeclared_GetsNoFix() => VerifyCS.CodeFixAsync<InheritedSigpipeFixer>("""
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            [DllImport("libc")]
            public static extern int posix_spawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp);

            [DllImport("libc")]
            public static extern int posix_spawnattr_init(IntPtr attributes);

            [DllImport("libc")]
            public static extern int posix_spawnattr_setsigdefault(IntPtr attributes, ulong* set);

            [DllImport("libc")]
            public static extern int posix_spawnattr_setflags(IntPtr attributes, short flags);
        }

        unsafe class Runner
        {
            int Run(IntPtr attributes)
            {
                Native.posix_spawnattr_init(attributes);
                [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null })|];
                return pid;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            [DllImport("libc")]
            public static extern int posix_spawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp);

            [DllImport("libc")]
            public static extern int posix_spawnattr_init(IntPtr attributes);

            [DllImport("libc")]
            public static extern int posix_spawnattr_setsigdefault(IntPtr attributes, ulong* set);

            [DllImport("libc")]
            public static extern int posix_spawnattr_setflags(IntPtr attributes, short flags);
        }

        unsafe class Runner
        {
            int Run(IntPtr attributes)
            {
                Native.posix_spawnattr_init(attributes);
                [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null })|];
                return pid;
            }
        }
        """, InheritedSigpipeFixer.SetSigDefaultKey);

    [Fact]
    public Task NullAttributesOrAnExistingSetOrNoUnsafeContext_GetNoFix() => VerifyCS.CodeFixAsync<InheritedSigpipeFixer>(OwnInterop + """
        class Runner
        {
            void NoAttributes()
            {
                [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, IntPtr.Zero, new[] { "sh", null }, new string?[] { null })|];
                Native.waitpid(pid, out _, 0);
            }

            unsafe void OwnSet(IntPtr attributes, ulong* set)
            {
                Native.posix_spawnattr_init(attributes);
                Native.posix_spawnattr_setsigdefault(attributes, set);
                Native.posix_spawnattr_setflags(attributes, Native.POSIX_SPAWN_SETPGROUP);
                [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null })|];
                Native.waitpid(pid, out _, 0);
            }

            void NotUnsafe(IntPtr attributes)
            {
                Native.posix_spawnattr_init(attributes);
                [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null })|];
                Native.waitpid(pid, out _, 0);
            }
        }
        """, OwnInterop + """
        class Runner
        {
            void NoAttributes()
            {
                [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, IntPtr.Zero, new[] { "sh", null }, new string?[] { null })|];
                Native.waitpid(pid, out _, 0);
            }

            unsafe void OwnSet(IntPtr attributes, ulong* set)
            {
                Native.posix_spawnattr_init(attributes);
                Native.posix_spawnattr_setsigdefault(attributes, set);
                Native.posix_spawnattr_setflags(attributes, Native.POSIX_SPAWN_SETPGROUP);
                [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null })|];
                Native.waitpid(pid, out _, 0);
            }

            void NotUnsafe(IntPtr attributes)
            {
                Native.posix_spawnattr_init(attributes);
                [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null })|];
                Native.waitpid(pid, out _, 0);
            }
        }
        """, InheritedSigpipeFixer.SetSigDefaultKey);

    [Fact]
    public Task CheckedInit_GetsTheResetAfterItsCheck() => VerifyCS.CodeFixAsync<InheritedSigpipeFixer>(OwnInterop + """
        unsafe class Runner
        {
            int Run(IntPtr attributes)
            {
                if (Native.posix_spawnattr_init(attributes) != 0) throw new InvalidOperationException("posix_spawnattr_init");
                [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null })|];
                return pid;
            }
        }
        """, OwnInterop + """
        unsafe class Runner
        {
            int Run(IntPtr attributes)
            {
                if (Native.posix_spawnattr_init(attributes) != 0) throw new InvalidOperationException("posix_spawnattr_init");
                ulong* sigpipeDefault = stackalloc ulong[16];
                Native.sigemptyset(sigpipeDefault);
                Native.sigaddset(sigpipeDefault, Native.SIGPIPE);
                Native.posix_spawnattr_setsigdefault(attributes, sigpipeDefault);
                Native.posix_spawnattr_setflags(attributes, Native.POSIX_SPAWN_SETSIGDEF);
                Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null });
                return pid;
            }
        }
        """, InheritedSigpipeFixer.SetSigDefaultKey);

    [Fact]
    public Task SpawnInsideTheInitCheck_GetsNoFix() => VerifyCS.CodeFixAsync<InheritedSigpipeFixer>(OwnInterop + SpawnInsideTheInitCheck, OwnInterop + SpawnInsideTheInitCheck, InheritedSigpipeFixer.SetSigDefaultKey);

    // The reset would have to go inside the if, before the spawn: not written.
    private const string SpawnInsideTheInitCheck = """
        unsafe class Runner
        {
            int Run(IntPtr attributes)
            {
                if (Native.posix_spawnattr_init(attributes) == 0)
                {
                    [|Native.posix_spawn(out var pid, "/bin/sh", IntPtr.Zero, attributes, new[] { "sh", null }, new string?[] { null })|];
                    return pid;
                }

                return -1;
            }
        }
        """;
}
