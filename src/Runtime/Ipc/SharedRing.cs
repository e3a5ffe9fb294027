using System;
using System.IO;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Threading;
using SafePosix.Interop;

namespace SafePosix.Ipc;

/// <summary>
/// A single-producer, single-consumer queue of byte messages in shared memory, for two processes (or two threads).
/// Messages are copied in and out without system calls while both sides are busy; a side that has to wait spins
/// briefly and then sleeps on a futex in the shared memory, which the other side wakes only when someone sleeps.
/// </summary>
/// <remarks>
/// <para>Exactly one writer and one reader at a time: the ring has no locks. Two threads writing (or reading) at once
/// corrupt it; serialize them yourself.</para>
/// <para>The other process is not trusted: lengths read from the shared memory are checked before use, and a corrupt
/// ring throws <see cref="InvalidDataException"/> instead of reading out of bounds.</para>
/// <para>If the other process dies, nobody will wake a waiting side: use the timeout overloads (or watch the peer's
/// exit with <see cref="ChildProcess"/>) when that matters. <see cref="Complete"/> tells the reader that no more messages
/// will come.</para>
/// </remarks>
/// <example>
/// <code>
/// // producer                                          // consumer (another process)
/// using var ring = SharedRing.Create("jobs", 1 &lt;&lt; 20);   using var ring = SharedRing.Open("jobs");
/// ring.Write(message);                                 int n;
/// ring.Complete();                                     while ((n = ring.Read(buffer)) >= 0) Handle(buffer[..n]);
/// </code>
/// </example>
public sealed unsafe class SharedRing : IDisposable
{
    private const ulong Magic = 0x31474E5252435053; // "SPSCRRG1"
    private const int HeaderSize = 256;
    private const int MagicOffset = 0;
    private const int CapacityOffset = 8;
    private const int TailOffset = 64;           // written by the producer
    private const int CompletedOffset = 72;      // written by the producer
    private const int HeadOffset = 128;          // written by the consumer
    private const int ConsumerWaitingOffset = 192;
    private const int ConsumerSignalOffset = 196;
    private const int ProducerWaitingOffset = 200;
    private const int ProducerSignalOffset = 204;
    private const int Padding = -1;
    private const int SpinCount = 200;

    private readonly SharedMemory _memory;
    private readonly MappedRegion _region;
    private readonly byte* _base;
    private readonly byte* _data;
    private readonly ulong _mask;
    private ulong _tail;          // the producer's own copy of tail
    private ulong _cachedHead;    // the producer's last look at head
    private ulong _head;          // the consumer's own copy of head
    private ulong _cachedTail;    // the consumer's last look at tail
    private bool _disposed;

    private SharedRing(SharedMemory memory, bool initialize, int capacity)
    {
        _memory = memory;
        try
        {
            if (!initialize)
            {
                capacity = CheckLayout(memory);
            }

            _region = memory.Map(0, HeaderSize + (long)capacity);
            _base = _region.DangerousGetPointer();
            _data = _base + HeaderSize;
            if (initialize)
            {
                *(ulong*)(_base + CapacityOffset) = (ulong)capacity;
                Volatile.Write(ref *(ulong*)(_base + MagicOffset), Magic);
            }
            else if (Volatile.Read(ref *(ulong*)(_base + MagicOffset)) != Magic || *(ulong*)(_base + CapacityOffset) != (ulong)capacity)
            {
                throw new InvalidDataException("The shared memory does not hold a SharedRing (bad magic or capacity).");
            }

            Capacity = capacity;
            _mask = (ulong)capacity - 1;
            _tail = _cachedTail = Volatile.Read(ref *Tail);
            _head = _cachedHead = Volatile.Read(ref *Head);
            if (((_tail | _head) & 7) != 0 || _tail - _head > (ulong)capacity)
            {
                throw new InvalidDataException("The ring's positions are corrupt.");
            }
        }
        catch
        {
            _region?.Dispose();
            memory.Dispose();
            throw;
        }
    }

