using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using Mono.Unix.Native;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Showcase;

/// <summary>
/// PSX3002-PSX3004, PSX5001, PSX5002: mapping arguments that always fail, munmap calls that leak, errno read after
/// the wrong call, and failures nobody checks. Each method is a mistake seen in real projects; none is called.
/// </summary>
internal static unsafe partial class MappingAndResultMistakes
{
    private const int ProtRead = 1, ProtWrite = 2, MapShared = 1, MapAnonymous = 0x20;
    private const int HeaderSize = 512;

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(IntPtr addr, nuint length);

    [DllImport("libc", EntryPoint = "open")]
    private static extern int OpenFile(string path, int flags);

    [LibraryImport("libc", EntryPoint = "setuid", SetLastError = true)]
    private static partial int SetUserId(uint uid);

    // PSX3002: the records start after a 512-byte header, but 512 is not a page boundary: always EINVAL.
    public static IntPtr MapRecords(int fd, int pages)
        => mmap(IntPtr.Zero, (nuint)(pages * Environment.SystemPageSize), ProtRead, MapShared, fd, HeaderSize);

    // PSX3002 on Tmds.LibC: a page multiple plus a small header, through off_t.
    public static void* MapEntry(int fd, long page)
    {
        off_t offset = page * getpagesize() + 16;
        return Tmds.Linux.LibC.mmap(null, 4096, PROT_READ, MAP_SHARED, fd, offset);
    }

    // PSX3003: a Dispose that unmaps with length 0 fails with EINVAL and leaks every mapping.
    internal sealed class MappedFile : IDisposable
    {
        private readonly IntPtr _address;
        private readonly ulong _length;

        public MappedFile(int fd, ulong length)
        {
            _length = length;
            _address = Syscall.mmap(IntPtr.Zero, length, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, fd, 0);
            if (_address == Syscall.MAP_FAILED)
            {
                throw new InvalidOperationException("mmap failed: " + Stdlib.GetLastError());
            }
        }

        public void Dispose() => Syscall.munmap(_address, 0);
    }

    // PSX3003: unmapping the pointer moved past the header, not the address mmap returned.
    public static int ReadFirstRecord(int fd)
    {
        var mapping = mmap(IntPtr.Zero, 8192, ProtRead, MapShared, fd, 0);
        if (mapping == new IntPtr(-1))
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }

        var records = mapping + 16;
        int first = Marshal.ReadInt32(records);
        munmap(records, 8192);
        return first;
    }

    // PSX3004: MAP_ANONYMOUS alone is neither shared nor private: always EINVAL.
    public static IntPtr AllocateScratch() => mmap(IntPtr.Zero, 65536, ProtRead | ProtWrite, MapAnonymous, -1, 0);

    // PSX3004: a shared, writable mapping of a descriptor opened read-only fails with EACCES.
    public static IntPtr MapCounter(string path)
    {
        int fd = Syscall.open(path, OpenFlags.O_RDONLY);
        if (fd < 0)
        {
            throw new InvalidOperationException("open failed: " + Stdlib.GetLastError());
        }

        return Syscall.mmap(IntPtr.Zero, 4096, MmapProts.PROT_READ | MmapProts.PROT_WRITE, MmapFlags.MAP_SHARED, fd, 0);
    }

    // PSX5001: 'open' is declared without SetLastError = true, so the errno thrown is whatever an earlier call left.
    public static int Open(string path)
    {
        int fd = OpenFile(path, 0);
        if (fd < 0)
        {
            throw new Win32Exception(Marshal.GetLastWin32Error());
        }

        return fd;
    }

    // PSX5001: close runs between the failed write and the errno read, and overwrites it.
    public static void WriteAndClose(int fd, IntPtr buffer, ulong count)
    {
        long written = Syscall.write(fd, buffer, count);
        Syscall.close(fd);
        if (written < 0)
        {
            throw new InvalidOperationException("write failed: " + Stdlib.GetLastError());
        }
    }

    // PSX5002: privileges are "dropped" without checking that it worked.
    public static void DropPrivileges(uint user) => SetUserId(user);

    // PSX5002: Mono.Posix daemon set-up whose failures all go unnoticed.
    public static void Detach()
    {
        Syscall.setsid();
        Syscall.chdir("/");
    }
}
