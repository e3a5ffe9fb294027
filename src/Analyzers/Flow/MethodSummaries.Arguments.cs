using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>Where a wrapper gets one argument of the libc call it wraps.</summary>
internal readonly struct WrappedArgument
{
    private WrappedArgument(int parameter, IOperation? fixedValue)
    {
        Parameter = parameter;
        Fixed = fixedValue;
    }

    public static WrappedArgument Unknown => new(-1, null);

    /// <summary>The wrapper's parameter (ordinal) passed on unchanged, or -1.</summary>
    public int Parameter { get; }

    /// <summary>An expression in the wrapper's body that reads no parameter and no local: the same at every call site.</summary>
    public IOperation? Fixed { get; }

    public static WrappedArgument FromParameter(int ordinal) => new(ordinal, null);

    public static WrappedArgument FromFixed(IOperation value) => new(-1, value);
}

/// <summary>A source method that passes one libc call's result through, and where each of that call's arguments comes from.</summary>
internal sealed class WrappedCall
{
    public WrappedCall(LibcCall call, IMethodSymbol target, ImmutableArray<WrappedArgument> arguments)
    {
        Call = call;
        Target = target;
        Arguments = arguments;
    }

    /// <summary>The libc function, with <see cref="LibcCall.Wrapper"/> set to the summarized method.</summary>
    public LibcCall Call { get; }

    /// <summary>The P/Invoke or binding method the wrapper ends up calling.</summary>
    public IMethodSymbol Target { get; }

    /// <summary>By the ordinal of <see cref="Target"/>'s parameters.</summary>
    public ImmutableArray<WrappedArgument> Arguments { get; }
}

internal sealed partial class MethodSummaries
{
    /// <summary>
    /// Functions whose wrappers rules read with their arguments (mappings, unmapping, must-check calls, pid sinks,
    /// close-on-exec flags), beyond <see cref="WrappedFunctions"/>. Own imports from a C library count whatever their
    /// name (errno questions are about any of them).
    /// </summary>
    public static readonly FunctionSet ArgumentWrappedFunctions = PosixSurfaces.Functions(
        "mmap", "mmap64", "munmap", "fork", "vfork", "forkpty", "posix_spawn", "posix_spawnp",
        "setuid", "setgid", "seteuid", "setegid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
        "setsid", "setpgid", "chdir", "fchdir", "chroot", "dup2", "dup3", "bind", "listen", "pipe", "pipe2",
        "kill", "killpg", "waitpid", "wait4",
        "open", "open64", "openat", "openat64", "socket", "socketpair", "accept4", "epoll_create1", "inotify_init1",
        "eventfd", "memfd_create");

    private readonly ConcurrentDictionary<IMethodSymbol, WrappedBox> _wrappedCalls = new(SymbolEqualityComparer.Default);

    /// <summary>
    /// The cheap test every rule runs first: a value-returning source method whose name the once-per-compilation
    /// declaration scan found able to wrap a libc call. Nothing is bound here.
    /// </summary>
    public bool IsWrapperCandidate(IMethodSymbol method)
        => method.MethodKind == MethodKind.Ordinary && !method.ReturnsVoid && !method.IsExtern
            && !method.DeclaringSyntaxReferences.IsEmpty && _wrapperNames.Value.Contains(method.Name) && IsResultType(method.ReturnType);

    /// <summary>
    /// The libc call a wrapper passes through, with the source of each of its arguments: one of the wrapper's
    /// parameters passed on unchanged (conversions allowed; the parameter read nowhere else in the body, so a wrapper
    /// that checks, aligns or computes from it maps nothing), or an expression fixed in the body.
    /// </summary>
    public bool TryGetWrappedCall(IMethodSymbol method, out WrappedCall wrapped, CancellationToken cancellationToken = default)
        => TryGetWrappedCall(method, 0, out wrapped, cancellationToken);

    private bool TryGetWrappedCall(IMethodSymbol method, int depth, out WrappedCall wrapped, CancellationToken cancellationToken)
    {
        wrapped = null!;
        if (depth > MaxDepth || !IsWrapperCandidate(method))
        {
            return false;
        }

        method = method.OriginalDefinition;
        var box = depth == 0
            ? _wrappedCalls.GetOrAdd(method, m => new WrappedBox(ComputeWrappedCall(m, 0, cancellationToken)))
            : new WrappedBox(ComputeWrappedCall(method, depth, cancellationToken));
        if (box.Call is not { } found)
        {
            return false;
        }

        wrapped = found;
        return true;
    }

