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
    public Task ExpressionBodyOrForkingMethod_GetsNoFix() => VerifyCS.CodeFixAsync<IgnoredFailureFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void Close(int fd) => [|dup2(fd, 1)|];

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
            void Close(int fd) => [|dup2(fd, 1)|];

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
        """, IgnoredFailureFixer.ThrowOnFailureKey);
}
