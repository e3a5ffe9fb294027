using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;
using ChildExit = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.ForkChildExitAnalyzer>;
using ForkRule = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.ForkFromManagedCodeAnalyzer>;
using Mmap = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.UncheckedMmapResultAnalyzer>;
using Zombie = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.ZombieChildAnalyzer>;

namespace SafePosix.Analyzers.Tests.Flow;

/// <summary>
/// Summaries of the project's own methods, seen through the rules that use them: wrappers are the call they wrap,
/// helpers that never return end the child, helpers that take a mapped address check, use or keep it.
/// </summary>
public sealed class MethodSummariesTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public static readonly IntPtr MAP_FAILED = new IntPtr(-1);

            [DllImport("libc", SetLastError = true)]
            public static extern int fork();

            [DllImport("libc", SetLastError = true)]
            public static extern int execv(string path, string?[] argv);

            [DllImport("libc", SetLastError = true)]
            public static extern int waitpid(int pid, out int status, int options);

            [DllImport("libc")]
            public static extern void _exit(int status);

            [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
            private static extern IntPtr Internal_mmap(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);

            public static IntPtr Mmap(int fd) => Internal_mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);

            public static int Fork()
            {
                return fork();
            }
        }

        """;

    // ---- a. wrappers are the call they wrap -------------------------------------------------------------------

    [Fact]
    public Task MmapWrapper_DiscardedAtItsCallSite_IsReported() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                {|#0:Native.Mmap(fd)|};
            }
        }
        """, Mmap.Diagnostic(UncheckedMmapResultAnalyzer.DiscardedRule).WithLocation(0).WithArguments("mmap"));

    [Fact]
    public Task MmapWrapper_UsedUncheckedAtItsCallSite_IsReported() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = {|#0:Native.Mmap(fd)|};
                Marshal.WriteByte(p, 1);
            }
        }
        """, Mmap.Diagnostic(UncheckedMmapResultAnalyzer.UncheckedRule).WithLocation(0).WithArguments("mmap"));

    [Fact]
    public Task TmdsMmapWrapperWithConversion_UsedUnchecked_IsReported() => Mmap.AnalyzerAsync("""
        using System;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static IntPtr Map(int fd, int length) => (IntPtr)mmap(null, length, PROT_READ, MAP_SHARED, fd, 0);

            void M(int fd)
            {
                var p = (byte*){|#0:Map(fd, 4096)|};
                p[0] = 1;
            }
        }
        """, Mmap.Diagnostic(UncheckedMmapResultAnalyzer.UncheckedRule).WithLocation(0).WithArguments("mmap"));

    [Fact]
    public Task MmapWrapper_CheckedAtItsCallSite_IsSilent() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = Native.Mmap(fd);
                if (p == Native.MAP_FAILED) throw new InvalidOperationException();
                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task CheckingWrapper_IsNotAPassThrough_IsSilent() => Mmap.AnalyzerAsync(OwnInterop + """
        static class Checked
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);

            public static IntPtr Map(int fd)
            {
                var p = mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if (p == Native.MAP_FAILED) throw new InvalidOperationException();
                return p;
            }
        }

        class C
        {
            void M(int fd) => Marshal.WriteByte(Checked.Map(fd), 1);
        }
        """);

    [Fact]
    public Task WrapperOfAWrapper_IsTheCallToo() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr MapPage(int fd) => Native.Mmap(fd);

            void M(int fd)
            {
                {|#0:MapPage(fd)|};
            }
        }
        """, Mmap.Diagnostic(UncheckedMmapResultAnalyzer.DiscardedRule).WithLocation(0).WithArguments("mmap"));

    [Fact]
    public Task MethodReturningTwoDifferentCalls_IsNotAWrapper() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            [DllImport("libc")]
            static extern IntPtr sbrk(nint increment);

            static IntPtr Either(int fd, bool heap) { if (heap) return sbrk(4096); return Native.Mmap(fd); }

            void M(int fd) => Marshal.WriteByte(Either(fd, false), 1);
        }
        """);

    [Fact]
    public Task ForkWrapper_ChildThrows_IsReported() => ChildExit.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                if (Native.Fork() == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", null });
                    {|#0:throw new InvalidOperationException();|}
                }
            }
        }
        """, ChildExit.Diagnostic(ForkChildExitAnalyzer.ThrowRule).WithLocation(0).WithArguments("fork"));

    [Theory]
    [InlineData("if (pid == 0) { execve(path, argv, null); {|#0:return 1;|} }")]
    [InlineData("if (pid != 0) return pid; execve(path, argv, null); {|#0:return 1;|}")]
    [InlineData("if ((int)pid is 0) { execve(path, argv, null); {|#0:return 1;|} }")]
    [InlineData("switch ((int)pid) { case 0: execve(path, argv, null); {|#0:return 1;|} }")]
    public Task TmdsPidWrapper_ChildReturns_IsReported(string child) => ChildExit.AnalyzerAsync($$"""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static pid_t Fork() => fork();

            int Run(byte* path, byte** argv)
            {
                pid_t pid = Fork();
                {{child}}
                return pid;
            }
        }
        """, ChildExit.Diagnostic(ForkChildExitAnalyzer.ReturnRule).WithLocation(0).WithArguments("fork"));

    [Fact]
    public Task TmdsPidWrapper_ChildExitsWithUnderscoreExit_IsSilent() => ChildExit.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static pid_t Fork() => fork();

            int Run(byte* path, byte** argv)
            {
                pid_t pid = Fork();
                if (pid == 0)
                {
                    execve(path, argv, null);
                    _exit(127);
                }

                return pid;
            }
        }
        """);

    [Fact]
    public Task ForkWrapper_ReportedWhereItIsCalled_NotInItsBody() => ForkRule.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                if ({|#0:Native.Fork()|} == 0)
                {
                    Console.WriteLine("child");
                    Native._exit(0);
                }
            }
        }
        """, ForkRule.Diagnostic(ForkFromManagedCodeAnalyzer.ChildWorkRule).WithLocation(0).WithArguments("fork", "calls 'Console.WriteLine'"));

    [Fact]
    public Task ForkWrapper_PidDiscarded_IsReported() => Zombie.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                {|#0:Native.Fork()|};
            }
        }
        """, Zombie.Diagnostic("PSX1004").WithLocation(0).WithArguments("fork", "pid discarded"));

    [Fact]
    public Task ForkWrapper_PidWaitedFor_IsSilent() => Zombie.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                var pid = Native.Fork();
                if (pid == 0)
                {
                    Native._exit(0);
                }

                Native.waitpid(pid, out _, 0);
            }
        }
        """);

    // ---- b. helpers that never return -------------------------------------------------------------------------

    [Fact]
    public Task ChildCallsHelperThatThrows_IsReported() => ChildExit.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                if (Native.fork() == 0)
                {
                    {|#0:ExecChild()|};
                }
            }

            static void ExecChild()
            {
                Native.execv("/bin/ls", new[] { "ls", null });
                throw new InvalidOperationException("exec failed");
            }
        }
        """, ChildExit.Diagnostic(ForkChildExitAnalyzer.ThrowRule).WithLocation(0).WithArguments("fork"));

    [Fact]
    public Task ChildCallsHelperThatCallsEnvironmentExit_IsReported() => ChildExit.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                if (Native.fork() == 0)
                {
                    Native.execv("/bin/ls", new[] { "ls", null });
                    {|#0:Die(127)|};
                }
            }

            static void Die(int status)
            {
                Console.Error.WriteLine("exec failed");
                Environment.Exit(status);
            }
        }
        """, ChildExit.Diagnostic(ForkChildExitAnalyzer.UnsafeExitRule).WithLocation(0).WithArguments("fork", "Die"));

    [Fact]
    public Task ChildCallsHelperThatExecsAndExitsThroughAnotherHelper_IsSilent() => ChildExit.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                if (Native.fork() == 0)
                {
                    ExecChild();
                }
            }

            static void ExecChild()
            {
                Native.execv("/bin/ls", new[] { "ls", null });
                Quit();
            }

            static void Quit() => Native._exit(127);
        }
        """);

    [Fact]
    public Task ChildCallsHelperThatMayReturn_FallsOut() => ChildExit.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run(bool quiet)
            {
                if (Native.fork() == 0)
                {
                    {|#0:ExecChild(quiet);|}
                }
            }

            static void ExecChild(bool quiet)
            {
                Native.execv("/bin/ls", new[] { "ls", null });
                if (quiet) return;
                Native._exit(127);
            }
        }
        """, ChildExit.Diagnostic(ForkChildExitAnalyzer.FallOutRule).WithLocation(0).WithArguments("fork"));

    [Fact]
    public Task ChildCallsHelperWithTryCatch_IsNotGuessed_IsSilent() => ChildExit.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                if (Native.fork() == 0)
                {
                    ExecChild();
                }
            }

            static void ExecChild()
            {
                try { Native.execv("/bin/ls", new[] { "ls", null }); }
                catch (Exception) { }
                Native._exit(127);
            }
        }
        """);

    [Fact]
    public Task ChildHelper_IsNamedByPsx1001() => ForkRule.AnalyzerAsync(OwnInterop + """
        class C
        {
            void Run()
            {
                if ({|#0:Native.fork()|} == 0)
                {
                    ExecChild();
                }
            }

            static void ExecChild()
            {
                Native.execv("/bin/ls", new[] { "ls", null });
                Native._exit(127);
            }
        }
        """, ForkRule.Diagnostic(ForkFromManagedCodeAnalyzer.ChildWorkRule).WithLocation(0).WithArguments("fork", "calls 'ExecChild'"));

    [Fact]
    public Task TmdsChildCallsHelperThatThrowsAfterExecve_IsReported() => ChildExit.AnalyzerAsync("""
        using System;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            pid_t Run(byte* path, byte** argv)
            {
                pid_t pid = fork();
                switch ((int)pid)
                {
                    case 0:
                        {|#0:ExecOrThrow(path, argv)|};
                        break;
                }

                return pid;
            }

            static void ExecOrThrow(byte* path, byte** argv)
            {
                execve(path, argv, null);
                throw new InvalidOperationException("execve failed: " + errno);
            }
        }
        """, ChildExit.Diagnostic(ForkChildExitAnalyzer.ThrowRule).WithLocation(0).WithArguments("fork"));

    [Fact]
    public Task TmdsPidWrapper_PidOnlyCompared_IsReportedByPsx1004() => Zombie.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        class C
        {
            static pid_t Fork() => fork();

            void Run()
            {
                if ({|#0:Fork()|} == 0)
                {
                    _exit(0);
                }
            }
        }
        """, Zombie.Diagnostic("PSX1004").WithLocation(0).WithArguments("fork", "pid only compared"));

    // ---- c. helpers that take a mapped address ----------------------------------------------------------------

    [Fact]
    public Task HelperThatUsesTheAddress_IsAUse() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = {|#0:Native.Mmap(fd)|};
                Fill(p);
            }

            static void Fill(IntPtr target) => Marshal.WriteByte(target, 1);
        }
        """, Mmap.Diagnostic(UncheckedMmapResultAnalyzer.UncheckedRule).WithLocation(0).WithArguments("mmap"));

    [Fact]
    public Task HelperThatPassesItToAHelperThatUsesIt_IsAUse() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = {|#0:Native.Mmap(fd)|};
                Load(p, 16);
            }

            static void Load(IntPtr source, int length) => Copy(source, new byte[length]);

            static void Copy(IntPtr source, byte[] target) => Marshal.Copy(source, target, 0, target.Length);
        }
        """, Mmap.Diagnostic(UncheckedMmapResultAnalyzer.UncheckedRule).WithLocation(0).WithArguments("mmap"));

    [Fact]
    public Task HelperThatChecksThroughAnotherHelper_IsSilent() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = Native.Mmap(fd);
                Validate(p);
                Marshal.WriteByte(p, 1);
            }

            static void Validate(IntPtr p) => Ensure(p, "mmap");

            static void Ensure(IntPtr p, string call)
            {
                if (p == Native.MAP_FAILED) throw new InvalidOperationException(call + " failed");
            }
        }
        """);

    [Fact]
    public Task HelperThatStoresItInAField_IsAnEscape_IsSilent() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr _mapping;

            void M(int fd)
            {
                var p = Native.Mmap(fd);
                Keep(p);
            }

            void Keep(IntPtr mapping) => _mapping = mapping;

            void Use()
            {
                if (_mapping != Native.MAP_FAILED) Marshal.WriteByte(_mapping, 1);
            }
        }
        """);

    [Fact]
    public Task HelperThatChecksOnlyOnSomePaths_DoesNotCoverALaterUse() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd, bool strict)
            {
                var p = {|#0:Native.Mmap(fd)|};
                MaybeValidate(p, strict);
                Marshal.WriteByte(p, 1);
            }

            static void MaybeValidate(IntPtr p, bool strict)
            {
                if (strict && p == Native.MAP_FAILED) throw new InvalidOperationException();
            }
        }
        """, Mmap.Diagnostic(UncheckedMmapResultAnalyzer.UncheckedRule).WithLocation(0).WithArguments("mmap"));

    [Fact]
    public Task LibraryMethodReadingThroughThePointer_IsAUse() => Mmap.AnalyzerAsync("""
        using System.Text;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            string M(int fd)
            {
                var p = (byte*){|#0:mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0)|};
                return Encoding.UTF8.GetString(p, 4096);
            }
        }
        """, Mmap.Diagnostic(UncheckedMmapResultAnalyzer.UncheckedRule).WithLocation(0).WithArguments("mmap"));

    [Fact]
    public Task LibraryMethodThatOnlyFormatsOrKeepsIt_IsSilent() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr _mapping;

            void M(int fd)
            {
                var p = Native.Mmap(fd);
                Console.WriteLine(p);
                System.Threading.Interlocked.Exchange(ref _mapping, p);
            }
        }
        """);

    [Fact]
    public Task MappingOnlyStoredByInterlocked_IsSilent() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr _mapping;

            void M(int fd) => System.Threading.Interlocked.Exchange(ref _mapping, Native.Mmap(fd));
        }
        """);

    [Fact]
    public Task MappingOnlyOffsetByIntPtr_IsSilent() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(int fd) => IntPtr.Add(Native.Mmap(fd), 16);
        }
        """);

    // Unsafe is one of the memory APIs: every call of it that takes the mapping reaches the memory behind it, so
    // the namespace exemption for System.Runtime.CompilerServices below the memory-API test never applies to it.
    [Fact]
    public Task MappingReadThroughUnsafe_IsAUse() => Mmap.AnalyzerAsync("""
        using System.Runtime.CompilerServices;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int M(int fd)
            {
                var p = {|#0:mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0)|};
                return Unsafe.Read<int>(p);
            }
        }
        """, Mmap.Diagnostic(UncheckedMmapResultAnalyzer.UncheckedRule).WithLocation(0).WithArguments("mmap"));

    [Fact]
    public Task MappingOnlyWrappedInAGCHandleLookup_IsSilent() => Mmap.AnalyzerAsync(OwnInterop + """
        class C
        {
            object M(int fd) => System.Runtime.InteropServices.GCHandle.FromIntPtr(Native.Mmap(fd)).Target;
        }
        """);

    [Fact]
    public Task MonoMmapPassedToAHelperThatUsesIt_IsReported() => Mmap.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            void M(int fd)
            {
                var p = {|#0:Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0)|};
                Dump(p);
            }

            static void Dump(IntPtr p) => Console.WriteLine(Marshal.ReadByte(p));
        }
        """, Mmap.Diagnostic(UncheckedMmapResultAnalyzer.UncheckedRule).WithLocation(0).WithArguments("mmap"));
}
