using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.MisalignedMmapOffsetAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class MisalignedMmapOffsetFixerTests
{
    [Fact]
    public Task ConstantOffset_MapsFromThePageBoundary_AndUnmapsTheBase() => VerifyCS.CodeFixAsync<MisalignedMmapOffsetFixer>("""
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            const int HeaderSize = 512;

            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            static extern int munmap(IntPtr addr, nuint length);

            int M(int fd)
            {
                IntPtr records = mmap(IntPtr.Zero, 4096, 1, 1, fd, [|HeaderSize|]);
                if (records == new IntPtr(-1))
                {
                    return -1;
                }

                int first = Marshal.ReadInt32(records);
                munmap(records, 4096);
                return first;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            const int HeaderSize = 512;

            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            static extern int munmap(IntPtr addr, nuint length);

            int M(int fd)
            {
                long recordsPageDelta = HeaderSize % Environment.SystemPageSize;
                var recordsMapping = mmap(IntPtr.Zero, 4096 + (nuint)recordsPageDelta, 1, 1, fd, (long)(HeaderSize - recordsPageDelta));
                IntPtr records = recordsMapping == new IntPtr(-1) ? recordsMapping : recordsMapping + (int)recordsPageDelta;
                if (records == new IntPtr(-1))
                {
                    return -1;
                }

                int first = Marshal.ReadInt32(records);
                munmap(recordsMapping, 4096 + (nuint)recordsPageDelta);
                return first;
            }
        }
        """, MisalignedMmapOffsetFixer.MapFromPageBoundaryKey);

    [Fact]
    public Task MappingThatEscapes_GetsNoFix() => VerifyCS.CodeFixAsync<MisalignedMmapOffsetFixer>("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr _mapping;

            void M(int fd)
            {
                IntPtr p = Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, [|100|]);
                _mapping = p;
            }

            void* N(int fd, long page)
            {
                return Tmds.Linux.LibC.mmap(null, 4096, 1, 1, fd, [|page * 4096 + 16|]);
            }
        }
        """.Replace("class C", "unsafe class C"), """
        using System;
        using Mono.Unix.Native;

        unsafe class C
        {
            IntPtr _mapping;

            void M(int fd)
            {
                IntPtr p = Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, [|100|]);
                _mapping = p;
            }

            void* N(int fd, long page)
            {
                return Tmds.Linux.LibC.mmap(null, 4096, 1, 1, fd, [|page * 4096 + 16|]);
            }
        }
        """, MisalignedMmapOffsetFixer.MapFromPageBoundaryKey);

    [Fact]
    public Task Mono_LiteralOffset_GetsTheSameRewrite() => VerifyCS.CodeFixAsync<MisalignedMmapOffsetFixer>("""
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            byte M(int fd)
            {
                var data = Syscall.mmap(IntPtr.Zero, 8192, MmapProts.PROT_READ, MmapFlags.MAP_PRIVATE, fd, [|4100|]);
                if (data == Syscall.MAP_FAILED)
                {
                    return 0;
                }

                byte value = Marshal.ReadByte(data);
                Syscall.munmap(data, 8192);
                return value;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            byte M(int fd)
            {
                long dataPageDelta = 4100 % Environment.SystemPageSize;
                var dataMapping = Syscall.mmap(IntPtr.Zero, 8192 + (ulong)dataPageDelta, MmapProts.PROT_READ, MmapFlags.MAP_PRIVATE, fd, (long)(4100 - dataPageDelta));
                var data = dataMapping == new IntPtr(-1) ? dataMapping : dataMapping + (int)dataPageDelta;
                if (data == Syscall.MAP_FAILED)
                {
                    return 0;
                }

                byte value = Marshal.ReadByte(data);
                Syscall.munmap(dataMapping, 8192 + (ulong)dataPageDelta);
                return value;
            }
        }
        """, MisalignedMmapOffsetFixer.MapFromPageBoundaryKey);

    [Fact]
    public Task CallThroughAWrapper_GetsNoFix() => VerifyCS.CodeFixAsync<MisalignedMmapOffsetFixer>("""
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            // Six parameters like mmap's, in another order: the fix's length would land on prot.
            static IntPtr Map(IntPtr hint, int prot, nuint length, int flags, int fd, long offset) => mmap(hint, length, prot, flags, fd, offset);

            void M(int fd)
            {
                IntPtr p = Map(IntPtr.Zero, 1, 4096, 1, fd, [|100|]);
                Marshal.WriteByte(p, 1);
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            // Six parameters like mmap's, in another order: the fix's length would land on prot.
            static IntPtr Map(IntPtr hint, int prot, nuint length, int flags, int fd, long offset) => mmap(hint, length, prot, flags, fd, offset);

            void M(int fd)
            {
                IntPtr p = Map(IntPtr.Zero, 1, 4096, 1, fd, [|100|]);
                Marshal.WriteByte(p, 1);
            }
        }
        """, MisalignedMmapOffsetFixer.MapFromPageBoundaryKey);

    [Fact]
    public Task TwoMappingsInOneMethod_AreBothFixedInOnePass() => VerifyCS.CodeFixAsync<MisalignedMmapOffsetFixer>("""
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            byte M(int fd)
            {
                var head = Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_PRIVATE, fd, [|100|]);
                var tail = Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_PRIVATE, fd, [|8200|]);
                if (head == Syscall.MAP_FAILED || tail == Syscall.MAP_FAILED)
                {
                    return 0;
                }

                byte value = (byte)(Marshal.ReadByte(head) + Marshal.ReadByte(tail));
                Syscall.munmap(head, 4096);
                Syscall.munmap(tail, 4096);
                return value;
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            byte M(int fd)
            {
                long headPageDelta = 100 % Environment.SystemPageSize;
                var headMapping = Syscall.mmap(IntPtr.Zero, 4096 + (ulong)headPageDelta, MmapProts.PROT_READ, MmapFlags.MAP_PRIVATE, fd, (long)(100 - headPageDelta));
                var head = headMapping == new IntPtr(-1) ? headMapping : headMapping + (int)headPageDelta;
                long tailPageDelta = 8200 % Environment.SystemPageSize;
                var tailMapping = Syscall.mmap(IntPtr.Zero, 4096 + (ulong)tailPageDelta, MmapProts.PROT_READ, MmapFlags.MAP_PRIVATE, fd, (long)(8200 - tailPageDelta));
                var tail = tailMapping == new IntPtr(-1) ? tailMapping : tailMapping + (int)tailPageDelta;
                if (head == Syscall.MAP_FAILED || tail == Syscall.MAP_FAILED)
                {
                    return 0;
                }

                byte value = (byte)(Marshal.ReadByte(head) + Marshal.ReadByte(tail));
                Syscall.munmap(headMapping, 4096 + (ulong)headPageDelta);
                Syscall.munmap(tailMapping, 4096 + (ulong)tailPageDelta);
                return value;
            }
        }
        """, MisalignedMmapOffsetFixer.MapFromPageBoundaryKey);

    // A call written over several lines keeps its line breaks: that statement goes through Roslyn's formatter.
    [Fact]
    public Task CallOverSeveralLines_KeepsItsLineBreaks() => VerifyCS.CodeFixAsync<MisalignedMmapOffsetFixer>("""
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            void M(int fd)
            {
                IntPtr p = mmap(IntPtr.Zero, 4096,
                    1, 1, fd, [|100|]);
                Marshal.WriteByte(p, 1);
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            void M(int fd)
            {
                long pPageDelta = 100 % Environment.SystemPageSize;
                var pMapping = mmap(IntPtr.Zero, 4096 + (nuint)pPageDelta,
                    1, 1, fd, (long)(100 - pPageDelta));
                IntPtr p = pMapping == new IntPtr(-1) ? pMapping : pMapping + (int)pPageDelta;
                Marshal.WriteByte(p, 1);
            }
        }
        """);
}
