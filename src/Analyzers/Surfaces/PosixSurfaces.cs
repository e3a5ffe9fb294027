using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>
/// Answers "which libc function does this method call?" for one compilation. Built once per compilation start;
/// every lookup begins with checks that cost a property read, so the many methods that are not P/Invokes or
/// binding members leave at once.
/// </summary>
internal sealed class PosixSurfaces
{
    private const string LibraryImportAttributeName = "System.Runtime.InteropServices.LibraryImportAttribute";

    // Mono.Posix implements some calls through differently named helpers (mmap -> Mono_Posix_Syscall_mmap), so the
    // binding's public member name is the libc name, not its entry point.
    private readonly INamedTypeSymbol? _tmdsLibC;
    private readonly INamedTypeSymbol? _monoSyscall;
    private readonly INamedTypeSymbol? _monoStdlib;
    private readonly INamedTypeSymbol? _monoLegacySyscall;
    private readonly INamedTypeSymbol? _libraryImportAttribute;
    private readonly ConcurrentDictionary<IMethodSymbol, Import?> _sourceImports = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<string, INamedTypeSymbol?> _knownTypes = new(StringComparer.Ordinal);

    private PosixSurfaces(Compilation compilation)
    {
        Compilation = compilation;
        _tmdsLibC = compilation.GetTypeByMetadataName("Tmds.Linux.LibC");
        _monoSyscall = compilation.GetTypeByMetadataName("Mono.Unix.Native.Syscall");
        _monoStdlib = compilation.GetTypeByMetadataName("Mono.Unix.Native.Stdlib");
        _monoLegacySyscall = compilation.GetTypeByMetadataName("Mono.Posix.Syscall");
        _libraryImportAttribute = compilation.GetTypeByMetadataName(LibraryImportAttributeName);
        IntPtrType = compilation.GetSpecialType(SpecialType.System_IntPtr);
        MarshalType = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.Marshal");
        var memoryApis = ImmutableHashSet.CreateBuilder<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (var name in MemoryApiTypeNames)
        {
            if (compilation.GetTypeByMetadataName(name) is { } type)
            {
                memoryApis.Add(type);
            }
        }

        MemoryApiTypes = memoryApis.ToImmutable();
        Values = new LibcValues(this);
        Summaries = new Flow.MethodSummaries(this);
        var bindingReferenced = _tmdsLibC is not null || _monoSyscall is not null || _monoStdlib is not null || _monoLegacySyscall is not null;
        _reach = new Lazy<NativeReach>(() => NativeReach.Of(compilation, bindingReferenced));
    }

    private readonly Lazy<NativeReach> _reach;

    /// <summary>
    /// Whether the compilation can call a function some rule matches (<see cref="MatchedFunctions"/>). Rules that start
    /// from such calls register nothing when it cannot: ordinary code then costs no per-operation callback.
    /// </summary>
    public bool MayCallMatchedFunction => _reach.Value.MayCallMatchedFunction;

    /// <summary>Whether the compilation can call any P/Invoke or binding function at all.</summary>
    public bool MayCallNative => _reach.Value.MayCallNative;

    // Types whose members or constructors read or write through a pointer argument.
    private static readonly string[] MemoryApiTypeNames =
    {
        "System.Runtime.InteropServices.Marshal",
        "System.Runtime.InteropServices.NativeMemory",
        "System.Runtime.CompilerServices.Unsafe",
        "System.Buffer",
        "System.Span`1",
        "System.ReadOnlySpan`1",
        "System.IO.UnmanagedMemoryStream",
        "System.IO.UnmanagedMemoryAccessor",
    };

    /// <summary>Memory APIs that dereference a pointer they are given.</summary>
    public ImmutableHashSet<INamedTypeSymbol> MemoryApiTypes { get; }

    public Compilation Compilation { get; }

    public INamedTypeSymbol IntPtrType { get; }

    public INamedTypeSymbol? MarshalType { get; }

    public INamedTypeSymbol? TmdsLibC => _tmdsLibC;

    /// <summary>A type by metadata name, resolved once per compilation however many operations ask.</summary>
    public INamedTypeSymbol? KnownType(string metadataName)
        => _knownTypes.TryGetValue(metadataName, out var type)
            ? type
            : _knownTypes.GetOrAdd(metadataName, Compilation.GetTypeByMetadataName(metadataName));

    public INamedTypeSymbol? MonoSyscall => _monoSyscall;

    /// <summary>The sentinel evaluator for this compilation, with its cache of readonly-field values.</summary>
    public LibcValues Values { get; }

    /// <summary>Summaries of the compilation's own methods (wrappers, helpers that never return, pointer checks), shared by every rule.</summary>
    public Flow.MethodSummaries Summaries { get; }

    private Flow.ProcessCalls? _processes;

    /// <summary>The compilation's process-call classifier; it holds only resolved symbols, so one serves every rule and call.</summary>
    /// <remarks>No lock: two threads racing here build identical instances, and either may be kept.</remarks>
    public Flow.ProcessCalls Processes => _processes ??= new Flow.ProcessCalls(this);

