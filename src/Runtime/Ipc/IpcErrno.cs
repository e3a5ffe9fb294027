namespace SafePosix.Ipc;

/// <summary>errno values the IPC half checks for, beyond the shared <see cref="Errno"/> list (Linux numbering).</summary>
internal static class IpcErrno
{
    internal const int ENXIO = 6;
    internal const int E2BIG = 7;
    internal const int EXDEV = 18;
    internal const int ENOMSG = 42;
    internal const int EIDRM = 43;
    internal const int ENOTSOCK = 88;
    internal const int EOPNOTSUPP = 95;
    internal const int EADDRINUSE = 98;
    internal const int ETIMEDOUT = 110;
    internal const int ECONNREFUSED = 111;
}
