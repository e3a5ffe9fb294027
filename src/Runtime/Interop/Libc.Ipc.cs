using System.Runtime.InteropServices;

namespace SafePosix.Interop;

/// <summary>The libc surface of the IPC half: pipes, FIFOs, unix sockets, SysV queues, mappings, sendfile.</summary>
internal static unsafe partial class Libc
{
    internal const int O_NOFOLLOW = 0x20000;
    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int F_SETPIPE_SZ = 1031;
    internal const int F_GETPIPE_SZ = 1032;

    internal const short POLLOUT = 0x4;
    internal const short POLLERR = 0x8;
    internal const short POLLHUP = 0x10;

    internal const int AF_UNIX = 1;
    internal const int SOCK_STREAM = 1;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_SEQPACKET = 5;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int SOL_SOCKET = 1;
    internal const int SCM_RIGHTS = 1;
    internal const int SO_PEERCRED = 17;
    internal const int MSG_CTRUNC = 0x8;
    internal const int MSG_TRUNC = 0x20;
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_NOSIGNAL = 0x4000;
    internal const int MSG_CMSG_CLOEXEC = 0x40000000;

    /// <summary>The kernel's limit of descriptors in one SCM_RIGHTS message (include/net/scm.h).</summary>
    internal const int SCM_MAX_FD = 253;

    internal const uint S_IFMT = 0xF000;
    internal const uint S_IFIFO = 0x1000;
    internal const uint S_IFREG = 0x8000;
    internal const uint S_IFSOCK = 0xC000;
    internal const int StatxUidOffset = 20;
    internal const int StatxModeOffset = 28;
    internal const int StatxSizeOffset = 40;
    internal const uint STATX_TYPE = 0x1;
    internal const uint STATX_MODE = 0x2;
    internal const uint STATX_UID = 0x8;
    internal const uint STATX_SIZE = 0x200;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;

    internal const int IPC_PRIVATE = 0;
    internal const int IPC_CREAT = 0x200;
    internal const int IPC_EXCL = 0x400;
    internal const int IPC_NOWAIT = 0x800;
    internal const int IPC_RMID = 0;
    internal const int IPC_STAT = 2;
    internal const int MsqidDsSize = 256;       // 120 on x86-64 and arm64; over-allocated like the spawn types
    internal const int MsqidQnumOffset = 80;
    internal const int MsqidQbytesOffset = 88;

    internal const int PROT_READ = 0x1;
    internal const int PROT_WRITE = 0x2;
    internal const int MAP_SHARED = 0x1;
    internal const int MAP_PRIVATE = 0x2;
    internal const int MAP_ANONYMOUS = 0x20;
    internal const int MS_ASYNC = 1;
    internal const int MS_SYNC = 4;
    internal const uint MFD_CLOEXEC = 1;
    internal const uint MFD_ALLOW_SEALING = 2;
    internal const int F_ADD_SEALS = 1033;
    internal const int F_SEAL_SEAL = 0x1;
    internal const int F_SEAL_SHRINK = 0x2;
    internal const int F_SEAL_GROW = 0x4;

    internal const int FUTEX_WAIT = 0;
    internal const int FUTEX_WAKE = 1;

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (56 bytes on LP64 Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct cmsghdr header; data follows at offset 16.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct CmsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    internal const int CmsgHeaderSize = 16;

    internal static int CmsgAlign(int length) => (length + 7) & ~7;

    internal static int CmsgSpace(int dataLength) => CmsgHeaderSize + CmsgAlign(dataLength);

    internal static int CmsgLen(int dataLength) => CmsgHeaderSize + dataLength;

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int socketpair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint sendmsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint recvmsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fchmod(int fd, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int mkfifo(byte* path, uint mode);

    [LibraryImport(Lib)]
    internal static partial uint geteuid();

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int msgget(int key, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int msgsnd(int id, void* message, nuint size, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint msgrcv(int id, void* message, nuint size, nint type, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int msgctl(int id, int command, void* buffer);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int ftruncate(int fd, long length);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int munmap(void* address, nuint length);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int msync(void* address, nuint length, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int memfd_create(byte* name, uint flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint sendfile(int outFd, int inFd, long* offset, nuint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint copy_file_range(int inFd, long* inOffset, int outFd, long* outOffset, nuint length, uint flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint pread(int fd, byte* buffer, nint count, long offset);

    /// <summary>futex(2) has no glibc wrapper; its number differs between x86-64 (202) and arm64 (98).</summary>
    internal static readonly nint SYS_futex =
        RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 202 : 98;
}
