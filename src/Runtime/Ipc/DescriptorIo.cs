using System;
using System.IO;
using System.Runtime.InteropServices;
using SafePosix.Interop;

namespace SafePosix.Ipc;

/// <summary>
/// read/write/poll on a descriptor with the rules every caller needs: EINTR retried, EAGAIN waited out with poll
/// (so a non-blocking descriptor behaves like a blocking one), partial writes finished, EPIPE an IOException.
/// </summary>
internal static unsafe class DescriptorIo
{
    internal static void ThrowIfUnusable(SafeHandle handle, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(handle, parameterName);
        if (handle.IsClosed)
        {
            throw new ObjectDisposedException(parameterName, "The descriptor has been closed.");
        }

        if (handle.IsInvalid)
        {
            throw new ArgumentException("The handle does not hold a descriptor.", parameterName);
        }
    }

    /// <summary>Reads at most <paramref name="buffer"/>.Length bytes; 0 means end of file.</summary>
    internal static int Read(SafeHandle handle, Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var fd = (int)handle.DangerousGetHandle();
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    var n = Libc.read(fd, p, buffer.Length);
                    if (n >= 0)
                    {
                        return (int)n;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    if (errno == Errno.EAGAIN)
                    {
                        WaitUntilReady(fd, Libc.POLLIN, -1);
                        continue;
                    }

                    throw new IOException("read failed", new PosixException("read", errno));
                }
            }
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>Writes every byte, however many calls it takes.</summary>
    internal static void Write(SafeHandle handle, ReadOnlySpan<byte> buffer)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var fd = (int)handle.DangerousGetHandle();
            fixed (byte* start = buffer)
            {
                var p = start;
                var left = buffer.Length;
                while (left > 0)
                {
                    var n = Libc.write(fd, p, left);
                    if (n >= 0)
                    {
                        p += n;
                        left -= (int)n;
                        continue;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    if (errno == Errno.EAGAIN)
                    {
                        WaitUntilReady(fd, Libc.POLLOUT, -1);
                        continue;
                    }

                    throw WriteError("write", errno);
                }
            }
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    internal static IOException WriteError(string function, int errno) =>
        errno == Errno.EPIPE
            ? new IOException("The reading end is closed (EPIPE): nobody will read this data.", new PosixException(function, errno))
            : new IOException(function + " failed", new PosixException(function, errno));

    /// <summary>
    /// Waits until <paramref name="fd"/> reports one of <paramref name="events"/> (or an error or hang-up, which the
    /// next call then reports). Returns false on timeout. EINTR is retried with the time that is left.
    /// </summary>
    internal static bool WaitUntilReady(int fd, short events, int timeoutMilliseconds)
    {
        var deadline = timeoutMilliseconds < 0
            ? Deadline.From(System.Threading.Timeout.InfiniteTimeSpan, "timeout")
            : Deadline.From(TimeSpan.FromMilliseconds(timeoutMilliseconds), "timeout");
        var pollFd = new Libc.PollFd { Fd = fd, Events = events };
        while (true)
        {
            pollFd.Revents = 0;
            var rv = Libc.poll(&pollFd, 1, deadline.RemainingMilliseconds());
            if (rv > 0)
            {
                return true;
            }

            if (rv == 0)
            {
                return false;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new PosixException("poll", errno);
            }
        }
    }

    internal static int GetStatusFlags(SafeHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var flags = Libc.fcntl((int)handle.DangerousGetHandle(), Libc.F_GETFL, 0);
            return flags >= 0 ? flags : throw PosixException.FromLastError("fcntl(F_GETFL)");
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    internal static void SetNonBlocking(SafeHandle handle, bool nonBlocking)
    {
        var flags = GetStatusFlags(handle);
        var wanted = nonBlocking ? flags | Libc.O_NONBLOCK : flags & ~Libc.O_NONBLOCK;
        if (wanted == flags)
        {
            return;
        }

        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (Libc.fcntl((int)handle.DangerousGetHandle(), Libc.F_SETFL, wanted) < 0)
            {
                throw PosixException.FromLastError("fcntl(F_SETFL)");
            }
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>statx of an open descriptor or of a path (symlinks not followed); false when the path does not exist.</summary>
    internal static bool TryStat(int directoryFd, byte* path, int flags, out uint mode, out uint uid, out long size, string function, string? detail)
    {
        var buffer = stackalloc byte[Libc.StatxSize];
        if (Libc.statx(directoryFd, path, flags, Libc.STATX_TYPE | Libc.STATX_MODE | Libc.STATX_UID | Libc.STATX_SIZE, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ENOENT && path[0] != 0)
            {
                mode = uid = 0;
                size = 0;
                return false;
            }

            throw new PosixException(function, errno, detail);
        }

        mode = *(ushort*)(buffer + Libc.StatxModeOffset);
        uid = *(uint*)(buffer + Libc.StatxUidOffset);
        size = *(long*)(buffer + Libc.StatxSizeOffset);
        return true;
    }

    internal static void StatDescriptor(SafeHandle handle, out uint mode, out long size)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            byte empty = 0;
            TryStat((int)handle.DangerousGetHandle(), &empty, Libc.AT_EMPTY_PATH, out mode, out _, out size, "statx", null);
        }
        finally
        {
            handle.DangerousRelease();
        }
    }
}
