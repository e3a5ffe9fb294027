using System.Linq;
using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.MismatchedMunmapAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class MismatchedMunmapAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            public static readonly IntPtr MAP_FAILED = new IntPtr(-1);

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            public static extern int munmap(IntPtr addr, nuint length);

            [DllImport("libc", SetLastError = true)]
            public static extern int madvise(IntPtr addr, nuint length, int advice);
        }

        """;

    // ---- length 0 ------------------------------------------------------------------------------------------

    [Fact]
    public Task OwnDllImport_ZeroLength_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(IntPtr p) => Native.munmap(p, {|#0:0|});
        }
        """, VerifyCS.Diagnostic("PSX3003").WithLocation(0)
            .WithMessage("munmap with length 0 always fails with EINVAL and the mapping leaks; pass the length given to mmap"));

    [Fact]
    public Task IntPtrZeroLength_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int munmap(IntPtr addr, IntPtr length);
        }

        class C
        {
            void M(IntPtr p) => Native.munmap(p, {|#0:IntPtr.Zero|});
        }
        """, VerifyCS.Diagnostic("PSX3003").WithLocation(0)
            .WithMessage("munmap with length 0 always fails with EINVAL and the mapping leaks; pass the length given to mmap"));

    [Fact]
    public Task MonoDispose_ZeroLengthWithLengthFieldBesideThePointer_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        sealed class Mapping : IDisposable
        {
            private readonly IntPtr _address;
            private readonly ulong _length;

            public Mapping(int fd, ulong length)
            {
                _length = length;
                _address = Syscall.mmap(IntPtr.Zero, length, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);
                if (_address == Syscall.MAP_FAILED)
                {
                    throw new InvalidOperationException();
                }
            }

            public void Dispose() => Syscall.munmap(_address, [|0|]);
        }
        """);

    [Fact]
    public Task Tmds_ZeroLengthThroughALocal_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(void* p)
            {
                int length = 0;
                munmap(p, [|length|]);
            }
        }
        """);

    [Fact]
    public Task Tmds_ZeroLengthThroughALocal_InAMethodOfManyBlocks_IsReported()
    {
        // Enough branches that the local's statement is found through the graph's position map, not by a scan.
        var branches = string.Concat(Enumerable.Range(0, 40).Select(i => $"if (flag == {i}) {{ counter++; }}\n"));
        return VerifyCS.AnalyzerAsync($$"""
            using static Tmds.Linux.LibC;

            unsafe class C
            {
                void M(void* p, int flag)
                {
                    int length = 0;
                    int counter = 0;
                    {{branches}}
                    munmap(p, [|length|]);
                }
            }
            """);
    }

    [Fact]
    public Task Tmds_TwoWritesInOneStatement_TheLaterZero_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static void Both(int first, int second) { }

            void M(void* p)
            {
                int length;
                Both(length = 4096, length = 0);
                munmap(p, [|length|]);
            }
        }
        """);

    [Fact]
    public Task Tmds_TwoWritesInOneStatement_TheEarlierZero_IsSilent() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static void Both(int first, int second) { }

            void M(void* p)
            {
                int length;
                Both(length = 0, length = 4096);
                munmap(p, length);
            }
        }
        """);

    [Fact]
    public Task LibraryImport_RenamedEntryPoint_ZeroLength_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
            public static partial int Unmap(IntPtr addr, nuint length);
        }

        class C
        {
            void M(IntPtr p) => Native.Unmap(p, [|0|]);
        }
        """);

    // ---- length different from the mapping's --------------------------------------------------------------

    [Fact]
    public Task ShorterThanTheMapping_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = Native.mmap(IntPtr.Zero, 16384, 1, 1, fd, 0);
                if (p == Native.MAP_FAILED) return;
                Native.munmap(p, {|#0:4096|});
            }
        }
        """, VerifyCS.Diagnostic("PSX3003").WithLocation(0)
            .WithMessage("munmap length 4096 differs from the mapping's 16384 bytes, so pages leak; pass the length given to mmap"));

    [Fact]
    public Task SamePagesDifferentBytes_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = Native.mmap(IntPtr.Zero, 100, 1, 1, fd, 0);
                if (p == Native.MAP_FAILED) return;
                Native.munmap(p, 4096);
            }
        }
        """);

    // ---- address that is not the mapping's start -----------------------------------------------------------

    [Fact]
    public Task PointerMovedPastAHeader_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var mapping = Native.mmap(IntPtr.Zero, 8192, 1, 1, fd, 0);
                if (mapping == Native.MAP_FAILED) return;
                var records = mapping + 16;
                Native.munmap({|#0:records|}, 8192);
            }
        }
        """, VerifyCS.Diagnostic("PSX3003").WithLocation(0)
            .WithMessage("munmap address is not on a page boundary, so the call fails with EINVAL; pass the address mmap returned"));

    [Fact]
    public Task TmdsBytePointerArithmetic_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(int fd)
            {
                byte* data = (byte*)mmap(null, 8192, PROT_READ, MAP_SHARED, fd, 0);
                if (data == MAP_FAILED) return;
                data += 24;
                munmap([|data|], 8192);
            }
        }
        """);

    [Fact]
    public Task MapFailed_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            void M() => Syscall.munmap({|#0:Syscall.MAP_FAILED|}, 4096);
        }
        """, VerifyCS.Diagnostic("PSX3003").WithLocation(0)
            .WithMessage("munmap of MAP_FAILED always fails with EINVAL; unmap only a mapping that succeeded"));

    // ---- silent ---------------------------------------------------------------------------------------------

    [Fact]
    public Task MatchingAddressAndLength_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd, nuint size)
            {
                var p = Native.mmap(IntPtr.Zero, size, 1, 1, fd, 0);
                if (p == Native.MAP_FAILED) return;
                Native.munmap(p, size);
            }
        }
        """);

    [Fact]
    public Task TrimmingWholePagesOffTheEnd_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = Native.mmap(IntPtr.Zero, 16384, 1, 1, fd, 0);
                if (p == Native.MAP_FAILED) return;
                Native.munmap(p + 8192, 8192);
                Native.munmap(p + Environment.SystemPageSize, (nuint)Environment.SystemPageSize);
            }
        }
        """);

    [Fact]
    public Task UnknownAddressOrLength_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr _address;
            nuint _length;

            void M(IntPtr p, nuint length, int headerSize)
            {
                Native.munmap(p, length);
                Native.munmap(_address, _length);
                Native.munmap(p + headerSize, length);
            }
        }
        """);

    [Fact]
    public Task LengthWrittenThroughARefLocal_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(IntPtr p, nuint size)
            {
                nuint length = 0;
                ref nuint alias = ref length;
                alias = size;
                Native.munmap(p, length);
            }
        }
        """);

    [Fact]
    public Task LengthWrittenThroughARefToOneOfTwoLocals_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(IntPtr p, nuint size, bool first)
            {
                nuint a = 0, b = 0;
                ref nuint alias = ref (first ? ref a : ref b);
                alias = size;
                Native.munmap(p, a);
            }
        }
        """);

    [Fact]
    public Task LengthWrittenThroughARefReassignedToOneOfTwoLocals_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static void Set(ref nuint target, nuint value) => target = value;

            void M(IntPtr p, nuint size, bool first)
            {
                nuint a = 0, b = 0, c = 0;
                ref nuint alias = ref c;
                alias = ref (first ? ref a : ref b);
                alias = size;
                Native.munmap(p, a);
                Set(ref first ? ref b : ref c, size);
                Native.munmap(p, b);
            }
        }
        """);

    [Fact]
    public Task ZeroLengthSeenThroughARefReadonlyLocal_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(IntPtr p)
            {
                nuint length = 0;
                ref readonly nuint view = ref length;
                Console.WriteLine(view);
                Native.munmap(p, [|length|]);
            }
        }
        """);

    [Fact]
    public Task LookAlikes_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int munmap(IntPtr addr, nuint length) => 0;

            void M(IntPtr p)
            {
                munmap(p, 0);
                Native.madvise(p, 0, 4);
            }
        }
        """);

    // ---- through the project's wrappers: the caller's arguments are the address and length -----------------

    [Fact]
    public Task OwnUnmapWrapper_ZeroLengthAtTheCallSite_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int Unmap(IntPtr address, nuint length) => Native.munmap(address, length);

            void M(IntPtr p) => Unmap(p, {|#0:0|});
        }
        """, VerifyCS.Diagnostic("PSX3003").WithLocation(0)
            .WithMessage("munmap with length 0 always fails with EINVAL and the mapping leaks; pass the length given to mmap"));

    [Fact]
    public Task TmdsWrappers_DisposeUnmapsZeroBytesOfAWrappedMapping_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe sealed class Mapping : IDisposable
        {
            private readonly void* _address;
            private readonly size_t _length;

            static void* Map(int fd, size_t length) => mmap(null, length, PROT_READ, MAP_SHARED, fd, 0);

            static int Unmap(void* address, size_t length) => munmap(address, length);

            public Mapping(int fd, size_t length)
            {
                _length = length;
                _address = Map(fd, length);
                if (_address == MAP_FAILED)
                {
                    throw new InvalidOperationException();
                }
            }

            public void Dispose() => Unmap(_address, [|0|]);
        }
        """);

    [Fact]
    public Task MonoMmapWrapper_UnmappedWithAnotherLength_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            static IntPtr Map(int fd, ulong length) => Syscall.mmap(IntPtr.Zero, length, MmapProts.PROT_READ, MmapFlags.MAP_PRIVATE, fd, 0);

            void M(int fd)
            {
                var p = Map(fd, 8192);
                if (p == Syscall.MAP_FAILED) return;
                Syscall.munmap(p, {|#0:4096|});
            }
        }
        """, VerifyCS.Diagnostic("PSX3003").WithLocation(0)
            .WithMessage("munmap length 4096 differs from the mapping's 8192 bytes, so pages leak; pass the length given to mmap"));

    [Fact]
    public Task UnmapWrapperThatChecksTheLength_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int Unmap(IntPtr address, nuint length)
            {
                if (length == 0) throw new ArgumentOutOfRangeException(nameof(length));
                return Native.munmap(address, length);
            }

            void M(IntPtr p) => Unmap(p, 0);
        }
        """);

    [Fact]
    public Task UnmapWrapperThatComputesTheLength_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int UnmapPages(IntPtr address, nuint pages) => Native.munmap(address, pages * 4096);

            void M(IntPtr p) => UnmapPages(p, 0);
        }
        """);

    [Fact]
    public Task MmapWrapperThatComputesTheLength_UnmappedWithAnotherLength_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static IntPtr MapPages(int fd, nuint pages) => Native.mmap(IntPtr.Zero, pages * 4096, 1, 1, fd, 0);

            void M(int fd)
            {
                var p = MapPages(fd, 2);
                if (p == Native.MAP_FAILED) return;
                Native.munmap(p, 8192);
            }
        }
        """);

    [Fact]
    public Task UnmapWrapperCalledWithTheMappingsLength_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            static int Unmap(IntPtr address, ulong length) => Syscall.munmap(address, length);

            void M(int fd)
            {
                var p = Syscall.mmap(IntPtr.Zero, 8192, MmapProts.PROT_READ, MmapFlags.MAP_PRIVATE, fd, 0);
                if (p == Syscall.MAP_FAILED) return;
                Unmap(p, 8192);
            }
        }
        """);
}
