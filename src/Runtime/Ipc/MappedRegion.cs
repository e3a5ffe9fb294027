using System;
using System.Runtime.InteropServices;
using SafePosix.Interop;

namespace SafePosix.Ipc;

/// <summary>What a mapping allows.</summary>
public enum MapAccess
{
    /// <summary>PROT_READ: writing through the span is a segmentation fault.</summary>
    Read,

    /// <summary>PROT_READ | PROT_WRITE; the descriptor must be open for reading and writing.</summary>
    ReadWrite,
}

/// <summary>
/// A memory mapping of part of a file, shared memory object or memfd (mmap), exposed as <see cref="Span{T}"/>.
/// Any offset is accepted: the mapping starts at the page boundary below it and the span at the byte asked for. The
/// result is checked against MAP_FAILED, flushed with msync, and unmapped with exactly the base and length mapped.
/// </summary>
/// <remarks>
/// <para><b>SIGBUS.</b> Touching a page of a file mapping that lies beyond the end of the file raises SIGBUS, which
/// kills a .NET process (the runtime cannot turn it into an exception). <see cref="Map"/> refuses a range that
/// extends past the end of the file when mapping, but it cannot stop another process, or this one, from truncating the
/// file afterwards. Map only files whose size nobody else controls (a shared memory object you created, a memfd you
/// sealed, a private file), or be ready to die if the owner shrinks them. memmap2 (Rust) marks file mappings
/// <c>unsafe</c> for this reason.</para>
/// <para><b>Lifetime.</b> A span taken from the region must not be used after <see cref="Dispose"/>: the memory is
/// gone and the access is a segmentation fault. Dispose waits for a concurrent <see cref="Flush()"/>, not for spans.</para>
/// </remarks>
public sealed unsafe class MappedRegion : IDisposable
{
    private readonly MappingHandle _mapping;
    private readonly nuint _startInMapping;

    private MappedRegion(MappingHandle mapping, nuint startInMapping, long offset, long length, MapAccess access)
    {
        _mapping = mapping;
        _startInMapping = startInMapping;
        Offset = offset;
        Length = length;
        Access = access;
    }

    /// <summary>The file offset of the first byte of <see cref="Span"/>.</summary>
    public long Offset { get; }

    /// <summary>The number of bytes mapped from <see cref="Offset"/> on.</summary>
    public long Length { get; }

    /// <summary>Read or ReadWrite.</summary>
    public MapAccess Access { get; }

    /// <summary>The whole region as a span; for regions of 2 GiB and more use <see cref="GetSpan"/>.</summary>
    /// <exception cref="InvalidOperationException">The region is 2 GiB or larger.</exception>
    /// <exception cref="ObjectDisposedException">The region has been unmapped.</exception>
    public Span<byte> Span
    {
        get
        {
            if (Length > int.MaxValue)
            {
                throw new InvalidOperationException("The region is larger than a span can be; use GetSpan(start, length).");
            }

            return GetSpan(0, (int)Length);
        }
    }

