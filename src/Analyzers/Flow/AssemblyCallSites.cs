using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// The calls to a method that only its own assembly can call, all of them, from the compilation's source: for a rule
/// that lets a wrapper's callers vouch for it (PSX4001: every caller deletes the socket file before it calls the
/// wrapper that binds).
/// </summary>
/// <remarks>
/// Asked only when a rule is about to report, which is rare, so one question may read every tree: names first
/// (syntax only), binding only the names spelled like the method. One answer per method, kept for the compilation.
/// </remarks>
internal sealed class AssemblyCallSites
{
    private readonly Compilation _compilation;
    private readonly MethodSummaries _summaries;
    private readonly ConcurrentDictionary<IMethodSymbol, CallSiteList> _byMethod = new(SymbolEqualityComparer.Default);
    private readonly Lazy<ImmutableArray<INamedTypeSymbol>> _sourceClasses;
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _allInSource = new(SymbolEqualityComparer.Default);

    /// <summary>
    /// Names C# calls without writing them: collection initializers (<c>Add</c>), <c>foreach</c>, <c>using</c>,
    /// <c>await</c>, deconstruction, <c>fixed</c>, ranges, query expressions, interpolated string handlers and collection
    /// builders bind a method by its name alone, so a scan for the name misses those calls.
    /// </summary>
    private static readonly HashSet<string> ImplicitlyCalledNames = new(StringComparer.Ordinal)
    {
        "Add", "GetEnumerator", "GetAsyncEnumerator", "MoveNext", "MoveNextAsync", "Dispose", "DisposeAsync",
        "GetAwaiter", "GetResult", "OnCompleted", "UnsafeOnCompleted", "Deconstruct", "GetPinnableReference", "Slice",
        "Select", "SelectMany", "Where", "OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending", "GroupBy",
        "Join", "GroupJoin", "Cast", "AppendLiteral", "AppendFormatted", "Create",
    };

    public AssemblyCallSites(Compilation compilation, MethodSummaries summaries)
    {
        _compilation = compilation;
        _summaries = summaries;
        _sourceClasses = new Lazy<ImmutableArray<INamedTypeSymbol>>(() => SourceClasses(compilation.Assembly.GlobalNamespace));
    }

    /// <summary>
    /// Every call to <paramref name="method"/> in the compilation (none when nothing calls it), or false when some caller
    /// may be out of sight: the method can be called from outside the assembly (<see cref="CallersAreAllInSource"/>),
    /// or a reference to it is not a plain call (a method group, a delegate, a dynamic call, code that does not bind)
    /// or lies in generated code. <c>nameof</c> is not a reference.
    /// </summary>
    public bool TryGetCalls(IMethodSymbol method, out ImmutableArray<IInvocationOperation> calls, CancellationToken cancellationToken)
    {
        method = Definition(method);
        calls = default;
        if (!CallersAreAllInSource(method))
        {
            return false;
        }

        var found = _byMethod.GetOrAdd(method, m => new CallSiteList(Find(m, cancellationToken)));
        calls = found.Calls ?? default;
        return found.Calls is not null;
    }

    /// <summary>The one symbol every reference to a method binds to, whatever its type arguments, extension form or partial part.</summary>
    public static IMethodSymbol Definition(IMethodSymbol method)
    {
        method = (method.ReducedFrom ?? method).OriginalDefinition;
        return method.PartialDefinitionPart ?? method;
    }

    /// <summary>
    /// True when every call to <paramref name="method"/> is in this compilation and binds to it by name: an ordinary
    /// method nobody outside the assembly can name (it or a type around it is private, internal, private protected or
    /// file-local), that no base or interface member dispatches to, and that the runtime or native code does not call
    /// (an entry point, <c>[UnmanagedCallersOnly]</c>, <c>[ModuleInitializer]</c>). Callers through
    /// <c>InternalsVisibleTo</c> and reflection are not seen.
    /// </summary>
    public bool CallersAreAllInSource(IMethodSymbol method)
    {
        // Asked for the bind's method and again for each caller up the chain: one answer per method.
        method = Definition(method);
        return _allInSource.TryGetValue(method, out var known) ? known : _allInSource.GetOrAdd(method, ComputeCallersAreAllInSource(method));
    }

