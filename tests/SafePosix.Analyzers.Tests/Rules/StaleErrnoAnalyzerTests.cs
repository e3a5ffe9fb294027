using System.Threading.Tasks;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.StaleErrnoAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class StaleErrnoAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc")]
            public static extern int open(string path, int flags);

            [DllImport("libc", SetLastError = true)]
            public static extern int close(int fd);

            [DllImport("libc", SetLastError = true)]
            public static extern nint write(int fd, byte[] buffer, nuint count);

            [DllImport("libc", SetLastError = false)]
            public static extern int unlink(string path);

            [DllImport("libc")]
            public static extern int getpid();
        }

        """;

    // ---- declared without SetLastError ---------------------------------------------------------------------

    [Fact]
    public Task DllImportWithoutSetLastError_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(string path)
            {
                int fd = Native.open(path, 0);
                if (fd < 0)
                {
                    throw new Win32Exception({|#0:Marshal.GetLastWin32Error()|});
                }

                return fd;
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'open' lacks SetLastError = true, so this errno is stale; add SetLastError = true to its declaration"));

    // new Win32Exception() takes its code and message from the saved error, as GetLastPInvokeError does.
    [Fact]
    public Task ParameterlessWin32Exception_AfterAnImportWithoutSetLastError_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(string path)
            {
                int fd = Native.open(path, 0);
                if (fd < 0)
                {
                    throw {|#0:new Win32Exception()|};
                }

                return fd;
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'open' lacks SetLastError = true, so this errno is stale; add SetLastError = true to its declaration"));

    [Fact]
    public Task ParameterlessWin32Exception_AfterACloseInBetween_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd, byte[] buffer)
            {
                if (Native.write(fd, buffer, (nuint)buffer.Length) < 0)
                {
                    Native.close(fd);
                    throw {|#0:new Win32Exception()|};
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("This errno is from 'close', not 'write'; read errno right after 'write' fails"));

    [Fact]
    public Task ParameterlessWin32Exception_RightAfterAnImportWithSetLastError_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd, byte[] buffer)
            {
                if (Native.write(fd, buffer, (nuint)buffer.Length) < 0)
                {
                    throw new Win32Exception();
                }
            }
        }
        """);

    [Fact]
    public Task ParameterlessWin32Exception_AsTheInnerException_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(string path)
            {
                int fd = Native.open(path, 0);
                if (fd < 0)
                {
                    throw new System.IO.IOException("open failed", {|#0:new Win32Exception()|});
                }

                return fd;
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'open' lacks SetLastError = true, so this errno is stale; add SetLastError = true to its declaration"));

    // new SocketException() takes its code from the saved error too (on Unix, errno mapped to a SocketError).
    [Fact]
    public Task ParameterlessSocketException_AfterAnImportWithoutSetLastError_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(string path)
            {
                int fd = Native.open(path, 0);
                if (fd < 0)
                {
                    throw {|#0:new System.Net.Sockets.SocketException()|};
                }

                return fd;
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'open' lacks SetLastError = true, so this errno is stale; add SetLastError = true to its declaration"));

    [Fact]
    public Task ParameterlessSocketException_RightAfterAnImportWithSetLastError_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd, byte[] buffer)
            {
                if (Native.write(fd, buffer, (nuint)buffer.Length) < 0)
                {
                    throw new System.Net.Sockets.SocketException();
                }
            }
        }
        """);

    // A SocketException made with its error says which error it means.
    [Fact]
    public Task SocketExceptionWithAnErrorCode_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(string path)
            {
                int fd = Native.open(path, 0);
                if (fd < 0)
                {
                    throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AccessDenied);
                }

                return fd;
            }
        }
        """);

    // With a message only the code is read from the saved error, and the message is often all the code wants.
    [Fact]
    public Task Win32ExceptionWithAMessage_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(string path)
            {
                int fd = Native.open(path, 0);
                if (fd < 0)
                {
                    throw new Win32Exception("open failed");
                }

                return fd;
            }
        }
        """);

    [Fact]
    public Task WindowsImportWithoutSetLastError_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Console32
        {
            // Not a POSIX call, but the same stale read (Terminal.Gui's console driver).
            [DllImport("kernel32.dll")]
            static extern bool GetConsoleMode(IntPtr handle, out uint mode);

            public static uint Mode(IntPtr handle)
            {
                if (!GetConsoleMode(handle, out var mode))
                {
                    throw new Win32Exception({|#0:Marshal.GetLastWin32Error()|});
                }

                return mode;
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'GetConsoleMode' lacks SetLastError = true, so this error code is stale; add SetLastError = true to its declaration"));

    // AdjustTokenPrivileges reports ERROR_NOT_ALL_ASSIGNED through the last error (gsudo's TokenProvider). kernel32's
    // GetLastError only reads it; the Win32Exception after it reads AdjustTokenPrivileges' saved code, which is right,
    // while GetLastError itself reads the live code the runtime may have changed.
    [Fact]
    public Task KernelGetLastErrorThroughAPInvoke_IsALiveRead_NotTheFailingCall() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("advapi32.dll", SetLastError = true)]
            public static extern bool AdjustTokenPrivileges(IntPtr token, bool disableAll, IntPtr newState, uint length, IntPtr previous, IntPtr returned);

            [DllImport("kernel32.dll")]
            public static extern uint GetLastError();
        }

        class C
        {
            void Enable(IntPtr token)
            {
                if (!Native.AdjustTokenPrivileges(token, false, IntPtr.Zero, 0, IntPtr.Zero, IntPtr.Zero))
                {
                    throw new Win32Exception();
                }

                if ({|#0:Native.GetLastError()|} != 0)
                {
                    throw new Win32Exception();
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("Imported GetLastError reads a live code the runtime may reset after 'AdjustTokenPrivileges'; use GetLastPInvokeError"));

    // The saved code read right after the call: nothing to say.
    [Fact]
    public Task SavedCodeReadAfterAdjustTokenPrivileges_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("advapi32.dll", SetLastError = true)]
            public static extern bool AdjustTokenPrivileges(IntPtr token, bool disableAll, IntPtr newState, uint length, IntPtr previous, IntPtr returned);

            [DllImport("kernel32.dll")]
            public static extern uint GetLastError();
        }

        class C
        {
            void Enable(IntPtr token)
            {
                Native.AdjustTokenPrivileges(token, false, IntPtr.Zero, 0, IntPtr.Zero, IntPtr.Zero);
                if (Marshal.GetLastPInvokeError() != 0)
                {
                    throw new Win32Exception();
                }
            }
        }
        """);

    // A method of the project's own named GetLastError is no accessor of the OS's code.
    [Fact]
    public Task OwnMethodNamedGetLastError_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int GetLastError() => 0;

            int M(string path)
            {
                int fd = Native.open(path, 0);
                return fd < 0 ? GetLastError() : fd;
            }
        }
        """);

    // ntdll's system calls return an NTSTATUS and leave the last error alone (dotnet/diagnostics' process helper):
    // adding SetLastError would not help, so the message points at the return value.
    [Fact]
    public Task LastErrorAfterAnNtdllSystemCall_SaysToReadItsStatus() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("ntdll.dll")]
            public static partial int NtQueryInformationProcess(IntPtr process, int infoClass, IntPtr info, int length, out int returned);
        }

        class C
        {
            void M(IntPtr process, IntPtr info)
            {
                if (Native.NtQueryInformationProcess(process, 0, info, 48, out _) != 0)
                {
                    throw new Win32Exception({|#0:Marshal.GetLastWin32Error()|});
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'NtQueryInformationProcess' returns its failure as a status and sets no last error; read its return value instead"));

    // Named by its Windows path, ntdll is still ntdll on a Linux build machine.
    [Fact]
    public Task LastErrorAfterAnNtdllSystemCallNamedByPath_SaysToReadItsStatus() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport(@"C:\Windows\System32\ntdll.dll")]
            public static extern int NtClose(IntPtr handle);
        }

        class C
        {
            void M(IntPtr handle)
            {
                if (Native.NtClose(handle) != 0)
                {
                    throw {|#0:new Win32Exception()|};
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'NtClose' returns its failure as a status and sets no last error; read its return value instead"));

    // netapi32's Net* functions return a NET_API_STATUS (Seatbelt's NetLocalGroupGetMembers).
    [Fact]
    public Task LastErrorAfterANetapiCall_SaysToReadItsStatus() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("Netapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
            public static extern int NetLocalGroupGetMembers(string server, string group, int level, out IntPtr buffer, int max, out int read, out int total, IntPtr resume);
        }

        class C
        {
            void M()
            {
                if (Native.NetLocalGroupGetMembers(null, "Administrators", 2, out _, -1, out _, out _, IntPtr.Zero) != 0)
                {
                    throw {|#0:new Win32Exception()|};
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'NetLocalGroupGetMembers' returns its failure as a status and sets no last error; read its return value instead"));

    // An import named like a system call in another library is judged as any import.
    [Fact]
    public Task NtNamedImportOfAnotherLibrary_IsJudgedAsAnyImport() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("kernel32.dll")]
            public static extern bool NtLikeHelper(IntPtr handle);
        }

        class C
        {
            void M(IntPtr handle)
            {
                if (!Native.NtLikeHelper(handle))
                {
                    throw {|#0:new Win32Exception()|};
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'NtLikeHelper' lacks SetLastError = true, so this error code is stale; add SetLastError = true to its declaration"));

    // Winsock's WSAGetLastError only reads the error: the SocketException after it reads ioctlsocket's saved code.
    [Fact]
    public Task WsaGetLastErrorBetweenTheCallAndASocketException_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Net.Sockets;
        using System.Runtime.InteropServices;

        static class Ws
        {
            [DllImport("ws2_32.dll", SetLastError = true)]
            public static extern int ioctlsocket(IntPtr socket, int command, ref uint argument);

            [DllImport("ws2_32.dll")]
            public static extern int WSAGetLastError();
        }

        class C
        {
            void M(IntPtr socket)
            {
                uint on = 1;
                if (Ws.ioctlsocket(socket, 0x4004667E, ref on) != 0)
                {
                    if (Ws.WSAGetLastError() == 10035)
                    {
                        return;
                    }

                    throw new SocketException();
                }
            }
        }
        """);

    // .NET sets the code to 0 before every SetLastError call, so this GetLastError can only read 0.
    [Fact]
    public Task GetLastErrorImportedWithSetLastError_IsReportedWhateverCameBefore() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("kernel32.dll")]
            public static extern bool CloseHandle(IntPtr handle);

            [DllImport("kernel32.dll", SetLastError = true)]
            public static extern uint GetLastError();
        }

        class C
        {
            uint M(IntPtr handle) => Native.CloseHandle(handle) ? 0 : {|#0:Native.GetLastError()|};
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'GetLastError' imported with SetLastError = true reads 0: .NET clears the error before the call; use GetLastPInvokeError"));

    // Its call saves that 0 over the code CloseHandle saved, which the Win32Exception then reads. (When its result is
    // kept or passed on, it is the call a later read is about, and this rule reports the GetLastError read instead.)
    [Fact]
    public Task GetLastErrorImportedWithSetLastError_OverwritesTheSavedCode() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("kernel32.dll", SetLastError = true)]
            public static extern bool CloseHandle(IntPtr handle);

            [DllImport("kernel32.dll", SetLastError = true)]
            public static extern uint GetLastError();
        }

        class C
        {
            void M(IntPtr handle)
            {
                if (!Native.CloseHandle(handle))
                {
                    {|#0:Native.GetLastError()|};
                    throw {|#1:new Win32Exception()|};
                }
            }
        }
        """,
        VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'GetLastError' imported with SetLastError = true reads 0: .NET clears the error before the call; use GetLastPInvokeError"),
        VerifyCS.Diagnostic("PSX5001").WithLocation(1)
            .WithMessage("This error code is from 'GetLastError', not 'CloseHandle'; read it right after 'CloseHandle' fails"));

    [Fact]
    public Task GetLastErrorLibraryImportWithSetLastError_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("kernel32.dll", SetLastError = true)]
            public static partial uint GetLastError();
        }

        class C
        {
            uint M() => {|#0:Native.GetLastError()|};
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0).WithMessage("'GetLastError' imported with SetLastError = true reads 0: .NET clears the error before the call; use GetLastPInvokeError"));

    // .NET Framework does not clear the code before the call; a compilation without GetLastPInvokeError is not .NET 6+.
    [Fact]
    public Task GetLastErrorImportedWithSetLastError_BeforeNet6_IsSilent() => VerifyCS.AnalyzerAsync("""
        namespace System.Runtime.InteropServices
        {
            public static class Marshal
            {
                public static int GetLastWin32Error() => 0;
            }
        }

        static class Native
        {
            [System.Runtime.InteropServices.DllImport("kernel32.dll", SetLastError = true)]
            public static extern uint GetLastError();
        }

        class C
        {
            uint M() => Native.GetLastError();
        }
        """);

    // The exception reads the 0 GetLastError saved, but the read is about CloseHandle, whose declaration lacks
    // SetLastError: an accessor is never the call a read reports on.
    [Fact]
    public Task GetLastErrorPassedOn_IsNotTheCallALaterReadIsAbout() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("kernel32.dll")]
            public static extern bool CloseHandle(IntPtr handle);

            [DllImport("kernel32.dll", SetLastError = true)]
            public static extern uint GetLastError();
        }

        class C
        {
            void M(IntPtr handle)
            {
                if (!Native.CloseHandle(handle))
                {
                    Console.WriteLine({|#0:Native.GetLastError()|});
                    throw {|#1:new Win32Exception()|};
                }
            }
        }
        """,
        VerifyCS.Diagnostic("PSX5001").WithLocation(0).WithMessage("'GetLastError' imported with SetLastError = true reads 0: .NET clears the error before the call; use GetLastPInvokeError"),
        VerifyCS.Diagnostic("PSX5001").WithLocation(1)
            .WithMessage("'CloseHandle' lacks SetLastError = true, so this error code is stale; add SetLastError = true to its declaration"));

    [Fact]
    public Task WsaGetLastErrorTestedBeforeASocketException_IsNotTheCallItIsAbout() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.Net.Sockets;
        using System.Runtime.InteropServices;

        static class Ws
        {
            [DllImport("ws2_32.dll")]
            public static extern int ioctlsocket(IntPtr socket, int command, ref uint argument);

            [DllImport("ws2_32.dll", SetLastError = true)]
            public static extern int WSAGetLastError();
        }

        class C
        {
            void M(IntPtr socket)
            {
                uint on = 1;
                if (Ws.ioctlsocket(socket, 0x4004667E, ref on) != 0)
                {
                    if (Ws.WSAGetLastError() == 10035)
                    {
                        return;
                    }

                    throw {|#0:new SocketException()|};
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'ioctlsocket' lacks SetLastError = true, so this error code is stale; add SetLastError = true to its declaration"));

    // Mono.Posix's Stdlib.GetLastError() reads the saved errno and changes nothing, even called for nothing.
    [Fact]
    public Task Mono_DiscardedGetLastError_OverwritesNothing() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            void M(int fd)
            {
                if (Syscall.close(fd) != 0)
                {
                    Stdlib.GetLastError();
                    throw new InvalidOperationException("close failed: " + Stdlib.GetLastError());
                }
            }
        }
        """);

    [Fact]
    public Task WindowsFailureOverwrittenByAnotherWindowsCall_IsReportedAsAnErrorCode() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("kernel32", SetLastError = true)]
            public static extern bool SetHandleInformation(IntPtr handle, uint mask, uint flags);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool CloseHandle(IntPtr handle);
        }

        class C
        {
            void M(IntPtr handle)
            {
                if (!Native.SetHandleInformation(handle, 1, 0))
                {
                    Native.CloseHandle(handle);
                    throw {|#0:new Win32Exception()|};
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("This error code is from 'CloseHandle', not 'SetHandleInformation'; read it right after 'SetHandleInformation' fails"));

    // HidSharp's Windows stream: hid.dll is a Windows system library, whose saved value is a last-error code.
    [Fact]
    public Task HidImportWithoutSetLastError_IsReportedAsAnErrorCode() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static unsafe class NativeMethods
        {
            [DllImport("hid.dll", CharSet = CharSet.Auto)]
            public static extern bool HidD_GetFeature(IntPtr handle, byte* buffer, int bufferLength);
        }

        unsafe class HidStream
        {
            void GetFeature(IntPtr handle, byte* buffer, int count)
            {
                if (!NativeMethods.HidD_GetFeature(handle, buffer, count))
                {
                    throw {|#0:new Win32Exception()|};
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'HidD_GetFeature' lacks SetLastError = true, so this error code is stale; add SetLastError = true to its declaration"));

    [Fact]
    public Task ReadAfterAWindowsCall_IsAboutThatCall() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc")]
            public static extern nint write(int fd, byte[] buffer, nuint count);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool CloseHandle(IntPtr handle);
        }

        class C
        {
            void M(int fd, byte[] bytes, IntPtr handle)
            {
                if (Native.write(fd, bytes, (nuint)bytes.Length) < 0) return;
                if (!Native.CloseHandle(handle))
                    throw new Win32Exception(Marshal.GetLastWin32Error());
            }
        }
        """);

    [Fact]
    public Task WindowsCallBetweenTheFailureAndTheRead_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int close(int fd);

            [DllImport("kernel32", SetLastError = true)]
            public static extern bool CloseHandle(IntPtr handle);
        }

        class C
        {
            void M(int fd, IntPtr handle)
            {
                if (Native.close(fd) != 0)
                {
                    Native.CloseHandle(handle);
                    throw new Win32Exception([|Marshal.GetLastWin32Error()|]);
                }
            }
        }
        """);

    [Fact]
    public Task SetLastErrorFalse_InTheCondition_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(string path)
            {
                if (Native.unlink(path) != 0 && [|Marshal.GetLastPInvokeError()|] != 2)
                {
                    throw new InvalidOperationException();
                }
            }
        }
        """);

    [Fact]
    public Task LibraryImportWithoutSetLastError_IsReported() => VerifyCS.AnalyzerAsync("""
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
        """);

    [Fact]
    public Task TmdsErrnoAfterOwnDeclarationWithoutSetLastError_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        static class Native
        {
            [DllImport("libc", EntryPoint = "waitpid")]
            public static extern int WaitPid(int pid, out int status, int options);
        }

        class C
        {
            int M(int pid)
            {
                int result;
                while ((result = Native.WaitPid(pid, out _, 0)) == -1 && [|errno|] == EINTR)
                {
                }

                return result;
            }
        }
        """);

    // ---- overwritten by another call ----------------------------------------------------------------------

    [Fact]
    public Task CloseBetweenTheFailureAndTheRead_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd, byte[] data)
            {
                nint written = Native.write(fd, data, (nuint)data.Length);
                Native.close(fd);
                if (written < 0)
                {
                    throw new Win32Exception({|#0:Marshal.GetLastPInvokeError()|});
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("This errno is from 'close', not 'write'; read errno right after 'write' fails"));

    [Fact]
    public Task MonoCloseInsideTheFailureBranch_IsReported() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;

        class C
        {
            void M(int fd, IntPtr buffer)
            {
                long written = Syscall.write(fd, buffer, 16);
                if (written < 0)
                {
                    Syscall.close(fd);
                    throw new InvalidOperationException("write failed: " + [|Stdlib.GetLastError()|]);
                }
            }
        }
        """);

    // ---- GetLastSystemError for a P/Invoke's error --------------------------------------------------------

    [Fact]
    public Task GetLastSystemErrorAfterSetLastErrorCall_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd)
            {
                if (Native.close(fd) != 0)
                {
                    throw new Win32Exception({|#0:Marshal.GetLastSystemError()|});
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("GetLastSystemError reads the live errno, which the runtime may change after 'close'; use GetLastPInvokeError"));

    // ---- silent ---------------------------------------------------------------------------------------------

    [Fact]
    public Task ReadRightAfterASetLastErrorCall_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd, byte[] data)
            {
                nint written;
                do
                {
                    written = Native.write(fd, data, (nuint)data.Length);
                }
                while (written < 0 && Marshal.GetLastPInvokeError() == 4);

                if (Native.close(fd) != 0)
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }
            }
        }
        """);

    [Fact]
    public Task CallWithoutSetLastErrorInBetween_DoesNotOverwrite() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int fd, byte[] data)
            {
                nint written = Native.write(fd, data, (nuint)data.Length);
                if (written < 0)
                {
                    Console.Error.WriteLine("pid " + Native.getpid());
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
            }
        }
        """);

    [Fact]
    public Task TmdsAndMonoBindings_SaveErrno_AreSilent() => VerifyCS.AnalyzerAsync("""
        using System;
        using Mono.Unix.Native;
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int M(int fd, byte* path)
            {
                if (close(fd) == -1 && errno != EINTR)
                {
                    return errno;
                }

                if (Syscall.unlink("/tmp/x") != 0)
                {
                    return (int)Stdlib.GetLastError();
                }

                return unlink(path) == 0 ? 0 : System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            }
        }
        """);

    [Fact]
    public Task NoNativeCallOrUnrelatedReads_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            [DllImport("kernel32")]
            static extern uint GetLastError();

            int M(System.IO.Stream stream)
            {
                stream.Flush();
                var managed = Marshal.GetLastPInvokeError();
                var win32 = GetLastError();
                return managed + (int)win32;
            }
        }
        """);

    [Fact]
    public Task DifferentCallsOnDifferentPaths_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(string path, int fd, bool remove)
            {
                int result = remove ? Native.unlink(path) : Native.close(fd);
                return result == 0 ? 0 : Marshal.GetLastPInvokeError();
            }
        }
        """);

    [Fact]
    public Task ReadAfterAManagedCall_IsNotBlamedOnAnEarlierNativeCall() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(System.Net.Sockets.Socket socket)
            {
                int pid = Native.getpid();
                socket.Blocking = false;
                Console.WriteLine(pid);
                return Marshal.GetLastPInvokeError();
            }
        }
        """);

    [Fact]
    public Task ReadInACatch_IsSilent_ReadInALambda_IsFollowed() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            Func<int> M(string path)
            {
                try
                {
                    Native.open(path, 0);
                }
                catch (Exception)
                {
                    return () => Marshal.GetLastWin32Error();
                }

                return () => Native.open(path, 0) < 0 ? [|Marshal.GetLastWin32Error()|] : 0;
            }
        }
        """);

    // ---- through the project's wrappers: a wrapper leaves errno as its import left it ------------------------

    [Fact]
    public Task WrapperOfAnImportWithoutSetLastError_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int OpenReadOnly(string path) => Native.open(path, 0);

            int M(string path)
            {
                int fd = OpenReadOnly(path);
                if (fd < 0)
                {
                    throw new Win32Exception({|#0:Marshal.GetLastPInvokeError()|});
                }

                return fd;
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'open' lacks SetLastError = true, so this errno is stale; add SetLastError = true to its declaration"));

    [Fact]
    public Task TmdsErrnoAfterAWrapperOfAnOwnImportWithoutSetLastError_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.ComponentModel;
        using System.Runtime.InteropServices;
        using static Tmds.Linux.LibC;

        static class Native
        {
            [DllImport("libc.so.6")]
            public static extern int posix_openpt(int flags);

            public static int OpenTerminal() => posix_openpt(2);
        }

        class C
        {
            int M()
            {
                int fd = Native.OpenTerminal();
                if (fd == -1)
                {
                    throw new Win32Exception([|errno|]);
                }

                return fd;
            }
        }
        """);

    [Fact]
    public Task CloseWrapperBetweenTheFailureAndTheRead_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static int CloseQuietly(int fd) => Native.close(fd);

            void M(int fd, byte[] data)
            {
                if (Native.write(fd, data, (nuint)data.Length) < 0)
                {
                    CloseQuietly(fd);
                    throw new Win32Exception({|#0:Marshal.GetLastPInvokeError()|});
                }
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("This errno is from 'CloseQuietly', not 'write'; read errno right after 'write' fails"));

    [Fact]
    public Task WrapperOfASetLastErrorImport_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            static nint WriteAll(int fd, byte[] data) => Native.write(fd, data, (nuint)data.Length);

            void M(int fd, byte[] data)
            {
                if (WriteAll(fd, data) < 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
            }
        }
        """);

    [Fact]
    public Task MonoCallInAWrapper_IsSilent() => VerifyCS.AnalyzerAsync("""
        using System.ComponentModel;
        using Mono.Unix.Native;

        class C
        {
            static int OpenReadOnly(string path) => Syscall.open(path, OpenFlags.O_RDONLY);

            int M(string path)
            {
                int fd = OpenReadOnly(path);
                if (fd < 0)
                {
                    throw new Win32Exception((int)Stdlib.GetLastError());
                }

                return fd;
            }
        }
        """);

    // ---- *__errno_location(): the live errno through the C library's accessor ---------------------------------

    private const string ErrnoLocationInterop = """
        using System;
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static unsafe partial class Native
        {
            [DllImport("libc")]
            public static extern int open(string path, int flags);

            [DllImport("libc", SetLastError = true)]
            public static extern int close(int fd);

            [DllImport("libc")]
            public static extern int* __errno_location();

            [LibraryImport("libc", EntryPoint = "__errno_location")]
            public static partial IntPtr ErrnoLocation();
        }

        """;

    [Fact]
    public Task ErrnoLocationAfterAnImportWithoutSetLastError_IsReported() => VerifyCS.AnalyzerAsync(ErrnoLocationInterop + """
        unsafe class C
        {
            int M(string path)
            {
                int fd = Native.open(path, 0);
                if (fd < 0)
                {
                    throw new Win32Exception(*{|#0:Native.__errno_location()|});
                }

                return fd;
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'open' lacks SetLastError = true, so this errno is stale; add SetLastError = true to its declaration"));

    [Fact]
    public Task ErrnoLocationAfterASetLastErrorImport_IsReported() => VerifyCS.AnalyzerAsync(ErrnoLocationInterop + """
        unsafe class C
        {
            void M(int fd)
            {
                if (Native.close(fd) != 0)
                {
                    throw new Win32Exception(Native.__errno_location()[0]);
                }
            }
        }
        """.Replace("Native.__errno_location()[0]", "{|#0:Native.__errno_location()|}[0]"), VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("*__errno_location() reads the live errno, which the runtime may change after 'close'; use GetLastPInvokeError"));

    [Fact]
    public Task LibraryImportErrnoLocationReadWithMarshal_AfterTmdsCall_IsReported() => VerifyCS.AnalyzerAsync(ErrnoLocationInterop + """
        class C
        {
            void M(int fd)
            {
                if (Tmds.Linux.LibC.close(fd) == -1)
                {
                    throw new Win32Exception(Marshal.ReadInt32([|Native.ErrnoLocation()|]));
                }
            }
        }
        """);

    [Fact]
    public Task MonoCallThenErrnoLocation_IsReported() => VerifyCS.AnalyzerAsync(ErrnoLocationInterop + """
        unsafe class C
        {
            void M(string path)
            {
                if (Mono.Unix.Native.Syscall.unlink(path) < 0)
                {
                    int error = *[|Native.__errno_location()|];
                    throw new Win32Exception(error);
                }
            }
        }
        """);

    [Fact]
    public Task ErrnoLocationWithNoNativeCallBefore_IsSilent() => VerifyCS.AnalyzerAsync(ErrnoLocationInterop + """
        unsafe class C
        {
            int M() => *Native.__errno_location();
        }
        """);

    [Fact]
    public Task ErrnoLocationWrittenNotRead_IsSilent() => VerifyCS.AnalyzerAsync(ErrnoLocationInterop + """
        unsafe class C
        {
            void M(int fd)
            {
                if (Native.close(fd) != 0)
                {
                    *Native.__errno_location() = 0;
                }
            }
        }
        """);

    [Fact]
    public Task ManagedMethodNamedErrnoLocation_IsSilent() => VerifyCS.AnalyzerAsync(ErrnoLocationInterop + """
        unsafe class C
        {
            static int value;

            static int* __errno_location()
            {
                fixed (int* p = &value) { return p; }
            }

            void M(int fd)
            {
                if (Native.close(fd) != 0)
                {
                    throw new Win32Exception(*__errno_location());
                }
            }
        }
        """);

    // Incomplete code (a type not yet written): the call that set errno does not bind, and the nearest call the walk back
    // finds is another one. Saying which call the errno is from would be a guess.
    [Fact]
    public Task CallThatDoesNotBind_BetweenTheReadAndAnEarlierCall_IsSilent() => new PosixAnalyzerTest<StaleErrnoAnalyzer>()
    {
        Source = OwnInterop + """
            class C
            {
                int M(string path, byte[] buffer)
                {
                    int fd = Native.open(path, 0);
                    if (fd < 0)
                    {
                        return -1;
                    }

                    nint written = Native.write(fd, buffer, NotWrittenYet.Count);
                    if (written < 0)
                    {
                        return Marshal.GetLastPInvokeError();
                    }

                    return 0;
                }
            }
            """,
        AllowCompilerErrors = true,
    }.RunAsync();

    [Fact]
    public Task CallOnAReceiverThatDoesNotBind_IsSilent() => new PosixAnalyzerTest<StaleErrnoAnalyzer>()
    {
        Source = OwnInterop + """
            class C
            {
                int M(string path)
                {
                    int fd = Native.open(path, 0);
                    if (fd < 0)
                    {
                        return -1;
                    }

                    if (NotWrittenYet.Flush(fd) < 0)
                    {
                        return Marshal.GetLastPInvokeError();
                    }

                    return 0;
                }
            }
            """,
        AllowCompilerErrors = true,
    }.RunAsync();

    // Only a call that does not bind hides the source: other broken code between the call and the read does not.
    [Fact]
    public Task ExpressionThatDoesNotBind_BetweenTheCallAndTheRead_StillReports() => new PosixAnalyzerTest<StaleErrnoAnalyzer>()
    {
        Source = OwnInterop + """
            class C
            {
                int M(string path)
                {
                    int fd = Native.open(path, 0);
                    if (fd < 0)
                    {
                        var count = NotWrittenYet.Count;
                        throw new Win32Exception({|#0:Marshal.GetLastWin32Error()|});
                    }

                    return fd;
                }
            }
            """,
        AllowCompilerErrors = true,
        ExpectedDiagnostics =
        {
            Verify<StaleErrnoAnalyzer>.Diagnostic("PSX5001").WithLocation(0)
                .WithMessage("'open' lacks SetLastError = true, so this errno is stale; add SetLastError = true to its declaration"),
        },
    }.RunAsync();

    // exec* returns only when it failed, so its -1 is discarded by idiom: the errno read next is exec's, not the
    // earlier call's that a branch tested.
    [Fact]
    public Task ErrnoReadAfterADiscardedExec_IsExecs() => VerifyCS.AnalyzerAsync("""
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int setsid();

            [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
            public static extern int Execve(string path, byte** argv, byte** envp);
        }

        unsafe class Launcher
        {
            void RunChild(string program, byte** argv, byte** envp)
            {
                if (Native.setsid() == -1)
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error(), "setsid failed");
                }

                Native.Execve(program, argv, envp);
                throw new Win32Exception(Marshal.GetLastWin32Error(), "execve failed");
            }
        }
        """);

    private const string Launcher = """
        using System.ComponentModel;
        using System.Runtime.InteropServices;

        static unsafe class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int setsid();

            [DllImport("libc", SetLastError = true)]
            public static extern int close(int fd);

            [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
            public static extern int Execve(string path, byte** argv, byte** envp);

            [DllImport("libc", EntryPoint = "execve")]
            public static extern int ExecveWithoutLastError(string path, byte** argv, byte** envp);

            [DllImport("libc", EntryPoint = "setsid")]
            public static extern int SetsidWithoutLastError();

            public static int Exec(string path, byte** argv, byte** envp) => Execve(path, argv, envp);
        }

        """;

    [Fact]
    public Task ErrnoReadAfterADiscardedExecThroughAWrapper_IsExecs() => VerifyCS.AnalyzerAsync(Launcher + """
        unsafe class Launcher
        {
            void RunChild(string program, byte** argv, byte** envp)
            {
                if (Native.setsid() == -1)
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error(), "setsid failed");
                }

                Native.Exec(program, argv, envp);
                throw new Win32Exception(Marshal.GetLastWin32Error(), "execve failed");
            }
        }
        """);

    [Fact]
    public Task CloseBetweenADiscardedExecAndTheRead_IsReported() => VerifyCS.AnalyzerAsync(Launcher + """
        unsafe class Launcher
        {
            void RunChild(string program, byte** argv, byte** envp, int fd)
            {
                Native.Execve(program, argv, envp);
                Native.close(fd);
                throw new Win32Exception({|#0:Marshal.GetLastWin32Error()|}, "execve failed");
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("This errno is from 'close', not 'Execve'; read errno right after 'Execve' fails"));

    [Fact]
    public Task DiscardedExecWithoutSetLastError_IsReported() => VerifyCS.AnalyzerAsync(Launcher + """
        unsafe class Launcher
        {
            void RunChild(string program, byte** argv, byte** envp)
            {
                if (Native.setsid() == -1)
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error(), "setsid failed");
                }

                Native.ExecveWithoutLastError(program, argv, envp);
                throw new Win32Exception({|#0:Marshal.GetLastWin32Error()|}, "execve failed");
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'ExecveWithoutLastError' lacks SetLastError = true, so this errno is stale; add SetLastError = true to its declaration"));

    [Fact]
    public Task NativeCallLeftOfTheReadInItsStatement_IsTheSource() => VerifyCS.AnalyzerAsync(Launcher + """
        unsafe class Launcher
        {
            static void Fail(int result, int errno) => throw new Win32Exception(errno);

            void Close(int fd)
            {
                if (Native.SetsidWithoutLastError() == -1)
                {
                    throw new System.InvalidOperationException("setsid failed");
                }

                Fail(Native.close(fd), Marshal.GetLastWin32Error());
            }
        }
        """);

    [Fact]
    public Task FunctionPointerCallBetween_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        unsafe class C
        {
            int M(string path, delegate* unmanaged<int, int> flush)
            {
                int fd = Native.open(path, 0);
                if (fd < 0)
                {
                    return -1;
                }

                if (flush(fd) < 0)
                {
                    return Marshal.GetLastPInvokeError();
                }

                return 0;
            }
        }
        """);

    // A throw expression nested in the thrown expression: one read, reported once.
    [Fact]
    public Task NestedThrowExpression_ReportedOnce() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(string path, string msg)
            {
                int fd = Native.open(path, 0);
                if (fd < 0)
                {
                    throw new System.IO.IOException(msg ?? throw {|#0:new Win32Exception()|});
                }

                return fd;
            }
        }
        """, VerifyCS.Diagnostic("PSX5001").WithLocation(0)
            .WithMessage("'open' lacks SetLastError = true, so this errno is stale; add SetLastError = true to its declaration"));

    // A Win32Exception made in a lambda of the thrown expression, which runs later (or never).
    [Fact]
    public Task LambdaInThrownExpression_IsSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class LazyException : Exception { public LazyException(Func<Exception> make) { } }
        class C
        {
            int M(string path)
            {
                int fd = Native.open(path, 0);
                if (fd < 0)
                {
                    throw new LazyException(() => new Win32Exception());
                }

                return fd;
            }
        }
        """);
}
