using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// Every top-level operation of a control-flow graph (each block's operations, then its branch value) with the
/// operations under it, in <c>DescendantsAndSelf()</c> order, collected in one walk of the graph with each
/// operation's kind.
/// </summary>
/// <remarks>
/// The rules read the same statements over and over: where locals are written, a fork's child branch, a status's
/// paths, the uses of an mmap result, the calls before an errno read. Each of those walked the statement's tree
/// again through Roslyn's child lists, one interface call per operation; read from here a walk is an array scan
/// that skips the kinds it does not look at.
/// </remarks>
internal sealed class GraphStatements
{
    private readonly ControlFlowGraph _graph;
    private readonly OperationTrees.Collected _operations = new();

    // The first statement number of each block; a block has Operations.Length + 1 statements, the last its branch value.
    private readonly int[] _firstStatement;

    // Where each statement's operations start in _operations; one more entry marks the end of the last.
    private readonly int[] _statementStart;

    // Each statement's syntax span, read once: a node's span is computed from its trivia on every read, and every
    // search for a call (several per call, one per rule that asks) tests it against the statements before the call's.
    // A statement with no operation keeps the empty default, which nothing reads (Find skips such statements first).
    private readonly TextSpan[] _statementSpan;

    private GraphStatements(ControlFlowGraph graph)
    {
        _graph = graph;
        var blocks = graph.Blocks;
        _firstStatement = new int[blocks.Length];
        var statements = 0;
        foreach (var block in blocks)
        {
            _firstStatement[block.Ordinal] = statements;
            statements += block.Operations.Length + 1;
        }

        _statementStart = new int[statements + 1];
        _statementSpan = new TextSpan[statements];
        var statement = 0;
        foreach (var block in blocks)
        {
            for (var index = 0; index <= block.Operations.Length; index++, statement++)
            {
                _statementStart[statement] = _operations.Count;
                if (ControlFlowGraphs.StatementAt(block, index) is { } root)
                {
                    _statementSpan[statement] = root.Syntax.Span;
                    foreach (var operation in OperationWalk.WithSelf(root))
                    {
                        _operations.Add(operation, operation.Kind);
                    }
                }
            }
        }

        _statementStart[statements] = _operations.Count;
    }

    /// <summary>The graph's statements, collected once per graph (see <see cref="GraphFacts"/>).</summary>
    public static GraphStatements Of(ControlFlowGraph graph) => GraphFacts.Of(graph).Statements;

    internal static GraphStatements Compute(ControlFlowGraph graph) => new(graph);

    /// <summary>
    /// The first statement, in block order, holding a non-implicit operation with this syntax, and that operation;
    /// null when no statement of this graph has one (it may sit in a lambda's or local function's graph).
    /// </summary>
    public FlowPosition? Find(SyntaxNode syntax, TextSpan span)
    {
        var statement = 0;
        foreach (var block in _graph.Blocks)
        {
            for (var index = 0; index <= block.Operations.Length; index++, statement++)
            {
                var start = _statementStart[statement];
                var end = _statementStart[statement + 1];
                if (start == end)
                {
                    continue;
                }

                if (!_statementSpan[statement].Contains(span))
                {
                    continue;
                }

                for (var i = start; i < end; i++)
                {
                    var operation = _operations[i];
                    if (operation.Syntax == syntax && !operation.IsImplicit)
                    {
                        return new FlowPosition(_graph, block, index == block.Operations.Length ? FlowPosition.BranchValueIndex : index, operation);
                    }
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The statement at <paramref name="index"/> of the block (its branch value at <c>Operations.Length</c> or
    /// <see cref="FlowPosition.BranchValueIndex"/>) and every operation under it, of the given kinds.
    /// </summary>
    public OperationTrees.KindRun At(BasicBlock block, int index, OperationKinds kinds)
    {
        // A block of another graph (a lambda's, a local function's) would read some other statement's operations.
        if (block.Ordinal >= _firstStatement.Length || !ReferenceEquals(_graph.Blocks[block.Ordinal], block) || index < 0)
        {
            throw new ArgumentException("The position is not one of this graph's statements.", nameof(block));
        }

        var statement = _firstStatement[block.Ordinal] + (index >= block.Operations.Length ? block.Operations.Length : index);
        return new OperationTrees.KindRun(_operations, _statementStart[statement], _statementStart[statement + 1], kinds);
    }
}
