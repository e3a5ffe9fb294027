using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.MismatchedMunmapAnalyzer>;
using SafePosix.Analyzers.Tests.Verification;
using SafePosix.Analyzers.Rules;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class MismatchedMunmapFixerTests
{
    [Fact]
    public Task MonoDispose_ZeroLength_UsesTheLengthFieldSetBesideTheMmap() => VerifyCS.CodeFixAsync<MismatchedMunmapFixer>("""
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
        """, """
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

            public void Dispose() => Syscall.munmap(_address, _length);
        }
        """, MismatchedMunmapFixer.UseMappingLengthKey);

    [Fact]
    public Task OwnInterop_LengthFieldOfAnotherType_IsCast() => VerifyCS.CodeFixAsync<MismatchedMunmapFixer>("""
        using System;
        using System.Runtime.InteropServices;

        sealed class Mapping : IDisposable
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            static extern int munmap(IntPtr addr, nuint length);

            private IntPtr _base;
            private long _size;

            public Mapping(int fd, long size)
            {
                _base = mmap(IntPtr.Zero, (nuint)size, 3, 1, fd, 0);
                _size = size;
            }

            public void Dispose()
            {
                munmap(_base, [|0|]);
                munmap(_base, [|0|]);
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        sealed class Mapping : IDisposable
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            static extern int munmap(IntPtr addr, nuint length);

            private IntPtr _base;
            private long _size;

            public Mapping(int fd, long size)
            {
                _base = mmap(IntPtr.Zero, (nuint)size, 3, 1, fd, 0);
                _size = size;
            }

            public void Dispose()
            {
                munmap(_base, (nuint)_size);
                munmap(_base, (nuint)_size);
            }
        }
        """, MismatchedMunmapFixer.UseMappingLengthKey);

    [Fact]
    public Task Tmds_SameMethodMismatch_UsesTheConstant() => VerifyCS.CodeFixAsync<MismatchedMunmapFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            const int RegionSize = 65536;

            void M(int fd)
            {
                var p = mmap(null, RegionSize, PROT_READ, MAP_SHARED, fd, 0);
                if (p == MAP_FAILED) return;
                munmap(p, [|4096|]);
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            const int RegionSize = 65536;

            void M(int fd)
            {
                var p = mmap(null, RegionSize, PROT_READ, MAP_SHARED, fd, 0);
                if (p == MAP_FAILED) return;
                munmap(p, RegionSize);
            }
        }
        """, MismatchedMunmapFixer.UseMappingLengthKey);

    [Fact]
    public Task SameMethodLocalLength_UsesTheLocal() => VerifyCS.CodeFixAsync<MismatchedMunmapFixer>("""
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            static extern int munmap(IntPtr addr, nuint length);

            void M(int fd, int pages)
            {
                nuint size = (nuint)(pages * Environment.SystemPageSize);
                var p = mmap(IntPtr.Zero, size, 1, 1, fd, 0);
                if (p == new IntPtr(-1)) return;
                munmap(p, [|0|]);
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            static extern int munmap(IntPtr addr, nuint length);

            void M(int fd, int pages)
            {
                nuint size = (nuint)(pages * Environment.SystemPageSize);
                var p = mmap(IntPtr.Zero, size, 1, 1, fd, 0);
                if (p == new IntPtr(-1)) return;
                munmap(p, size);
            }
        }
        """, MismatchedMunmapFixer.UseMappingLengthKey);

    [Fact]
    public Task UnknownMapping_NoFix() => VerifyCS.CodeFixAsync<MismatchedMunmapFixer>("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            void M(IntPtr p) => Syscall.munmap(p, [|0|]);
        }
        """, """
        using System;
        using Mono.Unix.Native;

        class C
        {
            void M(IntPtr p) => Syscall.munmap(p, [|0|]);
        }
        """, MismatchedMunmapFixer.UseMappingLengthKey);

    [Fact]
    public Task FieldMappedTwice_IsReportedWithoutFix() => VerifyCS.CodeFixAsync<MismatchedMunmapFixer>("""
        using System;
        using Mono.Unix.Native;

        sealed class Mapping
        {
            private IntPtr _address;

            public void Small(int fd) => _address = Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);

            public void Large(int fd) => _address = Syscall.mmap(IntPtr.Zero, 65536, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);

            public void Close() => Syscall.munmap(_address, [|0|]);
        }
        """, """
        using System;
        using Mono.Unix.Native;

        sealed class Mapping
        {
            private IntPtr _address;

            public void Small(int fd) => _address = Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);

            public void Large(int fd) => _address = Syscall.mmap(IntPtr.Zero, 65536, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);

            public void Close() => Syscall.munmap(_address, [|0|]);
        }
        """, MismatchedMunmapFixer.UseMappingLengthKey);

    [Fact]
    public Task TmdsWrappers_ZeroLengthInDispose_UsesTheLengthFieldAtTheWrappersCallSite() => VerifyCS.CodeFixAsync<MismatchedMunmapFixer>("""
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
        """, """
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

            public void Dispose() => Unmap(_address, _length);
        }
        """, MismatchedMunmapFixer.UseMappingLengthKey);

    // dotnet format takes the equivalence key from the first diagnostic it collected: a moved pointer (no fix) first
    // must not leave the zero length for a second pass.
    [Fact]
    public Task FixAll_StartedFromAShapeWithoutAFix_StillUsesTheMappingLength() => FormatPass.VerifyAsync("""
        using System;
        using System.Runtime.InteropServices;
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

            public static int First(int fd)
            {
                var mapping = Syscall.mmap(IntPtr.Zero, 8192, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);
                if (mapping == Syscall.MAP_FAILED)
                {
                    return -1;
                }

                var records = mapping + 16;
                int first = Marshal.ReadInt32(records);
                Syscall.munmap(records, 8192);
                return first;
            }

            public void Dispose() => Syscall.munmap(_address, 0);
        }
        """, """
        using System;
        using System.Runtime.InteropServices;
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

            public static int First(int fd)
            {
                var mapping = Syscall.mmap(IntPtr.Zero, 8192, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);
                if (mapping == Syscall.MAP_FAILED)
                {
                    return -1;
                }

                var records = mapping + 16;
                int first = Marshal.ReadInt32(records);
                Syscall.munmap(records, 8192);
                return first;
            }

            public void Dispose() => Syscall.munmap(_address, _length);
        }
        """, FormatPass.For<MismatchedMunmapAnalyzer, MismatchedMunmapFixer>());
}
