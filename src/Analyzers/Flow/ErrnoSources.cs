using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// "Whose errno does this read see?" on the control-flow graph. The subject is the native call whose result the
/// branches leading to the read tested (<c>if (rv == -1)</c> with <c>rv = write(...)</c>, or
/// <c>if (close(fd) != 0)</c>); the calls in between are the native calls met on the way back from the read to
/// the subject.
/// </summary>
internal sealed class ErrnoSources
{
    private const int MaxBlocks = 256;

    private readonly PosixSurfaces _surfaces;
    private readonly ControlFlowGraph _graph;
    private readonly CancellationToken _cancellationToken;
    private ValueOrigins? _origins;

    public ErrnoSources(PosixSurfaces surfaces, ControlFlowGraph graph, CancellationToken cancellationToken)
    {
        _surfaces = surfaces;
        _graph = graph;
        _cancellationToken = cancellationToken;
    }

    /// <summary>
    /// The native call whose failure the read reports, the same on every path back from the read: the nearest
    /// call whose result a branch tests (<c>if (rv == -1)</c>) or that is kept (<c>fd = open(...)</c>) and saves
    /// errno; failing that, the nearest native call of any kind. Calls that save errno but whose result is
    /// discarded (<c>close(fd);</c>) are walked past: they are what <see cref="SavingCallsBetween"/> finds.
    /// Null when paths disagree or none has a native call.
    /// </summary>
    public IInvocationOperation? Subject(FlowPosition read)
    {
        IInvocationOperation? subject = null;
        var ambiguous = false;
        var visited = new HashSet<int>();
        var pending = new Stack<(BasicBlock Block, int End, Fallback Fallback)>();
        var readIndex = ReadIndex(read);

        void Settle(IInvocationOperation? found)
        {
            if (found is null || (subject is not null && !ReferenceEquals(subject, found)))
            {
                ambiguous = true;
            }

            subject ??= found;
        }

        // The read's own statement: calls evaluated before the read (arguments to its left), nearest first.
        var ownFallback = default(Fallback);
        if (Statement(read.Block, readIndex) is { } own)
        {
            foreach (var call in CallsLastFirst(own))
            {
                if (call.Syntax.Span.End <= read.Operation.Syntax.SpanStart)
                {
                    ownFallback = ownFallback.Next(call, ErrnoSurfaces.IsNativeCall(_surfaces, call.TargetMethod, out _));
                }
            }
        }

        pending.Push((read.Block, readIndex, ownFallback));
        while (pending.Count > 0 && !ambiguous)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var (block, end, fallback) = pending.Pop();
            var settled = false;
            for (var i = end - 1; i >= 0 && !settled; i--)
            {
                if (Statement(block, i) is not { } statement)
                {
                    continue;
                }

                if (i == block.Operations.Length && block.ConditionKind != ControlFlowConditionKind.None && TestedCall(statement) is { } tested)
                {
                    Settle(tested);
                    settled = true;
                    continue;
                }

                foreach (var call in CallsLastFirst(statement))
                {
                    var native = ErrnoSurfaces.IsNativeCall(_surfaces, call.TargetMethod, out var saves);
                    if (native && saves && !IsDiscarded(call, statement))
                    {
                        Settle(call); // kept or passed on: this is the call being reported on
                        settled = true;
                        break;
                    }

                    fallback = fallback.Next(call, native);
                }
            }

            if (settled)
            {
                continue;
            }

            if (block.Predecessors.IsEmpty || visited.Count > MaxBlocks)
            {
                Settle(fallback.Call);
                continue;
            }

            foreach (var predecessor in block.Predecessors)
            {
                if (visited.Add(predecessor.Source.Ordinal))
                {
                    pending.Push((predecessor.Source, predecessor.Source.Operations.Length + 1, fallback));
                }
            }
        }

