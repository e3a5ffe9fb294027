using System;
using System.IO;
using System.Text;
using SafePosix.Interop;

namespace SafePosix.Ipc;

/// <summary>
/// A POSIX shared memory object (what <c>shm_open</c> makes: a file in /dev/shm) or an anonymous memfd, with its size
/// set before anyone maps it. <see cref="Create"/> is exclusive (O_EXCL) with mode 0600 and makes this object the owner,
/// which unlinks the name on <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// .NET's <c>MemoryMappedFile.CreateNew(name, ...)</c> throws PlatformNotSupportedException on Unix ("Named maps are not
/// supported"); this is the Unix way. A name outlives a process that crashes before Dispose: pick names you can
/// recognise and clean up, or call <see cref="Unlink"/> as soon as every peer has opened the object (the memory stays
/// until the last descriptor and mapping are gone). <see cref="CreateAnonymous"/> has no name to leak at all: hand its
/// <see cref="Descriptor"/> to a child (<see cref="DescriptorMapping"/>) or send it over a unix socket.
/// </remarks>
public sealed class SharedMemory : IDisposable
{
    private const string Directory = "/dev/shm/";
    private const int NameMax = 255;
    private string? _nameToUnlink;

    private SharedMemory(SafeFileDescriptor descriptor, string? name, long size, bool owner)
    {
        Descriptor = descriptor;
        Name = name;
        Size = size;
        _nameToUnlink = owner ? name : null;
    }

    /// <summary>The object's name without the leading '/', or null for an anonymous one.</summary>
    public string? Name { get; }

    /// <summary>The size in bytes.</summary>
    public long Size { get; }

    /// <summary>Whether Dispose will unlink the name (true for the creator until <see cref="Unlink"/>).</summary>
    public bool IsOwner => _nameToUnlink is not null;

    /// <summary>The descriptor (close-on-exec), for mapping, passing to a child or sending over a socket.</summary>
    public SafeFileDescriptor Descriptor { get; }

