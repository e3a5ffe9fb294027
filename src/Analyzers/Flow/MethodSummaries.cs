using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>How a source method leaves, as far as its callers are concerned.</summary>
internal enum MethodExit
{
    /// <summary>Not summarized: no body in source, too large, overridable, try/catch, or too deep. Callers assume nothing.</summary>
    Unknown,

    /// <summary>Some path reaches the end of the method or a <c>return</c>.</summary>
    Returns,

    /// <summary>Every path ends in <c>_exit</c>/<c>_Exit</c> (perhaps after an exec).</summary>
    SafeExit,

    /// <summary>Some path ends in <c>exit</c>, <c>Environment.Exit</c> or <c>Environment.FailFast</c>; none returns.</summary>
    UnsafeExit,

    /// <summary>Some path throws, none returns and none exits unsafely.</summary>
    Throw,

    /// <summary>No path returns for another reason (<c>abort</c>, an endless loop).</summary>
    NoReturn,
}

/// <summary>
/// Summaries of the compilation's own methods, so that rules see through the helpers real code writes:
/// a wrapper that returns a libc call's result is that call (<see cref="TryGetPassThrough"/>), a helper that ends in
/// exit, _exit or throw on every path never returns (<see cref="ExitOf"/>), and a helper that takes a mapped address
/// checks it, uses it or keeps it (<see cref="PointerParameterUse"/>), and which wrapper parameter feeds which argument
/// of the call it wraps (<see cref="TryGetWrappedCall(IMethodSymbol, out WrappedCall, CancellationToken)"/>).
/// </summary>
/// <remarks>
/// One instance per compilation (<see cref="PosixSurfaces.Summaries"/>), shared by every rule. A summary is computed
/// only when a rule asks about a call it already knows is POSIX-relevant (or, for wrappers, a call whose callee
/// passes a cheap syntactic shape test), at most once per method, and looks at most <see cref="MaxDepth"/> levels
/// through other summarized methods. Only results computed from the top are cached, so a summary never depends on
/// which rule asked first.
/// </remarks>
internal sealed partial class MethodSummaries
{
    /// <summary>How many further source methods one summary may look through.</summary>
    public const int MaxDepth = 2;

    /// <summary>Bodies longer than this (in characters) are not summarized: real wrappers and exit helpers are short.</summary>
    public const int MaxBodyLength = 4000;

    /// <summary>
    /// The functions whose wrappers rules follow (process creation, exec, mappings, byte counts). A compilation that can reach none
    /// of them (no Tmds.LibC, no Mono.Posix, no own declaration of one) has no wrapper to find, and ordinary code
    /// pays nothing beyond one cached answer.
    /// </summary>
    public static readonly FunctionSet WrappedFunctions = ProcessCalls.ForkFunctions
        .Union(ProcessCalls.ExecFunctions)
        .Union(PosixSurfaces.Functions("mmap", "mmap64", "mremap", "shmat"))
        .Union(ByteCountFunctions.All);

    private readonly PosixSurfaces _surfaces;
    // Read on every call to a source method (MayReachLibc) and never changed once built: a plain hash set.
    private readonly Lazy<HashSet<string>> _wrapperNames;
    private readonly ConcurrentDictionary<IMethodSymbol, PassThroughBox> _passThroughs = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, MethodExit> _exits = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ParameterKey, ValueUse> _parameterUses = new();
    private readonly ConcurrentDictionary<SyntaxTree, SemanticModel> _models = new();

    public MethodSummaries(PosixSurfaces surfaces)
    {
        _surfaces = surfaces;
        _wrapperNames = new Lazy<HashSet<string>>(
            () => WrapperCandidateNames(surfaces.Compilation, bindingReferenced: surfaces.TmdsLibC is not null || surfaces.MonoSyscall is not null));
    }

    private ProcessCalls Calls => _surfaces.Processes;

    // ---- a. wrappers ------------------------------------------------------------------------------------------

    /// <summary>
    /// True when every return of <paramref name="method"/> passes one libc function's result through (conversions
    /// allowed): <c>static IntPtr Mmap(...) =&gt; Internal_mmap(...)</c>, <c>public static int Fork() { return fork(); }</c>.
    /// <paramref name="call"/> is then that function, with <see cref="LibcCall.Wrapper"/> set.
    /// </summary>
    public bool TryGetPassThrough(IMethodSymbol method, out LibcCall call, CancellationToken cancellationToken = default)
        => TryGetPassThrough(method, 0, out call, cancellationToken);

