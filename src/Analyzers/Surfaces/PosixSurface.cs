using Microsoft.CodeAnalysis;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>How the C# code reaches libc; fixes write code in the same surface's vocabulary.</summary>
internal enum PosixSurface
{
    /// <summary>The project's own [DllImport]/[LibraryImport] declaration, or an extern local function.</summary>
    OwnInterop,

    /// <summary>Tmds.LibC: <c>Tmds.Linux.LibC</c>.</summary>
    Tmds,

    /// <summary>Mono.Posix.NETStandard: <c>Mono.Unix.Native.Syscall</c> and <c>Stdlib</c>.</summary>
    MonoNative,

    /// <summary>The legacy, obsolete <c>Mono.Posix.Syscall</c> class.</summary>
    MonoLegacy,
}

/// <summary>An invocation resolved to the libc function it ends up calling.</summary>
internal readonly struct LibcCall
{
    public LibcCall(string function, PosixSurface surface, IMethodSymbol? wrapper = null)
    {
        Function = function;
        _functionNumberPlusOne = MatchedFunctions.IdOf(function) + 1;
        Surface = surface;
        Wrapper = wrapper;
    }

    /// <summary>The libc entry point, e.g. <c>mmap</c> for <c>[DllImport("libc", EntryPoint = "mmap")] static extern IntPtr Map(...)</c>.</summary>
    public string Function { get; }

    // Stored plus one, so that default(LibcCall), which some failed lookups hand out, has no function's number.
    private readonly int _functionNumberPlusOne;

    /// <summary>The function's number among <see cref="MatchedFunctions.All"/>, or -1: what <see cref="FunctionSet.Contains(LibcCall)"/> tests.</summary>
    public int FunctionId => _functionNumberPlusOne - 1;

    public PosixSurface Surface { get; }

    /// <summary>The project's own method that passes the call's result through (<see cref="Flow.MethodSummaries.TryGetPassThrough"/>), when the call goes through one.</summary>
    public IMethodSymbol? Wrapper { get; }
}
