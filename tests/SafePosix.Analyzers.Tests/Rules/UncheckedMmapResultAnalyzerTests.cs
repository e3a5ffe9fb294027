using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.UncheckedMmapResultAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class UncheckedMmapResultAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            public const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_FIXED = 0x10;
            public static readonly IntPtr MAP_FAILED = new IntPtr(-1);
            public const nint MapFailedConst = -1;

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);

            [DllImport("libc.so.6", EntryPoint = "mmap", SetLastError = true)]
            public static extern void* Map(void* addr, nuint length, int prot, int flags, int fd, nint offset);

            [DllImport("libc", SetLastError = true)]
            public static extern int munmap(IntPtr addr, nuint length);
        }

        """;

    // ---- true positives, one surface at a time ------------------------------------------------------------

    [Fact]
    public Task OwnDllImport_UseBeforeCheck_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = {|#0:Native.mmap(IntPtr.Zero, 4096, Native.PROT_READ, Native.MAP_SHARED, fd, 0)|};
                Marshal.WriteByte(p, 1);
            }
        }
        """, VerifyCS.Diagnostic("PSX3001").WithLocation(0).WithArguments("mmap"));

    [Fact]
    public Task OwnDllImport_RenamedEntryPoint_PointerDereference_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            void M(int fd)
            {
                byte* p = (byte*)[|Native.Map(null, 4096, 3, 1, fd, 0)|];
                p[0] = 1;
            }
        }
        """);

    [Fact]
    public Task LibraryImport_UseBeforeCheck_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("c", EntryPoint = "mmap", SetLastError = true)]
            public static partial IntPtr MapMemory(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);
        }

        class C
        {
            void M(int fd)
            {
                var p = [|Native.MapMemory(IntPtr.Zero, 4096, 3, 1, fd, 0)|];
                Marshal.WriteInt32(p, 42);
            }
        }
        """);

    [Fact]
    public Task ExternLocalFunction_UseBeforeCheck_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        class C
        {
            void M(int fd)
            {
                var p = [|mmap(IntPtr.Zero, 4096, 3, 1, fd, 0)|];
                Marshal.WriteInt32(p, 42);

                [DllImport("libc", SetLastError = true)]
                static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);
            }
        }
        """);

    [Fact]
    public Task Tmds_UseBeforeCheck_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(int fd)
            {
                var p = (byte*)[|mmap(null, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)|];
                *p = 1;
            }
        }
        """);

    [Fact]
    public Task Mono_UseBeforeCheck_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            void M(int fd)
            {
                IntPtr p = [|Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0)|];
                Marshal.ReadByte(p);
            }
        }
        """);

    [Fact]
    public Task Discarded_IsReportedWithItsOwnMessage() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                {|#0:Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0)|};
            }
        }
        """, VerifyCS.Diagnostic("PSX3001").WithLocation(0)
            .WithMessage("The result of 'mmap' is discarded; keep it, compare it with MAP_FAILED and unmap it when done"));

    [Fact]
    public Task ComparedWithIntPtrZero_IsReportedAsWrongSentinel() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if ({|#0:p == IntPtr.Zero|})
                {
                    throw new InvalidOperationException();
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """, VerifyCS.Diagnostic("PSX3001").WithLocation(0)
            .WithMessage("'mmap' fails with MAP_FAILED ((void*)-1), never 'IntPtr.Zero'; compare the result with MAP_FAILED instead"));

    [Fact]
    public Task TmdsPointerComparedWithNull_IsReportedAsWrongSentinel() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            byte M(int fd)
            {
                var p = (byte*)mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0);
                if ([|p == null|])
                {
                    return 0;
                }

                return *p;
            }
        }
        """);

    [Fact]
    public Task IsZeroPattern_IsReportedAsWrongSentinel() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                nint p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if ([|p is 0|])
                {
                    return;
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task CheckOnOneBranch_DoesNotCoverUseOnAnother() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd, bool strict)
            {
                var p = [|Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0)|];
                if (strict)
                {
                    if (p == Native.MAP_FAILED)
                    {
                        throw new InvalidOperationException();
                    }
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task PassedToMunmapBeforeCheck_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = [|Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0)|];
                Native.munmap(p, 4096);
            }
        }
        """);

    [Fact]
    public Task FieldHolder_UsedBeforeCheck_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            private IntPtr _map;

            void M(int fd)
            {
                _map = [|Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0)|];
                Marshal.WriteByte(_map, 0);
            }
        }
        """);

    [Fact]
    public Task ResultWrappedInSpanBeforeCheck_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(int fd)
            {
                void* p = [|mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0)|];
                var span = new Span<byte>(p, 4096);
                span[0] = 1;
            }
        }
        """);

    // ---- correct checks (bindings.md section 4) stay silent ---------------------------------------------------

    [Theory]
    [InlineData("p == Native.MAP_FAILED")]
    [InlineData("p == new IntPtr(-1)")]
    [InlineData("p == (IntPtr)(-1)")]
    [InlineData("p == Native.MapFailedConst")]
    [InlineData("p.ToInt64() == -1")]
    [InlineData("p is -1")]
    [InlineData("p is 0 or -1")]
    [InlineData("Native.MAP_FAILED == p")]
    [InlineData("(long)p == -1L")]
    public Task OwnInterop_CorrectCheckBeforeUse_IsSilent(string check) => VerifyCS.AnalyzerAsync(OwnInterop + $$"""
        class C
        {
            void M(int fd)
            {
                nint p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if ({{check}})
                {
                    throw new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError());
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task NotEqualGuardingTheUse_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if (p != Native.MAP_FAILED)
                {
                    Marshal.WriteByte(p, 1);
                }
            }
        }
        """);

    [Fact]
    public Task LocalHoldingNewIntPtrMinusOne_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var failed = new IntPtr(-1);
                var p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if (p == failed)
                {
                    throw new InvalidOperationException();
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task TmdsMapFailedProperty_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(int fd)
            {
                void* p = mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0);
                if (p == MAP_FAILED)
                {
                    throw new InvalidOperationException();
                }

                *(byte*)p = 1;
            }
        }
        """);

    [Fact]
    public Task OwnPointerComparedWithVoidPointerMinusOne_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            void M(int fd)
            {
                var p = (byte*)Native.Map(null, 4096, 3, 1, fd, 0);
                if (p == (void*)-1)
                {
                    throw new InvalidOperationException();
                }

                p[0] = 1;
            }
        }
        """);

    [Fact]
    public Task MremapAndShmat_AreCheckedLikeMmap() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            // Tmds.LibC 0.5.0 has no shmat: its users declare it beside the Tmds calls.
            [DllImport("libc", SetLastError = true)]
            static extern void* shmat(int shmid, void* shmaddr, int shmflg);

            void M(void* old, int shmid)
            {
                var grown = (byte*)[|mremap(old, 4096, 8192, 1, null)|];
                grown[0] = 1;
                var shared = (byte*)[|shmat(shmid, null, 0)|];
                shared[0] = 1;
            }
        }
        """);

    [Fact]
    public Task MonoMapFailedField_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            void M(int fd)
            {
                var p = Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);
                if (p == Syscall.MAP_FAILED)
                {
                    throw new InvalidOperationException();
                }

                Marshal.ReadByte(p);
            }
        }
        """);

    [Fact]
    public Task ZeroAndMapFailedBothChecked_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if (p == IntPtr.Zero || p == Native.MAP_FAILED)
                {
                    throw new InvalidOperationException();
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task FieldAssignedThenCheckedInDominatingComparison_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            private IntPtr _map;

            void M(int fd)
            {
                _map = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if (_map == Native.MAP_FAILED)
                {
                    throw new InvalidOperationException();
                }

                Marshal.WriteByte(_map, 0);
            }
        }
        """);

    [Fact]
    public Task MapFixedComparedWithRequestedAddress_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(IntPtr wanted, int fd)
            {
                var p = Native.mmap(wanted, 4096, 3, Native.MAP_SHARED | Native.MAP_FIXED, fd, 0);
                if (p != wanted)
                {
                    throw new InvalidOperationException();
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task AssignmentInsideComparison_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                IntPtr p;
                if ((p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0)) == Native.MAP_FAILED)
                {
                    throw new InvalidOperationException();
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task ReturnedToCaller_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            IntPtr Map(int fd) => Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
        }
        """);

    [Fact]
    public Task HandedToUserHelper_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                CheckMapping(p);
                Marshal.WriteByte(p, 1);
            }

            static void CheckMapping(IntPtr p)
            {
                if (p == Native.MAP_FAILED) throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task NeverUsed_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
            }
        }
        """);

    [Fact]
    public Task SameNamedMethodThatIsNotPInvoke_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static class Fake
        {
            public static IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset) => addr;
        }

        class C
        {
            void M(int fd)
            {
                var p = Fake.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task OtherLibcFunction_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc")]
            public static extern IntPtr malloc(nuint size);
        }

        class C
        {
            void M()
            {
                var p = Native.malloc(16);
                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task InsideLambda_UseBeforeCheck_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            Action M(int fd) => () =>
            {
                var p = [|Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0)|];
                Marshal.WriteByte(p, 1);
            };
        }
        """);

    [Fact]
    public Task IncompleteCode_DoesNotThrow() => new PosixAnalyzerTest<UncheckedMmapResultAnalyzer>()
    {
        AllowCompilerErrors = true,
        Source = OwnInterop + """
            class C
            {
                void M(int fd)
                {
                    var p = Native.mmap(IntPtr.Zero, 4096, 3, 
                    if (p == ) Marshal.WriteByte(p, 
                    Native.mmap(
                }
            """,
    }.RunAsync();
}
