using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.DescriptorWithoutCloexecAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class DescriptorWithoutCloexecAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
            public const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;

            [DllImport("libc", SetLastError = true)]
            public static extern int open(string path, int flags, int mode);

            [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
            public static extern int CreateSocket(int domain, int type, int protocol);

            [DllImport("libc", SetLastError = true)]
            public static extern int pipe(int* fds);

            [DllImport("libc", SetLastError = true)]
            public static extern int accept(int fd, IntPtr address, IntPtr length);

            [DllImport("libc", SetLastError = true)]
            public static extern int dup(int fd);

            [DllImport("libc", SetLastError = true)]
            public static extern int close(int fd);
        }

        """;

    private const string FcntlInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1;
            public const int O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;

            [DllImport("libc", SetLastError = true)]
            public static extern int fcntl(int fd, int command, int argument);
        }

        """;

    [Fact]
    public Task OwnDllImport_OpenWithoutCloexec_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(string path) => {|#0:Native.open(path, Native.O_RDWR | Native.O_CREAT, 0x180)|};
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0)
            .WithMessage("'open' creates a descriptor without close-on-exec that children inherit; add O_CLOEXEC to its flags"));

    // F_SETFL changes status flags only: the O_CLOEXEC the author adds is dropped.
    [Fact]
    public Task OwnDllImport_SetflWithCloexec_IsReported() => VerifyCS.AnalyzerAsync(FcntlInterop + """
        class C
        {
            void M(int fd) => {|#0:Native.fcntl(fd, Native.F_SETFL, Native.fcntl(fd, Native.F_GETFL, 0) | Native.O_NONBLOCK | Native.O_CLOEXEC)|};
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0).WithMessage("fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD"));

    // tutu's terminal code: the flags gathered in a local first.
    [Fact]
    public Task OwnDllImport_SetflWithCloexecAddedToALocal_IsReported() => VerifyCS.AnalyzerAsync(FcntlInterop + """
        class C
        {
            void M(int fd)
            {
                var flags = Native.fcntl(fd, Native.F_GETFL, 0);
                flags |= Native.O_NONBLOCK | Native.O_CLOEXEC;
                if ({|#0:Native.fcntl(fd, Native.F_SETFL, flags)|} == -1)
                {
                    throw new InvalidOperationException();
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0).WithMessage("fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD"));

    [Fact]
    public Task SetflWithCloexecBeforeAnotherFlagIsAdded_IsReported() => VerifyCS.AnalyzerAsync(FcntlInterop + """
        class C
        {
            void M(int fd)
            {
                var flags = Native.fcntl(fd, Native.F_GETFL, 0) | Native.O_CLOEXEC;
                flags |= Native.O_NONBLOCK;
                {|#0:Native.fcntl(fd, Native.F_SETFL, flags)|};
            }
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0).WithMessage("fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD"));

    // A write through ref after the last assignment: what the local holds at the call is not known.
    [Fact]
    public Task SetflWithALocalChangedThroughRef_IsSilent() => VerifyCS.AnalyzerAsync(FcntlInterop + """
        class C
        {
            static void Clear(ref int flags) => flags = Native.O_NONBLOCK;

            void M(int fd)
            {
                var flags = Native.O_NONBLOCK | Native.O_CLOEXEC;
                Clear(ref flags);
                Native.fcntl(fd, Native.F_SETFL, flags);
            }
        }
        """);

    // F_SETFL is 4 on Linux, macOS and the BSDs, whatever the project's constant is called and typed.
    [Fact]
    public Task SetflAsTheProjectsOwnLongConstant_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static class Native
        {
            public const long SetFileStatusFlags = 4, CloseOnExec = 0x80000, NonBlocking = 0x800;

            [DllImport("libc", SetLastError = true)]
            public static extern int fcntl(int fd, long command, long argument);
        }

        class C
        {
            void M(int fd) => {|#0:Native.fcntl(fd, Native.SetFileStatusFlags, Native.NonBlocking | Native.CloseOnExec)|};
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0).WithMessage("fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD"));

    [Fact]
    public Task SetfdWithFdCloexec_AndSetflWithoutCloexec_AreSilent() => VerifyCS.AnalyzerAsync(FcntlInterop + """
        class C
        {
            void M(int fd)
            {
                Native.fcntl(fd, Native.F_SETFD, Native.fcntl(fd, Native.F_GETFD, 0) | Native.FD_CLOEXEC);
                Native.fcntl(fd, Native.F_SETFL, Native.fcntl(fd, Native.F_GETFL, 0) | Native.O_NONBLOCK);
            }
        }
        """);

    // The local held O_CLOEXEC once, for open; what F_SETFL gets is F_GETFL's answer.
    [Fact]
    public Task SetflWithALocalRewrittenSinceItHeldCloexec_IsSilent() => VerifyCS.AnalyzerAsync(FcntlInterop + """
        class C
        {
            void M(int fd)
            {
                var flags = Native.O_CLOEXEC;
                flags = Native.fcntl(fd, Native.F_GETFL, 0);
                Native.fcntl(fd, Native.F_SETFL, flags | Native.O_NONBLOCK);
                Native.fcntl(fd, Native.F_SETFL, flags);
            }
        }
        """);

    [Fact]
    public Task Tmds_SetflWithCloexec_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            void M(int fd) => {|#0:fcntl(fd, F_SETFL, O_NONBLOCK | O_CLOEXEC)|};
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0).WithMessage("fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD"));

    [Fact]
    public Task Mono_SetflWithCloexec_IsReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class C
        {
            void M(int fd) => {|#0:Syscall.fcntl(fd, FcntlCommand.F_SETFL, (long)(OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC))|};
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0).WithMessage("fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD"));

    // FD_CLOEXEC is F_SETFD's flag; F_SETFL reads its 1 as O_WRONLY, an access mode it ignores.
    [Fact]
    public Task OwnDllImport_SetflWithFdCloexec_IsReported() => VerifyCS.AnalyzerAsync(FcntlInterop + """
        class C
        {
            void M(int fd) => {|#0:Native.fcntl(fd, Native.F_SETFL, Native.FD_CLOEXEC)|};
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0).WithMessage("fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD"));

    [Fact]
    public Task OwnDllImport_SetflWithFdCloexecAmongOtherFlags_IsReported() => VerifyCS.AnalyzerAsync(FcntlInterop + """
        class C
        {
            void M(int fd) => {|#0:Native.fcntl(fd, Native.F_SETFL, Native.O_NONBLOCK | Native.FD_CLOEXEC)|};
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0).WithMessage("fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD"));

    [Fact]
    public Task OwnDllImport_SetflWithFdCloexecAddedToALocal_IsReported() => VerifyCS.AnalyzerAsync(FcntlInterop + """
        class C
        {
            void M(int fd)
            {
                var flags = Native.fcntl(fd, Native.F_GETFL, 0);
                flags |= Native.FD_CLOEXEC;
                {|#0:Native.fcntl(fd, Native.F_SETFL, flags)|};
            }
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0).WithMessage("fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD"));

    [Fact]
    public Task Tmds_SetflWithFdCloexec_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            void M(int fd) => {|#0:fcntl(fd, F_SETFL, FD_CLOEXEC)|};
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0).WithMessage("fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD"));

    // Mono.Posix has no FD_CLOEXEC: its users declare their own.
    [Fact]
    public Task Mono_SetflWithOwnFdCloexec_IsReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class C
        {
            const int FD_CLOEXEC = 1;

            void M(int fd) => {|#0:Syscall.fcntl(fd, FcntlCommand.F_SETFL, FD_CLOEXEC)|};
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0).WithMessage("fcntl's F_SETFL ignores close-on-exec, so the descriptor stays inheritable; set FD_CLOEXEC with F_SETFD"));

    // A bare 1 may be meant as O_WRONLY (ignored too, but not a close-on-exec mistake): only the name says FD_CLOEXEC.
    [Fact]
    public Task SetflWithTheValueOfFdCloexecUnnamed_IsSilent() => VerifyCS.AnalyzerAsync(FcntlInterop + """
        class C
        {
            void M(int fd) => Native.fcntl(fd, Native.F_SETFL, 1);
        }
        """);

    [Fact]
    public Task SetflClearingFdCloexec_IsSilent() => VerifyCS.AnalyzerAsync(FcntlInterop + """
        class C
        {
            void M(int fd) => Native.fcntl(fd, Native.F_SETFL, Native.fcntl(fd, Native.F_GETFL, 0) & ~Native.FD_CLOEXEC);
        }
        """);

    [Fact]
    public Task OwnDllImport_RenamedSocketWithoutCloexec_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M() => {|#0:Native.CreateSocket(Native.AF_UNIX, Native.SOCK_STREAM, 0)|};
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0)
            .WithMessage("'socket' creates a descriptor without close-on-exec that children inherit; add SOCK_CLOEXEC to its flags"));

    [Fact]
    public Task OwnDllImport_Pipe_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            int M(int* fds) => {|#0:Native.pipe(fds)|};
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0)
            .WithMessage("'pipe' creates a descriptor without close-on-exec that children inherit; use pipe2 with O_CLOEXEC"));

    [Fact]
    public Task OwnDllImport_AcceptAndDup_AreReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int Accept(int listener) => {|#0:Native.accept(listener, IntPtr.Zero, IntPtr.Zero)|};
            int Copy(int fd) => {|#1:Native.dup(fd)|};
        }
        """,
        VerifyCS.Diagnostic("PSX4002").WithLocation(0)
            .WithMessage("'accept' creates a descriptor without close-on-exec that children inherit; use accept4 with SOCK_CLOEXEC"),
        VerifyCS.Diagnostic("PSX4002").WithLocation(1)
            .WithMessage("'dup' creates a descriptor without close-on-exec that children inherit; use fcntl(fd, F_DUPFD_CLOEXEC, 0)"));

    [Fact]
    public Task LibraryImport_OpenWithLiteralFlags_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
            public static partial int Open(string path, int flags);
        }

        class C
        {
            int M(string path) => [|Native.Open(path, 2)|];
        }
        """);

    [Fact]
    public Task Tmds_OpenSocketPipeAcceptDup_AreReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(byte* path, int* fds, int listener)
            {
                int file = [|open(path, O_RDWR | O_CREAT, 0x180)|];
                int server = [|socket(AF_UNIX, SOCK_STREAM, 0)|];
                int pair = [|socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds)|];
                int result = [|pipe(fds)|];
                int client = [|accept(listener, null, null)|];
                int copy = [|dup(client)|];
                int epoll = [|epoll_create1(0)|];
                int events = [|eventfd(0, 0)|];
                int memory = [|memfd_create(path, 0)|];
                int legacyEpoll = [|epoll_create(16)|];
                int created = {|#0:creat(path, 0x180)|};
            }
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0)
            .WithMessage("'creat' creates a descriptor without close-on-exec that children inherit; use open with O_CREAT | O_TRUNC | O_CLOEXEC"));

    // epoll_create fails with EINVAL for a size below 1, and dup or accept of -1 with EBADF: no descriptor is made.
    // Tests make these calls to check the failure (SocketCANSharp's EpollTests).
    [Fact]
    public Task CallsThatCanOnlyFail_AreSilent() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            bool M()
            {
                return epoll_create(0) == -1 && epoll_create(-1) == -1 && dup(-1) == -1 && accept(-1, null, null) == -1;
            }
        }
        """);

    // Mono's epoll_create(EpollFlags) is epoll_create1: flags of 0 make a descriptor without close-on-exec.
    [Fact]
    public Task MonoEpollCreateWithNoFlags_IsReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class C
        {
            int M() => [|Syscall.epoll_create((EpollFlags)0)|];
        }
        """);

    // A size of 1 or more makes an epoll instance (the size is only a hint).
    [Fact]
    public Task EpollCreateWithAPositiveSize_IsReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        class C
        {
            int M() => [|epoll_create(1)|];
        }
        """);

    [Fact]
    public Task Mono_OpenSocketPipeDup_AreReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class C
        {
            void M(string path, int listener)
            {
                int file = [|Syscall.open(path, OpenFlags.O_RDWR | OpenFlags.O_CREAT, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR)|];
                int server = [|Syscall.socket(UnixAddressFamily.AF_UNIX, UnixSocketType.SOCK_STREAM, 0)|];
                int other = [|Syscall.socket(UnixAddressFamily.AF_UNIX, UnixSocketType.SOCK_STREAM, UnixSocketFlags.SOCK_NONBLOCK, 0)|];
                int result = [|Syscall.pipe(out int reading, out int writing)|];
                int copy = [|Syscall.dup(listener)|];
                int epoll = [|Syscall.epoll_create(16)|];
            }
        }
        """);

    // ---- silent ------------------------------------------------------------------------------------------------

    [Fact]
    public Task FlagsWithCloexec_AreSilent_OnEverySurface() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            const int ReadOnlyFlags = Native.O_RDONLY | Native.O_CLOEXEC;

            void OnOwn(string path)
            {
                Use(Native.open(path, Native.O_RDWR | Native.O_CLOEXEC, 0));
                Use(Native.open(path, ReadOnlyFlags, 0));
                Use(Native.open(path, 0x80002, 0));
                Use(Native.CreateSocket(Native.AF_UNIX, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0));
            }

            void OnTmds(byte* path, int* fds, int listener)
            {
                Use(Tmds.Linux.LibC.open(path, Tmds.Linux.LibC.O_RDWR | Tmds.Linux.LibC.O_CLOEXEC, 0));
                Use(Tmds.Linux.LibC.pipe2(fds, Tmds.Linux.LibC.O_CLOEXEC));
                Use(Tmds.Linux.LibC.accept4(listener, null, null, Tmds.Linux.LibC.SOCK_CLOEXEC | Tmds.Linux.LibC.SOCK_NONBLOCK));
                Use(Tmds.Linux.LibC.fcntl(listener, Tmds.Linux.LibC.F_DUPFD_CLOEXEC, 0));
                Use(Tmds.Linux.LibC.epoll_create1(Tmds.Linux.LibC.EPOLL_CLOEXEC));
                Use(Tmds.Linux.LibC.memfd_create(path, Tmds.Linux.LibC.MFD_CLOEXEC));
            }

            void OnMono(string path, int listener)
            {
                Use(Mono.Unix.Native.Syscall.open(path, Mono.Unix.Native.OpenFlags.O_RDONLY | Mono.Unix.Native.OpenFlags.O_CLOEXEC));
                Use(Mono.Unix.Native.Syscall.socket(Mono.Unix.Native.UnixAddressFamily.AF_UNIX, Mono.Unix.Native.UnixSocketType.SOCK_STREAM, Mono.Unix.Native.UnixSocketFlags.SOCK_CLOEXEC, 0));
                Use(Mono.Unix.Native.Syscall.accept4(listener, new Mono.Unix.Native.SockaddrUn("/tmp/x"), Mono.Unix.Native.UnixSocketFlags.SOCK_CLOEXEC));
                Use(Mono.Unix.Native.Syscall.epoll_create(Mono.Unix.Native.EpollFlags.EPOLL_CLOEXEC));
            }

            static void Use(int fd) { }
        }
        """);

    [Fact]
    public Task FlagsFromVariablesAndParameters_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int flags = Native.O_RDWR;

            int FromParameter(string path, int mode) => Native.open(path, mode, 0);
            int FromField(string path) => Native.open(path, flags, 0);
            int FromCondition(string path, bool write) => Native.open(path, write ? Native.O_RDWR : Native.O_RDONLY, 0);
            int Wrapper(string path, int extra) => Native.open(path, Native.O_RDWR | extra, 0);
        }
        """);

    [Fact]
    public Task DaemonStandardStreams_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void RedirectStandardStreams()
            {
                Native.close(0);
                Native.close(1);
                Native.close(2);
                if (Native.open("/dev/null", Native.O_RDWR, 0) != 0)
                {
                    return;
                }

                Native.dup(0);
                _ = Native.dup(0);
            }
        }
        """);

    [Fact]
    public Task DescriptorOpenedInChildThenDup2d_IsStillReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)] public static extern int open(string path, int flags);
            [DllImport("libc", SetLastError = true)] public static extern int dup2(int fd, int target);
        }

        class C
        {
            void Child(string log)
            {
                int fd = [|Native.open(log, 0x441)|];
                Native.dup2(fd, 1);
            }
        }
        """);

    [Fact]
    public Task LookAlikes_AreSilent() => VerifyCS.AnalyzerAsync("""
        using System.IO;

        static class Files
        {
            public static int open(string path, int flags) => 0;
            public static int pipe(int[] fds) => 0;
        }

        class C
        {
            void M()
            {
                Files.open("/tmp/x", 2);
                int r = Files.pipe(new int[2]);
                using var stream = File.Open("/tmp/x", FileMode.Open);
            }
        }
        """);

    [Fact]
    public Task ShmOpen_IsSilent_BecauseItAlwaysSetsCloexec() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)] public static extern int shm_open(string name, int flags, int mode);
        }

        class C
        {
            int M() => Native.shm_open("/ring", 0x42, 0x180);
        }
        """);

    [Fact]
    public Task BindingForwardingToItsOwnOverload_IsSilent_ItsCallersAreReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static unsafe partial class Native
        {
            [LibraryImport("libc", EntryPoint = "pipe", SetLastError = true)]
            public static partial int Pipe(int[] fds);

            // The binding's array overload passes the call on, as Mono.Posix's Syscall.pipe(int[]) does.
            public static partial int Pipe(int[] fds)
            {
                fixed (int* p = fds)
                {
                    return PipeCore(p);
                }
            }

            [DllImport("libc", EntryPoint = "pipe", SetLastError = true)]
            private static extern int PipeCore(int* fds);
        }

        class C
        {
            int M(int[] fds) => [|Native.Pipe(fds)|];
        }
        """);

    // ---- through the project's wrappers: the caller's argument is the flags ------------------------------------

    [Fact]
    public Task OwnWrapper_CallerFlagsWithoutCloexec_IsReportedAtTheArgument() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int Open(string path, int flags) => Native.open(path, flags, 0);

            int M(string path) => Open(path, {|#0:Native.O_RDONLY|});
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0)
            .WithMessage("'Open' creates a descriptor without close-on-exec that children inherit; add O_CLOEXEC to its flags"));

    [Fact]
    public Task TmdsWrapper_SocketTypeWithoutCloexec_IsReportedAtTheArgument() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        class C
        {
            static int Socket(int type) => socket(AF_UNIX, type, 0);

            int M() => Socket({|#0:SOCK_STREAM | SOCK_NONBLOCK|});
        }
        """, VerifyCS.Diagnostic("PSX4002").WithLocation(0)
            .WithMessage("'Socket' creates a descriptor without close-on-exec that children inherit; add SOCK_CLOEXEC to its flags"));

    [Fact]
    public Task TmdsWrapper_OpenWithoutCloexec_IsReportedAtTheArgument() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static int OpenFile(byte* path, int flags) => open(path, flags, 0x180);

            int M(byte* path) => OpenFile(path, [|O_RDWR | O_CREAT|]);
        }
        """);

    [Fact]
    public Task MonoWrapper_OpenFlagsWithoutCloexec_IsReportedAtTheArgument() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class C
        {
            static int Open(string path, OpenFlags flags) => Syscall.open(path, flags);

            int M(string path) => Open(path, [|OpenFlags.O_RDONLY|]);
        }
        """);

    [Fact]
    public Task WrapperThatAddsCloexecItself_IsSilentAtItsCallSites() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int Open(string path, int flags) => Native.open(path, flags | Native.O_CLOEXEC, 0);

            int M(string path) => Open(path, Native.O_RDONLY);
        }
        """);

    [Fact]
    public Task WrapperCalledWithCloexec_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int Open(string path, int flags) => Native.open(path, flags, 0);

            int M(string path) => Open(path, Native.O_RDONLY | Native.O_CLOEXEC);
        }
        """);

    [Fact]
    public Task FlagsFixedInTheWrapper_AreReportedInTheWrapperOnly() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int OpenForReading(string path) => [|Native.open(path, Native.O_RDONLY, 0)|];

            int M(string path) => OpenForReading(path);
        }
        """);

    [Fact]
    public Task WrapperOfAWrapperFixingTheFlags_IsReportedAtTheInnerCallOnly() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int Open(string path, int flags) => Native.open(path, flags, 0);

            static int OpenForReading(string path) => Open(path, [|Native.O_RDONLY|]);

            int M(string path) => OpenForReading(path);
        }
        """);

    [Fact]
    public Task WrapperOpeningTheStandardStreams_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int Open(string path, int flags) => Native.open(path, flags, 0);

            void RedirectStandardInput()
            {
                Native.close(0);
                Open("/dev/null", Native.O_RDONLY);
            }
        }
        """);

    [Fact]
    public Task WrapperThatReadsTheFlagsBeforePassingThemOn_IsSilentAtItsCallSites() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int Open(string path, int flags)
            {
                if ((flags & Native.O_CREAT) != 0)
                {
                    return Native.open(path, flags, 0x180);
                }

                return Native.open(path, flags, 0);
            }

            int M(string path) => Open(path, Native.O_RDONLY);
        }
        """);
}