    private bool ComputeCallersAreAllInSource(IMethodSymbol method)
    {
        if (method.MethodKind != MethodKind.Ordinary || method.IsVirtual || method.IsAbstract || method.IsOverride || method.IsExtern
            || !method.ExplicitInterfaceImplementations.IsEmpty || IsVisibleOutsideAssembly(method)
            || ImplicitlyCalledNames.Contains(method.Name)
            || (method.IsStatic && method.Name is "Main" or WellKnownMemberNames.TopLevelStatementsEntryPointMethodName))
        {
            return false;
        }

        foreach (var attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "UnmanagedCallersOnlyAttribute" or "ModuleInitializerAttribute" })
            {
                return false;
            }
        }

        return !ImplementsInterfaceMember(method);
    }

    private static bool IsVisibleOutsideAssembly(ISymbol symbol)
    {
        for (var current = symbol; current is not null and not INamespaceSymbol; current = current.ContainingSymbol)
        {
            if (current is INamedTypeSymbol { IsFileLocal: true }
                || current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The method implements an interface member for its own type or, inherited, for a class of this assembly derived
    /// from it (<c>class Server : ServerBase, IServer</c>): then calls through the interface reach it by another name.
    /// </summary>
    private bool ImplementsInterfaceMember(IMethodSymbol method)
    {
        var type = method.ContainingType;
        if (type is null)
        {
            return false;
        }

        if (ImplementsFor(type, method))
        {
            return true;
        }

        // Only a public instance method implements an interface member for a class derived from its own.
        if (method.IsStatic || method.DeclaredAccessibility != Accessibility.Public || type.TypeKind != TypeKind.Class || type.IsSealed)
        {
            return false;
        }

        foreach (var candidate in _sourceClasses.Value)
        {
            for (var baseType = candidate.BaseType; baseType is not null; baseType = baseType.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(baseType.OriginalDefinition, type.OriginalDefinition))
                {
                    if (ImplementsFor(candidate, method))
                    {
                        return true;
                    }

                    break;
                }
            }
        }

        return false;
    }

    private static bool ImplementsFor(INamedTypeSymbol type, IMethodSymbol method)
    {
        foreach (var contract in type.AllInterfaces)
        {
            foreach (var member in contract.GetMembers(method.Name))
            {
                if (type.FindImplementationForInterfaceMember(member) is IMethodSymbol implementation
                    && SymbolEqualityComparer.Default.Equals(Definition(implementation), method))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static ImmutableArray<INamedTypeSymbol> SourceClasses(INamespaceSymbol root)
    {
        var classes = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
        var pending = new Stack<INamespaceOrTypeSymbol>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (current is INamespaceSymbol ns)
            {
                foreach (var member in ns.GetMembers())
                {
                    pending.Push(member);
                }

                continue;
            }

            var type = (INamedTypeSymbol)current;
            if (type.TypeKind == TypeKind.Class)
            {
                classes.Add(type);
            }

            foreach (var nested in type.GetTypeMembers())
            {
                pending.Push(nested);
            }
        }

        return classes.ToImmutable();
    }

    private ImmutableArray<IInvocationOperation>? Find(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var calls = ImmutableArray.CreateBuilder<IInvocationOperation>();
        foreach (var tree in _compilation.SyntaxTrees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes())
            {
                if (node is not SimpleNameSyntax name || name.Identifier.ValueText != method.Name)
                {
                    continue;
                }

                if (_summaries.ModelOf(tree) is not { } model)
                {
                    return null;
                }

                switch (Classify(name, method, model, cancellationToken, out var call))
                {
                    case Reference.None:
                        continue;
                    case Reference.Call when !GeneratedCode.IsGenerated(model.GetEnclosingSymbol(call!.Syntax.SpanStart, cancellationToken), tree, _compilation, cancellationToken):
                        calls.Add(call);
                        continue;
                    default:
                        return null;
                }
            }
        }

        return calls.ToImmutable();
    }

    private enum Reference
    {
        /// <summary>Another symbol of the same name, or <c>nameof</c>.</summary>
        None,

        /// <summary>A call that binds to the method.</summary>
        Call,

        /// <summary>A reference that may call the method from somewhere this cannot follow.</summary>
        Unknown,
    }

    private static Reference Classify(SimpleNameSyntax name, IMethodSymbol method, SemanticModel model, CancellationToken cancellationToken, out IInvocationOperation? call)
    {
        call = null;
        var invocation = InvocationOf(name);
        var info = model.GetSymbolInfo(name, cancellationToken);
        var refers = Is(info.Symbol, method);
        foreach (var candidate in info.CandidateSymbols)
        {
            refers |= Is(candidate, method);
        }

        if (!refers)
        {
            // A dynamic call binds at run time, where this internal method may answer to the name.
            return name.Parent is MemberAccessExpressionSyntax or MemberBindingExpressionSyntax
                && model.GetOperation(name.Parent, cancellationToken) is IDynamicMemberReferenceOperation
                ? Reference.Unknown
                : Reference.None;
        }

        if (InNameOf(name, model, cancellationToken))
        {
            return Reference.None;
        }

        if (info.Symbol is not null && invocation is not null
            && model.GetOperation(invocation, cancellationToken) is IInvocationOperation found && Is(found.TargetMethod, method))
        {
            call = found;
            return Reference.Call;
        }

        return Reference.Unknown;
    }

    /// <summary>The call whose callee the name is (<c>M(...)</c>, <c>x.M(...)</c>, <c>x?.M(...)</c>), or null.</summary>
    private static InvocationExpressionSyntax? InvocationOf(SimpleNameSyntax name)
    {
        SyntaxNode callee = name.Parent switch
        {
            MemberAccessExpressionSyntax access when access.Name == name => access,
            MemberBindingExpressionSyntax binding => binding,
            _ => name,
        };
        return callee.Parent is InvocationExpressionSyntax invocation && invocation.Expression == callee ? invocation : null;
    }

    private static bool InNameOf(SyntaxNode name, SemanticModel model, CancellationToken cancellationToken)
    {
        for (var node = name.Parent; node is ExpressionSyntax or ArgumentSyntax or ArgumentListSyntax; node = node.Parent)
        {
            if (node is InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "nameof" } } invocation
                && model.GetOperation(invocation, cancellationToken) is INameOfOperation)
            {
                return true;
            }
        }

        return false;
    }

    private static bool Is(ISymbol? symbol, IMethodSymbol method)
        => symbol is IMethodSymbol candidate && SymbolEqualityComparer.Default.Equals(Definition(candidate), method);

    /// <summary>A cached answer; null <see cref="Calls"/> when some caller is out of sight.</summary>
    private sealed class CallSiteList
    {
        public CallSiteList(ImmutableArray<IInvocationOperation>? calls) => Calls = calls;

        public ImmutableArray<IInvocationOperation>? Calls { get; }
    }
}