    /// <summary>The data area in bytes (a power of two).</summary>
    public int Capacity { get; }

    /// <summary>The longest message that fits: a quarter of <see cref="Capacity"/>, less its 4-byte header.</summary>
    public int MaxMessageLength => (Capacity / 4) - 4;

    /// <summary>The shared memory descriptor, to hand to a child or send over a unix socket (see <see cref="Attach"/>).</summary>
    public SafeFileDescriptor Descriptor => _memory.Descriptor;

    /// <summary>True once the writer called <see cref="Complete"/>.</summary>
    public bool IsCompleted => Volatile.Read(ref *(int*)(_base + CompletedOffset)) != 0;

    private ulong* Tail => (ulong*)(_base + TailOffset);

    private ulong* Head => (ulong*)(_base + HeadOffset);

    /// <summary>Creates a ring in a new named shared memory object (exclusive, 0600; unlinked on Dispose).</summary>
    /// <param name="name">The shared memory name (see <see cref="SharedMemory.Create"/>).</param>
    /// <param name="capacity">The data area: a power of two from 4096 to 1 GiB.</param>
    /// <exception cref="ArgumentException">A bad name or capacity.</exception>
    /// <exception cref="PosixException">The shared memory could not be created.</exception>
    public static SharedRing Create(string name, int capacity)
    {
        CheckCapacity(capacity);
        return new SharedRing(SharedMemory.Create(name, HeaderSize + (long)capacity), initialize: true, capacity);
    }

    /// <summary>Creates a ring in anonymous shared memory (memfd); share it through <see cref="Descriptor"/>.</summary>
    /// <inheritdoc cref="Create"/>
    public static SharedRing CreateAnonymous(int capacity)
    {
        CheckCapacity(capacity);
        return new SharedRing(SharedMemory.CreateAnonymous(HeaderSize + (long)capacity, "safeposix-ring"), initialize: true, capacity);
    }

    /// <summary>Opens the ring another process created under <paramref name="name"/>.</summary>
    /// <exception cref="InvalidDataException">The object is not a ring.</exception>
    /// <exception cref="PosixException">The shared memory could not be opened.</exception>
    public static SharedRing Open(string name) => new(SharedMemory.Open(name), initialize: false, 0);

    /// <summary>Uses a ring whose descriptor was inherited or received; the ring owns the descriptor from now on.</summary>
    /// <exception cref="InvalidDataException">The memory is not a ring.</exception>
    public static SharedRing Attach(SafeFileDescriptor descriptor) => new(SharedMemory.FromDescriptor(descriptor), initialize: false, 0);