    /// <summary>A part of the region as a span.</summary>
    /// <param name="start">Where the span starts, relative to <see cref="Offset"/>.</param>
    /// <param name="length">Its length.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the region.</exception>
    public Span<byte> GetSpan(long start, int length)
    {
        ObjectDisposedException.ThrowIf(_mapping.IsClosed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (start + length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The range ends past the region's " + Length + " bytes.");
        }

        return new Span<byte>(Base + start, length);
    }

    /// <summary>
    /// The address of the byte at <see cref="Offset"/>. Valid until <see cref="Dispose"/>; prefer the spans.
    /// </summary>
    public byte* DangerousGetPointer()
    {
        ObjectDisposedException.ThrowIf(_mapping.IsClosed, this);
        return Base;
    }

    private byte* Base => (byte*)_mapping.DangerousGetHandle() + _startInMapping;

    /// <summary>
    /// Maps <paramref name="length"/> bytes of <paramref name="descriptor"/> from <paramref name="offset"/>.
    /// </summary>
    /// <param name="descriptor">A file, shared memory object or memfd, open for reading (and writing for ReadWrite).</param>
    /// <param name="offset">Any offset, 0 or more; page alignment is done here.</param>
    /// <param name="length">More than 0. For a regular file the range must end at or before the end of the file.</param>
    /// <param name="access">Read or ReadWrite.</param>
    /// <param name="shared">
    /// MAP_SHARED (writes reach the file and every other mapping of it) or, when false, MAP_PRIVATE (copy-on-write).
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">A negative offset, a length of 0 or less, or a range past the end of the file.</exception>
    /// <exception cref="ObjectDisposedException">The descriptor is closed.</exception>
    /// <exception cref="PosixException">mmap failed (EACCES: the descriptor's access does not allow it; ENODEV ...).</exception>
    public static MappedRegion Map(SafeHandle descriptor, long offset, long length, MapAccess access = MapAccess.ReadWrite, bool shared = true)
    {
        DescriptorIo.ThrowIfUnusable(descriptor, nameof(descriptor));
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        if (access is not (MapAccess.Read or MapAccess.ReadWrite))
        {
            throw new ArgumentOutOfRangeException(nameof(access), access, "Use Read or ReadWrite.");
        }

        if (offset > long.MaxValue - length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "offset + length overflows.");
        }

        DescriptorIo.StatDescriptor(descriptor, out var mode, out var size);
        if ((mode & Libc.S_IFMT) == Libc.S_IFREG && offset + length > size)
        {
            throw new ArgumentOutOfRangeException(
                nameof(length),
                length,
                "The range ends at " + (offset + length) + " but the file has " + size + " bytes; touching a page past its end raises SIGBUS.");
        }

        var pageSize = Environment.SystemPageSize;
        var alignedOffset = offset & ~((long)pageSize - 1);
        var startInMapping = (nuint)(offset - alignedOffset);
        var mappedLength = startInMapping + (nuint)length;
        var protection = access == MapAccess.ReadWrite ? Libc.PROT_READ | Libc.PROT_WRITE : Libc.PROT_READ;
        var added = false;
        try
        {
            descriptor.DangerousAddRef(ref added);
            var address = Libc.mmap(null, mappedLength, protection, shared ? Libc.MAP_SHARED : Libc.MAP_PRIVATE, (int)descriptor.DangerousGetHandle(), alignedOffset);
            if (address == (void*)-1)
            {
                throw PosixException.FromLastError("mmap");
            }

            return new MappedRegion(new MappingHandle(address, mappedLength), startInMapping, offset, length, access);
        }
        finally
        {
            if (added)
            {
                descriptor.DangerousRelease();
            }
        }
    }

    /// <summary>Writes the whole region's changes to the file and waits for it (msync MS_SYNC).</summary>
    public void Flush() => Flush(0, Length, wait: true);

    /// <summary>Flushes part of the region (msync over the pages that contain it).</summary>
    /// <param name="start">Relative to <see cref="Offset"/>.</param>
    /// <param name="length">The number of bytes.</param>
    /// <param name="wait">MS_SYNC when true; MS_ASYNC (schedule and return) when false.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the region.</exception>
    /// <exception cref="PosixException">msync failed (EIO: the write-back failed).</exception>
    public void Flush(long start, long length, bool wait)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (start + length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The range ends past the region's " + Length + " bytes.");
        }

        var added = false;
        try
        {
            _mapping.DangerousAddRef(ref added);
            var first = _startInMapping + (nuint)start;
            var pageStart = first & ~((nuint)Environment.SystemPageSize - 1);
            var address = (byte*)_mapping.DangerousGetHandle() + pageStart;
            if (Libc.msync(address, first - pageStart + (nuint)length, wait ? Libc.MS_SYNC : Libc.MS_ASYNC) != 0)
            {
                throw PosixException.FromLastError("msync");
            }
        }
        finally
        {
            if (added)
            {
                _mapping.DangerousRelease();
            }
        }
    }

    /// <summary>Unmaps the region (munmap with the exact base and length that were mapped).</summary>
    public void Dispose() => _mapping.Dispose();

    private sealed class MappingHandle : SafeHandle
    {
        private readonly nuint _length;

        internal MappingHandle(void* address, nuint length)
            : base(0, ownsHandle: true)
        {
            _length = length;
            SetHandle((nint)address);
        }

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle() => Libc.munmap((void*)handle, _length) == 0;
    }
}
