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

/// <summary>The answers: the operations the child runs and every way it leaves, with the locations rules report at.</summary>
internal sealed partial class ChildBranch
{
    // ---- the answers ------------------------------------------------------------------------------------------

    private void Collect()
    {
        var operations = ImmutableArray.CreateBuilder<ChildOperation>();
        var exits = ImmutableArray.CreateBuilder<ChildExit>();
        var fallOuts = new Dictionary<int, List<BasicBlock>>();
        var exitBlock = _graph.Blocks[_graph.Blocks.Length - 1];

        foreach (var block in _graph.Blocks)
        {
            var entry = _entryStates[block.Ordinal];
            var childOnly = IsChildOnly(entry);
            HasChildBranch |= childOnly;
            if (block == _forkBlock)
            {
                // Code after the fork in its own block runs in both processes; code before it only when a path comes back.
                CollectOperations(block, _forkIndex == FlowPosition.BranchValueIndex ? FlowPosition.BranchValueIndex : _forkIndex + 1, _startStates, operations, exits);
            }

            if (entry == 0 || !(childOnly || RunsInChildBeforeTest(entry)))
            {
                continue;
            }

            CollectOperations(block, 0, entry, operations, exits);
            if (!childOnly || EffectOf(block, 0).EndsPath)
            {
                continue;
            }

            foreach (var successor in new[] { block.ConditionalSuccessor, block.FallThroughSuccessor })
            {
                if (successor?.Destination is not { } destination || IsChildOnly(_entryStates[destination.Ordinal]) && destination != exitBlock)
                {
                    continue;
                }

                if (destination == exitBlock && successor.Semantics == ControlFlowBranchSemantics.Return)
                {
                    continue;
                }

                if (destination == exitBlock && VoidReturnAfter(block) is { } returnStatement)
                {
                    exits.Add(new ChildExit(ChildExitKind.Return, null, returnStatement.GetLocation(), LastOperationOf(block), inChildBranch: true, singleSource: true));
                    continue;
                }

                if (!fallOuts.TryGetValue(destination.Ordinal, out var sources))
                {
                    fallOuts[destination.Ordinal] = sources = new List<BasicBlock>();
                }

                if (!sources.Contains(block))
                {
                    sources.Add(block);
                }
            }
        }

        foreach (var pair in fallOuts.OrderBy(p => p.Key))
        {
            // One diagnostic per place the child falls into, at the last thing the child did on the way.
            IOperation? last = null;
            foreach (var source in pair.Value)
            {
                var candidate = LastOperationOf(source) ?? EntryConditionOf(source);
                if (candidate is not null && (last is null || candidate.Syntax.Span.End > last.Syntax.Span.End))
                {
                    last = candidate;
                }
            }

            if (last is null)
            {
                continue;
            }

            var statement = last.Syntax.FirstAncestorOrSelf<StatementSyntax>() is { } enclosing && enclosing.Span.End == last.Syntax.Span.End + (enclosing is ExpressionStatementSyntax ? 1 : 0)
                ? (SyntaxNode)enclosing
                : last.Syntax;
            var single = pair.Value.Count == 1 && LastOperationOf(pair.Value[0]) == last;
            exits.Add(new ChildExit(ChildExitKind.FallOut, last, statement.GetLocation(), last, inChildBranch: true, singleSource: single));
        }

        Operations = operations.ToImmutable();
        Exits = exits.ToImmutable();
    }