    /// <summary>Writes a message if there is room now; false when the ring is full.</summary>
    /// <exception cref="ArgumentException">The message is longer than <see cref="MaxMessageLength"/>.</exception>
    public bool TryWrite(ReadOnlySpan<byte> message)
    {
        if (message.Length > MaxMessageLength)
        {
            throw new ArgumentException("The message has " + message.Length + " bytes; this ring takes at most " + MaxMessageLength + ".", nameof(message));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        var need = (ulong)Align8(4 + message.Length);
        var index = _tail & _mask;
        var untilEnd = (ulong)Capacity - index;
        var total = need <= untilEnd ? need : untilEnd + need;
        if (_tail + total - _cachedHead > (ulong)Capacity)
        {
            _cachedHead = Volatile.Read(ref *Head);
            if (_tail + total - _cachedHead > (ulong)Capacity)
            {
                return false;
            }
        }

        if (need > untilEnd)
        {
            // The message does not fit before the end: mark the rest as padding and start again at 0.
            *(int*)(_data + index) = Padding;
            _tail += untilEnd;
            index = 0;
        }

        message.CopyTo(new Span<byte>(_data + index + 4, message.Length));
        *(int*)(_data + index) = message.Length;
        _tail += need;
        Volatile.Write(ref *Tail, _tail);
        WakeIfWaiting(ConsumerWaitingOffset, ConsumerSignalOffset);
        return true;
    }

    /// <summary>Writes a message, waiting for room as long as it takes.</summary>
    /// <exception cref="ArgumentException">The message is longer than <see cref="MaxMessageLength"/>.</exception>
    public void Write(ReadOnlySpan<byte> message) => TryWrite(message, Timeout.InfiniteTimeSpan);

    /// <summary>Writes a message, waiting for room at most <paramref name="timeout"/>; false when it ran out.</summary>
    /// <exception cref="ArgumentException">The message is too long, or the timeout negative.</exception>
    public bool TryWrite(ReadOnlySpan<byte> message, TimeSpan timeout)
    {
        var deadline = Deadline.From(timeout, nameof(timeout));
        var spinner = default(SpinWait);
        while (true)
        {
            if (TryWrite(message))
            {
                return true;
            }

            if (spinner.Count < SpinCount)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            var signal = Volatile.Read(ref *(int*)(_base + ProducerSignalOffset));
            Interlocked.Exchange(ref *(int*)(_base + ProducerWaitingOffset), 1);
            if (TryWrite(message))
            {
                return true;
            }

            if (!Sleep(ProducerSignalOffset, signal, deadline))
            {
                return TryWrite(message);
            }
        }
    }

    /// <summary>Reads the next message if there is one now.</summary>
    /// <param name="buffer">Where the message goes; at least <see cref="MaxMessageLength"/> bytes fits any message.</param>
    /// <param name="length">The message's length.</param>
    /// <returns>False when the ring is empty (check <see cref="IsCompleted"/> to tell "not yet" from "never").</returns>
    /// <exception cref="ArgumentException">The message is longer than the buffer; it stays in the ring.</exception>
    /// <exception cref="InvalidDataException">The ring's memory is corrupt.</exception>
    public bool TryRead(Span<byte> buffer, out int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            if (_head == _cachedTail)
            {
                _cachedTail = Volatile.Read(ref *Tail);
                if (_head == _cachedTail)
                {
                    length = 0;
                    return false;
                }
            }

            if (_cachedTail - _head > (ulong)Capacity)
            {
                throw new InvalidDataException("The ring's positions are corrupt.");
            }

            var index = _head & _mask;
            var size = *(int*)(_data + index);
            if (size == Padding)
            {
                _head += (ulong)Capacity - index;
                continue;
            }

            if (size < 0 || size > MaxMessageLength || (ulong)Align8(4 + size) > _cachedTail - _head || index + (ulong)Align8(4 + size) > (ulong)Capacity)
            {
                throw new InvalidDataException("The ring holds a message length of " + size + ", which is impossible.");
            }

            if (size > buffer.Length)
            {
                throw new ArgumentException("The next message has " + size + " bytes; the buffer only " + buffer.Length + ".", nameof(buffer));
            }

            new ReadOnlySpan<byte>(_data + index + 4, size).CopyTo(buffer);
            _head += (ulong)Align8(4 + size);
            Volatile.Write(ref *Head, _head);
            WakeIfWaiting(ProducerWaitingOffset, ProducerSignalOffset);
            length = size;
            return true;
        }
    }

    /// <summary>Reads the next message, waiting as long as it takes.</summary>
    /// <returns>The message's length, or -1 once the writer has completed and every message has been read.</returns>
    /// <inheritdoc cref="TryRead(Span{byte}, out int)"/>
    public int Read(Span<byte> buffer)
    {
        TryRead(buffer, Timeout.InfiniteTimeSpan, out var length); // an infinite wait only returns with a result
        return length;
    }

