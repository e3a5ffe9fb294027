using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.MisalignedMmapOffsetAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class MisalignedMmapOffsetAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int PROT_READ = 1, MAP_SHARED = 1, _SC_PAGESIZE = 30;

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            public static extern long sysconf(int name);

            [DllImport("libc")]
            public static extern int getpagesize();

            [DllImport("libc", SetLastError = true)]
            public static extern nint pread(int fd, IntPtr buffer, nuint count, long offset);
        }

        """;

    // ---- true positives, one surface at a time ------------------------------------------------------------

    [Fact]
    public Task OwnDllImport_ConstantOffset_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(int fd) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, {|#0:100|});
        }
        """, VerifyCS.Diagnostic("PSX3002").WithLocation(0)
            .WithMessage("mmap offset 100 is not a multiple of the page size, so mmap fails with EINVAL; map from a page boundary"));

    // A register block's address kept in a static readonly field, not rounded to its page.
    [Fact]
    public Task StaticReadonlyFieldOfAMisalignedAddress_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static readonly long TimerBase = 0x3F003004;

            IntPtr M(int fd) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, {|#0:TimerBase|});
        }
        """, VerifyCS.Diagnostic("PSX3002").WithLocation(0)
            .WithMessage("mmap offset 1056976900 is not a multiple of the page size, so mmap fails with EINVAL; map from a page boundary"));

    // Initializers run in declaration order: Offset is set while Extra still holds 0, so the offset is 0, not 7.
    [Fact]
    public Task StaticReadonlyFieldReadingALaterField_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static readonly long Offset = Extra;
            static readonly long Extra = 7;

            IntPtr M(int fd) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, Offset);
        }
        """);

    // Only the thread that set the type up sees the initializer's value; every other thread reads 0.
    [Fact]
    public Task ThreadStaticReadonlyField_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            [ThreadStatic]
            static readonly long Offset = 100;

            IntPtr M(int fd) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, Offset);
        }
        """);

    [Fact]
    public Task LibraryImport_RenamedEntryPoint_ConstField_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("c", EntryPoint = "mmap", SetLastError = true)]
            public static partial IntPtr MapMemory(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);
        }

        class C
        {
            const int HeaderOffset = 512;

            IntPtr M(int fd) => Native.MapMemory(IntPtr.Zero, 4096, 1, 1, fd, [|HeaderOffset|]);
        }
        """);

    [Fact]
    public Task ExternLocalFunction_NamedArgument_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            IntPtr M(int fd)
            {
                return mmap(offset: [|4097|], addr: IntPtr.Zero, length: 4096, prot: 1, flags: 1, fd: fd);

                [DllImport("libc", SetLastError = true)]
                static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);
            }
        }
        """);

    [Fact]
    public Task Tmds_OffsetThroughOffT_IsReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void* M(int fd)
            {
                off_t offset = 24;
                return mmap(null, 4096, PROT_READ, MAP_SHARED, fd, [|offset|]);
            }
        }
        """);

    [Fact]
    public Task Tmds_OffTArithmetic_IsReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void* M(int fd, long page)
            {
                off_t start = page * getpagesize();
                off_t offset = start + 16;
                return mmap(null, 4096, PROT_READ, MAP_SHARED, fd, [|offset|]);
            }
        }
        """);

    [Fact]
    public Task Mono_ConstantOffset_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr M(int fd) => Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, [|2048|]);
        }
        """);

    // ---- offsets followed through locals and arithmetic -----------------------------------------------------

    [Fact]
    public Task PageMultiplePlusHeader_IsReportedWithTheExpression() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(int fd, int index)
            {
                long offset = (long)index * Environment.SystemPageSize + 16;
                return Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, {|#0:offset|});
            }
        }
        """, VerifyCS.Diagnostic("PSX3002").WithLocation(0)
            .WithMessage("mmap offset 'offset' is not a multiple of the page size, so mmap fails with EINVAL; map from a page boundary"));

    [Fact]
    public Task MisalignedOnEveryBranch_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(int fd, bool big)
            {
                long offset;
                if (big)
                {
                    offset = 100;
                }
                else
                {
                    offset = 8192 + 8;
                }

                return Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, [|offset|]);
            }
        }
        """);

    [Fact]
    public Task ConditionalExpressionOfMisalignedValues_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(int fd, bool big) => Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, [|big ? 100 : 200|]);
        }
        """);

    [Fact]
    public Task CompoundAssignment_IsFollowed() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(int fd)
            {
                long offset = 4096;
                offset += 512;
                return Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, [|offset|]);
            }
        }
        """);

    [Fact]
    public Task LongOffsetCastToInt_KeepsItsLowBits() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, int offset);

            IntPtr M(int fd, long page)
            {
                long fileOffset = (page << 16) + 24;
                return mmap(IntPtr.Zero, 4096, 1, 1, fd, [|(int)fileOffset|]);
            }
        }
        """);

    // ---- aligned offsets and undecidable offsets stay silent ----------------------------------------------

    [Fact]
    public Task PageMultipleConstants_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, 0);
                Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, 4096);
                Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, 65536 * 3);
                Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, 1L << 30);
            }
        }
        """);

    [Fact]
    public Task DotnetIotShape_MaskedWithPageSizeMinusOne_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        [Flags]
        enum MemoryMappedProtections { PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2 }

        [Flags]
        enum MemoryMappedFlags { MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10 }

        static class Interop
        {
            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, int length, MemoryMappedProtections prot, MemoryMappedFlags flags, int fd, int offset);
        }

        class Gpio
        {
            IntPtr M(int fd, long gpioBase)
            {
                int pageSize = Environment.SystemPageSize;
                int mapMask = pageSize - 1;
                IntPtr mapped = Interop.mmap(IntPtr.Zero, pageSize, MemoryMappedProtections.PROT_READ | MemoryMappedProtections.PROT_WRITE,
                    MemoryMappedFlags.MAP_SHARED, fd, (int)(gpioBase & ~mapMask));
                return mapped + (int)(gpioBase & mapMask);
            }
        }
        """);

    [Fact]
    public Task RoundedDownWithSysconfPageSize_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(int fd, long position)
            {
                long pageSize = Native.sysconf(Native._SC_PAGESIZE);
                long aligned = position / pageSize * pageSize;
                return Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, aligned);
            }
        }
        """);

    [Fact]
    public Task MonoSysconfAndGetpagesizeMasks_AreSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr M(int fd, long position)
            {
                long pageSize = Syscall.sysconf(SysconfName._SC_PAGESIZE);
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_PRIVATE, fd, position & ~(pageSize - 1));
            }
        }
        """);

    [Fact]
    public Task OffsetFromParameter_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(int fd, long offset) => Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, offset + 16);
        }
        """);

    [Fact]
    public Task AlignedOnOneBranchOnly_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(int fd, bool header)
            {
                long offset = 0;
                if (header)
                {
                    offset = 100;
                }

                return Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, offset);
            }
        }
        """);

    [Fact]
    public Task OffsetAdvancedInALoop_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                long offset = 0;
                for (var i = 0; i < 4; i++)
                {
                    Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, offset);
                    offset += 100;
                }
            }
        }
        """);

    [Fact]
    public Task LocalWrittenByLambdaOrByReference_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                long first = 100;
                Action align = () => first = 0;
                align();
                Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, first);

                long second = 100;
                Align(ref second);
                Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, second);
            }

            static void Align(ref long value) => value = 0;
        }
        """);

    [Fact]
    public Task LocalChangedByLocalFunction_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                long first = 100;
                long second = 4097;
                Align();
                Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, first);
                Native.mmap(IntPtr.Zero, 4096, 1, 1, fd, second);

                void Align()
                {
                    first += 3996;
                    second--;
                }
            }
        }
        """);

    [Fact]
    public Task LookAlikes_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset) => IntPtr.Zero;

            void M(int fd, System.IO.MemoryMappedFiles.MemoryMappedFile file, IntPtr buffer)
            {
                mmap(IntPtr.Zero, 4096, 1, 1, fd, 100);
                Native.pread(fd, buffer, 16, 100);
                using var view = file.CreateViewAccessor(100, 16);
            }
        }
        """);

    [Fact]
    public Task TmdsPageMultipleOffT_IsSilent() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void* M(int fd, long position)
            {
                off_t pageSize = getpagesize();
                off_t offset = position;
                off_t aligned = offset & ~(pageSize - 1);
                return mmap(null, 4096, PROT_READ, MAP_SHARED, fd, aligned);
            }
        }
        """);

    // ---- through the project's wrappers: the caller's argument is the offset -------------------------------

    [Fact]
    public Task OwnWrapper_ConstantOffsetAtTheCallSite_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Mapper
        {
            static int fd;

            static IntPtr Map(IntPtr len, long off) => Native.mmap(IntPtr.Zero, (nuint)(nint)len, Native.PROT_READ, Native.MAP_SHARED, fd, off);

            IntPtr M(IntPtr n) => Map(n, {|#0:4097|});
        }
        """, VerifyCS.Diagnostic("PSX3002").WithLocation(0)
            .WithMessage("mmap offset 4097 is not a multiple of the page size, so mmap fails with EINVAL; map from a page boundary"));

    [Fact]
    public Task TmdsWrapper_OffsetFromALocal_IsReported() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static void* MapAt(int fd, off_t offset) => mmap(null, 4096, PROT_READ, MAP_SHARED, fd, offset);

            void* M(int fd)
            {
                long header = 24;
                return MapAt(fd, [|header|]);
            }
        }
        """);

    [Fact]
    public Task MonoWrapperOfAWrapper_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            static IntPtr Map(int fd, long offset) => Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, offset);

            static IntPtr MapReadOnly(long offset, int fd) => Map(fd, offset);

            IntPtr M(int fd) => MapReadOnly([|2048|], fd);
        }
        """);

    [Fact]
    public Task WrapperThatValidatesTheOffset_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr Map(int fd, long offset)
            {
                if (offset % 4096 != 0)
                {
                    throw new ArgumentException("offset must be page-aligned", nameof(offset));
                }

                return Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, offset);
            }

            IntPtr M(int fd) => Map(fd, 4097);
        }
        """);

    [Fact]
    public Task WrapperThatAlignsTheOffset_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr Map(int fd, long offset) => Native.mmap(IntPtr.Zero, 8192, Native.PROT_READ, Native.MAP_SHARED, fd, offset & ~4095L);

            IntPtr M(int fd) => Map(fd, 4097);
        }
        """);

    [Fact]
    public Task WrapperThatComputesTheOffset_IsSilent() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static void* MapPage(int fd, long page) => mmap(null, 4096, PROT_READ, MAP_SHARED, fd, page * 4096);

            void* M(int fd) => MapPage(fd, 3);
        }
        """);

    [Fact]
    public Task WrapperCalledWithAnAlignedOffset_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            static IntPtr Map(int fd, long offset) => Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, offset);

            IntPtr M(int fd) => Map(fd, 8192);
        }
        """);

    [Fact]
    public Task OffsetFixedInTheWrapper_IsReportedInTheWrapperOnly() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr MapHeader(int fd) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, [|512|]);

            IntPtr M(int fd) => MapHeader(fd);
        }
        """);

    [Fact]
    public Task WrapperWithAnOmittedOptionalOffset_IsSilentAtTheCallSite() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr Map(int fd, long offset = 512) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, offset);

            IntPtr M(int fd) => Map(fd);
        }
        """);
}
