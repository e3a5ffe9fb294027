using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.ForkFromManagedCodeAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class ForkFromManagedCodeFixerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", EntryPoint = "fork", SetLastError = true)]
            public static extern int Fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string?[] argv);

            [DllImport("libc", SetLastError = true)]
            public static extern int waitpid(int pid, out int status, int options);

            [DllImport("libc")]
            public static extern void _exit(int status);
        }

        """;

    [Fact]
    public Task ForkExecWait_BecomesProcessStartAndWaitForExit() => VerifyCS.CodeFixAsync<ForkFromManagedCodeFixer>(OwnInterop + """
        class C
        {
            void List()
            {
                int pid = [|Native.Fork()|];
                if (pid == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", "-l", null });
                    Native._exit(127);
                }

                Native.waitpid(pid, out _, 0);
                Console.WriteLine("done");
            }
        }
        """, OwnInterop.Replace("using System;\n", "using System;\nusing System.Diagnostics;\n", System.StringComparison.Ordinal) + """
        class C
        {
            void List()
            {
                var startInfo = new ProcessStartInfo("/bin/ls") { ArgumentList = { "-l" } };
                using (var process = Process.Start(startInfo))
                {
                    process?.WaitForExit();
                }
                Console.WriteLine("done");
            }
        }
        """, ForkFromManagedCodeFixer.UseProcessStartKey);

    [Fact]
    public Task ForkExecWithoutWait_BecomesProcessStart_FixAllAcrossTheDocument() => VerifyCS.CodeFixAsync<ForkFromManagedCodeFixer>(OwnInterop + """
        class C
        {
            void Touch(string file)
            {
                if ([|Native.Fork()|] == 0)
                {
                    Native.execv("/usr/bin/touch", new[] { "/usr/bin/touch", file, null });
                    Native._exit(127);
                }

                if ([|Native.Fork()|] == 0)
                {
                    Native.execv("/bin/sync", new string?[] { "sync", null });
                    Native._exit(127);
                }
            }
        }
        """, OwnInterop.Replace("using System;\n", "using System;\nusing System.Diagnostics;\n", System.StringComparison.Ordinal) + """
        class C
        {
            void Touch(string file)
            {
                var startInfo = new ProcessStartInfo("/usr/bin/touch") { ArgumentList = { file } };
                Process.Start(startInfo)?.Dispose();

                var startInfo2 = new ProcessStartInfo("/bin/sync");
                Process.Start(startInfo2)?.Dispose();
            }
        }
        """);

    [Fact]
    public Task MonoExecveWithEnvironment_ClearsAndSetsTheEnvironment() => VerifyCS.CodeFixAsync<ForkFromManagedCodeFixer>("""
        #pragma warning disable CS0618
        using Mono.Unix.Native;

        class C
        {
            void Run()
            {
                var pid = [|Mono.Posix.Syscall.fork()|];
                if (pid == 0)
                {
                    Syscall.execve("/usr/bin/env", new[] { "env" }, new[] { "PATH=/usr/bin", "LANG=C.UTF-8" });
                    Syscall._exit(127);
                }

                Syscall.waitpid(pid, out var status, 0);
            }
        }
        """, """
        #pragma warning disable CS0618
        using System.Diagnostics;
        using Mono.Unix.Native;

        class C
        {
            void Run()
            {
                var startInfo = new ProcessStartInfo("/usr/bin/env");
                startInfo.Environment.Clear();
                startInfo.Environment["PATH"] = "/usr/bin";
                startInfo.Environment["LANG"] = "C.UTF-8";
                using (var process = Process.Start(startInfo))
                {
                    process?.WaitForExit();
                }
            }
        }
        """);

    [Theory]
    [InlineData("Native.execv(\"/bin/sh\", new[] { \"busybox\", \"-c\", \"true\", null });", "")]
    [InlineData("Native.execv(\"ls\", new[] { \"ls\", null });", "")]
    [InlineData("Native.execv(\"/bin/ls\", new[] { \"ls\", null });", "Console.WriteLine(pid);")]
    [InlineData("Native.execv(\"/bin/ls\", new[] { \"ls\", null, \"-l\" });", "")]
    public Task ShapesWhoseMeaningWouldChange_GetNoFix(string exec, string parent) => VerifyCS.CodeFixAsync<ForkFromManagedCodeFixer>(OwnInterop + $$"""
        class C
        {
            void Run()
            {
                int pid = [|Native.Fork()|];
                if (pid == 0)
                {
                    {{exec}}
                    Native._exit(127);
                }

                {{parent}}
            }
        }
        """, OwnInterop + $$"""
        class C
        {
            void Run()
            {
                int pid = [|Native.Fork()|];
                if (pid == 0)
                {
                    {{exec}}
                    Native._exit(127);
                }

                {{parent}}
            }
        }
        """);

    [Fact]
    public Task StatusReadAfterTheWait_GetsNoFix() => VerifyCS.CodeFixAsync<ForkFromManagedCodeFixer>(OwnInterop + """
        class C
        {
            int Run()
            {
                int pid = [|Native.Fork()|];
                if (pid == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", null });
                    Native._exit(127);
                }

                Native.waitpid(pid, out var status, 0);
                return status;
            }
        }
        """, OwnInterop + """
        class C
        {
            int Run()
            {
                int pid = [|Native.Fork()|];
                if (pid == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", null });
                    Native._exit(127);
                }

                Native.waitpid(pid, out var status, 0);
                return status;
            }
        }
        """);

    [Fact]
    public Task ChildDoingMoreThanExecAndExit_GetsNoFix() => VerifyCS.CodeFixAsync<ForkFromManagedCodeFixer>(OwnInterop + """
        class C
        {
            void Run()
            {
                if ([|Native.Fork()|] == 0)
                {
                    Environment.CurrentDirectory = "/tmp";
                    Native.execv("/bin/ls", new[] { "ls", null });
                    Native._exit(127);
                }
            }
        }
        """, OwnInterop + """
        class C
        {
            void Run()
            {
                if ([|Native.Fork()|] == 0)
                {
                    Environment.CurrentDirectory = "/tmp";
                    Native.execv("/bin/ls", new[] { "ls", null });
                    Native._exit(127);
                }
            }
        }
        """);

    // Fix All over the project hands the fixer the other document's fork too; it has no fix there and must leave that
    // document as it was (no lone using).
    [Fact]
    public Task FixAllAcrossDocuments_ADocumentWithNoFixableFork_IsLeftAlone() => new PosixCodeFixTest<ForkFromManagedCodeAnalyzer, ForkFromManagedCodeFixer>
    {
        TestState =
        {
            Sources =
            {
                OwnInterop + """
                class C
                {
                    void Sync()
                    {
                        if ([|Native.Fork()|] == 0)
                        {
                            Native.execv("/bin/sync", new string?[] { "sync", null });
                            Native._exit(127);
                        }
                    }
                }
                """,
                """
                class D
                {
                    void Run()
                    {
                        if ([|Native.Fork()|] == 0)
                        {
                            System.Environment.CurrentDirectory = "/tmp";
                            Native.execv("/bin/ls", new[] { "ls", null });
                            Native._exit(127);
                        }
                    }
                }
                """,
            },
        },
        FixedState =
        {
            // The fork left in the second document is still reported.
            MarkupHandling = MarkupMode.Allow,
            Sources =
            {
                OwnInterop.Replace("using System;\n", "using System;\nusing System.Diagnostics;\n", System.StringComparison.Ordinal) + """
                class C
                {
                    void Sync()
                    {
                        var startInfo = new ProcessStartInfo("/bin/sync");
                        Process.Start(startInfo)?.Dispose();
                    }
                }
                """,
                """
                class D
                {
                    void Run()
                    {
                        if ([|Native.Fork()|] == 0)
                        {
                            System.Environment.CurrentDirectory = "/tmp";
                            Native.execv("/bin/ls", new[] { "ls", null });
                            Native._exit(127);
                        }
                    }
                }
                """,
            },
        },
        CodeActionEquivalenceKey = ForkFromManagedCodeFixer.UseProcessStartKey,
    }.RunAsync();
}
