using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Surfaces;

/// <summary>How code reads errno.</summary>
internal enum ErrnoRead
{
    None,

    /// <summary>The value the marshaller saved after a <c>SetLastError = true</c> call: GetLastPInvokeError, GetLastWin32Error, Mono's Stdlib.GetLastError, Tmds' errno, <c>new Win32Exception()</c>, <c>new SocketException()</c>.</summary>
    Saved,

    /// <summary>The thread's live errno: Marshal.GetLastSystemError.</summary>
    Live,

    /// <summary>The thread's live errno read through the C library's own accessor: <c>*__errno_location()</c>.</summary>
    LiveLocation,

    /// <summary>The thread's live error code read through a P/Invoke of kernel32's own accessor: <c>GetLastError()</c>.</summary>
    LiveLastError,

    /// <summary>
    /// That accessor imported with <c>SetLastError = true</c> on .NET: the marshaller clears the code before the call,
    /// so it always reads 0.
    /// </summary>
    ClearedLastError,
}

/// <summary>Errno reads, and which P/Invokes save errno for them.</summary>
internal static class ErrnoSurfaces
{
    private const string LibraryImportAttributeName = "System.Runtime.InteropServices.LibraryImportAttribute";

    /// <summary>
    /// The exception whose parameterless constructor reads the saved error for its code and message. Its constructor
    /// with a message reads the code too, but is not counted: the message says what failed, and such throws often
    /// follow a managed check, after some unrelated native call, where no one reads the code.
    /// </summary>
    public const string Win32ExceptionName = "System.ComponentModel.Win32Exception";

    /// <summary>Its parameterless constructor reads the saved error too on .NET and .NET Framework (on Unix mapped to a SocketError).</summary>
    public const string SocketExceptionName = "System.Net.Sockets.SocketException";

    /// <summary>Whether <c>new T()</c> reads the saved error: Win32Exception and SocketException.</summary>
    public static bool ReadsSavedErrorWhenMade(PosixSurfaces surfaces, ITypeSymbol? type)
        => type is not null
           && (SymbolEqualityComparer.Default.Equals(type, surfaces.KnownType(Win32ExceptionName))
               || SymbolEqualityComparer.Default.Equals(type, surfaces.KnownType(SocketExceptionName)));

    /// <summary>Names worth a closer look; every other invocation or property leaves at once.</summary>
    public static bool MayReadErrno(string name)
        => name is "GetLastPInvokeError" or "GetLastWin32Error" or "GetLastSystemError" or "GetLastError" or "errno"
            || ContainsErrno(name); // __errno_location, or an import renamed from it