    internal bool TryGetPassThrough(IMethodSymbol method, int depth, out LibcCall call, CancellationToken cancellationToken)
    {
        call = default;
        // The cheap part first: this runs for calls to any value-returning source method of the right type.
        if (method.MethodKind != MethodKind.Ordinary || method.ReturnsVoid || method.IsExtern || depth > MaxDepth
            || !IsResultType(method.ReturnType) || !_wrapperNames.Value.Contains(method.Name) || method.DeclaringSyntaxReferences.IsEmpty)
        {
            return false;
        }

        method = method.OriginalDefinition;
        PassThroughBox box;
        if (depth == 0)
        {
            box = _passThroughs.GetOrAdd(method, m => new PassThroughBox(ComputePassThrough(m, 0, cancellationToken)));
        }
        else
        {
            box = new PassThroughBox(ComputePassThrough(method, depth, cancellationToken));
        }

        if (box.Call is not { } found)
        {
            return false;
        }

        call = new LibcCall(found.Function, found.Surface, method);
        return true;
    }

    private LibcCall? ComputePassThrough(IMethodSymbol method, int depth, CancellationToken cancellationToken)
    {
        if (DeclarationOf(method, cancellationToken) is not { } declaration || !ReturnsOnlyCallsTo(declaration, _wrapperNames.Value)
            || BodyOf(declaration, cancellationToken) is not { } body)
        {
            return null;
        }

        LibcCall? found = null;
        foreach (var returned in ReturnedValues(body))
        {
            if (OperationFacts.StripConversions(returned) is not IInvocationOperation invocation)
            {
                return null;
            }

            LibcCall inner;
            if (!_surfaces.TryGetLibcCall(invocation.TargetMethod, out inner)
                && !TryGetPassThrough(invocation.TargetMethod, depth + 1, out inner, cancellationToken))
            {
                return null;
            }

            if (!WrappedFunctions.Contains(inner) || (found is { } earlier && earlier.Function != inner.Function))
            {
                return null;
            }

            found = inner;
        }

        return found;
    }

    /// <summary>
    /// The names a wrapper can have, found once per compilation on declarations, without binding: the project's own
    /// declarations of <see cref="WrappedFunctions"/> (extern and <c>[LibraryImport]</c> methods, named by the method
    /// or by an <c>EntryPoint = "..."</c> string), the functions' own names when Tmds.LibC or Mono.Posix is referenced,
    /// and, up to <see cref="MaxDepth"/> levels, the methods whose every return calls one of those names. Only methods
    /// with such a name are bound and summarized: ordinary code (no POSIX at all) pays one scan of its declarations.
    /// </summary>
    private static HashSet<string> WrapperCandidateNames(Compilation compilation, bool bindingReferenced)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (bindingReferenced)
        {
            names.UnionWith(WrappedFunctions);
            names.UnionWith(ArgumentWrappedFunctions);
        }

