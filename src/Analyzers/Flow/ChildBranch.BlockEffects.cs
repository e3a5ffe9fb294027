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

            if (Ends(operation, helpers) is { } end)
            {
                effect.EndIndex = index;
                effect.EndKind = end.Kind;
                effect.EndOperation = end.Call;
                break;
            }

            effect.Overwrites |= OverwritesHolder(operation);
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
                effect.BranchOverwrites = OverwritesHolder(branchValue);
            }
        }

        _effects[key] = effect;
        return effect;
    }

    private (ChildCallKind Kind, IInvocationOperation Call)? Ends(IOperation operation, bool helpers)
    {
        foreach (var node in operation.DescendantsAndSelf())
        {
            if (node is IInvocationOperation invocation)
            {
                var kind = _calls.Classify(invocation, helpers);
                if (kind is ChildCallKind.SafeExit or ChildCallKind.UnsafeExit or ChildCallKind.Throw or ChildCallKind.NoReturn)
                {
                    return (kind, invocation);
                }
            }
        }

        return null;
    }

    private bool OverwritesHolder(IOperation operation)
    {
        if (_holder is null)
        {
            return false;
        }

        foreach (var node in operation.DescendantsAndSelf())
        {
            switch (node)
            {
                case ISimpleAssignmentOperation assignment when CheckedBeforeUse.IsReferenceTo(assignment.Target, _holder)
                    && OperationFacts.StripConversions(assignment.Value) != _fork:
                case ICompoundAssignmentOperation compound when CheckedBeforeUse.IsReferenceTo(compound.Target, _holder):
                case IIncrementOrDecrementOperation increment when CheckedBeforeUse.IsReferenceTo(increment.Target, _holder):
                case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument when CheckedBeforeUse.IsReferenceTo(argument.Value, _holder):
                case IAddressOfOperation addressOf when CheckedBeforeUse.IsReferenceTo(addressOf.Reference, _holder):
                    return true;
            }
        }

        return false;
    }
}
