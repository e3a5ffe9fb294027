using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using SafePosix.Interop;

namespace SafePosix.Ipc;

/// <summary>
/// Named pipes (FIFOs) with the blocking rules made explicit. A plain <c>open(O_WRONLY)</c> of a FIFO waits
/// forever for a reader and <c>open(O_RDONLY)</c> forever for a writer; here both wait at most a timeout and then
/// throw <see cref="TimeoutException"/>.
/// </summary>
public static class Fifo
{
    private const int PollInterval = 5;

    /// <summary>
    /// Creates a FIFO at <paramref name="path"/> (mkfifo) with <paramref name="mode"/>, 0600 by default (the umask
    /// can only remove bits). An existing FIFO owned by the effective user is accepted as it is.
    /// </summary>
    /// <returns>True when the FIFO was created, false when an existing one of ours was found.</returns>
    /// <exception cref="ArgumentException">The path is empty or contains NUL, or the mode has bits beyond 0777.</exception>
    /// <exception cref="PosixException">
    /// mkfifo failed; or (EEXIST) the path exists and is not a FIFO or belongs to another user.
    /// </exception>
    public static unsafe bool Create(string path, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var bytes = NativeStrings.ToNullTerminatedUtf8(path, nameof(path));
        if (((int)mode & ~0x1FF) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Only permission bits (0777) are allowed.");
        }

        fixed (byte* p = bytes)
        {
            if (Libc.mkfifo(p, (uint)mode) == 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EEXIST)
            {
                throw new PosixException("mkfifo", errno, path);
            }

            if (!DescriptorIo.TryStat(Libc.AT_FDCWD, p, Libc.AT_SYMLINK_NOFOLLOW, out var existingMode, out var owner, out _, "statx", path))
            {
                throw new PosixException("mkfifo", Errno.EEXIST, path + ": it vanished while being checked; try again");
            }

            if ((existingMode & Libc.S_IFMT) != Libc.S_IFIFO)
            {
                throw new PosixException("mkfifo", Errno.EEXIST, path + " exists and is not a FIFO");
            }

            if (owner != Libc.geteuid())
            {
                throw new PosixException("mkfifo", Errno.EEXIST, path + " is a FIFO of another user (uid " + owner + ")");
            }

            return false;
        }
    }

    /// <summary>
    /// Opens the FIFO for reading and waits until a writer has opened it (or data or end-of-file is there).
    /// </summary>
    /// <param name="path">The FIFO.</param>
    /// <param name="timeout">How long to wait for a writer; <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.</param>
    /// <exception cref="TimeoutException">No writer came within the timeout.</exception>
    /// <exception cref="PosixException">open failed, or (EINVAL) the path is not a FIFO.</exception>
    public static DescriptorStream OpenRead(string path, TimeSpan timeout)
    {
        var deadline = Deadline.From(timeout, nameof(timeout));
        var fd = SafeFileDescriptor.Open(path, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_NOFOLLOW, 0);
        try
        {
            ThrowIfNotFifo(fd, path);

            // A reader that opened without O_NONBLOCK would block here in open; poll sees the first writer instead.
            if (!DescriptorIo.WaitUntilReady(fd.DangerousGetDescriptor(), Libc.POLLIN, deadline.RemainingMilliseconds()))
            {
                throw new TimeoutException("No writer opened the FIFO " + path + " within " + timeout + ".");
            }

            DescriptorIo.SetNonBlocking(fd, false);
            return new DescriptorStream(fd, FileAccess.Read, ownsDescriptor: true);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Opens the FIFO for writing, waiting until a reader has it open.</summary>
    /// <param name="path">The FIFO.</param>
    /// <param name="timeout">How long to wait for a reader; <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.</param>
    /// <exception cref="TimeoutException">No reader came within the timeout.</exception>
    /// <exception cref="PosixException">open failed, or (EINVAL) the path is not a FIFO.</exception>
    public static DescriptorStream OpenWrite(string path, TimeSpan timeout)
    {
        var deadline = Deadline.From(timeout, nameof(timeout));
        NativeStrings.ToNullTerminatedUtf8(path, nameof(path));
        while (true)
        {
            SafeFileDescriptor fd;
            try
            {
                // Non-blocking open of a FIFO for writing fails with ENXIO instead of waiting for a reader; the
                // kernel offers no way to wait for one, so we retry at a short interval.
                fd = SafeFileDescriptor.Open(path, Libc.O_WRONLY | Libc.O_NONBLOCK | Libc.O_NOFOLLOW, 0);
            }
            catch (PosixException e) when (e.ErrorNumber == IpcErrno.ENXIO)
            {
                var left = deadline.RemainingMilliseconds();
                if (left == 0)
                {
                    throw new TimeoutException("No reader opened the FIFO " + path + " within " + timeout + ".");
                }

                Thread.Sleep(left < 0 ? PollInterval : Math.Min(left, PollInterval));
                continue;
            }

            try
            {
                ThrowIfNotFifo(fd, path);
                DescriptorIo.SetNonBlocking(fd, false);
                return new DescriptorStream(fd, FileAccess.Write, ownsDescriptor: true);
            }
            catch
            {
                fd.Dispose();
                throw;
            }
        }
    }

    private static void ThrowIfNotFifo(SafeFileDescriptor fd, string path)
    {
        DescriptorIo.StatDescriptor(fd, out var mode, out _);
        if ((mode & Libc.S_IFMT) != Libc.S_IFIFO)
        {
            throw new PosixException("open", Errno.EINVAL, path + " is not a FIFO");
        }
    }
}
