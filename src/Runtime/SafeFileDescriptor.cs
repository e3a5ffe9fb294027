using System;
using System.IO;
using System.IO.Pipes;
using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;
using SafePosix.Interop;

namespace SafePosix;

/// <summary>
/// Owns one file descriptor and closes it exactly once. Every descriptor this library opens is created
/// close-on-exec (O_CLOEXEC, pipe2(O_CLOEXEC), F_DUPFD_CLOEXEC), so a concurrent spawn or exec elsewhere in
/// the process never inherits it by accident; descriptors reach a child only through explicit file actions.
/// </summary>
public sealed class SafeFileDescriptor : SafeHandle
{
    /// <summary>Creates an invalid handle (the descriptor number -1).</summary>
    public SafeFileDescriptor()
        : base(-1, ownsHandle: true)
    {
    }

    /// <summary>Wraps an existing descriptor number.</summary>
    /// <param name="descriptor">The descriptor; must be 0 or greater.</param>
    /// <param name="ownsHandle">Whether disposing this handle closes the descriptor.</param>
    public SafeFileDescriptor(int descriptor, bool ownsHandle)
        : base(-1, ownsHandle)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(descriptor);
        SetHandle(descriptor);
    }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == -1;

    /// <summary>
    /// The descriptor number, for diagnostics or for native code that needs it. The number is only valid while
    /// this handle is alive; prefer passing the handle itself.
    /// </summary>
    public int DangerousGetDescriptor() => (int)handle;

    /// <summary>Creates a pipe whose two ends are both close-on-exec.</summary>
    /// <param name="readEnd">Receives the end to read from.</param>
    /// <param name="writeEnd">Receives the end to write to.</param>
    /// <exception cref="PosixException">pipe2 failed (e.g. EMFILE).</exception>
    public static unsafe void CreatePipe(out SafeFileDescriptor readEnd, out SafeFileDescriptor writeEnd)
    {
        var fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0)
        {
            throw PosixException.FromLastError("pipe2");
        }

        readEnd = new SafeFileDescriptor(fds[0], ownsHandle: true);
        writeEnd = new SafeFileDescriptor(fds[1], ownsHandle: true);
    }

    /// <summary>
    /// Opens <paramref name="path"/> with open(2), always adding O_CLOEXEC and retrying on EINTR.
    /// </summary>
    /// <param name="path">The file to open.</param>
    /// <param name="flags">open(2) flags, e.g. <c>O_WRONLY | O_CREAT | O_APPEND</c> as raw values (Linux numbering).</param>
    /// <param name="mode">Permission bits for a created file, e.g. <c>0b110_000_000</c> (0600).</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or contains a NUL character.</exception>
    /// <exception cref="PosixException">open failed.</exception>
    internal static unsafe SafeFileDescriptor Open(string path, int flags, int mode)
    {
        var bytes = NativeStrings.ToNullTerminatedUtf8(path, nameof(path));
        int fd;
        fixed (byte* p = bytes)
        {
            do
            {
                fd = Libc.open(p, flags | Libc.O_CLOEXEC, mode);
            }
            while (fd < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
        }

        if (fd < 0)
        {
            throw PosixException.FromLastError("open", path);
        }

        return new SafeFileDescriptor(fd, ownsHandle: true);
    }

    /// <summary>Wraps a pipe end in a stream that owns the descriptor from then on.</summary>
    internal static Stream ToPipeStream(SafeFileDescriptor pipeEnd, PipeDirection direction)
    {
        var pipeHandle = new SafePipeHandle(pipeEnd.DangerousGetHandle(), ownsHandle: true);
        pipeEnd.SetHandleAsInvalid();
        return new AnonymousPipeClientStream(direction, pipeHandle);
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        // No EINTR retry: Linux releases the descriptor even when close reports EINTR, and a retry could close a
        // number another thread has just been given.
        return Libc.close((int)handle) == 0;
    }
}
