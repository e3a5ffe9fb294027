using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace SafePosix.Ipc;

/// <summary>
/// A <see cref="Stream"/> over a pipe, FIFO, socket or character device descriptor, with the rules the BCL leaves
/// to chance on raw descriptors: EINTR retried, a non-blocking descriptor waited on with poll instead of failing
/// with EAGAIN, every write finished however many partial writes it takes, and a write whose reader is gone an
/// <see cref="IOException"/> (EPIPE, with a <see cref="PosixException"/> inside), never a SIGPIPE death.
/// </summary>
/// <remarks>
/// The stream is not seekable. Asynchronous calls run the blocking call on the thread pool (one at a time per
/// stream, as <see cref="Stream"/> guarantees). Disposing the stream closes the descriptor only when it was
/// created with <c>ownsDescriptor: true</c>.
/// </remarks>
public sealed class DescriptorStream : Stream
{
    private readonly SafeHandle _descriptor;
    private readonly FileAccess _access;
    private readonly bool _ownsDescriptor;
    private bool _disposed;

    /// <summary>Wraps <paramref name="descriptor"/>.</summary>
    /// <param name="descriptor">An open descriptor (a <see cref="SafeFileDescriptor"/>, a SafePipeHandle ...).</param>
    /// <param name="access">Read, Write or ReadWrite: which of the stream's operations are allowed.</param>
    /// <param name="ownsDescriptor">Whether disposing the stream disposes <paramref name="descriptor"/>.</param>
    /// <exception cref="ObjectDisposedException">The descriptor is closed.</exception>
    public DescriptorStream(SafeHandle descriptor, FileAccess access, bool ownsDescriptor = false)
    {
        DescriptorIo.ThrowIfUnusable(descriptor, nameof(descriptor));
        if (access is not (FileAccess.Read or FileAccess.Write or FileAccess.ReadWrite))
        {
            throw new ArgumentOutOfRangeException(nameof(access), access, "Use Read, Write or ReadWrite.");
        }

        _descriptor = descriptor;
        _access = access;
        _ownsDescriptor = ownsDescriptor;
    }

    /// <summary>The descriptor underneath.</summary>
    public SafeHandle Descriptor => _descriptor;

    /// <inheritdoc/>
    public override bool CanRead => !_disposed && (_access & FileAccess.Read) != 0;

    /// <inheritdoc/>
    public override bool CanWrite => !_disposed && (_access & FileAccess.Write) != 0;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException("A pipe or socket has no length.");

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException("A pipe or socket has no position.");
        set => throw new NotSupportedException("A pipe or socket has no position.");
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        ThrowIfCannot(FileAccess.Read);
        return DescriptorIo.Read(_descriptor, buffer);
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfCannot(FileAccess.Write);
        DescriptorIo.Write(_descriptor, buffer);
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfCannot(FileAccess.Read);
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<int>(Task.Run(() => DescriptorIo.Read(_descriptor, buffer.Span), cancellationToken));
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfCannot(FileAccess.Write);
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask(Task.Run(() => DescriptorIo.Write(_descriptor, buffer.Span), cancellationToken));
    }

    /// <inheritdoc/>
    public override void Flush()
    {
        // Nothing is buffered here: every Write reaches the kernel before it returns.
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A pipe or socket cannot seek.");

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException("A pipe or socket has no length.");

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed && _ownsDescriptor)
        {
            _descriptor.Dispose();
        }

        _disposed = true;
        base.Dispose(disposing);
    }

    private void ThrowIfCannot(FileAccess needed)
    {
        ObjectDisposedException.ThrowIf(_disposed || _descriptor.IsClosed, this);
        if ((_access & needed) == 0)
        {
            throw new NotSupportedException(needed == FileAccess.Read ? "This stream is write-only." : "This stream is read-only.");
        }
    }
}