    /// <summary>Reads the next message, waiting at most <paramref name="timeout"/>.</summary>
    /// <param name="buffer">Where the message goes.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="length">The message's length, or -1 when the writer has completed and the ring is drained.</param>
    /// <returns>False when the time ran out.</returns>
    public bool TryRead(Span<byte> buffer, TimeSpan timeout, out int length)
    {
        var deadline = Deadline.From(timeout, nameof(timeout));
        var spinner = default(SpinWait);
        while (true)
        {
            if (TryRead(buffer, out length))
            {
                return true;
            }

            if (IsCompleted)
            {
                // The writer stores its last message before the flag, so one more look finds anything still there.
                if (!TryRead(buffer, out length))
                {
                    length = -1;
                }

                return true;
            }

            if (spinner.Count < SpinCount)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            var signal = Volatile.Read(ref *(int*)(_base + ConsumerSignalOffset));
            Interlocked.Exchange(ref *(int*)(_base + ConsumerWaitingOffset), 1);
            if (TryRead(buffer, out length))
            {
                return true;
            }

            if (IsCompleted)
            {
                continue;
            }

            if (!Sleep(ConsumerSignalOffset, signal, deadline))
            {
                if (TryRead(buffer, out length))
                {
                    return true;
                }

                length = 0;
                return false;
            }
        }
    }

    /// <summary>Tells the reader that no more messages will come; its Read returns -1 once it has read the rest.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Volatile.Write(ref *(int*)(_base + CompletedOffset), 1);
        Interlocked.Exchange(ref *(int*)(_base + ConsumerWaitingOffset), 0);
        Interlocked.Increment(ref *(int*)(_base + ConsumerSignalOffset));
        Futex(ConsumerSignalOffset, Libc.FUTEX_WAKE, int.MaxValue, null);
    }

    /// <summary>Unmaps the ring and closes the descriptor; the creator of a named ring also unlinks the name.</summary>
    public void Dispose()
    {
        _disposed = true;
        _region.Dispose();
        _memory.Dispose();
    }

    private void WakeIfWaiting(int waitingOffset, int signalOffset)
    {
        // The full fence orders our position store before the flag load; the sleeper does the opposite (flag store, then
        // position load), so one of the two always sees the other and no wake-up is lost.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref *(int*)(_base + waitingOffset)) != 0 && Interlocked.Exchange(ref *(int*)(_base + waitingOffset), 0) != 0)
        {
            Interlocked.Increment(ref *(int*)(_base + signalOffset));
            Futex(signalOffset, Libc.FUTEX_WAKE, 1, null);
        }
    }

    /// <summary>FUTEX_WAIT while the signal word still holds <paramref name="seen"/>; false when the deadline passed.</summary>
    private bool Sleep(int signalOffset, int seen, Deadline deadline)
    {
        var left = deadline.RemainingMilliseconds();
        if (left == 0)
        {
            return false;
        }

        long* timeout = stackalloc long[2];
        timeout[0] = left / 1000;
        timeout[1] = (left % 1000) * 1_000_000L;
        var rv = Futex(signalOffset, Libc.FUTEX_WAIT, seen, left < 0 ? null : timeout);
        if (rv == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            Errno.EAGAIN or Errno.EINTR => true, // the word changed already, or a signal: look again
            IpcErrno.ETIMEDOUT => deadline.RemainingMilliseconds() != 0,
            _ => throw new PosixException("futex", errno),
        };
    }

    private nint Futex(int offset, int operation, int value, long* timeout) =>
        Libc.syscall(Libc.SYS_futex, (nint)(_base + offset), operation, value, (nint)timeout);

    private static int Align8(int value) => (value + 7) & ~7;

    private static void CheckCapacity(int capacity)
    {
        if (capacity < 4096 || capacity > (1 << 30) || !BitOperations.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The capacity is a power of two from 4096 to 1 GiB.");
        }
    }

    private static int CheckLayout(SharedMemory memory)
    {
        var capacity = memory.Size - HeaderSize;
        if (capacity < 4096 || capacity > (1 << 30) || !BitOperations.IsPow2((ulong)capacity))
        {
            throw new InvalidDataException("The shared memory has " + memory.Size + " bytes, which is no SharedRing's size.");
        }

        return (int)capacity;
    }
}