    private WrappedCall? ComputeWrappedCall(IMethodSymbol method, int depth, CancellationToken cancellationToken)
    {
        if (DeclarationOf(method, cancellationToken) is not { } declaration || !ReturnsOnlyCallsTo(declaration, _wrapperNames.Value)
            || BodyOf(declaration, cancellationToken) is not { } body)
        {
            return null;
        }

        LibcCall? call = null;
        IMethodSymbol? target = null;
        WrappedArgument[]? sources = null;
        var passedOn = new HashSet<IOperation>();
        foreach (var returned in ReturnedValues(body))
        {
            if (OperationFacts.StripConversions(returned) is not IInvocationOperation invocation)
            {
                return null;
            }

            // The arguments of the call this return makes, by the ordinal of the libc method's parameters.
            IMethodSymbol innerTarget;
            LibcCall inner;
            WrappedArgument[] arguments;
            if (_surfaces.TryGetLibcCall(invocation.TargetMethod, out inner))
            {
                innerTarget = invocation.TargetMethod;
                arguments = new WrappedArgument[innerTarget.Parameters.Length];
                for (var ordinal = 0; ordinal < arguments.Length; ordinal++)
                {
                    arguments[ordinal] = Source(method, OperationFacts.Argument(invocation, ordinal), passedOn);
                }
            }
            else if (TryGetWrappedCall(invocation.TargetMethod, depth + 1, out var nested, cancellationToken))
            {
                inner = nested.Call;
                innerTarget = nested.Target;
                arguments = new WrappedArgument[nested.Arguments.Length];
                for (var ordinal = 0; ordinal < arguments.Length; ordinal++)
                {
                    var source = nested.Arguments[ordinal];
                    arguments[ordinal] = source.Fixed is { } fixedValue ? source
                        : source.Parameter >= 0 ? Source(method, OperationFacts.Argument(invocation, source.Parameter), passedOn)
                        : WrappedArgument.Unknown;
                }
            }
            else
            {
                return null;
            }

            if (target is not null && !SymbolEqualityComparer.Default.Equals(target, innerTarget))
            {
                return null;
            }

            if (sources is null)
            {
                sources = arguments;
            }
            else
            {
                // Several returns: an argument is known only when every return takes it from the same parameter.
                for (var ordinal = 0; ordinal < sources.Length; ordinal++)
                {
                    if (sources[ordinal].Parameter < 0 || sources[ordinal].Parameter != arguments[ordinal].Parameter)
                    {
                        sources[ordinal] = WrappedArgument.Unknown;
                    }
                }
            }

            call = inner;
            target = innerTarget;
        }

        if (call is not { } found || target is null || sources is null)
        {
            return null;
        }

        // A parameter read anywhere else (a check, an alignment, a log line) is not simply passed on.
        var readElsewhere = new HashSet<int>();
        foreach (var operation in OperationWalk.Under(body))
        {
            if (operation.Kind != OperationKind.ParameterReference)
            {
                continue;
            }

            if (operation is IParameterReferenceOperation reference && !passedOn.Contains(operation)
                && SymbolEqualityComparer.Default.Equals(reference.Parameter.ContainingSymbol?.OriginalDefinition, method))
            {
                readElsewhere.Add(reference.Parameter.Ordinal);
            }
        }

        for (var ordinal = 0; ordinal < sources.Length; ordinal++)
        {
            if (sources[ordinal].Parameter >= 0 && readElsewhere.Contains(sources[ordinal].Parameter))
            {
                sources[ordinal] = WrappedArgument.Unknown;
            }
        }

        return new WrappedCall(new LibcCall(found.Function, found.Surface, method), target, sources.ToImmutableArray());
    }

    /// <summary>Where an argument written in the wrapper's body comes from.</summary>
    private static WrappedArgument Source(IMethodSymbol method, IOperation? argument, HashSet<IOperation> passedOn)
    {
        if (argument is null)
        {
            return WrappedArgument.Unknown;
        }

        var value = argument;
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        if (value is IParameterReferenceOperation { Parameter: { RefKind: RefKind.None, IsParams: false } parameter }
            && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol?.OriginalDefinition, method))
        {
            passedOn.Add(value);
            return WrappedArgument.FromParameter(parameter.Ordinal);
        }

        foreach (var operation in OperationWalk.WithSelf(argument))
        {
            if (operation.Kind is OperationKind.ParameterReference or OperationKind.LocalReference or OperationKind.InstanceReference or OperationKind.Invocation)
            {
                return WrappedArgument.Unknown;
            }
        }

        return WrappedArgument.FromFixed(argument);
    }

    /// <summary>
    /// An own import from a C library, by its declaration alone: <c>[DllImport("libc")] static extern</c> or
    /// <c>[LibraryImport("c")] static partial</c>. Imports of other libraries (Windows, OpenSSL) are left out, so
    /// their wrappers cost nothing.
    /// </summary>
    private static bool DeclaresLibcImport(MethodDeclarationSyntax declaration)
    {
        if (!declaration.Modifiers.Any(SyntaxKind.ExternKeyword) && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            return false;
        }

        foreach (var list in declaration.AttributeLists)
        {
            foreach (var attribute in list.Attributes)
            {
                var name = attribute.Name switch
                {
                    QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
                    SimpleNameSyntax simple => simple.Identifier.ValueText,
                    _ => null,
                };
                if (name is not ("DllImport" or "DllImportAttribute" or "LibraryImport" or "LibraryImportAttribute")
                    || attribute.ArgumentList is not { Arguments.Count: > 0 } arguments
                    || arguments.Arguments[0].Expression is not LiteralExpressionSyntax { Token.Value: string library })
                {
                    continue;
                }

                if (IsCLibrary(library))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsCLibrary(string library)
        => library is "c" or "libc" or "util" or "libutil" or "libSystem" or "libSystem.dylib"
            || library.StartsWith("libc.", StringComparison.Ordinal) || library.StartsWith("libutil.", StringComparison.Ordinal);

    private sealed class WrappedBox
    {
        public WrappedBox(WrappedCall? call) => Call = call;

        public WrappedCall? Call { get; }
    }
}
