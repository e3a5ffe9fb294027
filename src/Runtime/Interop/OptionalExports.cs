using System;
using System.Runtime.InteropServices;

namespace SafePosix.Interop;

/// <summary>
/// glibc extensions that older C libraries lack. They are looked up once at run time instead of being bound
/// with LibraryImport, so a missing one becomes a clear <see cref="PlatformNotSupportedException"/> at the
/// feature that needs it rather than an EntryPointNotFoundException at an arbitrary first call.
/// </summary>
internal static unsafe class OptionalExports
{
    private static readonly nint LibcHandle = LoadLibc();

    /// <summary>posix_spawn_file_actions_addchdir_np, glibc 2.29+.</summary>
    internal static readonly delegate* unmanaged<void*, byte*, int> AddChdir =
        (delegate* unmanaged<void*, byte*, int>)Find("posix_spawn_file_actions_addchdir_np");

    /// <summary>posix_spawn_file_actions_addclosefrom_np, glibc 2.34+.</summary>
    internal static readonly delegate* unmanaged<void*, int, int> AddCloseFrom =
        (delegate* unmanaged<void*, int, int>)Find("posix_spawn_file_actions_addclosefrom_np");

    /// <summary>The address of the C library's <c>environ</c> variable (a <c>char**</c>), or 0.</summary>
    internal static readonly nint EnvironVariable = Find("environ");

    private static nint LoadLibc()
    {
        foreach (var name in new[] { "libc.so.6", "libc" })
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                return handle;
            }
        }

        return 0;
    }

    private static nint Find(string name) =>
        LibcHandle != 0 && NativeLibrary.TryGetExport(LibcHandle, name, out var address) ? address : 0;
}
