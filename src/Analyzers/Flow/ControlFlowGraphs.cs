using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace SafePosix.Analyzers.Flow;

/// <summary>A position inside a control-flow graph: the block, and the index of the top-level operation in it
/// (<see cref="BranchValueIndex"/> for the block's branch value).</summary>
internal readonly struct FlowPosition
{
    public const int BranchValueIndex = int.MaxValue;

    public FlowPosition(ControlFlowGraph graph, BasicBlock block, int index, IOperation operation)
    {
        Graph = graph;
        Block = block;
        Index = index;
        Operation = operation;
    }

    public ControlFlowGraph Graph { get; }

    public BasicBlock Block { get; }

    public int Index { get; }

    /// <summary>The operation inside the graph that has the syntax asked for (graph operations are copies of the tree's).</summary>
    public IOperation Operation { get; }
}

internal static class ControlFlowGraphs
{
    /// <summary>
    /// The analyzer's cached graph for the body around an operation. Null when no graph exists for that kind of
    /// body (e.g. attribute arguments): rules then stay silent rather than fail.
    /// </summary>
    public static ControlFlowGraph? TryGetGraph(this OperationAnalysisContext context)
    {
        try
        {
            return context.GetControlFlowGraph();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Finds the graph operation for a syntax node, descending into local functions and lambdas.</summary>
    public static FlowPosition? Find(ControlFlowGraph graph, SyntaxNode syntax, CancellationToken cancellationToken)
    {
        // A node's span is computed from its trivia on every read: read it once.
        var span = syntax.Span;
        if (GraphStatements.Of(graph).Find(syntax, span) is { } found)
        {
            return found;
        }

        foreach (var localFunction in graph.LocalFunctions)
        {
            if (!localFunction.DeclaringSyntaxReferences.IsEmpty
                && localFunction.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken).Span.Contains(span)
                && Find(graph.GetLocalFunctionControlFlowGraph(localFunction, cancellationToken), syntax, cancellationToken) is { } inLocal)
            {
                return inLocal;
            }
        }

        foreach (var block in graph.Blocks)
        {
            foreach (var operation in TopLevelOperations(block))
            {
                foreach (var lambda in OperationWalk.WithSelf(operation))
                {
                    if (lambda.Kind != OperationKind.FlowAnonymousFunction)
                    {
                        continue;
                    }

                    if (lambda is IFlowAnonymousFunctionOperation anonymous && anonymous.Syntax.Span.Contains(span)
                        && Find(graph.GetAnonymousFunctionControlFlowGraph(anonymous, cancellationToken), syntax, cancellationToken) is { } inLambda)
                    {
                        return inLambda;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>The top-level operation at a position: the block's operation, or its branch value at <c>Operations.Length</c>.</summary>
    public static IOperation? StatementAt(BasicBlock block, int index)
        => index < block.Operations.Length ? block.Operations[index] : block.BranchValue;

    public static IEnumerable<IOperation> TopLevelOperations(BasicBlock block)
    {
        foreach (var operation in block.Operations)
        {
            yield return operation;
        }

        if (block.BranchValue is { } branchValue)
        {
            yield return branchValue;
        }
    }
}
