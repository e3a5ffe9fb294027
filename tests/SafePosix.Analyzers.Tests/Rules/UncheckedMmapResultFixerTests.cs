using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.UncheckedMmapResultAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class UncheckedMmapResultFixerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);
        }

        """;

    [Fact]
    public Task OwnInterop_IntPtrZero_ComparesWithMinusOneWhereIntPtrIsNumeric() => VerifyCS.CodeFixAsync<UncheckedMmapResultFixer>(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                IntPtr p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if ([|p == IntPtr.Zero|])
                {
                    return;
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """, OwnInterop + """
        class C
        {
            void M(int fd)
            {
                IntPtr p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if (p == -1)
                {
                    return;
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """, UncheckedMmapResultFixer.FixKey);

    [Fact]
    public Task OwnInterop_NativeIntComparedWithZero_ComparesWithMinusOne() => VerifyCS.CodeFixAsync<UncheckedMmapResultFixer>(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                nint p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if ([|p == 0|])
                {
                    return;
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """, OwnInterop + """
        class C
        {
            void M(int fd)
            {
                nint p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if (p == -1)
                {
                    return;
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task Tmds_PointerComparedWithNull_ComparesWithTmdsMapFailed() => VerifyCS.CodeFixAsync<UncheckedMmapResultFixer>("""
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
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            byte M(int fd)
            {
                var p = (byte*)mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0);
                if (p == MAP_FAILED)
                {
                    return 0;
                }

                return *p;
            }
        }
        """);

    [Fact]
    public Task Mono_ComparedWithIntPtrZero_ComparesWithSyscallMapFailed() => VerifyCS.CodeFixAsync<UncheckedMmapResultFixer>("""
        using System;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            void M(int fd)
            {
                var p = Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);
                if ([|p == IntPtr.Zero|])
                {
                    throw new InvalidOperationException();
                }

                Marshal.ReadByte(p);
            }
        }
        """, """
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
    public Task Unchecked_InsertsThrowWithErrnoAfterTheAssignment() => VerifyCS.CodeFixAsync<UncheckedMmapResultFixer>(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                var p = [|Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0)|];
                Marshal.WriteByte(p, 1);
            }
        }
        """, """
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);
        }
        class C
        {
            void M(int fd)
            {
                var p = Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0);
                if (p == -1)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                Marshal.WriteByte(p, 1);
            }
        }
        """, UncheckedMmapResultFixer.FixKey);

    [Fact]
    public Task Tmds_UncheckedField_InsertsCheckWithTmdsMapFailed() => VerifyCS.CodeFixAsync<UncheckedMmapResultFixer>("""
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            private byte* _map;

            void M(int fd)
            {
                _map = (byte*)[|mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0)|];
                _map[0] = 1;
            }
        }
        """, """
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            private byte* _map;

            void M(int fd)
            {
                _map = (byte*)mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0);
                if (_map == MAP_FAILED)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                _map[0] = 1;
            }
        }
        """);

    [Fact]
    public Task Discarded_WrapsTheCallInACheck() => VerifyCS.CodeFixAsync<UncheckedMmapResultFixer>("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            void Remap(IntPtr at, int fd)
            {
                [|Syscall.mmap(at, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED | MmapFlags.MAP_FIXED, fd, 0)|];
            }
        }
        """, """
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            void Remap(IntPtr at, int fd)
            {
                if (Syscall.mmap(at, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED | MmapFlags.MAP_FIXED, fd, 0) == Syscall.MAP_FAILED)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
            }
        }
        """);

    [Fact]
    public Task FixAll_FixesEveryMappingInTheDocument() => VerifyCS.CodeFixAsync<UncheckedMmapResultFixer>("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            void M(int fd)
            {
                var a = [|Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0)|];
                Marshal.ReadByte(a);
                var b = [|Syscall.mmap(IntPtr.Zero, 8192, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0)|];
                Marshal.ReadByte(b);
            }
        }
        """, """
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        class C
        {
            void M(int fd)
            {
                var a = Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);
                if (a == Syscall.MAP_FAILED)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                Marshal.ReadByte(a);
                var b = Syscall.mmap(IntPtr.Zero, 8192, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);
                if (b == Syscall.MAP_FAILED)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                Marshal.ReadByte(b);
            }
        }
        """);

    [Fact]
    public Task EmbeddedStatement_OffersNoThrowFix() => VerifyCS.CodeFixAsync<UncheckedMmapResultFixer>(OwnInterop + """
        class C
        {
            IntPtr p;

            void M(int fd, bool map)
            {
                if (map) p = [|Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0)|];
                Marshal.WriteByte(p, 1);
            }
        }
        """, OwnInterop + """
        class C
        {
            IntPtr p;

            void M(int fd, bool map)
            {
                if (map) p = [|Native.mmap(IntPtr.Zero, 4096, 3, 1, fd, 0)|];
                Marshal.WriteByte(p, 1);
            }
        }
        """);

    [Fact]
    public Task FixAll_FixesEveryShapeInOnePass() => VerifyCS.CodeFixAsync<UncheckedMmapResultFixer>("""
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(int fd)
            {
                var a = mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0);
                if ([|a == null|]) return;
                var b = (byte*)[|mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0)|];
                b[0] = 1;
                [|mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0)|];
            }
        }
        """, """
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            void M(int fd)
            {
                var a = mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0);
                if (a == MAP_FAILED) return;
                var b = (byte*)mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0);
                if (b == MAP_FAILED)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                b[0] = 1;
                if (mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
            }
        }
        """, UncheckedMmapResultFixer.FixKey);

    [Fact]
    public Task FixAllInProjectScope_FixesEveryDocument()
    {
        var test = new PosixCodeFixTest<UncheckedMmapResultAnalyzer, UncheckedMmapResultFixer> { CodeActionEquivalenceKey = UncheckedMmapResultFixer.FixKey };
        test.TestState.Sources.Add(("/0/A.cs", """
            using System;
            using Mono.Unix.Native;

            class A
            {
                bool M(int fd) => {|#0:Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0) == IntPtr.Zero|};
            }
            """));
        test.TestState.Sources.Add(("/0/B.cs", """
            using static Tmds.Linux.LibC;

            unsafe class B
            {
                void M(int fd)
                {
                    byte* p = (byte*){|#1:mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0)|};
                    p[0] = 1;
                }
            }
            """));
        test.ExpectedDiagnostics.Add(VerifyCS.Diagnostic(UncheckedMmapResultAnalyzer.WrongSentinelRule).WithLocation(0).WithArguments("mmap", "IntPtr.Zero"));
        test.ExpectedDiagnostics.Add(VerifyCS.Diagnostic(UncheckedMmapResultAnalyzer.UncheckedRule).WithLocation(1).WithArguments("mmap"));
        test.FixedState.Sources.Add(("/0/A.cs", """
            using System;
            using Mono.Unix.Native;

            class A
            {
                bool M(int fd) => Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0) == Syscall.MAP_FAILED;
            }
            """));
        test.FixedState.Sources.Add(("/0/B.cs", """
            using System.ComponentModel;
            using System.Runtime.InteropServices;
            using static Tmds.Linux.LibC;

            unsafe class B
            {
                void M(int fd)
                {
                    byte* p = (byte*)mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0);
                    if (p == MAP_FAILED)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    p[0] = 1;
                }
            }
            """));
        return test.RunAsync();
    }
}
