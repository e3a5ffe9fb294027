using System.Threading.Tasks;
using Xunit;
using VerifyCS = SafePosix.Analyzers.Tests.Verification.Verify<SafePosix.Analyzers.Rules.WritableIpcObjectAnalyzer>;

namespace SafePosix.Analyzers.Tests.Rules;

public sealed class WritableIpcObjectAnalyzerTests
{
    private const string OwnInterop = """
        using System;
        using System.Runtime.InteropServices;

        static class Native
        {
            public const int IPC_PRIVATE = 0, IPC_CREAT = 0x200, IPC_EXCL = 0x400, O_CREAT = 0x40, O_RDWR = 2;

            [DllImport("libc", SetLastError = true)] public static extern int msgget(int key, int flags);
            [DllImport("libc", SetLastError = true)] public static extern int shmget(int key, nuint size, int flags);
            [DllImport("libc", EntryPoint = "semget", SetLastError = true)] public static extern int CreateSemaphores(int key, int count, int flags);
            [DllImport("libc", SetLastError = true)] public static extern int mkfifo(string path, uint mode);
            [DllImport("libc", SetLastError = true)] public static extern int shm_open(string name, int flags, uint mode);
        }

        """;

    [Fact]
    public Task SysVWithWorldWritableMode_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            int M(int key) => {|#0:Native.msgget(key, Native.IPC_CREAT | 0x1b6)|};
        }
        """, VerifyCS.Diagnostic("PSX4005").WithLocation(0)
            .WithMessage("'msgget' creates an IPC object with mode 0666, which lets other users write to it; narrow the mode to 0600"));

    [Fact]
    public Task EveryWayCSharpWritesOctal_IsReported() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int key)
            {
                [|Native.shmget(key, 4096, Native.IPC_CREAT | 438)|];
                [|Native.CreateSemaphores(key, 1, Native.IPC_CREAT | Native.IPC_EXCL | 0b111_111_111)|];
                [|Native.msgget(key, Native.IPC_CREAT | Convert.ToInt32("660", 8))|];
                [|Native.mkfifo("/tmp/app.fifo", 0x1ff)|];
                [|Native.shm_open("/ring", Native.O_CREAT | Native.O_RDWR, 0x1b6)|];
            }
        }
        """);

    [Fact]
    public Task Tmds_MkfifoWithGroupWrite_IsReported() => VerifyCS.AnalyzerAsync("""
        using static Tmds.Linux.LibC;

        unsafe class C
        {
            int M(byte* path) => [|mkfifo(path, S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP)|];
        }
        """);

    [Fact]
    public Task Mono_MkfifoWithDefaultFileMode_IsReported() => VerifyCS.AnalyzerAsync("""
        using Mono.Unix.Native;

        class C
        {
            int M(string path) => {|#0:Syscall.mkfifo(path, FilePermissions.DEFFILEMODE)|};
        }
        """, VerifyCS.Diagnostic("PSX4005").WithLocation(0)
            .WithMessage("'mkfifo' creates an IPC object with mode 0666, which lets other users write to it; narrow the mode to 0600"));

    [Fact]
    public Task LibraryImport_ShmgetWithIpcCreate_IsReported() => VerifyCS.AnalyzerAsync("""
        using System.Runtime.InteropServices;

        static partial class Native
        {
            [LibraryImport("libc", EntryPoint = "shmget", SetLastError = true)]
            public static partial int CreateSegment(int key, nuint size, int flags);
        }

        class C
        {
            int M(int key) => [|Native.CreateSegment(key, 4096, 0x200 | 0x1b6)|];
        }
        """);

    // ---- silent ------------------------------------------------------------------------------------------------

    [Fact]
    public Task OwnerOnlyModes_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int key, string path)
            {
                Native.msgget(key, Native.IPC_CREAT | 0x180);
                Native.msgget(key, Native.IPC_CREAT | 0x1a4);
                Native.mkfifo(path, 0b110_100_000);
                Mono.Unix.Native.Syscall.mkfifo(path, Mono.Unix.Native.FilePermissions.S_IRUSR | Mono.Unix.Native.FilePermissions.S_IWUSR);
            }
        }
        """);

    [Fact]
    public Task PrivateKeys_LookupsWithoutCreate_AndUnknownModes_AreSilent() => VerifyCS.AnalyzerAsync(OwnInterop + """
        class C
        {
            void M(int key, int mode, string path)
            {
                Native.msgget(Native.IPC_PRIVATE, Native.IPC_CREAT | 0x1b6);
                Native.shmget(0, 4096, Native.IPC_CREAT | 0x1ff);
                Native.msgget(key, 0x1b6);
                Native.shm_open("/ring", Native.O_RDWR, 0x1b6);
                Native.msgget(key, Native.IPC_CREAT | mode);
                Native.mkfifo(path, (uint)mode);
            }
        }
        """);

    [Fact]
    public Task LookAlikes_AreSilent() => VerifyCS.AnalyzerAsync("""
        static class Queues
        {
            public static int msgget(int key, int flags) => 0;
        }

        class C
        {
            int M(int key) => Queues.msgget(key, 0x200 | 0x1b6);
        }
        """);
}
