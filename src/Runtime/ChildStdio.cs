using System;
using System.Runtime.InteropServices;

namespace SafePosix;

/// <summary>How one of a child's standard streams (0, 1 or 2) is set up.</summary>
public enum ChildStdioKind
{
    /// <summary>The child shares the parent's descriptor.</summary>
    Inherit,

    /// <summary>The child gets /dev/null (opened read-only for stdin, write-only for stdout/stderr).</summary>
    Null,

    /// <summary>A new pipe; the parent gets the other end as a <see cref="System.IO.Stream"/>.</summary>
    Pipe,

    /// <summary>A descriptor the caller supplies (a file, a socket, one end of a pipe ...).</summary>
    Descriptor,
}

/// <summary>The setup for one of a child's standard streams; see <see cref="ChildStdioKind"/>.</summary>
public sealed class ChildStdio
{
    private ChildStdio(ChildStdioKind kind, SafeHandle? handle)
    {
        Kind = kind;
        Handle = handle;
    }

    /// <summary>The child shares the parent's descriptor.</summary>
    public static ChildStdio Inherit { get; } = new(ChildStdioKind.Inherit, null);

    /// <summary>The child reads from or writes to /dev/null.</summary>
    public static ChildStdio Null { get; } = new(ChildStdioKind.Null, null);

    /// <summary>A pipe; the parent end appears as <see cref="ChildProcess.StandardInput"/>,
    /// <see cref="ChildProcess.StandardOutput"/> or <see cref="ChildProcess.StandardError"/>.</summary>
    public static ChildStdio Pipe { get; } = new(ChildStdioKind.Pipe, null);

    /// <summary>What kind of setup this is.</summary>
    public ChildStdioKind Kind { get; }

    /// <summary>The descriptor for <see cref="ChildStdioKind.Descriptor"/>, otherwise null.</summary>
    public SafeHandle? Handle { get; }

    /// <summary>
    /// Gives the child a duplicate of <paramref name="handle"/> (any SafeHandle whose value is a descriptor:
    /// <see cref="SafeFileDescriptor"/>, <see cref="Microsoft.Win32.SafeHandles.SafeFileHandle"/>, a socket's
    /// handle ...). The caller keeps ownership and may close its handle after the spawn.
    /// </summary>
    /// <param name="handle">An open descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="handle"/> is invalid or closed.</exception>
    public static ChildStdio From(SafeHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsInvalid || handle.IsClosed)
        {
            throw new ArgumentException("The handle is invalid or closed.", nameof(handle));
        }

        return new ChildStdio(ChildStdioKind.Descriptor, handle);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind.ToString();
}
