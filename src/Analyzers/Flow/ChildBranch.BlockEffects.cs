using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Flow;

/// <summary>What one block does to the paths through it: ends them (an exit, the fork again) or overwrites the holder.</summary>
internal sealed partial class ChildBranch
{
    // ---- what one block does --------------------------------------------------------------------------------

    private sealed class BlockEffect
    {
        /// <summary>Index of the operation that ends every path through the block (an exit, the fork again), or -1.</summary>
        public int EndIndex { get; set; } = -1;

        public ChildCallKind EndKind { get; set; }

        public IOperation? EndOperation { get; set; }

        public bool EndsPath => EndIndex >= 0;

        public bool Overwrites { get; set; }

        public bool BranchOverwrites { get; set; }

        public int FirstIndex { get; set; }
    }

    /// <param name="helpers">
    /// Whether calls into the project's own methods are summarized (<see cref="MethodSummaries.ExitOf"/>): only on
    /// paths where the child is still possible. A helper that ends only the parent's path changes nothing the rules
    /// report, and not summarizing it keeps the parent's code free of that cost.
    /// </param>
    private BlockEffect EffectOf(BasicBlock block, int firstIndex, bool helpers = true)
    {
        var key = (block.Ordinal * 4) + (firstIndex == 0 ? 0 : 2) + (helpers ? 1 : 0);
        if (_effects[key] is { } cached)
        {
            return cached;
        }

        var effect = new BlockEffect { FirstIndex = firstIndex };
        for (var index = firstIndex; index < block.Operations.Length; index++)
        {
            var operation = block.Operations[index];
            if (operation == _forkStatement)
            {
                // The fork runs again (a loop): what follows belongs to that new fork.
                effect.EndIndex = index;
                effect.EndKind = ChildCallKind.NoReturn;
                break;
            }

            if (Ends(block, index, helpers, out var overwrites) is { } end)
            {
                effect.EndIndex = index;
                effect.EndKind = end.Kind;
                effect.EndOperation = end.Call;
                break;
            }

            effect.Overwrites |= overwrites;
        }

        if (!effect.EndsPath && block.BranchValue is { } branchValue)
        {
            if (branchValue == _forkStatement && firstIndex != FlowPosition.BranchValueIndex)
            {
                effect.EndIndex = block.Operations.Length;
                effect.EndKind = ChildCallKind.NoReturn;
            }
            else
            {
                effect.BranchOverwrites = OverwritesHolder(block, block.Operations.Length);
            }
        }

        _effects[key] = effect;
        return effect;
    }

    /// <summary>
    /// The call that ends every path through the operation, if any; otherwise, in <paramref name="overwritesHolder"/>,
    /// whether the operation writes the fork's result holder. One walk answers both.
    /// </summary>
    private (ChildCallKind Kind, IInvocationOperation Call)? Ends(BasicBlock block, int index, bool helpers, out bool overwritesHolder)
    {
        overwritesHolder = false;
        foreach (var node in _statements.At(block, index, CallsAndHolderWrites))
        {
            if (node.Kind == OperationKind.Invocation)
            {
                var invocation = (IInvocationOperation)node;
                var kind = _calls.Classify(invocation, helpers);
                if (kind is ChildCallKind.SafeExit or ChildCallKind.UnsafeExit or ChildCallKind.Throw or ChildCallKind.NoReturn)
                {
                    return (kind, invocation);
                }
            }
            else if (!overwritesHolder && IsHolderWrite(node))
            {
                overwritesHolder = true;
            }
        }

        return null;
    }

    private bool OverwritesHolder(BasicBlock block, int index)
    {
        foreach (var node in _statements.At(block, index, HolderWrites))
        {
            if (IsHolderWrite(node))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The kinds <see cref="IsHolderWrite"/> can be true of.</summary>
    private static readonly OperationKinds HolderWrites = new(
        OperationKind.SimpleAssignment, OperationKind.CompoundAssignment, OperationKind.Increment, OperationKind.Decrement,
        OperationKind.Argument, OperationKind.AddressOf);

    private static readonly OperationKinds CallsAndHolderWrites = new(
        OperationKind.Invocation, OperationKind.SimpleAssignment, OperationKind.CompoundAssignment, OperationKind.Increment,
        OperationKind.Decrement, OperationKind.Argument, OperationKind.AddressOf);

    private bool IsHolderWrite(IOperation node)
    {
        if (_holder is null)
        {
            return false;
        }

        // On the kind first: most operations write nothing, and a kind test is cheaper than a row of interface casts.
        switch (node.Kind)
        {
            case OperationKind.SimpleAssignment:
                var assignment = (ISimpleAssignmentOperation)node;
                return CheckedBeforeUse.IsReferenceTo(assignment.Target, _holder) && OperationFacts.StripConversions(assignment.Value) != _fork;
            case OperationKind.CompoundAssignment:
                return CheckedBeforeUse.IsReferenceTo(((ICompoundAssignmentOperation)node).Target, _holder);
            case OperationKind.Increment or OperationKind.Decrement:
                return CheckedBeforeUse.IsReferenceTo(((IIncrementOrDecrementOperation)node).Target, _holder);
            case OperationKind.Argument:
                return node is IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument && CheckedBeforeUse.IsReferenceTo(argument.Value, _holder);
            case OperationKind.AddressOf:
                return CheckedBeforeUse.IsReferenceTo(((IAddressOfOperation)node).Reference, _holder);
            default:
                return false;
        }
    }
}