        // First the declarations alone (members, not bodies): most compilations stop here with nothing to wrap. Each
        // tree's findings are kept with the tree, so a new compilation (an edit in the IDE) reads only changed trees.
        var scans = new List<TreeWrappers>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var scan = TreeScans.GetValue(tree, ScanTree);
            names.UnionWith(scan.DeclaredNames);
            scans.Add(scan);
        }

        if (names.Count == 0)
        {
            return names;
        }

        // Then each value-returning method with the callees of its returns, when every return is a call.
        var methods = scans.SelectMany(scan => scan.ReturnedCallees).ToList();
        for (var level = 0; level < MaxDepth + 1; level++)
        {
            var found = new List<string>();
            foreach (var (name, callees) in methods)
            {
                if (!names.Contains(name) && callees.All(names.Contains))
                {
                    found.Add(name);
                }
            }

            if (found.Count == 0)
            {
                break;
            }

            names.UnionWith(found);
        }

        return names;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SyntaxTree, TreeWrappers> TreeScans = new();

    private static TreeWrappers ScanTree(SyntaxTree tree)
    {
        var declaredNames = new List<string>();
        var candidates = new List<MethodDeclarationSyntax>();
        foreach (var node in tree.GetRoot().DescendantNodes(node => node is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax))
        {
            if (node is not MethodDeclarationSyntax declaration)
            {
                continue;
            }

            if (declaration.AttributeLists.Count > 0 && (DeclaresWrappedFunction(declaration) || DeclaresLibcImport(declaration)))
            {
                declaredNames.Add(declaration.Identifier.ValueText);
            }
            else if (declaration.ReturnType is not PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword })
            {
                candidates.Add(declaration);
            }
        }

        return new TreeWrappers(declaredNames, candidates);
    }

    /// <summary>One tree's part of <see cref="WrapperCandidateNames"/>; the returns are read only when some tree declares a name.</summary>
    private sealed class TreeWrappers
    {
        private readonly List<MethodDeclarationSyntax> _candidates;
        private List<(string Name, HashSet<string> Callees)>? _returnedCallees;

        public TreeWrappers(List<string> declaredNames, List<MethodDeclarationSyntax> candidates)
        {
            DeclaredNames = declaredNames;
            _candidates = candidates;
        }

        public List<string> DeclaredNames { get; }

        public List<(string Name, HashSet<string> Callees)> ReturnedCallees => LazyInitializer.EnsureInitialized(ref _returnedCallees, () =>
        {
            var methods = new List<(string Name, HashSet<string> Callees)>();
            foreach (var declaration in _candidates)
            {
                if (MethodSummaries.ReturnedCallees(declaration) is { } callees)
                {
                    methods.Add((declaration.Identifier.ValueText, callees));
                }
            }

            return methods;
        })!;
    }

    private static bool DeclaresWrappedFunction(MethodDeclarationSyntax declaration)
    {
        if (WrappedFunctions.Contains(declaration.Identifier.ValueText) || ArgumentWrappedFunctions.Contains(declaration.Identifier.ValueText))
        {
            return true;
        }

        foreach (var literal in declaration.AttributeLists.SelectMany(list => list.DescendantNodes()).OfType<LiteralExpressionSyntax>())
        {
            if (literal.Token.Value is string name && (WrappedFunctions.Contains(name) || ArgumentWrappedFunctions.Contains(name)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The syntactic shape of a wrapper: every return statement (or the expression body) returns a call to one of <paramref name="callees"/>.</summary>
    private static bool ReturnsOnlyCallsTo(MethodDeclarationSyntax declaration, ISet<string> callees)
        => ReturnedCallees(declaration) is { } returned && returned.All(callees.Contains);

    /// <summary>
    /// The names of the methods every return of the declaration calls, or null when some return is not a call (or
    /// there is none). Walks statements only: a return cannot hide inside an expression except in a nested function.
    /// </summary>
    private static HashSet<string>? ReturnedCallees(MethodDeclarationSyntax declaration)
    {
        if (declaration.ExpressionBody is { Expression: var expression })
        {
            return CalleeName(expression) is { } only ? new HashSet<string>(StringComparer.Ordinal) { only } : null;
        }

        if (declaration.Body is not { } block)
        {
            return null;
        }

        HashSet<string>? callees = null;
        foreach (var node in block.DescendantNodes(IsStatementContainer))
        {
            if (node is ReturnStatementSyntax statement)
            {
                if (statement.Expression is null || CalleeName(statement.Expression) is not { } name)
                {
                    return null;
                }

                (callees ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);
            }
        }

        return callees;
    }

    private static bool IsStatementContainer(SyntaxNode node)
        => node is BlockSyntax or SwitchSectionSyntax or ElseClauseSyntax or CatchClauseSyntax or FinallyClauseSyntax
            || (node is StatementSyntax && node is not (LocalFunctionStatementSyntax or ExpressionStatementSyntax or LocalDeclarationStatementSyntax or ReturnStatementSyntax));

    /// <summary>The name of the method a returned expression calls, under casts and parentheses: <c>(IntPtr)Native.mmap(...)</c> is <c>mmap</c>.</summary>
    private static string? CalleeName(ExpressionSyntax expression)
    {
        while (true)
        {
            switch (expression)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    expression = parenthesized.Expression;
                    continue;
                case CastExpressionSyntax cast:
                    expression = cast.Expression;
                    continue;
                case CheckedExpressionSyntax checkedExpression:
                    expression = checkedExpression.Expression;
                    continue;
                case InvocationExpressionSyntax { Expression: var callee }:
                    return callee switch
                    {
                        SimpleNameSyntax simple => simple.Identifier.ValueText,
                        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
                        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
                        _ => null,
                    };
                default:
                    return null;
            }
        }
    }

    private static IEnumerable<IOperation> ReturnedValues(IOperation body)
    {
        var pending = new Stack<IOperation>();
        pending.Push(body);
        while (pending.Count > 0)
        {
            var operation = pending.Pop();
            if (operation is IReturnOperation { ReturnedValue: { } value })
            {
                yield return value;
                continue;
            }

            foreach (var child in operation.ChildOperations)
            {
                if (child is not (ILocalFunctionOperation or IAnonymousFunctionOperation))
                {
                    pending.Push(child);
                }
            }
        }
    }

    private static bool IsResultType(ITypeSymbol type)
        => type is IPointerTypeSymbol || LibcValues.IsNativeInteger(type) || OperationFacts.IsBindingTypedefStruct(type)
            || type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_UInt32;

    // ---- b. helpers that never return ---------------------------------------------------------------------------

    /// <summary>How a source method leaves: <see cref="MethodExit.Unknown"/> for anything not summarized.</summary>
    public MethodExit ExitOf(IMethodSymbol method, CancellationToken cancellationToken = default) => ExitOf(method, 0, cancellationToken);

    internal MethodExit ExitOf(IMethodSymbol method, int depth, CancellationToken cancellationToken)
    {
        if (method.MethodKind != MethodKind.Ordinary || method.IsExtern || depth > MaxDepth || method.DeclaringSyntaxReferences.IsEmpty)
        {
            return MethodExit.Unknown;
        }

        method = method.OriginalDefinition;
        return depth == 0
            ? _exits.GetOrAdd(method, m => ComputeExit(m, 0, cancellationToken))
            : ComputeExit(method, depth, cancellationToken);
    }

    private MethodExit ComputeExit(IMethodSymbol method, int depth, CancellationToken cancellationToken)
    {
        if (GraphOf(method, cancellationToken) is not { } graph)
        {
            return MethodExit.Unknown;
        }

        foreach (var block in graph.Blocks)
        {
            // An exception may be caught and the method return after all: not ours to guess.
            for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
            {
                if (region.Kind is ControlFlowRegionKind.Catch or ControlFlowRegionKind.Filter or ControlFlowRegionKind.FilterAndHandler)
                {
                    return MethodExit.Unknown;
                }
            }
        }

        var ends = new HashSet<MethodExit>();
        var visited = new HashSet<int> { 0 };
        var pending = new Stack<BasicBlock>();
        pending.Push(graph.Blocks[0]);
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var block = pending.Pop();
            if (block.Kind == BasicBlockKind.Exit)
            {
                return MethodExit.Returns;
            }

            if (EndOf(block, depth, cancellationToken) is { } end)
            {
                ends.Add(end);
                continue;
            }

            if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow })
            {
                ends.Add(MethodExit.Throw);
                continue;
            }

            foreach (var successor in new[] { block.ConditionalSuccessor, block.FallThroughSuccessor })
            {
                if (successor?.Destination is { } next && visited.Add(next.Ordinal))
                {
                    pending.Push(next);
                }
            }
        }

        return ends.Contains(MethodExit.UnsafeExit) ? MethodExit.UnsafeExit
            : ends.Contains(MethodExit.Throw) ? MethodExit.Throw
            : ends.Contains(MethodExit.SafeExit) && ends.Count == 1 ? MethodExit.SafeExit
            : MethodExit.NoReturn;
    }

    private MethodExit? EndOf(BasicBlock block, int depth, CancellationToken cancellationToken)
    {
        foreach (var statement in ControlFlowGraphs.TopLevelOperations(block))
        {
            foreach (var operation in OperationWalk.WithSelf(statement))
            {
                if (operation.Kind != OperationKind.Invocation)
                {
                    continue;
                }

                if (operation is not IInvocationOperation invocation)
                {
                    continue;
                }

                switch (Calls.Classify(invocation.TargetMethod, depth + 1, cancellationToken))
                {
                    case ChildCallKind.SafeExit:
                        return MethodExit.SafeExit;
                    case ChildCallKind.UnsafeExit:
                        return MethodExit.UnsafeExit;
                    case ChildCallKind.Throw:
                        return MethodExit.Throw;
                    case ChildCallKind.NoReturn:
                        return MethodExit.NoReturn;
                }
            }
        }

        return null;
    }

    // ---- c. what a helper does with a pointer it is given -------------------------------------------------------

    /// <summary>
    /// What a source method does with the pointer passed as parameter <paramref name="ordinal"/>:
    /// <see cref="ValueUse.Check"/> when every path compares it with the failure sentinel before any use,
    /// <see cref="ValueUse.Use"/> when some path uses it first, <see cref="ValueUse.Escape"/> when it is stored or
    /// handed on (or the method is not summarized), <see cref="ValueUse.Neutral"/> when some path leaves without
    /// doing anything with it.
    /// </summary>
    public ValueUse PointerParameterUse(IMethodSymbol method, int ordinal, int depth, CancellationToken cancellationToken)
    {
        if (method.MethodKind != MethodKind.Ordinary || method.IsExtern || depth > MaxDepth || method.DeclaringSyntaxReferences.IsEmpty
            || ordinal < 0 || ordinal >= method.Parameters.Length || method.Parameters[ordinal].RefKind != RefKind.None)
        {
            return ValueUse.Escape;
        }

        method = method.OriginalDefinition;
        return depth == 0
            ? _parameterUses.GetOrAdd(new ParameterKey(method, ordinal), key => ComputeParameterUse(key.Method, key.Ordinal, 0, cancellationToken))
            : ComputeParameterUse(method, ordinal, depth, cancellationToken);
    }

    private ValueUse ComputeParameterUse(IMethodSymbol method, int ordinal, int depth, CancellationToken cancellationToken)
    {
        if (GraphOf(method, cancellationToken) is not { } graph)
        {
            return ValueUse.Escape;
        }

        var origins = ValueOrigins.Of(graph);
        var uses = new PointerUses(_surfaces, operand => _surfaces.Values.IntegerValue(operand, origins.SingleAssignment, cancellationToken), failure: -1, depth + 1);
        var escaped = false;
        var result = CheckedBeforeUse.Analyze(
            new FlowPosition(graph, graph.Blocks[0], -1, graph.OriginalOperation),
            method.Parameters[ordinal],
            reference =>
            {
                var use = uses.Classify(reference);
                escaped |= use == ValueUse.Escape;
                return use;
            });

        if (!result.UncheckedUses.IsEmpty)
        {
            return ValueUse.Use;
        }

        if (escaped)
        {
            return ValueUse.Escape;
        }

        return result.AnyCheck && !result.UncheckedPathReachesEnd ? ValueUse.Check : ValueUse.Neutral;
    }

    // ---- bodies -------------------------------------------------------------------------------------------------

    private MethodDeclarationSyntax? DeclarationOf(IMethodSymbol method, CancellationToken cancellationToken)
    {
        // A call through an overridable member may run another body.
        if (method.IsAbstract || method.IsVirtual || (method.IsOverride && !method.IsSealed && !method.ContainingType.IsSealed))
        {
            return null;
        }

        var implementation = method.PartialImplementationPart ?? method;
        if (implementation.DeclaringSyntaxReferences.Length != 1
            || implementation.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not MethodDeclarationSyntax declaration
            || (declaration.Body is null && declaration.ExpressionBody is null)
            || declaration.Span.Length > MaxBodyLength)
        {
            return null;
        }

        return declaration;
    }

    private IMethodBodyOperation? BodyOf(MethodDeclarationSyntax declaration, CancellationToken cancellationToken)
        => ModelOf(declaration.SyntaxTree)?.GetOperation(declaration, cancellationToken) as IMethodBodyOperation;

    /// <summary>
    /// One semantic model per tree for questions about code outside the analyzed body. They are asked rarely (about a
    /// call a rule already cares about) and their answers are cached, so binding another tree is affordable. Null for
    /// a tree of another compilation: a project reference in the IDE gives source symbols whose code lies there, and
    /// this compilation cannot bind it, so such a helper or field is read as nothing, like a library's.
    /// </summary>
    internal SemanticModel? ModelOf(SyntaxTree tree)
    {
        if (!_surfaces.Compilation.ContainsSyntaxTree(tree))
        {
            return null;
        }

#pragma warning disable RS1030
        return _models.GetOrAdd(tree, t => _surfaces.Compilation.GetSemanticModel(t));
#pragma warning restore RS1030
    }

    private ControlFlowGraph? GraphOf(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (DeclarationOf(method, cancellationToken) is not { } declaration || BodyOf(declaration, cancellationToken) is not { } body)
        {
            return null;
        }

        try
        {
            return ControlFlowGraph.Create(body, cancellationToken);
        }
        catch (ArgumentException)
        {
            // Code with errors the graph builder refuses: no summary.
            return null;
        }
    }

    private static bool IsNestedFunction(SyntaxNode node)
        => node is LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax;

    private sealed class PassThroughBox
    {
        public PassThroughBox(LibcCall? call) => Call = call;

        public LibcCall? Call { get; }
    }

    private readonly struct ParameterKey : IEquatable<ParameterKey>
    {
        public ParameterKey(IMethodSymbol method, int ordinal)
        {
            Method = method;
            Ordinal = ordinal;
        }

        public IMethodSymbol Method { get; }

        public int Ordinal { get; }

        public bool Equals(ParameterKey other) => Ordinal == other.Ordinal && SymbolEqualityComparer.Default.Equals(Method, other.Method);

        public override bool Equals(object? obj) => obj is ParameterKey other && Equals(other);

        public override int GetHashCode() => (SymbolEqualityComparer.Default.GetHashCode(Method) * 31) + Ordinal;
    }
}