    /// <summary>
    /// The compilation's one instance: every rule's compilation-start action asks for it, so the symbols are
    /// resolved, and the entry points and sentinel fields cached, once per compilation rather than once per rule.
    /// </summary>
    public static PosixSurfaces Create(Compilation compilation) => Shared.GetValue(compilation, c => new PosixSurfaces(c));

    private static readonly ConditionalWeakTable<Compilation, PosixSurfaces> Shared = new();

    private Lookup? _lastLookup;

    private sealed class Lookup
    {
        public Lookup(IMethodSymbol method, bool found, LibcCall call)
        {
            Method = method;
            Found = found;
            Call = call;
        }

        public IMethodSymbol Method { get; }

        public bool Found { get; }

        public LibcCall Call { get; }
    }

    /// <summary>Resolves the libc function a method calls; false for anything that is not a POSIX call.</summary>
    public bool TryGetLibcCall(IMethodSymbol method, out LibcCall call)
    {
        if (Remembered(method) is { } remembered)
        {
            call = remembered.Call;
            return remembered.Found;
        }

        if (!_lookups.TryGetValue(method, out var lookup))
        {
            var found = Resolve(method, out call);
            lookup = _lookups.GetOrAdd(method, new Lookup(method, found, call));
        }

        // Written only when it changes: under concurrent execution every thread shares this field.
        Volatile.Write(ref _lastLookup, lookup);
        call = lookup.Call;
        return lookup.Found;
    }

    /// <summary>
    /// Every method looked up, by instance: the walks of a body (a child branch, a status's paths, the calls between
    /// two statements) ask about each call they pass, and again for every rule that walks it. Roslyn hands out one
    /// instance per method, so the instance is the key; a second instance of the same method only costs a second entry.
    /// </summary>
    private readonly ConcurrentDictionary<IMethodSymbol, Lookup> _lookups = new(SameInstance.Comparer);

    /// <summary>Whether each import saves errno (<see cref="ErrnoSurfaces.SavesErrno"/>), by method instance.</summary>
    internal ConcurrentDictionary<IMethodSymbol, bool> ErrnoSaving { get; } = new(SameInstance.Comparer);

    private sealed class SameInstance : IEqualityComparer<IMethodSymbol>
    {
        public static readonly SameInstance Comparer = new();

        public bool Equals(IMethodSymbol? x, IMethodSymbol? y) => ReferenceEquals(x, y);

        public int GetHashCode(IMethodSymbol obj) => RuntimeHelpers.GetHashCode(obj);
    }

    /// <summary>
    /// The last lookup, when it was of this method: the rules of the group ask about the same invocation one after
    /// another. The entry is replaced whole, so a thread that reads it while another replaces it sees one answer or
    /// the other.
    /// </summary>
    private Lookup? Remembered(IMethodSymbol method)
        => Volatile.Read(ref _lastLookup) is { } last && ReferenceEquals(last.Method, method) ? last : null;

    private bool Resolve(IMethodSymbol method, out LibcCall call)
    {
        call = default;
        if (method.MethodKind != MethodKind.Ordinary && method.MethodKind != MethodKind.LocalFunction)
        {
            return false;
        }

        var surface = BindingSurfaceOf(method.ContainingType);
        if (surface is { } binding)
        {
            call = new LibcCall(method.Name, binding);
            return true;
        }

        if (ImportOf(method) is not { FromWindows: false } import)
        {
            return false;
        }

        call = new LibcCall(import.EntryPoint, PosixSurface.OwnInterop);
        return true;
    }

    /// <summary>
    /// An own import from a Windows system library (<see cref="WindowsLibraries"/>): no POSIX call, but a P/Invoke
    /// all the same, whose call changes what <c>Marshal.GetLastWin32Error</c> returns (PSX5001 follows those).
    /// </summary>
    public bool TryGetWindowsImport(IMethodSymbol method, out LibcCall call)
    {
        call = default;
        if ((!method.IsExtern && !IsPartial(method)) || method.MethodKind is not (MethodKind.Ordinary or MethodKind.LocalFunction))
        {
            return false;
        }

        // Asked for every import PSX5001's walks pass that is no libc call; the import data is read once per method.
        if (!_windowsImports.TryGetValue(method, out var found))
        {
            found = _windowsImports.GetOrAdd(method, ImportOf(method) is { FromWindows: true } import ? new LibcCall(import.EntryPoint, PosixSurface.OwnInterop) : null);
        }

        call = found.GetValueOrDefault();
        return found is not null;
    }

    private readonly ConcurrentDictionary<IMethodSymbol, LibcCall?> _windowsImports = new(SameInstance.Comparer);

    /// <summary>
    /// Whether a call of the method can reach libc at all: a P/Invoke, a <c>[LibraryImport]</c> method, a member of a
    /// binding class, or a method of the project's own that may wrap one (<see cref="Flow.MethodSummaries.IsWrapperCandidate"/>).
    /// For any other method <see cref="TryGetLibcCall(IMethodSymbol, out LibcCall)"/> and the wrapper summaries find
    /// nothing, and most calls in any project are to such methods (the framework's, a library's, its own helpers).
    /// </summary>
    public bool MayReachLibc(IMethodSymbol method)
        => method.IsExtern || IsPartial(method) || BindingSurfaceOf(method.ContainingType) is not null || Summaries.IsWrapperCandidate(method);

