using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Rules;

public sealed partial class StaleUnixSocketPathAnalyzer
{
    /// <summary>
    /// Whether the callers of a method that binds vouch for it: a socket wrapper's <c>TryBind(string path)</c> binds
    /// what its callers hand in, and they are the ones that delete the file (Kestrel's Linux transport:
    /// <c>File.Delete(path); socket.Bind(path);</c>, where <c>Bind</c> calls <c>TryBind</c>).
    /// </summary>
    /// <remarks>
    /// Only a method no other assembly can call has callers that can all be seen (<see cref="AssemblyCallSites"/>).
    /// Each call must come after a removal in its caller (<see cref="RemovesBefore"/>), hand in an abstract-namespace
    /// path for the one bound (no file to remove: xsp's tests, <c>ListenUnix("\0fastcgi")</c>), or come from a method whose
    /// own callers vouch for it, up to <see cref="MaxDepth"/> callers up. A call from a method already being judged
    /// (recursion) is no way in: every run starts at some other caller, and those are judged. Nothing vouches for a
    /// method without callers, or whose only callers are such cycles.
    /// </remarks>
    private sealed class CallerVouches
    {
        /// <summary>How many callers up a removal is looked for: Kestrel's removal is two up (BindAsync, Bind, TryBind).</summary>
        private const int MaxDepth = 3;

        private readonly AssemblyCallSites _callSites;
        private readonly PosixSurfaces _surfaces;
        private readonly UnixSocketTypes _types;
        private readonly ConcurrentDictionary<(IMethodSymbol Method, int PathParameter), bool> _answers = new(new AnswerKeyComparer());

        public CallerVouches(AssemblyCallSites callSites, PosixSurfaces surfaces, UnixSocketTypes types)
        {
            _callSites = callSites;
            _surfaces = surfaces;
            _types = types;
        }

        private enum Verdict
        {
            /// <summary>Some caller may bind without removing the file first, or cannot be judged.</summary>
            Unvouched,

            /// <summary>Every way in removes a file first.</summary>
            Vouched,

            /// <summary>Every call comes from a method already being judged: no way in of its own.</summary>
            OnlyCycles,
        }

        /// <summary>True when every call into the method that holds the bind comes after a removal of a file or hands in an abstract path.</summary>
        /// <param name="bind">The bind the rule would report.</param>
        /// <param name="containingSymbol">The member whose body holds the bind (a local function's bind is its method's).</param>
        /// <param name="path">The path the address was built from, when it is in view: a parameter of the method maps to each caller's argument.</param>
        public bool AllRemoveBefore(IInvocationOperation bind, ISymbol containingSymbol, IOperation? path, CancellationToken cancellationToken)
        {
            IOperation root = bind;
            List<IMethodSymbol>? localFunctions = null;
            for (var operation = bind.Parent; operation is not null; operation = operation.Parent)
            {
                root = operation;
                if (operation is IAnonymousFunctionOperation)
                {
                    // A lambda runs wherever its delegate goes, and that is not a call by name.
                    return false;
                }

                if (operation is ILocalFunctionOperation { Symbol: { } localFunction })
                {
                    (localFunctions ??= new List<IMethodSymbol>()).Add(localFunction);
                }
            }

            if (localFunctions is not null && EscapesAsDelegate(localFunctions, root))
            {
                return false;
            }

            var owner = containingSymbol;
            while (owner is IMethodSymbol { MethodKind: MethodKind.LocalFunction })
            {
                owner = owner.ContainingSymbol;
            }

            if (owner is not IMethodSymbol method || !_callSites.CallersAreAllInSource(method))
            {
                return false;
            }

            method = AssemblyCallSites.Definition(method);
            var pathParameter = PathParameterOf(path, method);
            if (_answers.TryGetValue((method, pathParameter), out var known))
            {
                return known;
            }

            var answer = Judge(method, pathParameter, new List<IMethodSymbol> { method }, cancellationToken) == Verdict.Vouched;
            return _answers.GetOrAdd((method, pathParameter), answer);
        }

        /// <summary>A local function runs during its method only while nothing makes a delegate of it.</summary>
        private static bool EscapesAsDelegate(List<IMethodSymbol> localFunctions, IOperation body)
        {
            foreach (var operation in OperationTrees.Under(body))
            {
                if (operation is IMethodReferenceOperation reference && localFunctions.Contains(reference.Method.OriginalDefinition, SymbolEqualityComparer.Default))
                {
                    return true;
                }
            }

            return false;
        }

        private Verdict Judge(IMethodSymbol method, int pathParameter, List<IMethodSymbol> chain, CancellationToken cancellationToken)
        {
            if (!_callSites.TryGetCalls(method, out var calls, cancellationToken) || calls.IsEmpty)
            {
                return Verdict.Unvouched;
            }

            var anyWayIn = false;
            foreach (var call in calls)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var body = BodyOf(call);
                var caller = CallerOf(call, body, cancellationToken);
                if (caller is not null && chain.Contains(caller, SymbolEqualityComparer.Default))
                {
                    continue;
                }

                var path = pathParameter < 0 ? null : OperationFacts.Argument(call, pathParameter);
                if ((path is not null && IsAbstractPath(path)) || RemovesBefore(body, call, path, _surfaces, _types))
                {
                    anyWayIn = true;
                    continue;
                }

                if (caller is null || chain.Count >= MaxDepth)
                {
                    return Verdict.Unvouched;
                }

                chain.Add(caller);
                var verdict = Judge(caller, path is null ? -1 : PathParameterOf(path, caller), chain, cancellationToken);
                chain.RemoveAt(chain.Count - 1);
                if (verdict == Verdict.Unvouched)
                {
                    return Verdict.Unvouched;
                }

                anyWayIn |= verdict == Verdict.Vouched;
            }

            return anyWayIn ? Verdict.Vouched : Verdict.OnlyCycles;
        }

        /// <summary>
        /// The method whose own body makes the call; null when the call is in a lambda or a local function, which are
        /// not called by name from outside that method.
        /// </summary>
        private static IMethodSymbol? CallerOf(IInvocationOperation call, IOperation body, CancellationToken cancellationToken)
        {
            if (body is IAnonymousFunctionOperation or ILocalFunctionOperation
                || call.SemanticModel?.GetEnclosingSymbol(call.Syntax.SpanStart, cancellationToken) is not IMethodSymbol { MethodKind: MethodKind.Ordinary } caller)
            {
                return null;
            }

            return AssemblyCallSites.Definition(caller);
        }

        /// <summary>The ordinal of the parameter of <paramref name="method"/> the path is, or -1 when it is not one.</summary>
        private static int PathParameterOf(IOperation? path, IMethodSymbol method)
            => path is not null && SkipConversions(path) is IParameterReferenceOperation { Parameter: { ContainingSymbol: IMethodSymbol owner } parameter }
               && SymbolEqualityComparer.Default.Equals(AssemblyCallSites.Definition(owner), method)
                ? parameter.Ordinal
                : -1;
    }

    private sealed class AnswerKeyComparer : IEqualityComparer<(IMethodSymbol Method, int PathParameter)>
    {
        public bool Equals((IMethodSymbol Method, int PathParameter) x, (IMethodSymbol Method, int PathParameter) y)
            => x.PathParameter == y.PathParameter && SymbolEqualityComparer.Default.Equals(x.Method, y.Method);

        public int GetHashCode((IMethodSymbol Method, int PathParameter) key)
            => (SymbolEqualityComparer.Default.GetHashCode(key.Method) * 31) + key.PathParameter;
    }
}
