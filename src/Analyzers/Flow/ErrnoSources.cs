using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
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
    private StatementCalls? _calls;

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
        foreach (var call in Calls(read.Block, readIndex))
        {
            if (call.End > read.Operation.Syntax.SpanStart)
            {
                continue;
            }

            if (call.Invocation is not { } invocation)
            {
                return null;
            }

            if (call.IsErrorAccessor)
            {
                continue;
            }

            // A native call to the read's left in its own statement (`Fail(close(fd), errno)`) is the last one made
            // before the read on every path.
            if (call.Native && (call.SavesErrno || call.IsExec))
            {
                return invocation;
            }

            ownFallback = ownFallback.Next(invocation, call.Native);
        }

        pending.Push((read.Block, readIndex, ownFallback));
        while (pending.Count > 0 && !ambiguous)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var (block, end, fallback) = pending.Pop();
            var settled = false;
            for (var i = end - 1; i >= 0 && !settled; i--)
            {
                if (ControlFlowGraphs.StatementAt(block, i) is not { } statement)
                {
                    continue;
                }

                if (i == block.Operations.Length && block.ConditionKind != ControlFlowConditionKind.None && TestedCall(block, i) is { } tested)
                {
                    Settle(tested);
                    settled = true;
                    continue;
                }

                foreach (var call in Calls(block, i))
                {
                    if (call.Invocation is not { } invocation)
                    {
                        // A call whose target is not known (code being written, dynamic, a function pointer) may be
                        // the one that set errno.
                        Settle(null);
                        settled = true;
                        break;
                    }

                    if (call.IsErrorAccessor)
                    {
                        continue;
                    }

                    // Kept or passed on: this is the call being reported on. So is an exec* whose result is discarded:
                    // it returns only when it failed, so code discards the -1 and reads errno next.
                    if (call.Native && ((call.SavesErrno && !IsDiscarded(invocation, statement)) || call.IsExec))
                    {
                        Settle(invocation);
                        settled = true;
                        break;
                    }

                    fallback = fallback.Next(invocation, call.Native);
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
        if (InOwnStatement(read, subject))
        {
            return calls;
        }

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
                foreach (var call in Calls(block, i))
                {
                    if (call.Invocation is not { } invocation || !call.Native)
                    {
                        continue;
                    }

                    if (ReferenceEquals(invocation, subject))
                    {
                        reachedSubject = true;
                        break;
                    }

                    if (call.SavesErrno)
                    {
                        calls.Add(invocation);
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

    /// <summary>
    /// Whether the subject is in the read's own statement (<c>Fail(close(fd), errno)</c>): it is then the nearest native
    /// call to the read's left (<see cref="Subject"/>), and no other comes between them.
    /// </summary>
    private bool InOwnStatement(FlowPosition read, IInvocationOperation subject)
        => Array.FindIndex(Calls(read.Block, ReadIndex(read)), call => ReferenceEquals(call.Invocation, subject)) >= 0;

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

    /// <summary>
    /// Every call in the statement at a position, the one evaluated last first (arguments before the call that takes
    /// them), with what errno makes of it. Kept with the graph: a function reads errno after several calls, and each
    /// read walks back over the same statements twice.
    /// </summary>
    private StatementCall[] Calls(BasicBlock block, int index)
    {
        _calls ??= GraphFacts.Of(_graph).StatementCalls;
        return _calls.Of(block, index, _surfaces);
    }

    private static readonly OperationKinds CallsAndLocals = new(
        OperationKind.Invocation, OperationKind.LocalReference, OperationKind.Invalid, OperationKind.DynamicInvocation, OperationKind.FunctionPointerInvocation);

    /// <summary>
    /// The one native call whose result the condition at <paramref name="index"/> of the block tests (its branch
    /// value), directly or through a local assigned once from it.
    /// </summary>
    private IInvocationOperation? TestedCall(BasicBlock block, int index)
    {
        IInvocationOperation? tested = null;
        foreach (var operation in GraphStatements.Of(_graph).At(block, index, CallsAndLocals))
        {
            if (StatementCalls.IsUnknownCall(operation))
            {
                // It may be what the condition tests; the walk back meets it next and gives up there.
                return null;
            }

            var candidate = operation switch
            {
                IInvocationOperation invocation => invocation,
                ILocalReferenceOperation local => Strip((_origins ??= ValueOrigins.Of(_graph)).SingleAssignment(local.Local)) as IInvocationOperation,
                _ => null,
            };
            if (candidate is null
                || !ErrnoSurfaces.IsNativeCall(_surfaces, candidate.TargetMethod, out _)
                || ErrnoSurfaces.IsLastErrorAccessorImport(_surfaces, candidate.TargetMethod))
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

/// <summary>
/// A call in a statement, and whether errno reports on it: a native call, one that saves errno, an exec (which returns
/// only when it failed). Or a call whose target is not known (no <see cref="Invocation"/>): it may be any call.
/// </summary>
internal readonly struct StatementCall
{
    public StatementCall(IInvocationOperation invocation, bool native, bool savesErrno, bool isExec, bool isErrorAccessor)
    {
        Invocation = invocation;
        Native = native;
        SavesErrno = savesErrno;
        IsExec = isExec;
        IsErrorAccessor = isErrorAccessor;
        End = invocation.Syntax.Span.End;
    }

    private StatementCall(int end)
    {
        Invocation = null;
        Native = false;
        SavesErrno = false;
        IsExec = false;
        IsErrorAccessor = false;
        End = end;
    }

    public static StatementCall Unknown(IOperation call) => new(call.Syntax.Span.End);

    /// <summary>The call; null for a call that does not bind.</summary>
    public IInvocationOperation? Invocation { get; }

    /// <summary>Where the call's syntax ends: the calls of a statement are ordered by it.</summary>
    public int End { get; }

    public bool Native { get; }

    public bool SavesErrno { get; }

    /// <summary>An exec*, directly or through a wrapper of the project: its result is discarded by idiom.</summary>
    public bool IsExec { get; }

    /// <summary>
    /// An imported GetLastError or WSAGetLastError: it reads an error and reports no failure of its own, so no read is
    /// about it; imported with SetLastError on .NET it still saves over the code (<see cref="SavesErrno"/>).
    /// </summary>
    public bool IsErrorAccessor { get; }
}

/// <summary>The calls of each statement of one graph, the one evaluated last first, found on the statement's first use.</summary>
internal sealed class StatementCalls
{
    private readonly StatementCall[]?[]?[] _byBlock;

    private static readonly OperationKinds Calls = new(
        OperationKind.Invocation, OperationKind.Invalid, OperationKind.DynamicInvocation, OperationKind.FunctionPointerInvocation);

    private readonly GraphStatements _statements;

    public StatementCalls(ControlFlowGraph graph)
    {
        _byBlock = new StatementCall[]?[]?[graph.Blocks.Length];
        _statements = GraphStatements.Of(graph);
    }

    /// <summary>The calls of the statement at <paramref name="index"/> (the branch value at <c>Operations.Length</c>).</summary>
    public StatementCall[] Of(BasicBlock block, int index, PosixSurfaces surfaces)
    {
        // Filled without a lock: two threads that race compute the same arrays, and either may be kept.
        var statements = _byBlock[block.Ordinal] ??= new StatementCall[]?[block.Operations.Length + 1];
        return statements[index] ??= Collect(_statements.At(block, index, Calls), surfaces);
    }

    /// <summary>
    /// A call whose target is not known: one that does not bind (code being written), a <c>dynamic</c> call, a call
    /// through a function pointer. Any of them may be the call that set errno.
    /// </summary>
    public static bool IsUnknownCall(IOperation operation) => operation.Kind switch
    {
        OperationKind.Invalid => operation.Syntax.IsKind(SyntaxKind.InvocationExpression),
        OperationKind.DynamicInvocation or OperationKind.FunctionPointerInvocation => true,
        _ => false,
    };

    private static StatementCall[] Collect(OperationTrees.KindRun statement, PosixSurfaces surfaces)
    {
        List<StatementCall>? calls = null;
        foreach (var operation in statement)
        {
            if (operation is IInvocationOperation invocation)
            {
                var native = ErrnoSurfaces.IsNativeCall(surfaces, invocation.TargetMethod, out var saves);
                var isExec = native && surfaces.TryGetCallThroughWrappers(invocation.TargetMethod, ProcessCalls.ExecFunctions, out _);
                var isErrorAccessor = native && ErrnoSurfaces.IsLastErrorAccessorImport(surfaces, invocation.TargetMethod);
                (calls ??= new List<StatementCall>()).Add(new StatementCall(invocation, native, saves, isExec, isErrorAccessor));
            }
            else if (IsUnknownCall(operation))
            {
                (calls ??= new List<StatementCall>()).Add(StatementCall.Unknown(operation));
            }
        }

        if (calls is null)
        {
            return System.Array.Empty<StatementCall>();
        }

        // Descendants come parent first; a call ends after everything nested in it, so order by end, last first.
        calls.Sort((a, b) => b.End.CompareTo(a.End));
        return calls.ToArray();
    }
}