    /// <summary>Shortcut for rules that care about a handful of functions.</summary>
    public bool TryGetLibcCall(IMethodSymbol method, FunctionSet functions, out LibcCall call)
    {
        if (Remembered(method) is { } last)
        {
            call = last.Call;
            return last.Found && functions.Contains(call);
        }

        // A binding's function is the method's name, and only an import can call another: anything else is out
        // before the binding classes are compared (most invocations, on every rule).
        if (!method.IsExtern && !IsPartial(method) && !functions.Contains(method.Name))
        {
            call = default;
            return false;
        }

        return TryGetLibcCall(method, out call) && functions.Contains(call);
    }

    /// <summary>
    /// Like <see cref="TryGetLibcCall(IMethodSymbol, FunctionSet, out LibcCall)"/>, and also through the
    /// project's own wrappers: <c>static int Fork() =&gt; fork();</c> is <c>fork</c> at its call sites
    /// (<see cref="LibcCall.Wrapper"/> is then set). For rules whose question is about the call's result.
    /// </summary>
    public bool TryGetCallThroughWrappers(IMethodSymbol method, FunctionSet functions, out LibcCall call)
    {
        if (TryGetLibcCall(method, out call))
        {
            return functions.Contains(call);
        }

        return Summaries.TryGetPassThrough(method, out call) && functions.Contains(call);
    }

    /// <summary>The binding surface a type belongs to, if it is one of the known binding classes.</summary>
    public PosixSurface? BindingSurfaceOf(INamedTypeSymbol? type)
    {
        // Equal types have equal names: the name rules out almost every type before any symbol comparison.
        if (type is null || type.Name is not ("LibC" or "Syscall" or "Stdlib"))
        {
            return null;
        }

        if (_tmdsLibC is not null && SymbolEqualityComparer.Default.Equals(type, _tmdsLibC))
        {
            return PosixSurface.Tmds;
        }

        if ((_monoSyscall is not null && SymbolEqualityComparer.Default.Equals(type, _monoSyscall))
            || (_monoStdlib is not null && SymbolEqualityComparer.Default.Equals(type, _monoStdlib)))
        {
            return PosixSurface.MonoNative;
        }

        if (_monoLegacySyscall is not null && SymbolEqualityComparer.Default.Equals(type, _monoLegacySyscall))
        {
            return PosixSurface.MonoLegacy;
        }

        return null;
    }

    /// <summary>The function an own import calls, and whether its library is a Windows one.</summary>
    private readonly struct Import
    {
        public Import(string entryPoint, bool fromWindows)
        {
            EntryPoint = entryPoint;
            FromWindows = fromWindows;
        }

        public string EntryPoint { get; }

        public bool FromWindows { get; }
    }

    private Import? ImportOf(IMethodSymbol method)
    {
        if (method.IsExtern)
        {
            // GetDllImportData is null for an extern method without [DllImport] (e.g. an InternalCall).
            var dllImport = method.GetDllImportData();
            return dllImport is null ? null : new Import(dllImport.EntryPointName ?? method.Name, WindowsLibraries.Contains(dllImport.ModuleName));
        }

        // [LibraryImport] lives on a partial method definition; the generator writes the implementation.
        if (_libraryImportAttribute is null || !method.IsStatic || !IsPartial(method))
        {
            return null;
        }

        return _sourceImports.GetOrAdd(method.OriginalDefinition, LibraryImportOf);
    }

    private static bool IsPartial(IMethodSymbol method)
        => method.IsPartialDefinition || method.PartialDefinitionPart is not null;

    private Import? LibraryImportOf(IMethodSymbol method)
    {
        var definition = method.PartialDefinitionPart ?? method;
        foreach (var attribute in definition.GetAttributes())
        {
            if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, _libraryImportAttribute))
            {
                continue;
            }

            var fromWindows = attribute.ConstructorArguments.Length > 0 && WindowsLibraries.Contains(attribute.ConstructorArguments[0].Value as string);
            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key == "EntryPoint" && argument.Value.Value is string entryPoint && entryPoint.Length > 0)
                {
                    return new Import(entryPoint, fromWindows);
                }
            }

            return new Import(definition.Name, fromWindows);
        }

        return null;
    }

    /// <summary>The functions a rule cares about, as the set the per-invocation name check uses.</summary>
    public static FunctionSet Functions(params string[] names)
    {
        foreach (var name in names)
        {
            DeclaredFunctionNames.TryAdd(name, 0);
        }

        return FunctionSet.Of(names);
    }

    /// <summary>Every name a <see cref="Functions"/> set holds, for the test that keeps <see cref="MatchedFunctions"/> complete.</summary>
    internal static ConcurrentDictionary<string, byte> DeclaredFunctionNames { get; } = new(StringComparer.Ordinal);
}
