using System;
using System.Runtime.InteropServices;

namespace SafePosix.Interop;

/// <summary>
/// The raw libc surface. Everything here is internal: callers go through the typed wrappers, which check
/// arguments first, retry EINTR where POSIX allows and turn failures into <see cref="PosixException"/>.
/// Signatures are blittable only (pointers and integers) so no runtime marshalling is involved.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    // Linux x86-64/arm64 values; the library targets Linux only (posix_spawn extensions and pidfds are Linux).
    internal const int O_RDONLY = 0x0;
    internal const int O_WRONLY = 0x1;
    internal const int O_RDWR = 0x2;
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const int O_NOCTTY = 0x100;
    internal const int O_TRUNC = 0x200;
    internal const int O_APPEND = 0x400;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;

    internal const int F_GETFD = 1;
    internal const int F_SETFD = 2;
    internal const int F_DUPFD_CLOEXEC = 1030;
    internal const int FD_CLOEXEC = 1;

    internal const short POSIX_SPAWN_SETPGROUP = 0x02;
    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;
    internal const short POSIX_SPAWN_SETSID = 0x80;

    internal const int WNOHANG = 1;
    internal const int WUNTRACED = 2;
    internal const int WSTOPPED = 2;
    internal const int WEXITED = 4;
    internal const int WCONTINUED = 8;
    internal const int WNOWAIT = 0x01000000;

    internal const int P_PID = 1;
    internal const int P_PIDFD = 3;

    internal const short POLLIN = 0x1;

    internal const long SYS_pidfd_send_signal = 424;
    internal const long SYS_pidfd_open = 434;

    internal const int EFD_CLOEXEC = 0x80000;
    internal const int EFD_NONBLOCK = 0x800;

    // glibc's opaque types, over-allocated on purpose: their real sizes (80, 336 and 128 bytes on x86-64)
    // are ABI details we must never undershoot.
    internal const int SpawnFileActionsSize = 256;
    internal const int SpawnAttrSize = 512;
    internal const int SigSetSize = 128;
    internal const int SigInfoSize = 128;

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int open(byte* path, int flags, int mode);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int pipe2(int* fds, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fcntl(int fd, int command, int argument);

    internal const int F_OFD_SETLK = 37;
    internal const short F_WRLCK = 1;

    /// <summary>struct flock; the same layout on x86-64 and arm64 (two shorts, padding, two off_t, pid_t).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct FileLock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int fcntl_lock(int fd, int command, FileLock* fileLock);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int unlink(byte* path);

    // statx(2), not stat/fstat: glibc exports "stat" and "fstat" as symbols only since 2.33 (before, they were
    // inline wrappers around __xstat in libc_nonshared.a), so binding them fails with EntryPointNotFoundException
    // on glibc 2.28-2.32 (RHEL 8, Debian 11, Ubuntu 20.04). statx is exported since glibc 2.28 and struct statx has
    // one layout on every architecture: stx_ino at 32 (u64), stx_dev_major at 136, stx_dev_minor at 140 (u32).
    internal const int StatxSize = 256;
    internal const int StatxInoOffset = 32;
    internal const int StatxDevMajorOffset = 136;
    internal const int StatxDevMinorOffset = 140;
    internal const int AT_FDCWD = -100;
    internal const int AT_EMPTY_PATH = 0x1000;
    internal const uint STATX_INO = 0x100;

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int statx(int directoryFd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int eventfd(uint initialValue, int flags);

    [LibraryImport(Lib)]
    internal static partial uint umask(uint mask);

    [LibraryImport(Lib)]
    internal static partial int getpid();

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int kill(int pid, int signal);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int waitid(int idType, int id, byte* info, int options);

    // syscall(2) is variadic; on the Linux x86-64 and arm64 ABIs integer variadic arguments travel exactly
    // like fixed ones, and glibc's syscall() is an assembly stub that reads six registers regardless.
    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint syscall(nint number, nint arg1, nint arg2, nint arg3, nint arg4);

    [LibraryImport(Lib)]
    internal static partial int sigemptyset(byte* set);

    // posix_spawn* return the error number instead of setting errno, so SetLastError would only read noise.
    [LibraryImport(Lib)]
    internal static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnp(int* pid, byte* file, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Lib)]
    internal static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport(Lib)]
    internal static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport(Lib)]
    internal static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Lib)]
    internal static partial int posix_spawn_file_actions_addopen(void* fileActions, int fd, byte* path, int flags, int mode);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_init(void* attributes);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_destroy(void* attributes);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_setflags(void* attributes, short flags);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_setsigdefault(void* attributes, byte* set);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_setsigmask(void* attributes, byte* set);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_setpgroup(void* attributes, int processGroup);
}
