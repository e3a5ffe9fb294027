using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.FailingMmapArgumentsAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class FailingMmapArgumentsFixerTests
{
    [Fact]
    public Task Tmds_WriteOnly_BecomesReadWrite() => VerifyCS.CodeFixAsync<FailingMmapArgumentsFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void* M(byte* path)
            {
                int fd = open(path, O_WRONLY | O_CLOEXEC, 0);
                if (fd == -1) return null;
                return mmap(null, 4096, PROT_READ, MAP_PRIVATE, [|fd|], 0);
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void* M(byte* path)
            {
                int fd = open(path, O_RDWR | O_CLOEXEC, 0);
                if (fd == -1) return null;
                return mmap(null, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
            }
        }
        """, FailingMmapArgumentsFixer.OpenReadWriteKey);

    [Fact]
    public Task Mono_ReadOnly_BecomesReadWrite() => VerifyCS.CodeFixAsync<FailingMmapArgumentsFixer>("""
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
        """, """
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr M(string path)
            {
                int fd = Syscall.open(path, OpenFlags.O_RDWR);
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ | MmapProts.PROT_WRITE, MmapFlags.MAP_SHARED, fd, 0);
            }
        }
        """, FailingMmapArgumentsFixer.OpenReadWriteKey);

    [Fact]
    public Task OwnConstantsWithoutReadWrite_GetNoFix() => VerifyCS.CodeFixAsync<FailingMmapArgumentsFixer>("""
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            const int O_RDONLY = 0;

            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            static extern int open(string path, int flags);

            IntPtr M(string path)
            {
                int fd = open(path, O_RDONLY);
                return mmap(IntPtr.Zero, 4096, 3, 1, [|fd|], 0);
            }
        }
        """, """
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            const int O_RDONLY = 0;

            [DllImport("libc", SetLastError = true)]
            static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

            [DllImport("libc", SetLastError = true)]
            static extern int open(string path, int flags);

            IntPtr M(string path)
            {
                int fd = open(path, O_RDONLY);
                return mmap(IntPtr.Zero, 4096, 3, 1, [|fd|], 0);
            }
        }
        """, FailingMmapArgumentsFixer.OpenReadWriteKey);

    [Fact]
    public Task TmdsWrapperFixingSharedWrite_CallersReadOnlyOpen_BecomesReadWrite() => VerifyCS.CodeFixAsync<FailingMmapArgumentsFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static void* MapWritable(int fd, int length) => mmap(null, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

            void* M(byte* path)
            {
                int fd = open(path, O_RDONLY | O_CLOEXEC, 0);
                if (fd == -1) return null;
                return MapWritable([|fd|], 4096);
            }
        }
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            static void* MapWritable(int fd, int length) => mmap(null, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

            void* M(byte* path)
            {
                int fd = open(path, O_RDWR | O_CLOEXEC, 0);
                if (fd == -1) return null;
                return MapWritable(fd, 4096);
            }
        }
        """, FailingMmapArgumentsFixer.OpenReadWriteKey);
}
