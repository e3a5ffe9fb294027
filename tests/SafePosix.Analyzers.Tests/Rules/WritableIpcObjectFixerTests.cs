using System.Threading.Tasks;
using SafePosix.CodeFixes.Rules;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.WritableIpcObjectAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class WritableIpcObjectFixerTests
{
    private const string OwnInterop = """
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int IPC_CREAT = 0x200, IPC_EXCL = 0x400;

            [DllImport("libc", SetLastError = true)] public static extern int msgget(int key, int flags);
            [DllImport("libc", SetLastError = true)] public static extern int mkfifo(string path, uint mode);
        }

        """;

    [Fact]
    public Task OwnInterop_SysVFlags_ReplacesOnlyTheModePart() => VerifyCS.CodeFixAsync<WritableIpcObjectFixer>(OwnInterop + """
        class C
        {
            int M(int key) => [|Native.msgget(key, Native.IPC_CREAT | Native.IPC_EXCL | 0x1b6)|];
        }
        """, OwnInterop + """
        class C
        {
            int M(int key) => Native.msgget(key, Native.IPC_CREAT | Native.IPC_EXCL | 0b110_000_000 /* 0600 */);
        }
        """, WritableIpcObjectFixer.OwnerOnlyKey);

    [Fact]
    public Task OwnInterop_Mkfifo_ReplacesTheMode() => VerifyCS.CodeFixAsync<WritableIpcObjectFixer>(OwnInterop + """
        class C
        {
            int M(string path) => [|Native.mkfifo(path, 0x1ff)|];
        }
        """, OwnInterop + """
        class C
        {
            int M(string path) => Native.mkfifo(path, 0b110_000_000 /* 0600 */);
        }
        """);

    [Fact]
    public Task CombinedLiteral_HasNoFix() => VerifyCS.CodeFixAsync<WritableIpcObjectFixer>(OwnInterop + """
        class C
        {
            int M(int key) => [|Native.msgget(key, 0x3b6)|];
        }
        """, OwnInterop + """
        class C
        {
            int M(int key) => [|Native.msgget(key, 0x3b6)|];
        }
        """);

    [Fact]
    public Task Tmds_Mkfifo_UsesTmdsPermissions() => VerifyCS.CodeFixAsync<WritableIpcObjectFixer>("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int M(byte* path) => [|mkfifo(path, S_IRWXU | S_IRWXG | S_IRWXO)|];
        }
        """, """
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int M(byte* path) => mkfifo(path, S_IRUSR | S_IWUSR);
        }
        """);

    [Fact]
    public Task Mono_Mkfifo_UsesFilePermissions() => VerifyCS.CodeFixAsync<WritableIpcObjectFixer>("""
        using Mono.Unix.Native;

        class C
        {
            int M(string path) => [|Syscall.mkfifo(path, FilePermissions.ACCESSPERMS)|];
        }
        """, """
        using Mono.Unix.Native;

        class C
        {
            int M(string path) => Syscall.mkfifo(path, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
        }
        """);
}
