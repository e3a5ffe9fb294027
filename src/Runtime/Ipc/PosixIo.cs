using System;
using System.IO;
using System.Runtime.InteropServices;

namespace SafePosix.Ipc;

/// <summary>
/// Whole reads and writes on any descriptor, for code that would otherwise call <c>write</c> or <c>read</c> itself and
/// forget a partial transfer, EINTR or EAGAIN. Code holding a raw descriptor number can wrap it without taking ownership:
/// <c>PosixIo.WriteAll(new SafeFileDescriptor(fd, ownsHandle: false), data)</c>.
/// </summary>
public static class PosixIo
{
    /// <summary>
    /// Writes every byte of <paramref name="data"/>: partial writes are continued, EINTR retried, EAGAIN on a
    /// non-blocking descriptor waited out with poll.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The descriptor is closed.</exception>
    /// <exception cref="IOException">
    /// The write failed; EPIPE (the reader is gone) says so, and the <see cref="Exception.InnerException"/> is the
    /// <see cref="PosixException"/>.
    /// </exception>
    public static void WriteAll(SafeHandle descriptor, ReadOnlySpan<byte> data)
    {
        DescriptorIo.ThrowIfUnusable(descriptor, nameof(descriptor));
        DescriptorIo.Write(descriptor, data);
    }

    /// <summary>
    /// Reads at most <paramref name="buffer"/>.Length bytes, waiting until at least one is there; EINTR retried, EAGAIN
    /// waited out with poll.
    /// </summary>
    /// <returns>The number of bytes read; 0 at end of file (or for an empty buffer).</returns>
    /// <exception cref="ObjectDisposedException">The descriptor is closed.</exception>
    /// <exception cref="IOException">The read failed; the inner exception is the <see cref="PosixException"/>.</exception>
    public static int Read(SafeHandle descriptor, Span<byte> buffer)
    {
        DescriptorIo.ThrowIfUnusable(descriptor, nameof(descriptor));
        return DescriptorIo.Read(descriptor, buffer);
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes.</summary>
    /// <exception cref="EndOfStreamException">End of file came first.</exception>
    /// <exception cref="IOException">The read failed.</exception>
    public static void ReadExactly(SafeHandle descriptor, Span<byte> buffer)
    {
        DescriptorIo.ThrowIfUnusable(descriptor, nameof(descriptor));
        while (!buffer.IsEmpty)
        {
            var n = DescriptorIo.Read(descriptor, buffer);
            if (n == 0)
            {
                throw new EndOfStreamException("End of file with " + buffer.Length + " bytes still expected.");
            }

            buffer = buffer[n..];
        }
    }
}
