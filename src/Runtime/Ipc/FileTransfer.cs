using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SafePosix.Interop;

namespace SafePosix.Ipc;

/// <summary>How <see cref="FileTransfer.SendFile(SafeHandle, SafeHandle, long, long)"/> moved the bytes.</summary>
public enum TransferMethod
{
    /// <summary>sendfile(2): in the kernel, no copy through user space.</summary>
    SendFile,

    /// <summary>copy_file_range(2): in the kernel, file to file (may share extents on file systems that can).</summary>
    CopyFileRange,

    /// <summary>pread and write through a buffer, where the kernel refused both of the above.</summary>
    ReadWrite,
}

/// <summary>
/// sendfile done completely: the whole range is moved however many partial transfers it takes, EINTR is retried, a
/// non-blocking destination is waited on with poll, and where the kernel refuses sendfile (EINVAL, ENOSYS: a destination
/// opened O_APPEND, a source that cannot be mapped ...) the copy falls back to copy_file_range and then to pread/write.
/// </summary>
/// <remarks>
/// The source is read at the given offset with positional calls, so its file position is not used or moved. The
/// destination is written at its own position (a socket, a pipe, or a file at its current offset), which advances.
/// </remarks>
public static class FileTransfer
{
    // Linux moves at most 0x7ffff000 bytes per call.
    private const long MaxChunk = 0x7ffff000;
    private const int BufferSize = 1 << 17;

    /// <summary>Sends <paramref name="count"/> bytes of <paramref name="source"/> from <paramref name="offset"/> to a socket.</summary>
    /// <inheritdoc cref="SendFile(SafeHandle, SafeHandle, long, long)"/>
    public static long SendFile(SafeHandle source, Socket destination, long offset = 0, long count = -1)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return SendFile(source, destination.SafeHandle, offset, count);
    }

    /// <summary>
    /// Copies <paramref name="count"/> bytes of <paramref name="source"/>, starting at <paramref name="offset"/>, to
    /// <paramref name="destination"/>.
    /// </summary>
    /// <param name="source">
    /// A regular file (a FileStream's SafeFileHandle, a <see cref="SafeFileDescriptor"/> ...); a pipe or socket works too,
    /// from offset 0, copied with read/write.
    /// </param>
    /// <param name="destination">A socket, pipe or file descriptor.</param>
    /// <param name="offset">Where to start reading the source; 0 or more.</param>
    /// <param name="count">How many bytes, or -1 for everything up to the end of the source.</param>
    /// <returns>The bytes moved: <paramref name="count"/>, or fewer if the source ended first.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative offset, or a count below -1.</exception>
    /// <exception cref="ObjectDisposedException">A descriptor is closed.</exception>
    /// <exception cref="System.IO.IOException">The destination's reader is gone (EPIPE), or another write error.</exception>
    /// <exception cref="PosixException">sendfile, copy_file_range or pread failed otherwise.</exception>
    public static long SendFile(SafeHandle source, SafeHandle destination, long offset = 0, long count = -1) =>
        SendFile(source, destination, offset, count, out _);

    /// <summary>As <see cref="SendFile(SafeHandle, SafeHandle, long, long)"/>, also telling which method did the work.</summary>
    public static unsafe long SendFile(SafeHandle source, SafeHandle destination, long offset, long count, out TransferMethod method)
    {
        DescriptorIo.ThrowIfUnusable(source, nameof(source));
        DescriptorIo.ThrowIfUnusable(destination, nameof(destination));
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, -1);

        var sourceAdded = false;
        var destinationAdded = false;
        try
        {
            source.DangerousAddRef(ref sourceAdded);
            destination.DangerousAddRef(ref destinationAdded);
            var inFd = (int)source.DangerousGetHandle();
            var outFd = (int)destination.DangerousGetHandle();
            DescriptorIo.StatDescriptor(source, out var mode, out var size);
            var seekable = (mode & Libc.S_IFMT) == Libc.S_IFREG;
            if (!seekable && offset != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(offset), offset, "The source is not a regular file (a pipe or socket has no offset); pass 0.");
            }

            if (count == -1)
            {
                count = seekable ? Math.Max(0, size - offset) : long.MaxValue; // a pipe or socket: until end of file
            }

            // sendfile and copy_file_range need a source they can read at an offset; a pipe or socket goes by read/write.
            method = seekable ? TransferMethod.SendFile : TransferMethod.ReadWrite;
            long moved = 0;
            var position = offset;
            while (moved < count)
            {
                var chunk = (nuint)Math.Min(MaxChunk, count - moved);
                nint n = method switch
                {
                    TransferMethod.SendFile => Libc.sendfile(outFd, inFd, &position, chunk),
                    TransferMethod.CopyFileRange => Libc.copy_file_range(inFd, &position, outFd, null, chunk, 0),
                    _ => ReadWrite(inFd, outFd, seekable, ref position, (int)Math.Min(BufferSize, count - moved)),
                };
                if (n > 0)
                {
                    // sendfile and copy_file_range advance `position` themselves; ReadWrite does it in its helper.
                    moved += n;
                    continue;
                }

                if (n == 0)
                {
                    break; // the source ended early
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (errno == Errno.EAGAIN)
                {
                    DescriptorIo.WaitUntilReady(outFd, Libc.POLLOUT, -1);
                    continue;
                }

                if (errno == Errno.EPIPE)
                {
                    throw DescriptorIo.WriteError(method == TransferMethod.SendFile ? "sendfile" : "copy_file_range", errno);
                }

                if (method == TransferMethod.SendFile && errno is Errno.EINVAL or Errno.ENOSYS or IpcErrno.EOPNOTSUPP)
                {
                    method = TransferMethod.CopyFileRange;
                    continue;
                }

                if (method == TransferMethod.CopyFileRange && errno is Errno.EINVAL or Errno.ENOSYS or IpcErrno.EOPNOTSUPP or IpcErrno.EXDEV or Errno.EBADF)
                {
                    method = TransferMethod.ReadWrite;
                    continue;
                }

                throw new PosixException(method == TransferMethod.SendFile ? "sendfile" : "copy_file_range", errno);
            }

            return moved;
        }
        finally
        {
            if (destinationAdded)
            {
                destination.DangerousRelease();
            }

            if (sourceAdded)
            {
                source.DangerousRelease();
            }
        }
    }

    /// <summary>One buffer's worth: pread at <paramref name="position"/> (read for a pipe or socket), then write all of it.</summary>
    private static unsafe nint ReadWrite(int inFd, int outFd, bool seekable, ref long position, int length)
    {
        var buffer = (byte*)NativeMemory.Alloc((nuint)length);
        try
        {
            nint n;
            while (true)
            {
                n = seekable ? Libc.pread(inFd, buffer, length, position) : Libc.read(inFd, buffer, length);
                if (n >= 0)
                {
                    break;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (errno == Errno.EAGAIN)
                {
                    DescriptorIo.WaitUntilReady(inFd, Libc.POLLIN, -1);
                    continue;
                }

                throw new PosixException(seekable ? "pread" : "read", errno);
            }

            var written = 0;
            while (written < n)
            {
                var w = Libc.write(outFd, buffer + written, n - written);
                if (w >= 0)
                {
                    written += (int)w;
                    continue;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (errno == Errno.EAGAIN)
                {
                    DescriptorIo.WaitUntilReady(outFd, Libc.POLLOUT, -1);
                    continue;
                }

                throw DescriptorIo.WriteError("write", errno);
            }

            position += n;
            return n;
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }
}
