using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Flow;

/// <summary>What one mention of a tracked value does to it.</summary>
internal enum ValueUse
{
    /// <summary>Nothing a rule cares about; the path goes on.</summary>
    Neutral,

    /// <summary>Compared with the right sentinel (or deliberately with something else): the path is checked.</summary>
    Check,

    /// <summary>Compared only with a wrong sentinel (e.g. NULL where libc returns -1): noted, the path goes on.</summary>
    WrongCheck,

    /// <summary>Used as if it were valid: dereferenced, passed to libc or to a memory API.</summary>
    Use,

    /// <summary>Handed on where this method cannot follow it (returned, stored elsewhere, passed to user code).</summary>
    Escape,

    /// <summary>Overwritten: the tracked value is gone on this path.</summary>
    Overwrite,
}

/// <summary>The outcome of following a value along every path from where it was stored.</summary>
internal sealed class CheckedBeforeUseResult
{
    public CheckedBeforeUseResult(ImmutableArray<IOperation> uncheckedUses, ImmutableArray<IOperation> wrongChecks, bool anyCheck, bool uncheckedPathReachesEnd)
    {
        UncheckedUses = uncheckedUses;
        WrongChecks = wrongChecks;
        AnyCheck = anyCheck;
        UncheckedPathReachesEnd = uncheckedPathReachesEnd;
    }

    /// <summary>The first use on each path that reached one before any check.</summary>
    public ImmutableArray<IOperation> UncheckedUses { get; }

    /// <summary>Comparisons with a wrong sentinel met on the way.</summary>
    public ImmutableArray<IOperation> WrongChecks { get; }

    /// <summary>Whether a right check was met on any path.</summary>
    public bool AnyCheck { get; }

    /// <summary>Whether some path reached the end of the graph with the value neither checked, used, handed on nor overwritten.</summary>
    public bool UncheckedPathReachesEnd { get; }
}

/// <summary>
/// "Is this value compared with X before every use?" on the control-flow graph: a check on one branch does not
/// cover a use on another, and a value overwritten or handed on is no longer this method's to check.
/// </summary>
internal static class CheckedBeforeUse
{
    /// <param name="start">Where the value was stored; the walk starts right after it (index -1 of the entry block: a parameter, from the start).</param>
    /// <param name="holder">The local, parameter or field holding the value.</param>
    /// <param name="classify">What a mention of the holder (a reference operation inside the graph) does.</param>
    public static CheckedBeforeUseResult Analyze(FlowPosition start, ISymbol holder, Func<IOperation, ValueUse> classify)
    {
        var statements = GraphStatements.Of(start.Graph);
        var uncheckedUses = ImmutableArray.CreateBuilder<IOperation>();
        var wrongChecks = ImmutableArray.CreateBuilder<IOperation>();
        var anyCheck = false;
        var reachesEnd = false;
        var visited = new HashSet<int>();
        var pending = new Stack<(BasicBlock Block, int FirstIndex)>();
        // A value stored by the branch value itself is only seen by the successors.
        pending.Push((start.Block, start.Index == FlowPosition.BranchValueIndex ? FlowPosition.BranchValueIndex : start.Index + 1));

        while (pending.Count > 0)
        {
            var (block, firstIndex) = pending.Pop();
            var pathEnded = false;
            for (var index = firstIndex; index <= block.Operations.Length && !pathEnded; index++)
            {
                var use = Strongest(statements.At(block, index, References), holder, classify, wrongChecks);
                switch (use.Kind)
                {
                    case ValueUse.Check:
                        anyCheck = true;
                        pathEnded = true;
                        break;
                    case ValueUse.Use:
                        uncheckedUses.Add(use.Operation!);
                        pathEnded = true;
                        break;
                    case ValueUse.Escape:
                    case ValueUse.Overwrite:
                        pathEnded = true;
                        break;
                }
            }

            if (pathEnded)
            {
                continue;
            }

            reachesEnd |= block.Kind == BasicBlockKind.Exit;

            foreach (var successor in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
            {
                if (successor?.Destination is { } next && visited.Add(next.Ordinal))
                {
                    pending.Push((next, 0));
                }
            }
        }

        return new CheckedBeforeUseResult(uncheckedUses.ToImmutable(), wrongChecks.ToImmutable(), anyCheck, reachesEnd);
    }

    /// <summary>True when the operation mentions the holder as a value (not as the target of an assignment).</summary>
    /// <remarks>On the kind first: it is asked of every operation of the statements walked, and most are no reference.</remarks>
    public static bool IsReferenceTo(IOperation operation, ISymbol holder)
    {
        switch (operation.Kind)
        {
            case OperationKind.LocalReference:
                return SymbolEqualityComparer.Default.Equals(((ILocalReferenceOperation)operation).Local, holder);
            case OperationKind.ParameterReference:
                return SymbolEqualityComparer.Default.Equals(((IParameterReferenceOperation)operation).Parameter, holder);
            case OperationKind.FieldReference:
                var field = (IFieldReferenceOperation)operation;
                return SymbolEqualityComparer.Default.Equals(field.Field, holder)
                    && (field.Instance is null || field.Instance is IInstanceReferenceOperation);
            case OperationKind.PropertyReference:
                var property = (IPropertyReferenceOperation)operation;
                return SymbolEqualityComparer.Default.Equals(property.Property, holder)
                    && property.Arguments.IsEmpty && (property.Instance is null || property.Instance is IInstanceReferenceOperation);
            default:
                return false;
        }
    }

    /// <summary>The kinds <see cref="IsReferenceTo"/> can be true of.</summary>
    private static readonly OperationKinds References = new(
        OperationKind.LocalReference, OperationKind.ParameterReference, OperationKind.FieldReference, OperationKind.PropertyReference);

    /// <param name="statement">The references of one statement (its operations of the kinds in <see cref="References"/>).</param>
    private static (ValueUse Kind, IOperation? Operation) Strongest(
        OperationTrees.KindRun statement, ISymbol holder, Func<IOperation, ValueUse> classify, ImmutableArray<IOperation>.Builder wrongChecks)
    {
        var strongest = (Kind: ValueUse.Neutral, Operation: (IOperation?)null);
        foreach (var operation in statement)
        {
            if (!IsReferenceTo(operation, holder))
            {
                continue;
            }

            var use = operation.Parent is ISimpleAssignmentOperation assignment && assignment.Target == operation
                ? ValueUse.Overwrite
                : classify(operation);
            if (use == ValueUse.WrongCheck)
            {
                wrongChecks.Add(operation);
            }

            if (Rank(use) > Rank(strongest.Kind))
            {
                strongest = (use, operation);
            }
        }

        return strongest;
    }

    // Within one statement a check wins: `p = p == MAP_FAILED ? null : p` checks before it uses.
    private static int Rank(ValueUse use) => use switch
    {
        ValueUse.Check => 5,
        ValueUse.Use => 4,
        ValueUse.Escape => 3,
        ValueUse.Overwrite => 2,
        _ => 0,
    };
}