        return ambiguous ? null : subject;
    }

    /// <summary>The native calls that save errno met on the way back from the read to the subject, on any path.</summary>
    public List<IInvocationOperation> SavingCallsBetween(FlowPosition read, IInvocationOperation subject)
    {
        var calls = new List<IInvocationOperation>();
        var visited = new HashSet<int>();
        var pending = new Stack<(BasicBlock Block, int End)>();
        pending.Push((read.Block, ReadIndex(read)));
        while (pending.Count > 0)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var (block, end) = pending.Pop();
            var reachedSubject = false;
            for (var i = end - 1; i >= 0 && !reachedSubject; i--)
            {
                if (Statement(block, i) is not { } statement)
                {
                    continue;
                }

                foreach (var call in NativeCallsLastFirst(statement))
                {
                    if (ReferenceEquals(call, subject))
                    {
                        reachedSubject = true;
                        break;
                    }

                    if (ErrnoSurfaces.IsNativeCall(_surfaces, call.TargetMethod, out var saves) && saves)
                    {
                        calls.Add(call);
                    }
                }
            }

            if (reachedSubject || block.Predecessors.IsEmpty || visited.Count > MaxBlocks)
            {
                continue;
            }

            foreach (var predecessor in block.Predecessors)
            {
                if (visited.Add(predecessor.Source.Ordinal))
                {
                    pending.Push((predecessor.Source, predecessor.Source.Operations.Length + 1));
                }
            }
        }

        return calls;
    }

    private static int ReadIndex(FlowPosition read)
        => read.Index == FlowPosition.BranchValueIndex ? read.Block.Operations.Length : read.Index;

    /// <summary>
    /// The nearest native call on a path back from the read, unless a managed call comes first: that call may
    /// P/Invoke with SetLastError itself, so the read may not be about any native call this method makes.
    /// </summary>
    private readonly struct Fallback
    {
        private Fallback(IInvocationOperation? call, bool blocked)
        {
            Call = call;
            Blocked = blocked;
        }

        public IInvocationOperation? Call { get; }

        private bool Blocked { get; }

        public Fallback Next(IInvocationOperation invocation, bool native)
        {
            if (Call is not null || Blocked)
            {
                return this;
            }

            return native ? new Fallback(invocation, blocked: false) : new Fallback(null, blocked: true);
        }
    }

    /// <summary>Every call in a statement, the one evaluated last first (arguments before the call that takes them).</summary>
    private static List<IInvocationOperation> CallsLastFirst(IOperation statement)
    {
        var calls = new List<IInvocationOperation>();
        foreach (var operation in statement.DescendantsAndSelf())
        {
            if (operation is IInvocationOperation invocation)
            {
                calls.Add(invocation);
            }
        }

        calls.Sort((a, b) => b.Syntax.Span.End.CompareTo(a.Syntax.Span.End));
        return calls;
    }

    /// <summary>The native calls in a statement, the one evaluated last first (arguments before the call that takes them).</summary>
    private List<IInvocationOperation> NativeCallsLastFirst(IOperation statement)
    {
        var calls = new List<IInvocationOperation>();
        foreach (var operation in statement.DescendantsAndSelf())
        {
            if (operation is IInvocationOperation invocation && ErrnoSurfaces.IsNativeCall(_surfaces, invocation.TargetMethod, out _))
            {
                calls.Add(invocation);
            }
        }

        // Descendants come parent first; a call ends after everything nested in it, so order by end, last first.
        calls.Sort((a, b) => b.Syntax.Span.End.CompareTo(a.Syntax.Span.End));
        return calls;
    }

    private static IOperation? Statement(BasicBlock block, int index)
        => index < block.Operations.Length ? block.Operations[index] : block.BranchValue;

    /// <summary>The one native call whose result a condition tests, directly or through a local assigned once from it.</summary>
    private IInvocationOperation? TestedCall(IOperation condition)
    {
        IInvocationOperation? tested = null;
        foreach (var operation in condition.DescendantsAndSelf())
        {
            var candidate = operation switch
            {
                IInvocationOperation invocation => invocation,
                ILocalReferenceOperation local => Strip((_origins ??= ValueOrigins.Of(_graph)).SingleAssignment(local.Local)) as IInvocationOperation,
                _ => null,
            };
            if (candidate is null || !ErrnoSurfaces.IsNativeCall(_surfaces, candidate.TargetMethod, out _))
            {
                continue;
            }

            if (tested is not null && !ReferenceEquals(tested, candidate))
            {
                return null;
            }

            tested = candidate;
        }

        return tested;
    }

    private static bool IsDiscarded(IInvocationOperation call, IOperation statement)
        => statement is IExpressionStatementOperation { Operation: var value }
            && (ReferenceEquals(Strip(value), call)
                || value is ISimpleAssignmentOperation { Target: IDiscardOperation } discard && ReferenceEquals(Strip(discard.Value), call));

    private static IOperation? Strip(IOperation? operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }
}
