using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.UnprovenMmapOffsetAlignmentAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class UnprovenMmapOffsetAlignmentAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int PROT_READ = 1, MAP_SHARED = 1;

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);
        }

        """;

    // Avalonia's shape: length and offset as IntPtr.
    private const string IntPtrInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, IntPtr length, int prot, int flags, int fd, IntPtr offset);
        }

        """;

    // ---- offsets whose alignment is unknown ----------------------------------------------------------------

    [Fact]
    public Task OwnDllImport_ParameterOfAPublicWrapper_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        public class C
        {
            public IntPtr M(int fd, long physicalAddress) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, {|#0:physicalAddress|});
        }
        """, VerifyCS.Diagnostic("PSX3005").WithLocation(0)
            .WithMessage("mmap offset 'physicalAddress' is not proven to be a multiple of the page size; round it down with the page size"));

    [Fact]
    public Task Tmds_FieldOffset_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            long _offset;

            void* M(int fd) => mmap(null, 4096, PROT_READ, MAP_SHARED, fd, [|_offset|]);
        }
        """);

    // io_uring's rings are mapped at the offsets the kernel defines (0, 0x8000000, 0x10000000); Tmds.LibC exposes them
    // as properties, whose values the rule knows.
    [Fact]
    public Task Tmds_IoUringRingOffsets_AreSilent() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class Ring
        {
            void Map(int ringFd, Tmds.Linux.size_t sqSize, Tmds.Linux.size_t cqSize, Tmds.Linux.size_t sqeSize)
            {
                var sq = mmap(null, sqSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ringFd, (long)IORING_OFF_SQ_RING);
                var cq = mmap(null, cqSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ringFd, (long)IORING_OFF_CQ_RING);
                var sqes = mmap(null, sqeSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ringFd, (long)IORING_OFF_SQES);
            }
        }
        """);

    [Fact]
    public Task Mono_ComputedOffset_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr M(int fd, long record, long recordSize)
            {
                long offset = record * recordSize;
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, [|offset|]);
            }
        }
        """);

    [Fact]
    public Task PrivateWrapperCalledWithAnUnknownOffset_IsReportedAtTheCallSiteOnly() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr Map(int fd, long offset) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, offset);

            void M(int fd, long position)
            {
                IntPtr p = Map(fd, [|position|]);
                Marshal.WriteByte(p, 1);
            }
        }
        """);

    // ---- silent: proven either way --------------------------------------------------------------------------

    [Fact]
    public Task OffsetRoundedWithThePageSize_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr M(int fd, long position)
            {
                long pageSize = Environment.SystemPageSize;
                return Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, position & ~(pageSize - 1));
            }
        }
        """);

    [Fact]
    public Task ProvenMisalignedOrConstantOffsets_AreLeftToPsx3002() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr M(int fd, long page)
            {
                Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 100);
                Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, page * 4096 + 16);
                Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 65536);
            }
        }
        """);

    // Raspberry Pi code picks the peripheral base by board model once, in a static readonly field.
    [Fact]
    public Task StaticReadonlyFieldOfAlignedValues_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        static class Gpio
        {
            static int Model = 2;
            static readonly uint PeripheralBase = Model == 1 ? 0x20000000u : 0x3F000000u;
            static readonly uint GpioBase = PeripheralBase + 0x200000;

            public static IntPtr Map(int fd) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, GpioBase);
        }
        """);

    [Fact]
    public Task StaticReadonlyFieldOfAComputedValue_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        static class Gpio
        {
            static readonly long GpioBase = long.Parse(Environment.GetEnvironmentVariable("GPIO_BASE") ?? "0");

            public static IntPtr Map(int fd) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, [|GpioBase|]);
        }
        """);

    // A static constructor may assign the field after its initializer: the initializer proves nothing.
    [Fact]
    public Task StaticReadonlyFieldAStaticConstructorMayAssign_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        static class Gpio
        {
            static readonly long GpioBase = 0x3F200000;

            static Gpio()
            {
                if (Environment.GetEnvironmentVariable("GPIO_BASE") is { } text)
                {
                    GpioBase = long.Parse(text);
                }
            }

            public static IntPtr Map(int fd) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, [|GpioBase|]);
        }
        """);

    // An instance readonly field may differ per instance and constructor: not read.
    [Fact]
    public Task InstanceReadonlyField_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class Gpio
        {
            readonly long _base = 0x3F200000;

            public Gpio(long other) => _base = other;

            public IntPtr Map(int fd) => Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, [|_base|]);
        }
        """);

    // Avalonia's and many other projects' declarations take the offset as IntPtr and pass IntPtr.Zero, a static field.
    [Fact]
    public Task IntPtrZeroOffset_IsSilent() => VerifyCS.AnalyzerAsync(IntPtrInterop + """
        class C
        {
            IntPtr M(int fd, int size) => Native.mmap(IntPtr.Zero, new IntPtr(size), 3, 1, fd, IntPtr.Zero);
        }
        """);

    [Fact]
    public Task IntPtrFieldOtherThanZero_IsReported() => VerifyCS.AnalyzerAsync(IntPtrInterop + """
        class C
        {
            static IntPtr Zero;

            IntPtr M(int fd) => Native.mmap(IntPtr.Zero, new IntPtr(4096), 3, 1, fd, [|Zero|]);
        }
        """);

    // HidSharp: callers call the abstract NativeMethods.mmap, which is not followed to the override.
    [Fact]
    public Task OverrideOfAnAbstractWrapper_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        abstract class NativeMethods
        {
            public abstract IntPtr mmap(IntPtr addr, IntPtr length, int prot, int flags, int fd, long offset);
        }

        sealed class LinuxNativeMethods : NativeMethods
        {
            [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
            static extern IntPtr native_mmap(IntPtr addr, IntPtr length, int prot, int flags, int fd, long offset);

            public override IntPtr mmap(IntPtr addr, IntPtr length, int prot, int flags, int fd, long offset)
                => native_mmap(addr, length, prot, flags, fd, [|offset|]);
        }
        """);

    [Fact]
    public Task WrapperCalledWithAnAlignedOffset_IsSilent() => VerifyCS.AnalyzerAsync("""
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static void* MapAt(int fd, off_t offset) => mmap(null, 4096, PROT_READ, MAP_SHARED, fd, offset);

            void* M(int fd, long page) => MapAt(fd, page * getpagesize());
        }
        """);

    // A call to a virtual method may run an override instead, so calls through it are not followed to its body:
    // its own offset parameter is judged there.
    [Fact]
    public Task VirtualWrapper_IsReportedInItsBody() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        class Mapper
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            protected virtual IntPtr Map(int fd, long offset) => mmap(IntPtr.Zero, 4096, 1, 1, fd, [|offset|]);

            IntPtr Use(int fd, long page) => Map(fd, page * Environment.SystemPageSize);
        }
        """);

    // An implicit interface implementation: its callers name the interface's method.
    [Fact]
    public Task ImplicitInterfaceImplementation_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        interface IMapper { IntPtr Map(int fd, long offset); }

        class Mapper : IMapper
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            public IntPtr Map(int fd, long offset) => mmap(IntPtr.Zero, 4096, 1, 1, fd, [|offset|]);
        }
        """);
}
