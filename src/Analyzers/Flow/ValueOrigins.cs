using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Flow;

/// <summary>Where values come from inside one graph: which locals are assigned exactly once.</summary>
internal sealed class ValueOrigins
{
    private readonly Dictionary<ILocalSymbol, IOperation?> _singleAssignments = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ILocalSymbol> _writtenOtherwise = new(SymbolEqualityComparer.Default);

    /// <summary>The graph's origins, computed once per graph: several rules ask on every graph that holds a POSIX call.</summary>
    public static ValueOrigins Of(ControlFlowGraph graph) => GraphFacts.Of(graph).Origins;

    internal static ValueOrigins Compute(ControlFlowGraph graph) => new(graph);

    private ValueOrigins(ControlFlowGraph graph)
    {
        foreach (var block in graph.Blocks)
        {
            foreach (var statement in ControlFlowGraphs.TopLevelOperations(block))
            {
                foreach (var operation in statement.DescendantsAndSelf())
                {
                    switch (operation)
                    {
                        case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment:
                            Record(local.Local, assignment.Value);
                            break;
                        case ICompoundAssignmentOperation { Target: ILocalReferenceOperation local }:
                            _writtenOtherwise.Add(local.Local);
                            break;
                        case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation local }:
                            _writtenOtherwise.Add(local.Local);
                            break;
                        case IArgumentOperation { Value: ILocalReferenceOperation local, Parameter.RefKind: not RefKind.None }:
                            _writtenOtherwise.Add(local.Local);
                            break;
                        case IAddressOfOperation { Reference: ILocalReferenceOperation local }:
                            _writtenOtherwise.Add(local.Local);
                            break;
                    }
                }
            }
        }
    }

    /// <summary>The value a local holds everywhere it is read, when it is assigned exactly once and never written through a reference.</summary>
    public IOperation? SingleAssignment(ILocalSymbol local)
        => !_writtenOtherwise.Contains(local) && _singleAssignments.TryGetValue(local, out var value) ? value : null;

    private void Record(ILocalSymbol local, IOperation? value)
    {
        // A second write makes the local's value depend on the path: forget it.
        _singleAssignments[local] = _singleAssignments.ContainsKey(local) ? null : value;
    }
}
