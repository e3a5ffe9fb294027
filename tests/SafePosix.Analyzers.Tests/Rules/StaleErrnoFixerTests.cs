using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.StaleErrnoAnalyzer>;
using SafePosix.Analyzers.Tests.Verification;
using SafePosix.Analyzers.Rules;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class StaleErrnoFixerTests
{
    [Fact]
    public Task DllImport_GetsSetLastErrorTrue_OnceForEveryRead() => VerifyCS.CodeFixAsync<StaleErrnoFixer>("""
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", EntryPoint = "open")]
            public static extern int Open(string path, int flags);
        }

        class C
        {
            int M(string path)
            {
                int fd = Native.Open(path, 0);
                if (fd < 0)
                {
                    throw new Win32Exception([|Marshal.GetLastWin32Error()|]);
                }

                int again = Native.Open(path, 0);
                return again >= 0 ? again : -[|Marshal.GetLastPInvokeError()|];
            }
        }
        """, """
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", EntryPoint = "open", SetLastError = true)]
            public static extern int Open(string path, int flags);
        }

        class C
        {
            int M(string path)
            {
                int fd = Native.Open(path, 0);
                if (fd < 0)
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }

                int again = Native.Open(path, 0);
                return again >= 0 ? again : -Marshal.GetLastPInvokeError();
            }
        }
        """, StaleErrnoFixer.AddSetLastErrorKey);

    [Fact]
    public Task SetLastErrorFalse_BecomesTrue() => VerifyCS.CodeFixAsync<StaleErrnoFixer>("""
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = false)]
            static extern int unlink(string path);

            int M(string path) => unlink(path) == 0 ? 0 : [|Marshal.GetLastPInvokeError()|];
        }
        """, """
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern int unlink(string path);

            int M(string path) => unlink(path) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        """, StaleErrnoFixer.AddSetLastErrorKey);

    [Fact]
    public Task ParameterlessWin32Exception_GetsSetLastErrorOnTheImport() => VerifyCS.CodeFixAsync<StaleErrnoFixer>("""
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc")]
            static extern int unlink(string path);

            void M(string path)
            {
                if (unlink(path) != 0)
                {
                    throw [|new Win32Exception()|];
                }
            }
        }
        """, """
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern int unlink(string path);

            void M(string path)
            {
                if (unlink(path) != 0)
                {
                    throw new Win32Exception();
                }
            }
        }
        """, StaleErrnoFixer.AddSetLastErrorKey);

    [Fact]
    public Task LibraryImport_GetsSetLastErrorTrue() => VerifyCS.CodeFixAsync<StaleErrnoFixer>("""
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("libc", EntryPoint = "rmdir", StringMarshalling = StringMarshalling.Utf8)]
            public static partial int RemoveDirectory(string path);
        }

        class C
        {
            int M(string path) => Native.RemoveDirectory(path) == 0 ? 0 : [|Marshal.GetLastPInvokeError()|];
        }
        """, """
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("libc", EntryPoint = "rmdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
            public static partial int RemoveDirectory(string path);
        }

        class C
        {
            int M(string path) => Native.RemoveDirectory(path) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        """, StaleErrnoFixer.AddSetLastErrorKey);

    [Fact]
    public Task OverwrittenErrno_GetsNoFix() => VerifyCS.CodeFixAsync<StaleErrnoFixer>("""
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern int close(int fd);

            [DllImport("libc", SetLastError = true)]
            static extern int fsync(int fd);

            void M(int fd)
            {
                int synced = fsync(fd);
                close(fd);
                if (synced != 0)
                {
                    throw new Win32Exception([|Marshal.GetLastPInvokeError()|]);
                }
            }
        }
        """, """
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        class C
        {
            [DllImport("libc", SetLastError = true)]
            static extern int close(int fd);

            [DllImport("libc", SetLastError = true)]
            static extern int fsync(int fd);

            void M(int fd)
            {
                int synced = fsync(fd);
                close(fd);
                if (synced != 0)
                {
                    throw new Win32Exception([|Marshal.GetLastPInvokeError()|]);
                }
            }
        }
        """, StaleErrnoFixer.AddSetLastErrorKey);

    [Fact]
    public Task ReadAfterAWrapper_FixesTheImportTheWrapperCalls() => VerifyCS.CodeFixAsync<StaleErrnoFixer>("""
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc")]
            private static extern int open(string path, int flags);

            public static int OpenReadOnly(string path) => open(path, 0);
        }

        class C
        {
            int M(string path)
            {
                int fd = Native.OpenReadOnly(path);
                return fd >= 0 ? fd : -[|Marshal.GetLastPInvokeError()|];
            }
        }
        """, """
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            private static extern int open(string path, int flags);

            public static int OpenReadOnly(string path) => open(path, 0);
        }

        class C
        {
            int M(string path)
            {
                int fd = Native.OpenReadOnly(path);
                return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
            }
        }
        """, StaleErrnoFixer.AddSetLastErrorKey);

    // dotnet format takes the equivalence key from the first diagnostic it collected: an errno read after another call
    // (no fix) first must not leave the missing SetLastError for a second pass.
    [Fact]
    public Task FixAll_StartedFromAShapeWithoutAFix_StillAddsSetLastError() => FormatPass.VerifyAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        static class C
        {
            [DllImport("libc", EntryPoint = "open")]
            static extern int OpenFile(string path, int flags);

            public static void WriteAndClose(int fd, IntPtr buffer, ulong count)
            {
                long written = Syscall.write(fd, buffer, count);
                Syscall.close(fd);
                if (written < 0)
                {
                    throw new InvalidOperationException("write failed: " + Stdlib.GetLastError());
                }
            }

            public static int Open(string path)
            {
                int fd = OpenFile(path, 0);
                if (fd < 0)
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }

                return fd;
            }
        }
        """, """
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using Mono.Unix.Native;

        static class C
        {
            [DllImport("libc", EntryPoint = "open", SetLastError = true)]
            static extern int OpenFile(string path, int flags);

            public static void WriteAndClose(int fd, IntPtr buffer, ulong count)
            {
                long written = Syscall.write(fd, buffer, count);
                Syscall.close(fd);
                if (written < 0)
                {
                    throw new InvalidOperationException("write failed: " + Stdlib.GetLastError());
                }
            }

            public static int Open(string path)
            {
                int fd = OpenFile(path, 0);
                if (fd < 0)
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }

                return fd;
            }
        }
        """, FormatPass.For<StaleErrnoAnalyzer, StaleErrnoFixer>());
}
