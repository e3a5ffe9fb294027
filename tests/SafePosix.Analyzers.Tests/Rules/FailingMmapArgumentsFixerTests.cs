using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.FailingMmapArgumentsAnalyzer>;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;

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

    private const string ReadOnlyOpenAndAnonymousMapping = """
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr Scratch() => Syscall.mmap(IntPtr.Zero, 65536, MmapProts.PROT_READ, MmapFlags.MAP_ANONYMOUS, -1, 0);

            IntPtr Counter(string path)
            {
                int fd = Syscall.open(path, OpenFlags.O_RDONLY);
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ | MmapProts.PROT_WRITE, MmapFlags.MAP_SHARED, fd, 0);
            }
        }
        """;

    // The showcase's flake: the anonymous mapping (no fix) came first in 1 dotnet format run of 2, and then the
    // read-only open was left for a second pass.
    [Fact]
    public Task FixAll_StartedFromAShapeWithoutAFix_StillOpensReadWrite() => FormatPass.VerifyAsync(ReadOnlyOpenAndAnonymousMapping, """
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr Scratch() => Syscall.mmap(IntPtr.Zero, 65536, MmapProts.PROT_READ, MmapFlags.MAP_ANONYMOUS, -1, 0);

            IntPtr Counter(string path)
            {
                int fd = Syscall.open(path, OpenFlags.O_RDWR);
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ | MmapProts.PROT_WRITE, MmapFlags.MAP_SHARED, fd, 0);
            }
        }
        """, FormatPass.For<FailingMmapArgumentsAnalyzer, FailingMmapArgumentsFixer>());

    private const string ReadOnlyOpenWithoutCloexec = """
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr Counter(string path)
            {
                int fd = Syscall.open(path, OpenFlags.O_RDONLY);
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ | MmapProts.PROT_WRITE, MmapFlags.MAP_SHARED, fd, 0);
            }
        }
        """;

    private const string ReadOnlyOpenWithFixedCloexec = """
        using System;
        using Mono.Unix.Native;

        class C
        {
            IntPtr Counter(string path)
            {
                int fd = Syscall.open(path, OpenFlags.O_RDWR | OpenFlags.O_CLOEXEC);
                return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ | MmapProts.PROT_WRITE, MmapFlags.MAP_SHARED, fd, 0);
            }
        }
        """;

    // PSX3004 and PSX4002 both rewrite the one flags argument of this open: each fix must leave a shape the other
    // rule still recognizes and fixes, whichever runs first.
    [Fact]
    public Task ReadOnlyOpenWithoutCloexec_ReadWriteFirst_ThenCloexec() => FormatPass.VerifyNothingLeftAsync(
        ReadOnlyOpenWithoutCloexec,
        ReadOnlyOpenWithFixedCloexec,
        FormatPass.For<FailingMmapArgumentsAnalyzer, FailingMmapArgumentsFixer>(),
        FormatPass.For<DescriptorWithoutCloexecAnalyzer, DescriptorWithoutCloexecFixer>());

    [Fact]
    public Task ReadOnlyOpenWithoutCloexec_CloexecFirst_ThenReadWrite() => FormatPass.VerifyNothingLeftAsync(
        ReadOnlyOpenWithoutCloexec,
        ReadOnlyOpenWithFixedCloexec,
        FormatPass.For<DescriptorWithoutCloexecAnalyzer, DescriptorWithoutCloexecFixer>(),
        FormatPass.For<FailingMmapArgumentsAnalyzer, FailingMmapArgumentsFixer>());
}
