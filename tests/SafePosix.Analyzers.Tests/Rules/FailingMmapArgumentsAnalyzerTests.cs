using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.FailingMmapArgumentsAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class FailingMmapArgumentsAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int PROT_READ = 1, PROT_WRITE = 2;
            public const int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_POPULATE = 0x8000;
            public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_TRUNC = 0x200, O_CLOEXEC = 0x80000;

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            public static extern int open(string path, int flags, int mode);

            [DllImport("libc", SetLastError = true)]
            public static extern int ftruncate(int fd, long length);

            [DllImport("libc", SetLastError = true)]
            public static extern int close(int fd);
        }

        """;

    // ---- length 0 and missing mapping type ----------------------------------------------------------------

    [Fact]
    public Task ZeroLength_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(int fd, bool empty)
            {
                nuint size = 0;
                return Native.mmap(IntPtr.Zero, {|#0:size|}, Native.PROT_READ, Native.MAP_PRIVATE, fd, 0);
            }
        }
        """, VerifyCS.Diagnostic("PSX3004").WithLocation(0)
            .WithMessage("mmap with length 0 always fails with EINVAL; pass the number of bytes to map"));

    [Fact]
    public Task AnonymousWithoutSharedOrPrivate_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M() => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, {|#0:Native.MAP_ANONYMOUS|}, -1, 0);
        }
        """, VerifyCS.Diagnostic("PSX3004").WithLocation(0)
            .WithMessage("mmap flags have neither MAP_SHARED nor MAP_PRIVATE, so the call always fails with EINVAL; add one of them"));

    [Fact]
    public Task MonoFlagsWithoutMappingType_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr M(int fd) => Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, [|MmapFlags.MAP_POPULATE|], fd, 0);
        }
        """);

    [Fact]
    public Task DotnetIotFlagsEnumWithoutMappingType_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        [Flags]
        enum MemoryMappedFlags { MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10 }

        [Flags]
        enum MemoryMappedProtections { PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2 }

        static class Interop
        {
            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, int length, MemoryMappedProtections prot, MemoryMappedFlags flags, int fd, int offset);
        }

        class Gpio
        {
            IntPtr M(int fd) => Interop.mmap(IntPtr.Zero, 4096, MemoryMappedProtections.PROT_READ, [|MemoryMappedFlags.MAP_FIXED|], fd, 0);
        }
        """);

    // ---- descriptor opened in the method ------------------------------------------------------------------

    [Fact]
    public Task SharedWritableMappingOfReadOnlyDescriptor_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(string path)
            {
                int fd = Native.open(path, Native.O_RDONLY | Native.O_CLOEXEC, 0);
                if (fd < 0) return IntPtr.Zero;
                return Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, {|#0:fd|}, 0);
            }
        }
        """, VerifyCS.Diagnostic("PSX3004").WithLocation(0)
            .WithMessage("'fd' is opened O_RDONLY, so a writable MAP_SHARED mapping of it fails with EACCES; open it O_RDWR"));

    [Fact]
    public Task TmdsWriteOnlyDescriptor_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void* M(byte* path)
            {
                int fd = open(path, O_WRONLY, 0);
                if (fd == -1) return null;
                return mmap(null, 4096, PROT_READ, MAP_PRIVATE, [|fd|], 0);
            }
        }
        """);

    [Fact]
    public Task MonoReadOnlyDescriptorMappedSharedWritable_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr M(string path)
            {
                int fd = Syscall.open(path, OpenFlags.O_RDONLY);
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ | MmapProts.PROT_WRITE, MmapFlags.MAP_SHARED, [|fd|], 0);
            }
        }
        """);

    [Fact]
    public Task TruncatedFileMappedWithoutFtruncate_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(string path)
            {
                int fd = Native.open(path, Native.O_RDWR | Native.O_CREAT | Native.O_TRUNC, 384);
                if (fd < 0) return IntPtr.Zero;
                var p = Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, {|#0:fd|}, 0);
                Native.close(fd);
                return p;
            }
        }
        """, VerifyCS.Diagnostic("PSX3004").WithLocation(0)
            .WithMessage("'fd' is a new or truncated, empty file: touching this mapping raises SIGBUS; ftruncate it first"));

    [Fact]
    public Task TruncatedFileUnderDevShm_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M()
            {
                int fd = Native.open("/dev/shm/ring", Native.O_RDWR | Native.O_CREAT | Native.O_TRUNC, 384);
                return Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, [|fd|], 0);
            }
        }
        """);

    // ---- silent ---------------------------------------------------------------------------------------------

    [Fact]
    public Task ValidCombinations_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(string path, nuint size)
            {
                Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0);
                Native.mmap(IntPtr.Zero, size, Native.PROT_READ, 3, -1, 0);

                int readOnly = Native.open(path, Native.O_RDONLY, 0);
                Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, readOnly, 0);
                Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_PRIVATE, readOnly, 0);

                int readWrite = Native.open(path, Native.O_RDWR, 0);
                Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, readWrite, 0);
            }
        }
        """);

    // O_CREAT | O_EXCL under /dev makes a new, empty regular file (or fails): only O_TRUNC is a device's to ignore.
    [Fact]
    public Task NewFileCreatedExclusivelyUnderDev_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M()
            {
                int fd = Native.open("/dev/myring", Native.O_RDWR | Native.O_CREAT | 0x80, 384);
                return Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, [|fd|], 0);
            }
        }
        """);

    // raspberry-sharp-io: a decimal 10000 meant as octal O_SYNC holds O_TRUNC's bit, which a device ignores.
    [Fact]
    public Task DeviceOpenedWithTruncate_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M()
            {
                int fd = Native.open("/dev/mem", Native.O_RDWR | 10000, 0);
                return Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0x20200000);
            }
        }
        """);

    [Fact]
    public Task TruncatedFileSizedFirst_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(string path)
            {
                int fd = Native.open(path, Native.O_RDWR | Native.O_CREAT | Native.O_TRUNC, 384);
                if (fd < 0) return IntPtr.Zero;
                if (Native.ftruncate(fd, 4096) != 0) return IntPtr.Zero;
                return Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0);
            }
        }
        """);

    [Fact]
    public Task DescriptorOfUnknownOriginOrFlags_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(string path, int fd, int flags, int openFlags)
            {
                Native.mmap(IntPtr.Zero, 4096, Native.PROT_WRITE, Native.MAP_SHARED, fd, 0);
                Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, flags, fd, 0);

                int other = Native.open(path, openFlags, 0);
                Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, other, 0);

                int reopened = Native.open(path, Native.O_RDONLY, 0);
                reopened = Native.open(path, Native.O_RDWR, 0);
                Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, reopened, 0);
            }
        }
        """);

    [Fact]
    public Task LookAlikes_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset) => IntPtr.Zero;

            void M()
            {
                mmap(IntPtr.Zero, 0, 1, 0, -1, 0);
            }
        }
        """);

    [Fact]
    public Task MonoCreat_IsWriteOnly() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr M(string path)
            {
                int fd = Syscall.creat(path, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_PRIVATE, [|fd|], 0);
            }
        }
        """);

    [Fact]
    public Task NewFileWrittenOrHandedOn_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr Written(string path, IntPtr header)
            {
                int fd = Syscall.open(path, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
                Syscall.write(fd, header, 4096);
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);
            }

            IntPtr Sized(string path)
            {
                int fd = Syscall.open(path, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
                Grow(fd);
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);
            }

            static void Grow(int fd) => Syscall.ftruncate(fd, 4096);
        }
        """);

    // ---- through the project's wrappers: the caller's arguments, with what the wrapper fixes -----------------

    [Fact]
    public Task OwnWrapper_ZeroLengthAtTheCallSite_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr Map(int fd, nuint length) => Native.mmap(IntPtr.Zero, length, Native.PROT_READ, Native.MAP_SHARED, fd, 0);

            IntPtr M(int fd) => Map(fd, {|#0:0|});
        }
        """, VerifyCS.Diagnostic("PSX3004").WithLocation(0)
            .WithMessage("mmap with length 0 always fails with EINVAL; pass the number of bytes to map"));

    [Fact]
    public Task TmdsWrapperFixingSharedWrite_OverTheCallersReadOnlyDescriptor_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static void* MapWritable(int fd, int length) => mmap(null, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

            void* M(byte* path)
            {
                int fd = open(path, O_RDONLY, 0);
                if (fd == -1) return null;
                return MapWritable({|#0:fd|}, 4096);
            }
        }
        """, VerifyCS.Diagnostic("PSX3004").WithLocation(0)
            .WithMessage("'fd' is opened O_RDONLY, so a writable MAP_SHARED mapping of it fails with EACCES; open it O_RDWR"));

    [Fact]
    public Task MonoWrapper_FlagsWithoutAMappingType_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            static IntPtr Map(int fd, MmapFlags flags) => Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, flags, fd, 0);

            IntPtr M(int fd) => Map(fd, [|MmapFlags.MAP_POPULATE|]);
        }
        """);

    [Fact]
    public Task WrapperFixingAZeroLength_IsReportedInTheWrapperOnly() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr MapNothing(int fd) => Native.mmap(IntPtr.Zero, [|0|], Native.PROT_READ, Native.MAP_SHARED, fd, 0);

            IntPtr M(int fd) => MapNothing(fd);
        }
        """);

    [Fact]
    public Task WrapperThatRejectsAZeroLength_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr Map(int fd, nuint length)
            {
                if (length == 0) throw new ArgumentOutOfRangeException(nameof(length));
                return Native.mmap(IntPtr.Zero, length, Native.PROT_READ, Native.MAP_SHARED, fd, 0);
            }

            IntPtr M(int fd) => Map(fd, 0);
        }
        """);

    [Fact]
    public Task WrapperThatAddsTheMappingType_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            static IntPtr Map(int fd, MmapFlags flags) => Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, flags | MmapFlags.MAP_PRIVATE, fd, 0);

            IntPtr M(int fd) => Map(fd, MmapFlags.MAP_POPULATE);
        }
        """);

    [Fact]
    public Task ReadOnlyWrapperOverTheCallersReadOnlyDescriptor_IsSilent() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static void* MapReadOnly(int fd, int length) => mmap(null, length, PROT_READ, MAP_SHARED, fd, 0);

            void* M(byte* path)
            {
                int fd = open(path, O_RDONLY, 0);
                if (fd == -1) return null;
                return MapReadOnly(fd, 4096);
            }
        }
        """);
}