    /// <summary>
    /// "errno" anywhere in the name, in any ASCII case. Asked of every invoked method's name in any project with a
    /// native call, so a plain loop rather than a culture-aware search: <c>x | 0x20</c> folds exactly 'E', 'R', 'N' and
    /// 'O' onto their lower case and nothing else onto those letters.
    /// </summary>
    private static bool ContainsErrno(string name)
    {
        for (var i = 0; i + 5 <= name.Length; i++)
        {
            if ((name[i] | 0x20) == 'e' && (name[i + 1] | 0x20) == 'r' && (name[i + 2] | 0x20) == 'r'
                && (name[i + 3] | 0x20) == 'n' && (name[i + 4] | 0x20) == 'o')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>glibc's and musl's accessor for the calling thread's errno: <c>int *__errno_location(void)</c>.</summary>
    public const string ErrnoLocationFunction = "__errno_location";

    public static ErrnoRead Classify(PosixSurfaces surfaces, IOperation operation)
    {
        switch (operation)
        {
            case IInvocationOperation { Instance: null } invocation:
                var method = invocation.TargetMethod;
                if (surfaces.MarshalType is { } marshal && SymbolEqualityComparer.Default.Equals(method.ContainingType, marshal))
                {
                    return method.Name switch
                    {
                        "GetLastPInvokeError" or "GetLastWin32Error" => ErrnoRead.Saved,
                        "GetLastSystemError" => ErrnoRead.Live,
                        _ => ErrnoRead.None,
                    };
                }

                if (IsErrnoLocationRead(surfaces, invocation))
                {
                    return ErrnoRead.LiveLocation;
                }

                if (method.Name == "GetLastError" && method.Parameters.IsEmpty && surfaces.BindingSurfaceOf(method.ContainingType) == PosixSurface.MonoNative)
                {
                    return ErrnoRead.Saved;
                }

                if (!surfaces.TryGetWindowsImport(method, out var import) || !IsLastErrorAccessor(method, import))
                {
                    return ErrnoRead.None;
                }

                return ClearsTheCodeFirst(surfaces, method, import) ? ErrnoRead.ClearedLastError : ErrnoRead.LiveLastError;
            case IObjectCreationOperation { Arguments.IsEmpty: true, Constructor.ContainingType: var type }
                when ReadsSavedErrorWhenMade(surfaces, type):
                // new Win32Exception() and new SocketException() take their code from GetLastPInvokeError (.NET Framework:
                // GetLastWin32Error; Mono's SocketException() reads its own runtime's socket error instead).
                return ErrnoRead.Saved;
            case IPropertyReferenceOperation { Instance: null, Property.Name: "errno" } property:
                return surfaces.BindingSurfaceOf(property.Property.ContainingType) == PosixSurface.Tmds ? ErrnoRead.Saved : ErrnoRead.None;
            default:
                return ErrnoRead.None;
        }
    }

    /// <summary>
    /// <c>*__errno_location()</c> (or <c>__errno_location()[0]</c>, <c>Marshal.ReadInt32(__errno_location())</c>): a call of
    /// the project's own import of the accessor whose pointer is read at once. Only a read counts: code that stores the
    /// pointer or writes through it (<c>*__errno_location() = 0</c>) is doing something else.
    /// </summary>
    private static bool IsErrnoLocationRead(PosixSurfaces surfaces, IInvocationOperation invocation)
    {
        if (!invocation.TargetMethod.Parameters.IsEmpty
            || !surfaces.TryGetLibcCall(invocation.TargetMethod, out var call)
            || call.Function != ErrnoLocationFunction
            || call.Surface != PosixSurface.OwnInterop)
        {
            return false;
        }

        var syntax = invocation.Syntax.Parent;
        while (syntax is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            syntax = syntax.Parent;
        }

        switch (syntax)
        {
            case PrefixUnaryExpressionSyntax unary
                when unary.IsKind(SyntaxKind.PointerIndirectionExpression):
                return !IsWritten(unary);
            case ElementAccessExpressionSyntax access:
                return !IsWritten(access);
            case ArgumentSyntax:
                var parent = invocation.Parent;
                while (parent is IConversionOperation)
                {
                    parent = parent.Parent;
                }

                return parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { Name: "ReadInt32" } reader } }
                    && surfaces.MarshalType is { } marshal
                    && SymbolEqualityComparer.Default.Equals(reader.ContainingType, marshal);
            default:
                return false;
        }
    }