    /// <summary>Creates a new object of <paramref name="size"/> bytes (zero-filled); fails if the name exists.</summary>
    /// <param name="name">"name" or "/name": 1 to 255 characters, no other '/', no NUL.</param>
    /// <param name="size">More than 0.</param>
    /// <param name="mode">Permission bits, 0600 by default.</param>
    /// <exception cref="ArgumentException">A bad name, a size of 0 or less, or mode bits beyond 0777.</exception>
    /// <exception cref="PosixException">open (EEXIST: the name is taken) or ftruncate failed; nothing is left behind.</exception>
    public static unsafe SharedMemory Create(string name, long size, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var bare = CheckName(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (((int)mode & ~0x1FF) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Only permission bits (0777) are allowed.");
        }

        var path = Directory + bare;
        var fd = SafeFileDescriptor.Open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW, (int)mode);
        var memory = new SharedMemory(fd, bare, size, owner: true);
        try
        {
            SetSize(fd, size);
            return memory;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing object by name; its size is read from it.</summary>
    /// <param name="name">"name" or "/name".</param>
    /// <param name="writable">O_RDWR when true (needed to map ReadWrite), O_RDONLY otherwise.</param>
    /// <exception cref="PosixException">open failed (ENOENT: no such object).</exception>
    public static SharedMemory Open(string name, bool writable = true)
    {
        var bare = CheckName(name);
        var fd = SafeFileDescriptor.Open(Directory + bare, (writable ? Libc.O_RDWR : Libc.O_RDONLY) | Libc.O_NOFOLLOW, 0);
        try
        {
            DescriptorIo.StatDescriptor(fd, out _, out var size);
            return new SharedMemory(fd, bare, size, owner: false);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Creates anonymous shared memory (memfd_create with MFD_CLOEXEC) of <paramref name="size"/> bytes.</summary>
    /// <param name="size">More than 0.</param>
    /// <param name="debugName">Shown in /proc/PID/fd as "memfd:NAME"; at most 249 bytes, no NUL.</param>
    /// <param name="sealSize">
    /// Seal the size (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL): nobody holding the descriptor, here or in a process it is
    /// passed to, can truncate it, so no mapping of it can ever hit SIGBUS.
    /// </param>
    /// <exception cref="PosixException">memfd_create, ftruncate or fcntl(F_ADD_SEALS) failed.</exception>
    public static unsafe SharedMemory CreateAnonymous(long size, string debugName = "safeposix", bool sealSize = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var nameBytes = NativeStrings.ToNullTerminatedUtf8(debugName, nameof(debugName));
        if (nameBytes.Length > 250)
        {
            throw new ArgumentException("A memfd name holds at most 249 bytes.", nameof(debugName));
        }

        int raw;
        fixed (byte* p = nameBytes)
        {
            raw = Libc.memfd_create(p, Libc.MFD_CLOEXEC | (sealSize ? Libc.MFD_ALLOW_SEALING : 0));
        }

        if (raw < 0)
        {
            throw PosixException.FromLastError("memfd_create");
        }

        var fd = new SafeFileDescriptor(raw, ownsHandle: true);
        try
        {
            SetSize(fd, size);
            if (sealSize && Libc.fcntl(raw, Libc.F_ADD_SEALS, Libc.F_SEAL_SEAL | Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW) != 0)
            {
                throw PosixException.FromLastError("fcntl(F_ADD_SEALS)");
            }

            return new SharedMemory(fd, null, size, owner: false);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes over a descriptor of shared memory received from elsewhere (over a unix socket, or inherited). The object
    /// owns the descriptor from now on.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The descriptor is closed.</exception>
    public static SharedMemory FromDescriptor(SafeFileDescriptor descriptor)
    {
        DescriptorIo.ThrowIfUnusable(descriptor, nameof(descriptor));
        DescriptorIo.StatDescriptor(descriptor, out _, out var size);
        return new SharedMemory(descriptor, null, size, owner: false);
    }

    /// <summary>Maps part or all of the object.</summary>
    /// <param name="offset">Any offset (aligned for you).</param>
    /// <param name="length">The byte count, or -1 for the rest of the object.</param>
    /// <param name="access">Read or ReadWrite.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the object.</exception>
    public MappedRegion Map(long offset = 0, long length = -1, MapAccess access = MapAccess.ReadWrite)
    {
        ObjectDisposedException.ThrowIf(Descriptor.IsClosed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, -1);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return MappedRegion.Map(Descriptor, offset, length == -1 ? Size - offset : length, access);
    }

    /// <summary>
    /// Removes the name now (those who opened it keep their memory). After this, Dispose has no name to remove.
    /// </summary>
    /// <exception cref="PosixException">unlink failed other than with ENOENT.</exception>
    public unsafe void Unlink()
    {
        var name = _nameToUnlink;
        if (name is null)
        {
            return;
        }

        _nameToUnlink = null;
        var bytes = NativeStrings.ToNullTerminatedUtf8(Directory + name, nameof(name));
        fixed (byte* p = bytes)
        {
            if (Libc.unlink(p) != 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() is var errno && errno != Errno.ENOENT)
            {
                throw new PosixException("shm_unlink", errno, name);
            }
        }
    }

    /// <summary>Closes the descriptor and, for the owner, unlinks the name.</summary>
    public void Dispose()
    {
        Descriptor.Dispose();
        try
        {
            Unlink();
        }
        catch (PosixException)
        {
            // Dispose must not throw; a name we could not remove (EACCES after a permission change) stays visible in
            // /dev/shm for the operator.
        }
    }

    private static void SetSize(SafeFileDescriptor fd, long size)
    {
        int rv;
        do
        {
            rv = Libc.ftruncate(fd.DangerousGetDescriptor(), size);
        }
        while (rv != 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errno.EINTR);

        if (rv != 0)
        {
            throw PosixException.FromLastError("ftruncate");
        }
    }

    private static string CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var bare = name.StartsWith('/') ? name[1..] : name;
        if (bare.Length == 0 || bare.Contains('/', StringComparison.Ordinal) || bare is "." or "..")
        {
            throw new ArgumentException("A shared memory name is 'name' or '/name' with no other '/'.", nameof(name));
        }

        NativeStrings.ThrowIfContainsNul(bare, nameof(name));
        if (Encoding.UTF8.GetByteCount(bare) > NameMax)
        {
            throw new ArgumentException("A shared memory name holds at most " + NameMax + " bytes.", nameof(name));
        }

        return bare;
    }
}
