using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.DescriptorWithoutCloexecAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class DescriptorWithoutCloexecFixerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;

            [DllImport("libc", SetLastError = true)]
            public static extern int open(string path, int flags, int mode);

            [DllImport("libc", SetLastError = true)]
            public static extern int socket(int domain, int type, int protocol);

            [DllImport("libc", SetLastError = true)]
            public static extern int pipe(int* fds);

            [DllImport("libc", EntryPoint = "pipe2", SetLastError = true)]
            public static extern int PipeWithFlags(int* fds, int flags);

            [DllImport("libc", SetLastError = true)]
            public static extern int dup(int fd);
        }

        """;

    private const string FcntlInterop = """
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int F_SETFD = 2, F_SETFL = 4, FD_CLOEXEC = 1, O_NONBLOCK = 0x800;

            [DllImport("libc", SetLastError = true)]
            public static extern int fcntl(int fd, int command, int argument);
        }

        """;

    [Fact]
    public Task OwnInterop_Open_AppendsOwnConstant() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>(OwnInterop + """
        class C
        {
            int M(string path) => [|Native.open(path, Native.O_RDWR | Native.O_CREAT, 0x180)|];
        }
        """, OwnInterop + """
        class C
        {
            int M(string path) => Native.open(path, Native.O_RDWR | Native.O_CREAT | Native.O_CLOEXEC, 0x180);
        }
        """, DescriptorWithoutCloexecFixer.AddCloexecKey);

    [Fact]
    public Task OwnInterop_SocketWithoutNamedConstant_AppendsCommentedLiteral() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>(OwnInterop + """
        class C
        {
            int M() => [|Native.socket(1, 1, 0)|];
        }
        """, OwnInterop + """
        class C
        {
            int M() => Native.socket(1, 1 | 0x80000 /* SOCK_CLOEXEC */, 0);
        }
        """);

    [Fact]
    public Task OwnInterop_Pipe_CallsTheDeclaredPipe2() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>(OwnInterop + """
        unsafe class C
        {
            int M(int* fds) => [|Native.pipe(fds)|];
        }
        """, OwnInterop + """
        unsafe class C
        {
            int M(int* fds) => Native.PipeWithFlags(fds, Native.O_CLOEXEC);
        }
        """);

    [Fact]
    public Task OwnInterop_DupWithoutFcntlDeclared_HasNoFix() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>(OwnInterop + """
        class C
        {
            int M(int fd) => [|Native.dup(fd)|];
        }
        """, OwnInterop + """
        class C
        {
            int M(int fd) => [|Native.dup(fd)|];
        }
        """);

    [Fact]
    public Task Tmds_EveryShape_UsesTmdsNames() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(byte* path, int* fds, int listener)
            {
                int file = [|open(path, O_RDWR, 0)|];
                int server = [|socket(AF_UNIX, SOCK_STREAM, 0)|];
                int result = [|pipe(fds)|];
                int client = [|accept(listener, null, null)|];
                int copy = [|dup(client)|];
                int epoll = [|epoll_create(16)|];
                int events = [|eventfd(0, 0)|];
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(byte* path, int* fds, int listener)
            {
                int file = open(path, O_RDWR | O_CLOEXEC, 0);
                int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                int result = pipe2(fds, O_CLOEXEC);
                int client = accept4(listener, null, null, SOCK_CLOEXEC);
                int copy = fcntl(client, F_DUPFD_CLOEXEC, 0);
                int epoll = epoll_create1(EPOLL_CLOEXEC);
                int events = eventfd(0, EFD_CLOEXEC);
            }
        }
        """);

    [Fact]
    public Task Tmds_QualifiedCall_KeepsTheQualifier() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>("""
        using Tmds.Linux;

        unsafe class C
        {
            int M(int* fds) => [|LibC.pipe(fds)|];
        }
        """, """
        using Tmds.Linux;

        unsafe class C
        {
            int M(int* fds) => LibC.pipe2(fds, LibC.O_CLOEXEC);
        }
        """);

    [Fact]
    public Task Mono_OpenSocketAccept_UseMonoEnums() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>("""
        using Mono.Unix.Native;

        class C
        {
            void M(string path, int listener, Sockaddr address)
            {
                int file = [|Syscall.open(path, OpenFlags.O_RDONLY)|];
                int server = [|Syscall.socket(UnixAddressFamily.AF_UNIX, UnixSocketType.SOCK_STREAM, 0)|];
                int client = [|Syscall.accept(listener, address)|];
                int epoll = [|Syscall.epoll_create(16)|];
            }
        }
        """, """
        using Mono.Unix.Native;

        class C
        {
            void M(string path, int listener, Sockaddr address)
            {
                int file = Syscall.open(path, OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC);
                int server = Syscall.socket(UnixAddressFamily.AF_UNIX, UnixSocketType.SOCK_STREAM, UnixSocketFlags.SOCK_CLOEXEC, 0);
                int client = Syscall.accept4(listener, address, UnixSocketFlags.SOCK_CLOEXEC);
                int epoll = Syscall.epoll_create(EpollFlags.EPOLL_CLOEXEC);
            }
        }
        """);

    [Fact]
    public Task Mono_Pipe_HasNoFixBecauseMonoHasNoPipe2() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>("""
        using Mono.Unix.Native;

        class C
        {
            int M() => [|Syscall.pipe(out int reading, out int writing)|];
        }
        """, """
        using Mono.Unix.Native;

        class C
        {
            int M() => [|Syscall.pipe(out int reading, out int writing)|];
        }
        """);

    [Fact]
    public Task OwnWrapper_AddsTheOwnConstantToTheCallersArgument() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>(OwnInterop + """
        class C
        {
            static int Open(string path, int flags) => Native.open(path, flags, 0);

            int M(string path) => Open(path, [|Native.O_RDWR|]);
        }
        """, OwnInterop + """
        class C
        {
            static int Open(string path, int flags) => Native.open(path, flags, 0);

            int M(string path) => Open(path, Native.O_RDWR | Native.O_CLOEXEC);
        }
        """, DescriptorWithoutCloexecFixer.AddCloexecKey);

    [Fact]
    public Task TmdsWrapper_AddsTheTmdsFlagToTheCallersArgument() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>("""
        using static Tmds.Linux.LibC;

        class C
        {
            static int Socket(int type) => socket(AF_UNIX, type, 0);

            int M() => Socket([|SOCK_STREAM|]);
        }
        """, """
        using static Tmds.Linux.LibC;

        class C
        {
            static int Socket(int type) => socket(AF_UNIX, type, 0);

            int M() => Socket(SOCK_STREAM | SOCK_CLOEXEC);
        }
        """);

    [Fact]
    public Task MonoWrapper_AddsTheMonoEnumMemberToTheCallersArgument() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>("""
        using Mono.Unix.Native;

        class C
        {
            static int Open(string path, OpenFlags flags) => Syscall.open(path, flags);

            int M(string path) => Open(path, [|OpenFlags.O_RDONLY|]);
        }
        """, """
        using Mono.Unix.Native;

        class C
        {
            static int Open(string path, OpenFlags flags) => Syscall.open(path, flags);

            int M(string path) => Open(path, OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC);
        }
        """);

    [Fact]
    public Task OwnWrapper_FixAll_FixesEveryCallSite() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>(OwnInterop + """
        class C
        {
            static int Open(string path, int flags) => Native.open(path, flags, 0);

            void M(string path)
            {
                int config = Open(path, [|Native.O_RDWR|]);
                int log = Open(path, [|0|]);
            }
        }
        """, OwnInterop + """
        class C
        {
            static int Open(string path, int flags) => Native.open(path, flags, 0);

            void M(string path)
            {
                int config = Open(path, Native.O_RDWR | Native.O_CLOEXEC);
                int log = Open(path, Native.O_CLOEXEC);
            }
        }
        """);

    [Fact]
    public Task OwnInterop_SetflWithFdCloexec_UsesOwnSetfd() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>(FcntlInterop + """
        class C
        {
            int M(int fd) => [|Native.fcntl(fd, Native.F_SETFL, Native.FD_CLOEXEC)|];
        }
        """, FcntlInterop + """
        class C
        {
            int M(int fd) => Native.fcntl(fd, Native.F_SETFD, Native.FD_CLOEXEC);
        }
        """, DescriptorWithoutCloexecFixer.UseSetfdKey);

    [Fact]
    public Task OwnInterop_SetflLiteralWithFdCloexec_UsesLiteralSetfd() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>(FcntlInterop + """
        class C
        {
            int M(int fd) => [|Native.fcntl(fd, 4, Native.FD_CLOEXEC)|];
        }
        """, FcntlInterop + """
        class C
        {
            int M(int fd) => Native.fcntl(fd, 2, Native.FD_CLOEXEC);
        }
        """);

    [Fact]
    public Task Tmds_SetflWithFdCloexec_UsesTmdsSetfd() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>("""
        using Tmds.Linux;

        class C
        {
            int M(int fd) => [|LibC.fcntl(fd, LibC.F_SETFL, LibC.FD_CLOEXEC)|];
        }
        """, """
        using Tmds.Linux;

        class C
        {
            int M(int fd) => LibC.fcntl(fd, LibC.F_SETFD, LibC.FD_CLOEXEC);
        }
        """);

    [Fact]
    public Task Mono_SetflWithOwnFdCloexec_UsesMonoSetfd() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>("""
        using Mono.Unix.Native;

        class C
        {
            const int FD_CLOEXEC = 1;

            int M(int fd) => [|Syscall.fcntl(fd, FcntlCommand.F_SETFL, FD_CLOEXEC)|];
        }
        """, """
        using Mono.Unix.Native;

        class C
        {
            const int FD_CLOEXEC = 1;

            int M(int fd) => Syscall.fcntl(fd, FcntlCommand.F_SETFD, FD_CLOEXEC);
        }
        """);

    // O_NONBLOCK still needs F_SETFL: the fix would be two calls, which is the author's to write.
    [Fact]
    public Task SetflWithFdCloexecAndOtherFlags_HasNoFix() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>(FcntlInterop + """
        class C
        {
            int M(int fd) => [|Native.fcntl(fd, Native.F_SETFL, Native.O_NONBLOCK | Native.FD_CLOEXEC)|];
        }
        """, FcntlInterop + """
        class C
        {
            int M(int fd) => [|Native.fcntl(fd, Native.F_SETFL, Native.O_NONBLOCK | Native.FD_CLOEXEC)|];
        }
        """);

    [Fact]
    public Task OwnConstantsWithoutSetfd_HaveNoFix() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>("""
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int F_SETFL = 4, FD_CLOEXEC = 1;

            [DllImport("libc", SetLastError = true)]
            public static extern int fcntl(int fd, int command, int argument);
        }

        class C
        {
            int M(int fd) => [|Native.fcntl(fd, Native.F_SETFL, Native.FD_CLOEXEC)|];
        }
        """, """
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int F_SETFL = 4, FD_CLOEXEC = 1;

            [DllImport("libc", SetLastError = true)]
            public static extern int fcntl(int fd, int command, int argument);
        }

        class C
        {
            int M(int fd) => [|Native.fcntl(fd, Native.F_SETFL, Native.FD_CLOEXEC)|];
        }
        """);

    [Fact]
    public Task SetflWithFdCloexec_FixAll_FixesEveryCall() => VerifyCS.CodeFixAsync<DescriptorWithoutCloexecFixer>(FcntlInterop + """
        class C
        {
            void M(int reader, int writer)
            {
                [|Native.fcntl(reader, Native.F_SETFL, Native.FD_CLOEXEC)|];
                [|Native.fcntl(writer, Native.F_SETFL, Native.FD_CLOEXEC)|];
            }
        }
        """, FcntlInterop + """
        class C
        {
            void M(int reader, int writer)
            {
                Native.fcntl(reader, Native.F_SETFD, Native.FD_CLOEXEC);
                Native.fcntl(writer, Native.F_SETFD, Native.FD_CLOEXEC);
            }
        }
        """, DescriptorWithoutCloexecFixer.UseSetfdKey);
}