    private static bool IsWritten(SyntaxNode node)
    {
        var outer = node;
        while (outer.Parent is ParenthesizedExpressionSyntax)
        {
            outer = outer.Parent;
        }

        return outer.Parent switch
        {
            AssignmentExpressionSyntax assignment => assignment.Left == outer,
            PrefixUnaryExpressionSyntax unary => unary.IsKind(SyntaxKind.PreIncrementExpression) || unary.IsKind(SyntaxKind.PreDecrementExpression),
            PostfixUnaryExpressionSyntax postfix => postfix.IsKind(SyntaxKind.PostIncrementExpression) || postfix.IsKind(SyntaxKind.PostDecrementExpression),
            RefExpressionSyntax => true,
            ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None),
            _ => false,
        };
    }

    /// <summary>Whether a method is a P/Invoke (or a binding's function) whose call changes what the saved-errno reads return.</summary>
    public static bool IsNativeCall(PosixSurfaces surfaces, IMethodSymbol method, out bool savesErrno)
    {
        savesErrno = false;
        if (!TryGetNativeTarget(surfaces, method, out var target, out var call))
        {
            return false;
        }

        savesErrno = SavesErrno(surfaces, target, call.Surface);
        return true;
    }

    /// <summary>
    /// The P/Invoke or binding method a call runs, directly or as the last thing a project's wrapper does
    /// (<c>static int Open(string p) =&gt; open(p, 0);</c>): a wrapper leaves errno as its call left it.
    /// </summary>
    public static bool TryGetNativeTarget(PosixSurfaces surfaces, IMethodSymbol method, out IMethodSymbol target, out LibcCall call)
    {
        target = method;
        if (surfaces.TryGetLibcCall(method, out call))
        {
            // Mono.Posix's Stdlib.GetLastError() returns the saved errno and changes nothing.
            return !IsLastErrorAccessor(method, call);
        }

        // kernel32's GetLastError reads an error, it reports no failure of its own: a branch on it is about the call
        // before (AdjustTokenPrivileges' ERROR_NOT_ALL_ASSIGNED), so the walk back from a read goes on past it. Unless
        // it is imported with SetLastError on .NET: then its call saves a 0 over the code a later read wants.
        if (surfaces.TryGetWindowsImport(method, out call))
        {
            return !IsLastErrorAccessor(method, call) || ClearsTheCodeFirst(surfaces, method, call);
        }

        if (surfaces.Summaries.IsWrapperCandidate(method) && surfaces.Summaries.TryGetWrappedCall(method, out var wrapped)
            && !IsLastErrorAccessor(wrapped.Target, wrapped.Call))
        {
            target = wrapped.Target;
            call = wrapped.Call;
            return true;
        }

        return false;
    }

    /// <summary>
    /// An accessor import with <c>SetLastError = true</c>, on .NET (which has <c>GetLastPInvokeError</c>): the marshaller sets
    /// the code to 0 before every such call (.NET Framework does not), so the accessor reads 0 and saves 0.
    /// </summary>
    public static bool ClearsTheCodeFirst(PosixSurfaces surfaces, IMethodSymbol accessor, LibcCall call)
        => surfaces.MarshalType?.GetMembers("GetLastPInvokeError").Length > 0 && SavesErrno(surfaces, accessor, call.Surface);

    /// <summary>An own import of a Windows error accessor (<c>GetLastError</c>, <c>WSAGetLastError</c>).</summary>
    public static bool IsLastErrorAccessorImport(PosixSurfaces surfaces, IMethodSymbol method)
        => surfaces.TryGetWindowsImport(method, out var call) && IsLastErrorAccessor(method, call);

    /// <summary><c>GetLastError()</c> (kernel32, or Mono.Posix's saved errno) and Winsock's <c>WSAGetLastError()</c>: accessors, not failing calls.</summary>
    public static bool IsLastErrorAccessor(IMethodSymbol method, LibcCall call)
        => call.Function is "GetLastError" or "WSAGetLastError" && method.Parameters.IsEmpty;

    /// <summary>
    /// <c>SetLastError = true</c> on the declaration. Mono.Posix's functions all save errno (some through managed
    /// wrappers around such P/Invokes); Tmds.LibC's are read from their metadata.
    /// </summary>
    public static bool SavesErrno(PosixSurfaces surfaces, IMethodSymbol method, PosixSurface surface)
    {
        if (surface is PosixSurface.MonoNative or PosixSurface.MonoLegacy)
        {
            return true;
        }

        // A metadata method's import data is read from the assembly again on every ask: once per method is enough.
        var known = surfaces.ErrnoSaving;
        return known.TryGetValue(method, out var saves) ? saves : known.GetOrAdd(method, DeclaresSavesErrno(surfaces, method));
    }

    private static bool DeclaresSavesErrno(PosixSurfaces surfaces, IMethodSymbol method)
    {
        if (method.GetDllImportData() is { } dllImport)
        {
            return dllImport.SetLastError;
        }

        var libraryImport = surfaces.KnownType(LibraryImportAttributeName);
        var definition = method.PartialDefinitionPart ?? method;
        foreach (var attribute in definition.GetAttributes())
        {
            if (libraryImport is null || !SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, libraryImport))
            {
                continue;
            }

            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key == "SetLastError")
                {
                    return argument.Value.Value is true;
                }
            }

            return false;
        }

        // Neither DllImport nor LibraryImport data: nothing proves errno is lost.
        return true;
    }

    /// <summary>The DllImport or LibraryImport attribute written on a declaration in source, for a fix to edit.</summary>
    /// <summary>
    /// A Windows import that reports failure in its return value and leaves the last error alone: ntdll's system calls
    /// (<c>Nt*</c>, <c>Zw*</c>, returning an NTSTATUS) and netapi32's <c>Net*</c> functions (a NET_API_STATUS). A
    /// last-error read after one is wrong with or without <c>SetLastError</c>.
    /// </summary>
    public static bool ReturnsItsStatus(IMethodSymbol import, string entryPoint)
    {
        var library = LibraryOf(import);
        if (library is null)
        {
            return false;
        }

        // Named by a Windows path too (C:\Windows\System32\ntdll.dll), on any host.
        library = library.Substring(library.LastIndexOfAny(new[] { '/', '\\' }) + 1).ToLowerInvariant();
        if (library.EndsWith(".dll", StringComparison.Ordinal))
        {
            library = library.Substring(0, library.Length - ".dll".Length);
        }

        return library switch
        {
            "ntdll" => entryPoint.Length > 2 && (entryPoint.StartsWith("Nt", StringComparison.Ordinal) || entryPoint.StartsWith("Zw", StringComparison.Ordinal)) && char.IsUpper(entryPoint[2]),
            "netapi32" => entryPoint.Length > 3 && entryPoint.StartsWith("Net", StringComparison.Ordinal) && char.IsUpper(entryPoint[3]),
            _ => false,
        };
    }

    /// <summary>The library a <c>[DllImport]</c> or <c>[LibraryImport]</c> names, when it is a constant.</summary>
    private static string? LibraryOf(IMethodSymbol import)
    {
        if (import.GetDllImportData() is { ModuleName: { } module })
        {
            return module;
        }

        var definition = import.PartialDefinitionPart ?? import;
        foreach (var attribute in definition.GetAttributes())
        {
            if (attribute.AttributeClass?.Name == "LibraryImportAttribute" && attribute.ConstructorArguments.Length > 0
                && attribute.ConstructorArguments[0].Value is string name)
            {
                return name;
            }
        }

        return null;
    }

    public static Location? ImportAttributeLocation(PosixSurfaces surfaces, IMethodSymbol method, System.Threading.CancellationToken cancellationToken)
    {
        var dllImport = surfaces.KnownType("System.Runtime.InteropServices.DllImportAttribute");
        var libraryImport = surfaces.KnownType(LibraryImportAttributeName);
        var definition = method.PartialDefinitionPart ?? method;
        foreach (var attribute in definition.GetAttributes())
        {
            var isImport = attribute.AttributeClass is { } type
                && (SymbolEqualityComparer.Default.Equals(type, dllImport) || SymbolEqualityComparer.Default.Equals(type, libraryImport));
            // A diagnostic may only point into this compilation's trees; an import in a referenced project gets none.
            if (isImport && attribute.ApplicationSyntaxReference is { } reference)
            {
                return surfaces.Compilation.ContainsSyntaxTree(reference.SyntaxTree) ? reference.GetSyntax(cancellationToken).GetLocation() : null;
            }
        }

        return null;
    }
}
