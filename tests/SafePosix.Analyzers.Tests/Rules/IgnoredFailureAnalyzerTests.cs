using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.IgnoredFailureAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class IgnoredFailureAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int kill(int pid, int sig);

            [DllImport("libc", SetLastError = true)]
            public static extern int waitpid(int pid, out int status, int options);

            [DllImport("libc", SetLastError = true)]
            public static extern int setuid(uint uid);

            [DllImport("libc", SetLastError = true)]
            public static extern int dup2(int oldfd, int newfd);

            [DllImport("libc", SetLastError = true)]
            public static extern int close(int fd);

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string[] argv);

            [DllImport("libc")]
            public static extern void _exit(int status);
        }

        """;

    // ---- discarded results -------------------------------------------------------------------------------

    [Fact]
    public Task DiscardedSetuid_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void DropPrivileges(uint user) => {|#0:Native.setuid(user)|};
        }
        """, VerifyCS.Diagnostic("PSX5002").WithLocation(0)
            .WithMessage("The result of 'setuid' is discarded, so a failure goes unnoticed; check it for -1 and throw with errno"));

    [Fact]
    public Task MonoDiscards_AreReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class C
        {
            void M(int fd, Sockaddr address)
            {
                [|Syscall.chdir("/")|];
                _ = [|Syscall.setsid()|];
                [|Syscall.bind(fd, address)|];
                [|Syscall.listen(fd, 16)|];
                [|Syscall.pipe(out int reader, out int writer)|];
            }
        }
        """);

    // Mono.Posix's own tests bind -1 to reach a marshalling path: the call can only fail with EBADF, as meant.
    [Fact]
    public Task MonoBindOfAConstantNegativeDescriptor_IsSilent() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class C
        {
            void M(Sockaddr address)
            {
                Syscall.bind(-1, address);
                Syscall.listen(-1, 16);
            }
        }
        """);

    [Fact]
    public Task SetuidOfMinusOne_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M() => [|Native.setuid(unchecked((uint)-1))|];
        }
        """);

    [Fact]
    public Task TmdsDup2InAForkChild_IsReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            pid_t M(int stdoutFd, byte* path, byte** argv, byte** envp)
            {
                pid_t pid = fork();
                if (pid == 0)
                {
                    [|dup2(stdoutFd, 1)|];
                    [|setsid()|];
                    execve(path, argv, envp);
                    _exit(127);
                }

                return pid;
            }
        }
        """);

    [Fact]
    public Task LibraryImportRenamed_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("libc", EntryPoint = "setgid", SetLastError = true)]
            public static partial int SetGroup(uint gid);
        }

        class C
        {
            void M() => [|Native.SetGroup(1000)|];
        }
        """);

    // ---- a failed fork's -1 used as a pid -----------------------------------------------------------------

    [Fact]
    public Task ForkPidKilledWithoutFailureCheck_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(string program)
            {
                int pid = Native.fork();
                if (pid == 0)
                {
                    Native.execv(program, new[] { program });
                    Native._exit(127);
                }

                Native.kill({|#0:pid|}, 15);
            }
        }
        """, VerifyCS.Diagnostic("PSX5002").WithLocation(0)
            .WithMessage("A failed 'fork' returns -1, and kill(-1, ...) signals every process you may signal; check the pid for -1 first"));

    [Fact]
    public Task ForkPidWaitedWithoutFailureCheck_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(string program)
            {
                int pid = Native.fork();
                if (pid == 0)
                {
                    Native.execv(program, new[] { program });
                    Native._exit(127);
                }

                Native.waitpid({|#0:pid|}, out int status, 0);
                return status;
            }
        }
        """, VerifyCS.Diagnostic("PSX5002").WithLocation(0)
            .WithMessage("A failed 'fork' returns -1, and waitpid(-1, ...) reaps any child, even those Process owns; check the pid for -1 first"));

    [Fact]
    public Task TmdsPidT_KilledWithoutFailureCheck_IsReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(byte* path, byte** argv, byte** envp)
            {
                pid_t pid = fork();
                if (pid == 0)
                {
                    execve(path, argv, envp);
                    _exit(127);
                }

                kill([|pid|], SIGKILL);
            }
        }
        """);

    // ---- silent ---------------------------------------------------------------------------------------------

    [Fact]
    public Task CheckedResults_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(uint user, int fd, string program)
            {
                if (Native.setuid(user) != 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                int rc = Native.dup2(fd, 1);
                Native.close(fd);

                int pid = Native.fork();
                if (pid == -1)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                if (pid == 0)
                {
                    Native.execv(program, new[] { program });
                    Native._exit(127);
                }

                Native.kill(pid, 15);

                int other = Native.fork();
                if (other > 0)
                {
                    Native.kill(other, 9);
                }
                else if (other == 0)
                {
                    Native._exit(0);
                }
            }
        }
        """);

    [Fact]
    public Task PidHandedOnOrOfUnknownOrigin_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int _child;

            int M(int pid)
            {
                Native.kill(pid, 15);
                int child = Native.fork();
                if (child == 0)
                {
                    Native._exit(0);
                }

                _child = child;
                return child;
            }
        }
        """);

    [Fact]
    public Task LookAlikes_AreSilent() => VerifyCS.AnalyzerAsync("""
        using System.IO;

        class C
        {
            static int setuid(uint uid) => 0;

            void M()
            {
                setuid(0);
                Directory.SetCurrentDirectory("/");
            }
        }
        """);

    [Fact]
    public Task SwitchWithAFailureCase_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M()
            {
                int pid = Native.fork();
                switch (pid)
                {
                    case -1:
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    case 0:
                        Native._exit(0);
                        break;
                    default:
                        Native.kill(pid, 15);
                        break;
                }
            }
        }
        """);

    // ---- through the project's wrappers ----------------------------------------------------------------------

    [Fact]
    public Task OwnWrapper_DiscardedResult_IsReportedWithTheWrappersName() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int SetUser(uint user) => Native.setuid(user);

            void M() => {|#0:SetUser(1000)|};
        }
        """, VerifyCS.Diagnostic("PSX5002").WithLocation(0)
            .WithMessage("The result of 'SetUser' is discarded, so a failure goes unnoticed; check it for -1 and throw with errno"));

    [Fact]
    public Task TmdsWrapper_DiscardedResult_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            static int Redirect(int from, int to) => dup2(from, to);

            void M(int fd)
            {
                [|Redirect(fd, 1)|];
            }
        }
        """);

    [Fact]
    public Task MonoWrapper_DiscardedResult_IsReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class C
        {
            static int EnterDirectory(string path) => Syscall.chdir(path);

            void M(string path)
            {
                _ = [|EnterDirectory(path)|];
            }
        }
        """);

    [Fact]
    public Task ForkPidHandedToAKillWrapper_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int Signal(int pid, int signal) => Native.kill(pid, signal);

            void M()
            {
                int pid = Native.fork();
                if (pid == 0)
                {
                    Native._exit(0);
                }

                Signal({|#0:pid|}, 9);
            }
        }
        """, VerifyCS.Diagnostic(Analyzers.Rules.IgnoredFailureAnalyzer.FailedPidRule).WithLocation(0)
            .WithArguments("fork", "kill", "signals every process you may signal"));

    [Fact]
    public Task ForkWrapperPidHandedToKill_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            static int Spawn() => fork();

            void M()
            {
                int pid = Spawn();
                if (pid == 0)
                {
                    _exit(0);
                }

                kill([|pid|], SIGTERM);
            }
        }
        """);

    [Fact]
    public Task WrapperResultChecked_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int SetUser(uint user) => Native.setuid(user);

            void M()
            {
                if (SetUser(1000) == -1)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
            }
        }
        """);

    [Fact]
    public Task WrapperThatChecksTheResultItself_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int SetUser(uint user)
            {
                int result = Native.setuid(user);
                if (result == -1)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                return result;
            }

            void M() => SetUser(1000);
        }
        """);

    [Fact]
    public Task KillWrapperThatRejectsNonPositivePids_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int Signal(int pid, int signal)
            {
                if (pid <= 0) throw new ArgumentOutOfRangeException(nameof(pid));
                return Native.kill(pid, signal);
            }

            void M()
            {
                int pid = Native.fork();
                if (pid == 0)
                {
                    Native._exit(0);
                }

                Signal(pid, 9);
            }
        }
        """);

    // ---- posix_spawn: the error number is the result ---------------------------------------------------------

    private const string SpawnInterop = """
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static unsafe class Spawn
        {
            [DllImport("libc")]
            public static extern int posix_spawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp);

            [DllImport("libc", EntryPoint = "posix_spawnp")]
            public static extern int SpawnFromPath(out int pid, string file, IntPtr fileActions, IntPtr attributes, string?[] argv, string?[] envp);
        }

        """;

    [Fact]
    public Task DiscardedPosixSpawn_IsReported() => VerifyCS.AnalyzerAsync(SpawnInterop + """
        class C
        {
            int M(string path, string?[] argv, string?[] envp)
            {
                {|#0:Spawn.posix_spawn(out int pid, path, IntPtr.Zero, IntPtr.Zero, argv, envp)|};
                return pid;
            }
        }
        """, VerifyCS.Diagnostic(Analyzers.Rules.IgnoredFailureAnalyzer.UncheckedSpawnRule).WithLocation(0)
            .WithMessage("'posix_spawn' returns an error number that is never checked, so a failed spawn goes unnoticed; throw when it is not 0"));

    [Fact]
    public Task PosixSpawnpResultKeptButNeverRead_IsReported() => VerifyCS.AnalyzerAsync(SpawnInterop + """
        class C
        {
            int M(string file, string?[] argv, string?[] envp)
            {
                int error = [|Spawn.SpawnFromPath(out int pid, file, IntPtr.Zero, IntPtr.Zero, argv, envp)|];
                return pid;
            }
        }
        """);

    [Fact]
    public Task LibraryImportPosixSpawnNextToTmds_Discarded_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        static unsafe partial class Native
        {
            [LibraryImport("libc", EntryPoint = "posix_spawn")]
            public static partial int PosixSpawn(int* pid, byte* path, IntPtr fileActions, IntPtr attributes, byte** argv, byte** envp);
        }

        unsafe class C
        {
            int M(byte* path, byte** argv, byte** envp)
            {
                int pid = 0;
                _ = [|Native.PosixSpawn(&pid, path, IntPtr.Zero, IntPtr.Zero, argv, envp)|];
                kill(pid, SIGTERM);
                return pid;
            }
        }
        """);

    [Fact]
    public Task PosixSpawnResultChecked_IsSilent() => VerifyCS.AnalyzerAsync(SpawnInterop + """
        class C
        {
            int M(string path, string?[] argv, string?[] envp)
            {
                int error = Spawn.posix_spawn(out int pid, path, IntPtr.Zero, IntPtr.Zero, argv, envp);
                if (error != 0)
                {
                    throw new Win32Exception(error);
                }

                return pid;
            }
        }
        """);

    [Fact]
    public Task PosixSpawnResultReturned_IsSilent() => VerifyCS.AnalyzerAsync(SpawnInterop + """
        class C
        {
            int M(string path, string?[] argv, string?[] envp, out int pid)
                => Spawn.posix_spawn(out pid, path, IntPtr.Zero, IntPtr.Zero, argv, envp);
        }
        """);

    [Fact]
    public Task ManagedMethodNamedPosixSpawn_IsSilent() => VerifyCS.AnalyzerAsync("""
        class C
        {
            static int posix_spawn(string path) => path.Length;

            void M() => posix_spawn("/bin/true");
        }
        """);
}
