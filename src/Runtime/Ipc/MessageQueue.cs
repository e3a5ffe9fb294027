using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using SafePosix.Interop;

namespace SafePosix.Ipc;

/// <summary>
/// A System V message queue (msgget/msgsnd/msgrcv). Queues created here are exclusive (IPC_CREAT | IPC_EXCL, or
/// IPC_PRIVATE) with mode 0600 and removed (IPC_RMID) when the creating object is disposed. Blocking calls retry EINTR;
/// the Try variants use IPC_NOWAIT and report "full" and "empty" as false, not as exceptions.
/// </summary>
/// <remarks>
/// A queue is a kernel object, not a descriptor: it survives the process that created it if that process dies before
/// Dispose (list them with <c>ipcs -q</c>, remove with <c>ipcrm -q ID</c>). Receiving by type: 0 takes the oldest
/// message, a positive type the oldest message of that type, a negative type the oldest message of the lowest type at
/// or below its absolute value.
/// </remarks>
public sealed unsafe class MessageQueue : IDisposable
{
    private const int StackLimit = 16 * 1024;
    private static readonly Lazy<int> MaxSize = new(ReadMessageMax);
    private readonly QueueHandle _handle;

    private MessageQueue(int id, bool owner)
    {
        _handle = new QueueHandle(id, owner);
    }

    /// <summary>The queue identifier (what <c>ipcs -q</c> shows as msqid); another process can <see cref="Attach"/> by it.</summary>
    public int Id => (int)_handle.DangerousGetHandle();

    /// <summary>Whether Dispose removes the queue.</summary>
    public bool IsOwner { get; private set; }

    /// <summary>The largest message the system accepts (/proc/sys/kernel/msgmax, 8192 by default).</summary>
    public static int MaxMessageSize => MaxSize.Value;

    /// <summary>Creates a new private queue (IPC_PRIVATE): reachable only through its <see cref="Id"/>.</summary>
    /// <exception cref="PosixException">msgget failed (ENOSPC: the system's queue limit is reached).</exception>
    public static MessageQueue CreatePrivate(UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite) =>
        Get(Libc.IPC_PRIVATE, Libc.IPC_CREAT | Libc.IPC_EXCL | CheckMode(mode), owner: true);

    /// <summary>Creates a new queue under <paramref name="key"/>; fails with EEXIST if the key is taken.</summary>
    /// <param name="key">Any key but 0 (IPC_PRIVATE), e.g. from ftok.</param>
    /// <param name="mode">Permission bits, 0600 by default.</param>
    /// <exception cref="PosixException">msgget failed (EEXIST: a queue has that key).</exception>
    public static MessageQueue Create(int key, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        CheckKey(key);
        return Get(key, Libc.IPC_CREAT | Libc.IPC_EXCL | CheckMode(mode), owner: true);
    }

    /// <summary>Opens the existing queue under <paramref name="key"/>; disposing it does not remove the queue.</summary>
    /// <exception cref="PosixException">msgget failed (ENOENT: no queue has that key; EACCES).</exception>
    public static MessageQueue Open(int key)
    {
        CheckKey(key);
        return Get(key, 0, owner: false);
    }

    /// <summary>Uses an existing queue by identifier (no system call); disposing it does not remove the queue.</summary>
    public static MessageQueue Attach(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        return new MessageQueue(id, owner: false) { IsOwner = false };
    }

    /// <summary>The number of messages waiting (IPC_STAT).</summary>
    /// <exception cref="PosixException">msgctl failed (EIDRM/EINVAL: the queue is gone).</exception>
    public long Count
    {
        get
        {
            var info = stackalloc byte[Libc.MsqidDsSize];
            Control(Libc.IPC_STAT, info, "msgctl(IPC_STAT)");
            return *(long*)(info + Libc.MsqidQnumOffset);
        }
    }

    /// <summary>Sends a message, waiting while the queue is full. EINTR is retried.</summary>
    /// <param name="type">The message type, 1 or more.</param>
    /// <param name="message">0 to <see cref="MaxMessageSize"/> bytes.</param>
    /// <exception cref="ArgumentException">The type is below 1 or the message over the limit.</exception>
    /// <exception cref="PosixException">msgsnd failed (EIDRM: the queue was removed).</exception>
    public void Send(long type, ReadOnlySpan<byte> message) => SendCore(type, message, 0);

    /// <summary>Sends a message if there is room now (IPC_NOWAIT); false when the queue is full.</summary>
    /// <inheritdoc cref="Send"/>
    public bool TrySend(long type, ReadOnlySpan<byte> message) => SendCore(type, message, Libc.IPC_NOWAIT);

    /// <summary>Receives a message, waiting until one of the wanted type arrives. EINTR is retried.</summary>
    /// <param name="buffer">Where the message goes; make it <see cref="MaxMessageSize"/> bytes to fit any message.</param>
    /// <param name="type">0: the next message; &gt; 0: the next of that type; &lt; 0: the lowest type up to |type|.</param>
    /// <param name="receivedType">The type of the message received.</param>
    /// <returns>The message's length.</returns>
    /// <exception cref="PosixException">
    /// msgrcv failed: E2BIG (the message is larger than the buffer; it stays in the queue), EIDRM (the queue was removed).
    /// </exception>
    public int Receive(Span<byte> buffer, long type, out long receivedType)
    {
        ReceiveCore(buffer, type, 0, out var length, out receivedType);
        return length;
    }

