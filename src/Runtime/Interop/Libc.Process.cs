using System.Runtime.InteropServices;

namespace SafePosix.Interop;

/// <summary>Process, epoll and terminal calls used by the process features (kept apart from the shared base file).</summary>
internal static unsafe partial class Libc
{
    internal const int SIGCHLD = 17;
    internal const nint SIG_IGN = 1;
    internal const int SA_NOCLDWAIT = 2;

    // glibc's struct sigaction on x86-64 and arm64: the handler (8 bytes), sa_mask (128), sa_flags (int), then
    // sa_restorer. Read only; this library never installs a handler.
    internal const int SigActionSize = 256;
    internal const int SigActionFlagsOffset = 136;

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int sigaction(int signal, byte* action, byte* oldAction);

    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;
    internal const uint EPOLLIN = 0x1;

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int epoll_create1(int flags);

    /// <summary>struct epoll_event is packed on x86-64 (12 bytes, data at 4) and naturally aligned elsewhere (16, data at 8).</summary>
    internal static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    internal static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int epoll_ctl(int epollFd, int operation, int fd, byte* epollEvent);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int epoll_wait(int epollFd, byte* events, int maxEvents, int timeoutMilliseconds);


    internal const int X_OK = 1;

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int access(byte* path, int mode);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_openpt(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int grantpt(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int unlockpt(int fd);

    // ptsname_r returns the error number (glibc also sets errno).
    [LibraryImport(Lib)]
    internal static partial int ptsname_r(int fd, byte* buffer, nuint length);

    internal const nuint TIOCSWINSZ = 0x5414;
    internal const nuint TIOCGWINSZ = 0x5413;

    [StructLayout(LayoutKind.Sequential)]
    internal struct WindowSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort PixelWidth;
        public ushort PixelHeight;
    }

    // ioctl is variadic; a pointer third argument travels like a fixed one on the Linux x86-64 and arm64 ABIs.
    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request, WindowSize* size);

    internal const int EIO = 5;
}