    private void CollectOperations(BasicBlock block, int firstIndex, uint states, ImmutableArray<ChildOperation>.Builder operations, ImmutableArray<ChildExit>.Builder exits)
    {
        if (states == 0 || !(IsChildOnly(states) || RunsInChildBeforeTest(states)))
        {
            return;
        }

        var inChildBranch = IsChildOnly(states);
        var effect = EffectOf(block, firstIndex);
        var end = effect.EndsPath ? Math.Min(effect.EndIndex + 1, block.Operations.Length) : block.Operations.Length;
        var first = firstIndex == FlowPosition.BranchValueIndex ? block.Operations.Length : firstIndex;
        for (var index = first; index < end; index++)
        {
            if (block.Operations[index] != _forkStatement)
            {
                operations.Add(new ChildOperation(block.Operations[index], inChildBranch));
            }
        }

        if (effect.EndsPath)
        {
            // A helper that always throws, inside a try the child entered on its own: its catch goes on as child code.
            if (effect.EndOperation is { } call && effect.EndKind is ChildCallKind.SafeExit or ChildCallKind.UnsafeExit or ChildCallKind.Throw
                && !(effect.EndKind == ChildCallKind.Throw && CaughtInChild(block, new ThrownException(null, exact: false))))
            {
                var kind = effect.EndKind switch
                {
                    ChildCallKind.SafeExit => ChildExitKind.SafeExit,
                    ChildCallKind.UnsafeExit => ChildExitKind.UnsafeExit,
                    _ => ChildExitKind.Throw,
                };
                exits.Add(new ChildExit(kind, call, call.Syntax.GetLocation(), block.Operations[effect.EndIndex], inChildBranch, singleSource: true));
            }

            return;
        }

        if (block.BranchValue is { } branchValue && branchValue != _forkStatement)
        {
            operations.Add(new ChildOperation(branchValue, inChildBranch));
        }

        var last = LastOperationOf(block);
        if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.Throw } && block.BranchValue is { } exception)
        {
            // The graph keeps C#'s conversion of the thrown value to Exception: the type thrown is the operand's, and a
            // new object's exactly.
            var operand = OperationFacts.StripConversions(exception);
            if (CaughtInChild(block, new ThrownException(operand.Type, exact: operand is IObjectCreationOperation)))
            {
                return;
            }

            var location = (exception.Syntax.Parent is ThrowStatementSyntax or ThrowExpressionSyntax ? exception.Syntax.Parent : exception.Syntax).GetLocation();
            exits.Add(new ChildExit(ChildExitKind.Throw, exception, location, block.Operations.Length > 0 ? block.Operations[block.Operations.Length - 1] : null, inChildBranch, singleSource: true));
        }
        else if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.Return } && block.BranchValue is { } returned)
        {
            var statement = returned.Syntax.FirstAncestorOrSelf<ReturnStatementSyntax>();
            var location = (statement is not null && statement.Expression == returned.Syntax ? statement : returned.Syntax).GetLocation();
            exits.Add(new ChildExit(ChildExitKind.Return, returned, location, block.Operations.Length > 0 ? block.Operations[block.Operations.Length - 1] : null, inChildBranch, singleSource: true));
        }
        else if (!inChildBranch && last is null && block.FallThroughSuccessor?.Destination is { Kind: BasicBlockKind.Exit } && VoidReturnAfter(block) is { } voidReturn)
        {
            exits.Add(new ChildExit(ChildExitKind.Return, null, voidReturn.GetLocation(), null, inChildBranch, singleSource: true));
        }
    }

    /// <summary>
    /// True when a catch of a try that only the child entered may take an exception thrown in the block and does not
    /// throw it on: the child goes on in that handler, whose own ways out are collected as child code. A try around the
    /// fork is the parent's too, and so is its catch. A filter, a catch of everything, a type the object thrown may have,
    /// or an exception whose type is not known (a helper that throws, a type parameter) counts as taken: the rule then
    /// says nothing rather than something wrong. A handler with a <c>throw;</c> of its own does not: on that path the
    /// exception surely goes on.
    /// </summary>
    private bool CaughtInChild(BasicBlock block, ThrownException thrown)
    {
        for (var region = block.EnclosingRegion; region is not null && region != _graph.Root; region = region.EnclosingRegion)
        {
            if (region.Kind != ControlFlowRegionKind.Try || region.EnclosingRegion is not { Kind: ControlFlowRegionKind.TryAndCatch } tryAndCatch
                || !IsChildOnly(_entryStates[region.FirstBlockOrdinal]))
            {
                continue;
            }

            // Handlers in order, as C# tries them: the first that surely takes the exception ends the search here.
            foreach (var handler in tryAndCatch.NestedRegions)
            {
                if (handler == region || !MayCatch(handler, thrown))
                {
                    continue;
                }

                // A handler that rethrows (`catch { Log(); throw; }`) passes the exception on to the tries around it.
                if (!Rethrows(handler))
                {
                    return true;
                }

                if (SurelyCatches(handler, thrown))
                {
                    break;
                }
            }
        }

        return false;
    }

    private static bool MayCatch(ControlFlowRegion handler, ThrownException thrown)
    {
        // A filter, a catch of everything, or a catch of a type parameter may take anything.
        if (handler.Kind == ControlFlowRegionKind.FilterAndHandler
            || handler.ExceptionType is not INamedTypeSymbol { TypeKind: TypeKind.Class } caught
            || caught.SpecialType == SpecialType.System_Object || thrown.Type is not INamedTypeSymbol { TypeKind: TypeKind.Class } type)
        {
            return true;
        }

        // A variable's type is only what the object is at least: `Exception e = ...; throw e;` may be an IOException.
        return DerivesFrom(type, caught) || (!thrown.Exact && DerivesFrom(caught, type));
    }

    /// <summary>A catch without a filter whose type the thrown object has for certain.</summary>
    private static bool SurelyCatches(ControlFlowRegion handler, ThrownException thrown)
        => handler.Kind == ControlFlowRegionKind.Catch
           && (handler.ExceptionType is not { } caught || caught.SpecialType == SpecialType.System_Object
               || (caught is INamedTypeSymbol { TypeKind: TypeKind.Class } && thrown.Type is INamedTypeSymbol { TypeKind: TypeKind.Class } type
                   && DerivesFrom(type, caught)));

    private static bool DerivesFrom(ITypeSymbol type, ITypeSymbol ancestor)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, ancestor))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A <c>throw;</c> of the handler itself. One inside a try or catch nested in the handler is left out: that catch's
    /// exception, or one its own catches may take.
    /// </summary>
    private bool Rethrows(ControlFlowRegion handler)
    {
        for (var ordinal = handler.FirstBlockOrdinal; ordinal <= handler.LastBlockOrdinal; ordinal++)
        {
            var block = _graph.Blocks[ordinal];
            if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.Rethrow } && IsOwnRethrow(block, handler))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsOwnRethrow(BasicBlock block, ControlFlowRegion handler)
    {
        for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
        {
            // A catch with a filter is a Catch region inside the handler's FilterAndHandler region.
            if (region == handler || (region.Kind == ControlFlowRegionKind.Catch && region.EnclosingRegion == handler))
            {
                return true;
            }

            if (region.Kind is ControlFlowRegionKind.Try or ControlFlowRegionKind.Catch or ControlFlowRegionKind.Filter
                or ControlFlowRegionKind.FilterAndHandler)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>What is known of an exception thrown in the child: its static type (null when not known), and whether
    /// that is the object's exact type (a <c>new</c> expression).</summary>
    private readonly struct ThrownException
    {
        public ThrownException(ITypeSymbol? type, bool exact)
        {
            Type = type;
            Exact = exact;
        }

        public ITypeSymbol? Type { get; }

        public bool Exact { get; }
    }

    private static IOperation? LastOperationOf(BasicBlock block)
        => block.Operations.Length > 0 && block.BranchValue is null ? block.Operations[block.Operations.Length - 1]
            : block.BranchValue is { } branchValue && block.ConditionKind != ControlFlowConditionKind.None ? branchValue
            : block.Operations.Length > 0 ? block.Operations[block.Operations.Length - 1] : null;

    /// <summary>The test that led into an empty block, for reporting a fall-out from it.</summary>
    private static IOperation? EntryConditionOf(BasicBlock block)
    {
        IOperation? condition = null;
        foreach (var predecessor in block.Predecessors)
        {
            if (predecessor.Source.BranchValue is { } candidate && (condition is null || candidate.Syntax.Span.End > condition.Syntax.Span.End))
            {
                condition = candidate;
            }
        }

        return condition;
    }

    /// <summary>
    /// The <c>return;</c> statement a block leaves through: the graph keeps no operation for it, so it is the first
    /// such statement after the block's last operation with no other graph operation in between.
    /// </summary>
    private ReturnStatementSyntax? VoidReturnAfter(BasicBlock block)
    {
        var after = LastOperationOf(block)?.Syntax.Span.End ?? EntryConditionOf(block)?.Syntax.Span.End;
        if (after is not { } position)
        {
            return null;
        }

        var body = _graph.OriginalOperation.Syntax;
        ReturnStatementSyntax? found = null;
        foreach (var candidate in body.DescendantNodes(node => node == body || !IsNestedFunction(node)).OfType<ReturnStatementSyntax>())
        {
            if (candidate.Expression is null && candidate.SpanStart >= position && (found is null || candidate.SpanStart < found.SpanStart))
            {
                found = candidate;
            }
        }

        if (found is null)
        {
            return null;
        }

        foreach (var other in _graph.Blocks)
        {
            foreach (var operation in ControlFlowGraphs.TopLevelOperations(other))
            {
                var start = operation.Syntax.SpanStart;
                if (start >= position && start < found.SpanStart && !operation.IsImplicit)
                {
                    return null;
                }
            }
        }

        return found;
    }

    private static bool IsNestedFunction(SyntaxNode node)
        => node is LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax;
}
