using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.UncheckedWaitStatusAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class UncheckedWaitStatusFixerTests
{
    [Fact]
    public Task MonoMacro_IsGuardedByItsCheck() => VerifyCS.CodeFixAsync<UncheckedWaitStatusFixer>("""
        using Mono.Unix.Native;

        class Runner
        {
            int Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                var code = [|Syscall.WEXITSTATUS(status)|];
                return code;
            }
        }
        """, """
        using Mono.Unix.Native;

        class Runner
        {
            int Run(int pid)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                if (!Syscall.WIFEXITED(status))
                {
                    throw new System.InvalidOperationException($"The child did not exit normally (wait status {status}).");
                }

                var code = [|Syscall.WEXITSTATUS(status)|];
                return code;
            }
        }
        """.Replace("[|", "").Replace("|]", ""), UncheckedWaitStatusFixer.GuardKey);

    [Fact]
    public Task HandDecoding_IsGuardedByTheMask() => VerifyCS.CodeFixAsync<UncheckedWaitStatusFixer>("""
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int waitpid(int pid, out int status, int options);
        }

        class Runner
        {
            int Run(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                return [|(status >> 8) & 0xff|];
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int waitpid(int pid, out int status, int options);
        }

        class Runner
        {
            int Run(int pid)
            {
                if (Native.waitpid(pid, out var status, 0) != pid) return -1;
                if ((status & 0x7f) != 0)
                {
                    throw new InvalidOperationException($"The child did not exit normally (wait status {status}).");
                }

                return (status >> 8) & 0xff;
            }
        }
        """, UncheckedWaitStatusFixer.GuardKey);

    [Fact]
    public Task DecodingBehindAConditionOrAPidDecoded_GetsNoFix() => VerifyCS.CodeFixAsync<UncheckedWaitStatusFixer>("""
        using Mono.Unix.Native;

        class Runner
        {
            int Run(int pid, bool verbose)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                if (verbose)
                    System.Console.WriteLine([|Syscall.WEXITSTATUS(status)|]);

                return verbose ? [|Syscall.WEXITSTATUS(status)|] : 0;
            }

            int Pid(int pid)
            {
                var reaped = Syscall.waitpid(pid, out _, 0);
                return [|Syscall.WEXITSTATUS(reaped)|];
            }
        }
        """, """
        using Mono.Unix.Native;

        class Runner
        {
            int Run(int pid, bool verbose)
            {
                if (Syscall.waitpid(pid, out var status, 0) != pid) return -1;
                if (verbose)
                    System.Console.WriteLine([|Syscall.WEXITSTATUS(status)|]);

                return verbose ? [|Syscall.WEXITSTATUS(status)|] : 0;
            }

            int Pid(int pid)
            {
                var reaped = Syscall.waitpid(pid, out _, 0);
                return [|Syscall.WEXITSTATUS(reaped)|];
            }
        }
        """, UncheckedWaitStatusFixer.GuardKey);

    [Fact]
    public Task StatusOfADiscardedWait_GetsNoFix() => VerifyCS.CodeFixAsync<UncheckedWaitStatusFixer>("""
        using Mono.Unix.Native;

        class Runner
        {
            bool Run(int pid)
            {
                Syscall.waitpid(pid, out var status, 0);
                return [|Syscall.WIFEXITED(status)|];
            }
        }
        """, """
        using Mono.Unix.Native;

        class Runner
        {
            bool Run(int pid)
            {
                Syscall.waitpid(pid, out var status, 0);
                return [|Syscall.WIFEXITED(status)|];
            }
        }
        """, UncheckedWaitStatusFixer.GuardKey);
}
