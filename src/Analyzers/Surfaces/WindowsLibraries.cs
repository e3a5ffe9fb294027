using System;
using System.Collections.Generic;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>
/// Libraries only Windows has. Their exports share names with libc's (Winsock's <c>socket</c>, <c>bind</c>,
/// <c>send</c>, <c>select</c>; the C runtime's <c>open</c>, <c>close</c>, <c>dup2</c>), but a call to one is no POSIX
/// call: Winsock's <c>select</c> never fails with EINTR, its sockets are not inherited by exec. Not <c>msvcrt</c>:
/// Mono maps it to libc on every other system, and Mono-era code imports libc functions from it.
/// </summary>
internal static class WindowsLibraries
{
    private static readonly char[] PathSeparators = { '/', '\\' };

    private static readonly HashSet<string> SystemLibraries = new(StringComparer.OrdinalIgnoreCase)
    {
        "advapi32", "avicap32", "bcrypt", "cfgmgr32", "comctl32", "comdlg32", "crypt32", "dbghelp", "dnsapi", "dwmapi", "gdi32", "hid", "iphlpapi",
        "kernel32", "kernelbase", "mswsock", "ncrypt", "netapi32", "ntdll", "ole32", "oleaut32", "powrprof",
        "psapi", "rpcrt4", "secur32", "setupapi", "shell32", "shlwapi", "ucrtbase", "user32", "userenv", "uxtheme",
        "version", "winhttp", "wininet", "winmm", "ws2_32", "wsock32", "wtsapi32",
    };

    /// <summary>True for a Windows system library, named with or without its directory and <c>.dll</c>.</summary>
    public static bool Contains(string? module)
    {
        if (module is null || module.Length == 0)
        {
            return false;
        }

        var name = module.Substring(module.LastIndexOfAny(PathSeparators) + 1);
        if (name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            name = name.Substring(0, name.Length - 4);
        }

        return SystemLibraries.Contains(name)
            || name.StartsWith("api-ms-win-", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("ext-ms-win-", StringComparison.OrdinalIgnoreCase);
    }
}
