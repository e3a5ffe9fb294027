using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using SafePosix.Interop;

namespace SafePosix;

/// <summary>
/// The PATH search of execvp, done in the parent against the PATH the child will get. posix_spawnp would search the
/// C library's environ of the parent instead: the PATH the process started with, blind to later changes and to the
/// environment given to the child, so a different program with the same name could run.
/// </summary>
internal static unsafe class ExecutableSearch
{
    /// <summary>glibc's search path when PATH is unset (confstr(_CS_PATH)).</summary>
    private const string DefaultPath = "/bin:/usr/bin";

    /// <summary>The NUL-terminated path of the first executable regular file named <paramref name="program"/>.</summary>
    /// <exception cref="PosixException">Not found (ENOENT), or found only without execute permission (EACCES).</exception>
    internal static byte[] Find(string program, IReadOnlyList<byte[]> environment, string? workingDirectory)
    {
        var path = DefaultPath;
        foreach (var entry in environment)
        {
            if (entry.AsSpan().StartsWith("PATH="u8))
            {
                path = Encoding.UTF8.GetString(entry, 5, entry.Length - 5);
                break;
            }
        }

        var sawDenied = false;
        foreach (var directory in path.Split(':'))
        {
            // An empty entry means the current directory, as in execvp; relative entries count from the child's.
            var folder = directory.Length == 0 ? "." : directory;
            var candidate = Path.Combine(folder, program);
            if (!Path.IsPathRooted(candidate))
            {
                candidate = Path.GetFullPath(candidate, workingDirectory is null ? Environment.CurrentDirectory : Path.GetFullPath(workingDirectory));
            }

            if (!File.Exists(candidate))
            {
                continue;
            }

            var bytes = NativeStrings.ToNullTerminatedUtf8(candidate, nameof(program));
            fixed (byte* p = bytes)
            {
                if (Libc.access(p, Libc.X_OK) == 0)
                {
                    return bytes;
                }
            }

            sawDenied |= Marshal.GetLastPInvokeError() == Errno.EACCES;
        }

        throw new PosixException("posix_spawnp", sawDenied ? Errno.EACCES : Errno.ENOENT, program + " (searched PATH=" + path + ")");
    }
}
