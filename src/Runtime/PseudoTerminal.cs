using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using SafePosix.Interop;

namespace SafePosix;

/// <summary>
/// A pseudo-terminal pair: the master side stays here (<see cref="Stream"/>), the slave side is opened by path in a
/// child started with <see cref="SpawnOptions.Terminal"/>, where it becomes stdin, stdout, stderr and the
/// controlling terminal of the child's new session. Works on net8 and later (.NET 11's own PseudoTerminal is the
/// reference point).
/// </summary>
public sealed unsafe class PseudoTerminal : IDisposable
{
    private PseudoTerminal(SafeFileDescriptor master, string slavePath)
    {
        Master = master;
        SlavePath = slavePath;
        Stream = new TerminalStream(master);
    }

    /// <summary>The master descriptor (close-on-exec).</summary>
    public SafeFileDescriptor Master { get; }

    /// <summary>The slave's path, e.g. /dev/pts/3.</summary>
    public string SlavePath { get; }

    /// <summary>
    /// Reads what the child writes to the terminal (echo included, with the terminal's own line discipline, so
    /// "\n" arrives as "\r\n") and writes what the child reads as keyboard input. A read returns 0 once no
    /// process holds the slave side any more (the kernel reports EIO there; the stream calls it end of stream).
    /// </summary>
    public Stream Stream { get; }

    /// <summary>Opens a pty pair (posix_openpt O_RDWR|O_NOCTTY|O_CLOEXEC, grantpt, unlockpt) with a window size.</summary>
    /// <param name="rows">Rows, 1 to 65535.</param>
    /// <param name="columns">Columns, 1 to 65535.</param>
    /// <exception cref="PosixException">A call failed (e.g. no ptys left: EAGAIN / ENOSPC).</exception>
    public static PseudoTerminal Open(int rows = 24, int columns = 80)
    {
        CheckSize(rows, columns);
        var fd = Libc.posix_openpt(Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            throw PosixException.FromLastError("posix_openpt");
        }

        var master = new SafeFileDescriptor(fd, ownsHandle: true);
        try
        {
            if (Libc.grantpt(fd) != 0)
            {
                throw PosixException.FromLastError("grantpt");
            }

            if (Libc.unlockpt(fd) != 0)
            {
                throw PosixException.FromLastError("unlockpt");
            }

            var buffer = stackalloc byte[128];
            var error = Libc.ptsname_r(fd, buffer, 128);
            if (error != 0)
            {
                throw new PosixException("ptsname_r", error);
            }

            var terminal = new PseudoTerminal(master, Marshal.PtrToStringUTF8((nint)buffer)!);
            terminal.Resize(rows, columns);
            return terminal;
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    /// <summary>The window size as the child sees it (TIOCGWINSZ).</summary>
    public (int Rows, int Columns) Size
    {
        get
        {
            Libc.WindowSize size;
            if (Libc.ioctl(Master.DangerousGetDescriptor(), Libc.TIOCGWINSZ, &size) != 0)
            {
                throw PosixException.FromLastError("ioctl(TIOCGWINSZ)");
            }

            return (size.Rows, size.Columns);
        }
    }

    /// <summary>Sets the window size (TIOCSWINSZ); the kernel sends SIGWINCH to the terminal's foreground group.</summary>
    /// <param name="rows">Rows, 1 to 65535.</param>
    /// <param name="columns">Columns, 1 to 65535.</param>
    public void Resize(int rows, int columns)
    {
        CheckSize(rows, columns);
        var size = new Libc.WindowSize { Rows = (ushort)rows, Columns = (ushort)columns };
        if (Libc.ioctl(Master.DangerousGetDescriptor(), Libc.TIOCSWINSZ, &size) != 0)
        {
            throw PosixException.FromLastError("ioctl(TIOCSWINSZ)");
        }
    }

    /// <summary>Closes the master; the child's terminal then hangs up (SIGHUP to its session).</summary>
    public void Dispose()
    {
        Stream.Dispose();
        Master.Dispose();
    }

    internal byte[] SlavePathBytes() => NativeStrings.ToNullTerminatedUtf8(SlavePath, nameof(SlavePath));

    private static void CheckSize(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(columns, ushort.MaxValue);
    }

    /// <summary>Blocking reads and writes on the master, EINTR retried, partial writes finished, EIO as end of stream.</summary>
    private sealed class TerminalStream(SafeFileDescriptor master) : Stream
    {
        public override bool CanRead => !master.IsClosed;

        public override bool CanSeek => false;

        public override bool CanWrite => !master.IsClosed;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var added = false;
            try
            {
                master.DangerousAddRef(ref added);
                nint read;
                fixed (byte* p = buffer)
                {
                    do
                    {
                        read = Libc.read(master.DangerousGetDescriptor(), p, buffer.Length);
                    }
                    while (read < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
                }

                if (read < 0)
                {
                    var error = Marshal.GetLastPInvokeError();
                    return error == Libc.EIO ? 0 : throw new IOException(new PosixException("read", error, "pty master").Message);
                }

                return (int)read;
            }
            finally
            {
                if (added)
                {
                    master.DangerousRelease();
                }
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var added = false;
            try
            {
                master.DangerousAddRef(ref added);
                fixed (byte* p = buffer)
                {
                    var done = 0;
                    while (done < buffer.Length)
                    {
                        var written = Libc.write(master.DangerousGetDescriptor(), p + done, buffer.Length - done);
                        if (written < 0)
                        {
                            var error = Marshal.GetLastPInvokeError();
                            if (error == Errno.EINTR)
                            {
                                continue;
                            }

                            throw new IOException(new PosixException("write", error, "pty master").Message);
                        }

                        done += (int)written;
                    }
                }
            }
            finally
            {
                if (added)
                {
                    master.DangerousRelease();
                }
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
