using System.Collections.Generic;
using System.Collections.Immutable;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>How one descriptor-creating function gets close-on-exec: a flag in one of its arguments, or another function.</summary>
internal sealed class CloexecFunction
{
    private CloexecFunction(string function, int flagParameter, string flag, long linuxValue, string? replacement)
    {
        Function = function;
        FlagParameter = flagParameter;
        Flag = flag;
        LinuxValue = linuxValue;
        Replacement = replacement;
    }

    public string Function { get; }

    /// <summary>The position of the flags parameter in the C signature; -1 when the function has none.</summary>
    public int FlagParameter { get; }

    /// <summary>The flag that asks for close-on-exec, by its C name.</summary>
    public string Flag { get; }

    /// <summary>The flag's value on Linux (x86-64 and arm64 agree), for literals and the project's own constants.</summary>
    public long LinuxValue { get; }

    /// <summary>The function to call instead, for functions that have no flags parameter.</summary>
    public string? Replacement { get; }

    public static CloexecFunction WithFlag(string function, int flagParameter, string flag, long linuxValue = OCloexec)
        => new(function, flagParameter, flag, linuxValue, null);

    public static CloexecFunction ReplacedBy(string function, string replacement, string flag, long linuxValue = OCloexec)
        => new(function, -1, flag, linuxValue, replacement);

    /// <summary>O_CLOEXEC, SOCK_CLOEXEC, EPOLL_CLOEXEC, IN_CLOEXEC and EFD_CLOEXEC are all 02000000 on Linux.</summary>
    public const long OCloexec = 0x80000;

    /// <summary>F_DUPFD_CLOEXEC (fcntl command 1030), which <c>dup</c> is replaced with.</summary>
    public const long FDupfdCloexec = 1030;
}

/// <summary>The functions PSX4002 knows, by libc name. shm_open is not here: it always sets FD_CLOEXEC.</summary>
internal static class CloexecFunctions
{
    public static ImmutableDictionary<string, CloexecFunction> ByName { get; } = Build(
        CloexecFunction.WithFlag("open", 1, "O_CLOEXEC"),
        CloexecFunction.WithFlag("open64", 1, "O_CLOEXEC"),
        CloexecFunction.WithFlag("openat", 2, "O_CLOEXEC"),
        CloexecFunction.WithFlag("openat64", 2, "O_CLOEXEC"),
        CloexecFunction.ReplacedBy("creat", "open", "O_CLOEXEC"),
        CloexecFunction.ReplacedBy("creat64", "open", "O_CLOEXEC"),
        CloexecFunction.ReplacedBy("pipe", "pipe2", "O_CLOEXEC"),
        CloexecFunction.WithFlag("pipe2", 1, "O_CLOEXEC"),
        CloexecFunction.WithFlag("socket", 1, "SOCK_CLOEXEC"),
        CloexecFunction.WithFlag("socketpair", 1, "SOCK_CLOEXEC"),
        CloexecFunction.ReplacedBy("accept", "accept4", "SOCK_CLOEXEC"),
        CloexecFunction.WithFlag("accept4", 3, "SOCK_CLOEXEC"),
        CloexecFunction.ReplacedBy("dup", "fcntl", "F_DUPFD_CLOEXEC", CloexecFunction.FDupfdCloexec),
        CloexecFunction.ReplacedBy("epoll_create", "epoll_create1", "EPOLL_CLOEXEC"),
        CloexecFunction.WithFlag("epoll_create1", 0, "EPOLL_CLOEXEC"),
        CloexecFunction.ReplacedBy("inotify_init", "inotify_init1", "IN_CLOEXEC"),
        CloexecFunction.WithFlag("inotify_init1", 0, "IN_CLOEXEC"),
        CloexecFunction.WithFlag("eventfd", 1, "EFD_CLOEXEC"),
        CloexecFunction.WithFlag("memfd_create", 1, "MFD_CLOEXEC", 1));

    public static FunctionSet Names { get; } = PosixSurfaces.Functions(new List<string>(ByName.Keys).ToArray());

    private static ImmutableDictionary<string, CloexecFunction> Build(params CloexecFunction[] functions)
    {
        var builder = ImmutableDictionary.CreateBuilder<string, CloexecFunction>(System.StringComparer.Ordinal);
        foreach (var function in functions)
        {
            builder.Add(function.Function, function);
        }

        return builder.ToImmutable();
    }
}
