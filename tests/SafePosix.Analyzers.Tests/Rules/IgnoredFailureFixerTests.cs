using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.IgnoredFailureAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class IgnoredFailureFixerTests
{
    [Fact]
    public Task DiscardedCalls_ThrowWithErrno() => VerifyCS.CodeFixAsync<IgnoredFailureFixer>("""
        using Mono.Unix.Native;

        class C
        {
            void M(uint user, int fd)
            {
                [|Syscall.chdir("/")|];
                _ = [|Syscall.setuid(user)|];
                [|Syscall.listen(fd, 16)|];
            }
        }
        """, """
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            void M(uint user, int fd)
            {
                if (Syscall.chdir("/") == -1)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
                if (Syscall.setuid(user) == -1)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
                if (Syscall.listen(fd, 16) == -1)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
            }
        }
        """, IgnoredFailureFixer.ThrowOnFailureKey);

    [Fact]
    public Task ExpressionBodyOrParentSideOfAFork_GetsNoFix() => VerifyCS.CodeFixAsync<IgnoredFailureFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Close(int fd) => [|dup2(fd, 1)|];

            void M(int fd, byte* path, byte** argv, byte** envp)
            {
                [|setsid()|];
                if (fork() == 0)
                {
                    execve(path, argv, envp);
                    _exit(127);
                }
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Close(int fd) => [|dup2(fd, 1)|];

            void M(int fd, byte* path, byte** argv, byte** envp)
            {
                [|setsid()|];
                if (fork() == 0)
                {
                    execve(path, argv, envp);
                    _exit(127);
                }
            }
        }
        """, IgnoredFailureFixer.ThrowOnFailureKey);

    [Fact]
    public Task TmdsForkChild_EndsTheChildWithExit127() => VerifyCS.CodeFixAsync<IgnoredFailureFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(int fd, byte* path, byte** argv, byte** envp)
            {
                if (fork() == 0)
                {
                    [|dup2(fd, 1)|];
                    execve(path, argv, envp);
                    _exit(127);
                }
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(int fd, byte* path, byte** argv, byte** envp)
            {
                if (fork() == 0)
                {
                    if (dup2(fd, 1) == -1)
                    {
                        _exit(127);
                    }
                    execve(path, argv, envp);
                    _exit(127);
                }
            }
        }
        """, IgnoredFailureFixer.ExitChildOnFailureKey);

    [Fact]
    public Task OwnInteropForkChild_UsesTheDeclaredExit() => VerifyCS.CodeFixAsync<IgnoredFailureFixer>("""
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int setsid();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string[] argv);

            [DllImport("libc")]
            public static extern void _exit(int status);
        }

        class C
        {
            void M(string path, string[] argv)
            {
                int pid = Native.fork();
                if (pid == 0)
                {
                    [|Native.setsid()|];
                    Native.execv(path, argv);
                    Native._exit(127);
                }
            }
        }
        """, """
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int setsid();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string[] argv);

            [DllImport("libc")]
            public static extern void _exit(int status);
        }

        class C
        {
            void M(string path, string[] argv)
            {
                int pid = Native.fork();
                if (pid == 0)
                {
                    if (Native.setsid() == -1)
                    {
                        Native._exit(127);
                    }
                    Native.execv(path, argv);
                    Native._exit(127);
                }
            }
        }
        """, IgnoredFailureFixer.ExitChildOnFailureKey);

    [Fact]
    public Task OwnInteropForkChildWithoutAnExitDeclaration_GetsNoFix() => VerifyCS.CodeFixAsync<IgnoredFailureFixer>("""
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int chdir(string path);
        }

        class C
        {
            void M()
            {
                if (Native.fork() == 0)
                {
                    [|Native.chdir("/")|];
                    Environment.FailFast("child");
                }
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int chdir(string path);
        }

        class C
        {
            void M()
            {
                if (Native.fork() == 0)
                {
                    [|Native.chdir("/")|];
                    Environment.FailFast("child");
                }
            }
        }
        """, IgnoredFailureFixer.ExitChildOnFailureKey);
}
