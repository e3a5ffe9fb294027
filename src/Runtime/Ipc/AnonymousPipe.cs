using System;
using System.IO;
using System.Runtime.InteropServices;
using SafePosix.Interop;

namespace SafePosix.Ipc;

/// <summary>
/// A pipe (pipe2 with O_CLOEXEC): both ends are descriptors only this process holds until one is handed to a
/// child explicitly (<see cref="ChildStdio.From"/>, <see cref="DescriptorMapping"/>) or sent over a unix socket.
/// </summary>
/// <example>
/// <code>
/// using var pipe = AnonymousPipe.Create();
/// var child = ChildProcess.Start(new SpawnOptions("gzip", "-c") { StandardInput = ChildStdio.From(pipe.ReadEnd) });
/// pipe.ReadEnd.Dispose();          // the child holds its copy; ours would keep the pipe open forever
/// pipe.Writer.Write(data);         // IOException (EPIPE) if gzip has exited, never a SIGPIPE death
/// pipe.WriteEnd.Dispose();         // end of input
/// </code>
/// </example>
public sealed class AnonymousPipe : IDisposable
{
    private DescriptorStream? _reader;
    private DescriptorStream? _writer;

    private AnonymousPipe(SafeFileDescriptor readEnd, SafeFileDescriptor writeEnd)
    {
        ReadEnd = readEnd;
        WriteEnd = writeEnd;
    }

    /// <summary>The end to read from. Dispose it once a child has its copy.</summary>
    public SafeFileDescriptor ReadEnd { get; }

    /// <summary>The end to write to. Disposing it is what gives the reader end-of-file.</summary>
    public SafeFileDescriptor WriteEnd { get; }

    /// <summary>A stream over <see cref="ReadEnd"/>; it does not own the descriptor.</summary>
    public DescriptorStream Reader => _reader ??= new DescriptorStream(ReadEnd, FileAccess.Read);

    /// <summary>A stream over <see cref="WriteEnd"/>; it does not own the descriptor.</summary>
    public DescriptorStream Writer => _writer ??= new DescriptorStream(WriteEnd, FileAccess.Write);

    /// <summary>
    /// The pipe's buffer size in bytes (F_GETPIPE_SZ). Setting it (F_SETPIPE_SZ) rounds up to a power-of-two number
    /// of pages; an unprivileged process may go up to /proc/sys/fs/pipe-max-size (1 MiB by default).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is zero or negative.</exception>
    /// <exception cref="PosixException">fcntl failed: EPERM above the limit, EBUSY below the data in the pipe.</exception>
    public int Capacity
    {
        get => PipeSize(Libc.F_GETPIPE_SZ, 0, "fcntl(F_GETPIPE_SZ)");
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            PipeSize(Libc.F_SETPIPE_SZ, value, "fcntl(F_SETPIPE_SZ)");
        }
    }

    /// <summary>Creates a pipe.</summary>
    /// <param name="nonBlocking">
    /// O_NONBLOCK on both ends. The streams still block (they poll when the pipe is empty or full); use it when the
    /// descriptors go to code that expects non-blocking ones, or with <see cref="TryWrite"/> and <see cref="TryRead"/>.
    /// </param>
    /// <param name="capacity">The buffer size to ask for (see <see cref="Capacity"/>), or 0 for the default 64 KiB.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    /// <exception cref="PosixException">pipe2 or fcntl failed.</exception>
    public static unsafe AnonymousPipe Create(bool nonBlocking = false, int capacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        var fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC | (nonBlocking ? Libc.O_NONBLOCK : 0)) != 0)
        {
            throw PosixException.FromLastError("pipe2");
        }

        var pipe = new AnonymousPipe(new SafeFileDescriptor(fds[0], ownsHandle: true), new SafeFileDescriptor(fds[1], ownsHandle: true));
        try
        {
            if (capacity > 0)
            {
                pipe.Capacity = capacity;
            }

            return pipe;
        }
        catch
        {
            pipe.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes what fits without waiting. Returns the number of bytes written: 0 when the pipe is full. Only useful on a
    /// pipe created with <c>nonBlocking: true</c>; on a blocking pipe the call may wait for room.
    /// </summary>
    /// <exception cref="IOException">The reading end is closed (EPIPE), or write failed.</exception>
    public unsafe int TryWrite(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(WriteEnd.IsClosed, WriteEnd);
        if (data.IsEmpty)
        {
            return 0;
        }

        var added = false;
        WriteEnd.DangerousAddRef(ref added);
        try
        {
            fixed (byte* p = data)
            {
                while (true)
                {
                    var n = Libc.write(WriteEnd.DangerousGetDescriptor(), p, data.Length);
                    if (n >= 0)
                    {
                        return (int)n;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    return errno == Errno.EAGAIN ? 0 : throw DescriptorIo.WriteError("write", errno);
                }
            }
        }
        finally
        {
            WriteEnd.DangerousRelease();
        }
    }

    /// <summary>
    /// Reads what is there without waiting. Returns false when the pipe is empty but writers remain; true with
    /// <paramref name="bytesRead"/> = 0 at end of file. Only useful on a pipe created with <c>nonBlocking: true</c>.
    /// </summary>
    /// <exception cref="IOException">read failed.</exception>
    public unsafe bool TryRead(Span<byte> buffer, out int bytesRead)
    {
        ObjectDisposedException.ThrowIf(ReadEnd.IsClosed, ReadEnd);
        if (buffer.IsEmpty)
        {
            throw new ArgumentException("The buffer is empty; a zero-byte read cannot tell data from end of file.", nameof(buffer));
        }

        var added = false;
        ReadEnd.DangerousAddRef(ref added);
        try
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    var n = Libc.read(ReadEnd.DangerousGetDescriptor(), p, buffer.Length);
                    if (n >= 0)
                    {
                        bytesRead = (int)n;
                        return true;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    if (errno == Errno.EAGAIN)
                    {
                        bytesRead = 0;
                        return false;
                    }

                    throw new IOException("read failed", new PosixException("read", errno));
                }
            }
        }
        finally
        {
            ReadEnd.DangerousRelease();
        }
    }

    /// <summary>Closes both ends (those not closed already).</summary>
    public void Dispose()
    {
        ReadEnd.Dispose();
        WriteEnd.Dispose();
    }

    private int PipeSize(int command, int argument, string function)
    {
        var end = !WriteEnd.IsClosed ? WriteEnd : ReadEnd;
        ObjectDisposedException.ThrowIf(end.IsClosed, this);
        var added = false;
        end.DangerousAddRef(ref added);
        try
        {
            var rv = Libc.fcntl(end.DangerousGetDescriptor(), command, argument);
            return rv >= 0 ? rv : throw PosixException.FromLastError(function);
        }
        finally
        {
            end.DangerousRelease();
        }
    }
}