    /// <summary>Receives a message if one of the wanted type is there now (IPC_NOWAIT); false when there is none.</summary>
    /// <inheritdoc cref="Receive"/>
    public bool TryReceive(Span<byte> buffer, long type, out int length, out long receivedType) =>
        ReceiveCore(buffer, type, Libc.IPC_NOWAIT, out length, out receivedType);

    /// <summary>Removes the queue now (IPC_RMID); blocked senders and receivers everywhere get EIDRM.</summary>
    /// <exception cref="PosixException">msgctl failed (EPERM: not the creator or owner).</exception>
    public void Remove()
    {
        Control(Libc.IPC_RMID, null, "msgctl(IPC_RMID)");
        IsOwner = false;
        _handle.Disown();
    }

    /// <summary>Removes the queue if this object created it.</summary>
    public void Dispose() => _handle.Dispose();

    private static MessageQueue Get(int key, int flags, bool owner)
    {
        var id = Libc.msgget(key, flags);
        if (id < 0)
        {
            throw PosixException.FromLastError("msgget", key == Libc.IPC_PRIVATE ? "IPC_PRIVATE" : "key 0x" + key.ToString("x", CultureInfo.InvariantCulture));
        }

        return new MessageQueue(id, owner) { IsOwner = owner };
    }

    private bool SendCore(long type, ReadOnlySpan<byte> message, int flags)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(type, 1);
        if (message.Length > MaxMessageSize)
        {
            throw new ArgumentException(
                "The message has " + message.Length + " bytes; the system limit (kernel.msgmax) is " + MaxMessageSize + ".", nameof(message));
        }

        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var size = sizeof(long) + message.Length;
        byte* native = null;
        byte* block;
        if (size <= StackLimit)
        {
            var onStack = stackalloc byte[size];
            block = onStack;
        }
        else
        {
            native = (byte*)NativeMemory.Alloc((nuint)size);
            block = native;
        }

        try
        {
            *(long*)block = type;
            message.CopyTo(new Span<byte>(block + sizeof(long), message.Length));
            while (true)
            {
                if (Libc.msgsnd(Id, block, (nuint)message.Length, flags) == 0)
                {
                    return true;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (errno == Errno.EAGAIN && (flags & Libc.IPC_NOWAIT) != 0)
                {
                    return false;
                }

                throw new PosixException("msgsnd", errno, "queue " + Id);
            }
        }
        finally
        {
            NativeMemory.Free(native);
        }
    }

    private bool ReceiveCore(Span<byte> buffer, long type, int flags, out int length, out long receivedType)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var capacity = Math.Min(buffer.Length, MaxMessageSize);
        var size = sizeof(long) + capacity;
        byte* native = null;
        byte* block;
        if (size <= StackLimit)
        {
            var onStack = stackalloc byte[size];
            block = onStack;
        }
        else
        {
            native = (byte*)NativeMemory.Alloc((nuint)size);
            block = native;
        }

        try
        {
            while (true)
            {
                var n = Libc.msgrcv(Id, block, (nuint)capacity, (nint)type, flags);
                if (n >= 0)
                {
                    receivedType = *(long*)block;
                    length = (int)n;
                    new ReadOnlySpan<byte>(block + sizeof(long), length).CopyTo(buffer);
                    return true;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (errno == IpcErrno.ENOMSG && (flags & Libc.IPC_NOWAIT) != 0)
                {
                    length = 0;
                    receivedType = 0;
                    return false;
                }

                throw new PosixException(
                    "msgrcv",
                    errno,
                    errno == IpcErrno.E2BIG ? "the message is larger than the " + buffer.Length + "-byte buffer and stays in the queue" : "queue " + Id);
            }
        }
        finally
        {
            NativeMemory.Free(native);
        }
    }

    private void Control(int command, byte* buffer, string function)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (Libc.msgctl(Id, command, buffer) != 0)
        {
            throw PosixException.FromLastError(function, "queue " + Id);
        }
    }

    private static int CheckMode(UnixFileMode mode) =>
        ((int)mode & ~0x1FF) == 0 ? (int)mode : throw new ArgumentOutOfRangeException(nameof(mode), mode, "Only permission bits (0777) are allowed.");

    private static void CheckKey(int key)
    {
        if (key == Libc.IPC_PRIVATE)
        {
            throw new ArgumentOutOfRangeException(nameof(key), key, "Key 0 is IPC_PRIVATE; use CreatePrivate.");
        }
    }

    private static int ReadMessageMax()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/kernel/msgmax").Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 8192; // the kernel's default (MSGMAX)
        }
    }

    /// <summary>Holds the queue id; when owned, releasing removes the queue, even from the finalizer.</summary>
    private sealed class QueueHandle : SafeHandle
    {
        private bool _owner;

        internal QueueHandle(int id, bool owner)
            : base(-1, ownsHandle: true)
        {
            _owner = owner;
            SetHandle(id);
        }

        public override bool IsInvalid => handle == -1;

        internal void Disown() => _owner = false;

        protected override bool ReleaseHandle() => !_owner || Libc.msgctl((int)handle, Libc.IPC_RMID, null) == 0;
    }
}
