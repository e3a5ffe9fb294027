using System;
using System.Runtime.InteropServices;
using Mono.Unix.Native;
using static Tmds.Linux.LibC;

namespace Showcase;

/// <summary>PSX3001: mmap fails with MAP_FAILED ((void*)-1), never NULL.</summary>
internal static unsafe partial class MappingMistakes
{
    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20, MapShared = 1;

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc.so.6", EntryPoint = "mmap", SetLastError = true)]
    private static partial IntPtr MapFile(IntPtr addr, nuint length, int prot, int flags, int fd, nint offset);

    // Own DllImport: compared with NULL, so every failure gets through.
    public static byte MapAnonymousPage()
    {
        var page = mmap(IntPtr.Zero, 4096, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (page == IntPtr.Zero)
        {
            throw new InvalidOperationException("mmap failed");
        }

        Marshal.WriteByte(page, 42);
        return Marshal.ReadByte(page);
    }

    // LibraryImport with a renamed entry point: the result is used without any check.
    public static void WriteHeader(int fd)
    {
        var header = MapFile(IntPtr.Zero, 4096, ProtRead | ProtWrite, MapShared, fd, 0);
        Marshal.WriteInt32(header, 0x50534958);
    }

    // Tmds.LibC: a pointer dereferenced before the MAP_FAILED check.
    public static byte ReadFirstByte(int fd)
    {
        var data = (byte*)Tmds.Linux.LibC.mmap(null, 4096, PROT_READ, MAP_SHARED, fd, 0);
        return data[0];
    }

    // Mono.Posix: the check is on one branch only; the other branch writes through a failed mapping.
    public static void Fill(int fd, bool verify)
    {
        var region = Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ | MmapProts.PROT_WRITE, MmapFlags.MAP_SHARED, fd, 0);
        if (verify && region == Syscall.MAP_FAILED)
        {
            throw new InvalidOperationException("mmap failed");
        }

        Marshal.WriteByte(region, 0);
    }

    // Mono.Posix: MAP_FIXED remap whose result is thrown away.
    public static void Remap(IntPtr at, int fd)
    {
        Syscall.mmap(at, 4096, MmapProts.PROT_READ, MmapFlags.MAP_SHARED | MmapFlags.MAP_FIXED, fd, 0);
    }
}
