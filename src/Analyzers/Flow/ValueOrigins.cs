using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// Where values come from inside one graph: which locals are assigned exactly once, and which statements write each
/// local. Both come from one walk of the graph's statements.
/// </summary>
internal sealed class ValueOrigins
{
    private readonly Dictionary<ILocalSymbol, IOperation?> _singleAssignments = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ILocalSymbol> _writtenOtherwise = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ILocalSymbol, List<LocalWrite>> _writes = new(SymbolEqualityComparer.Default);

    /// <summary>The graph's origins, computed once per graph: several rules ask on every graph that holds a POSIX call.</summary>
    public static ValueOrigins Of(ControlFlowGraph graph) => GraphFacts.Of(graph).Origins;

    internal static ValueOrigins Compute(ControlFlowGraph graph) => new(graph);

    private static readonly OperationKinds WriteKinds = new(
        OperationKind.SimpleAssignment, OperationKind.CompoundAssignment, OperationKind.Increment, OperationKind.Decrement,
        OperationKind.Argument, OperationKind.AddressOf);

    private ValueOrigins(ControlFlowGraph graph)
    {
        var statements = GraphStatements.Of(graph);
        foreach (var block in graph.Blocks)
        {
            var count = block.Operations.Length;
            for (var index = 0; index <= count; index++)
            {
                foreach (var operation in statements.At(block, index, WriteKinds))
                {
                    Visit(operation, block.Ordinal, index);
                }
            }
        }
    }

    /// <summary>The value a local holds everywhere it is read, when it is assigned exactly once and never written through a reference.</summary>
    public IOperation? SingleAssignment(ILocalSymbol local)
        => !_writtenOtherwise.Contains(local) && _singleAssignments.TryGetValue(local, out var value) ? value : null;

    /// <summary>
    /// The last statement of a block, before position <paramref name="end"/> (exclusive; the branch value is at
    /// <c>Operations.Length</c>), that assigns, compound-assigns, increments or decrements the local. Its write is the
    /// statement's write of the local that completes last: of <c>F(x = 1, x = 2)</c> the second, of <c>x = (x = 1) + 1</c>
    /// the outer one.
    /// </summary>
    public bool TryGetLastWrite(ILocalSymbol local, int blockOrdinal, int end, out IOperation write, out int index)
    {
        write = null!;
        index = -1;
        if (!_writes.TryGetValue(local, out var writes))
        {
            return false;
        }

        foreach (var candidate in writes)
        {
            if (candidate.Block == blockOrdinal && candidate.Index < end)
            {
                // Writes are listed in graph order, so a later match in the block is a later statement.
                write = candidate.Operation;
                index = candidate.Index;
            }
        }

        return index >= 0;
    }

    private void Visit(IOperation operation, int blockOrdinal, int index)
    {
        switch (operation.Kind)
        {
            case OperationKind.SimpleAssignment when ((ISimpleAssignmentOperation)operation).Target is ILocalReferenceOperation local:
                Record(local.Local, ((ISimpleAssignmentOperation)operation).Value);
                AddWrite(local.Local, operation, blockOrdinal, index);
                break;
            case OperationKind.CompoundAssignment when ((ICompoundAssignmentOperation)operation).Target is ILocalReferenceOperation local:
                _writtenOtherwise.Add(local.Local);
                AddWrite(local.Local, operation, blockOrdinal, index);
                break;
            case OperationKind.Increment or OperationKind.Decrement when ((IIncrementOrDecrementOperation)operation).Target is ILocalReferenceOperation local:
                _writtenOtherwise.Add(local.Local);
                AddWrite(local.Local, operation, blockOrdinal, index);
                break;
            case OperationKind.Argument when operation is IArgumentOperation { Value: ILocalReferenceOperation local, Parameter.RefKind: not RefKind.None }:
                _writtenOtherwise.Add(local.Local);
                break;
            case OperationKind.AddressOf when ((IAddressOfOperation)operation).Reference is ILocalReferenceOperation local:
                _writtenOtherwise.Add(local.Local);
                break;
        }
    }

    private void AddWrite(ILocalSymbol local, IOperation write, int blockOrdinal, int index)
    {
        if (!_writes.TryGetValue(local, out var writes))
        {
            _writes.Add(local, writes = new List<LocalWrite>(2));
        }
        else if (writes[writes.Count - 1] is var earlier && earlier.Block == blockOrdinal && earlier.Index == index)
        {
            // Two writes in one statement: the one that completes last stands. An assignment completes after
            // everything inside it, so that is the one ending last; of two ending together the outer one, met first.
            if (write.Syntax.Span.End > earlier.Operation.Syntax.Span.End)
            {
                writes[writes.Count - 1] = new LocalWrite(blockOrdinal, index, write);
            }

            return;
        }

        writes.Add(new LocalWrite(blockOrdinal, index, write));
    }

    private void Record(ILocalSymbol local, IOperation? value)
    {
        // A second write makes the local's value depend on the path: forget it.
        _singleAssignments[local] = _singleAssignments.ContainsKey(local) ? null : value;
    }

    private readonly struct LocalWrite
    {
        public LocalWrite(int block, int index, IOperation operation)
        {
            Block = block;
            Index = index;
            Operation = operation;
        }

        public int Block { get; }

        public int Index { get; }

        public IOperation Operation { get; }
    }
}
