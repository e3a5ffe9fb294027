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

/// <summary>Which outcomes of the fork (failed, child, parent) a branch condition lets through, and what stands for the result in it.</summary>
internal sealed partial class ChildBranch
{
    // ---- tests of the result ----------------------------------------------------------------------------------

    private Truth[]? Evaluate(BasicBlock block, BlockEffect effect, bool holderValid)
        => block.BranchValue is { } condition && block.ConditionKind != ControlFlowConditionKind.None && !effect.EndsPath
            ? Evaluate(condition, holderValid)
            : null;

    private static int OutcomesOnEdge(BasicBlock block, ControlFlowBranch successor, Truth[]? truth)
    {
        if (truth is null)
        {
            return AllOutcomes;
        }

        var taken = successor == block.ConditionalSuccessor
            ? block.ConditionKind == ControlFlowConditionKind.WhenTrue
            : block.ConditionKind == ControlFlowConditionKind.WhenFalse;
        var outcomes = 0;
        for (var outcome = 0; outcome < 3; outcome++)
        {
            var result = truth[outcome];
            if (taken ? result != Truth.Never : result != Truth.Always)
            {
                outcomes |= 1 << outcome;
            }
        }

        return outcomes;
    }

    private enum Truth
    {
        Never,
        Maybe,
        Always,
    }

    // Failed is -1 exactly (fork, vfork, forkpty and clone return -1 on failure), child 0, parent 1..int.MaxValue.
    private static readonly (long Low, long High)[] Ranges = { (-1, -1), (0, 0), (1, int.MaxValue) };

    /// <summary>For each outcome, whether the condition is true; null when the condition does not test the result.</summary>
    private Truth[]? Evaluate(IOperation condition, bool holderValid)
    {
        condition = OperationFacts.StripConversions(condition);
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not when Evaluate(not.Operand, holderValid) is { } inner:
                return Map(inner, Invert);
            case IBinaryOperation binary when OperationFacts.IntegerRelation(binary) is { } relation:
                if (IsMention(binary.LeftOperand, holderValid) && ValueOf(binary.RightOperand) is { } right)
                {
                    return Compare(relation, right);
                }

                if (IsMention(binary.RightOperand, holderValid) && ValueOf(binary.LeftOperand) is { } left)
                {
                    return Compare(OperationFacts.Swap(relation), left);
                }

                return null;
            case IIsPatternOperation pattern when IsMention(pattern.Value, holderValid):
                return Match(pattern.Pattern);
            default:
                return null;
        }
    }

    private Truth[]? Match(IPatternOperation pattern)
    {
        switch (pattern)
        {
            case IConstantPatternOperation constant when ValueOf(constant.Value) is { } value:
                return Compare(BinaryOperatorKind.Equals, value);
            case IRelationalPatternOperation relational when ValueOf(relational.Value) is { } bound:
                return Compare(relational.OperatorKind, bound);
            case INegatedPatternOperation negated when Match(negated.Pattern) is { } inner:
                return Map(inner, Invert);
            case IBinaryPatternOperation binary when Match(binary.LeftPattern) is { } left && Match(binary.RightPattern) is { } right:
                var combined = new Truth[3];
                for (var i = 0; i < 3; i++)
                {
                    combined[i] = binary.OperatorKind == BinaryOperatorKind.And ? And(left[i], right[i]) : Or(left[i], right[i]);
                }

                return combined;
            case IDiscardPatternOperation:
                return new[] { Truth.Always, Truth.Always, Truth.Always };
            default:
                return null;
        }
    }

    private static Truth[] Compare(BinaryOperatorKind relation, long constant)
    {
        var result = new Truth[3];
        for (var outcome = 0; outcome < 3; outcome++)
        {
            var (low, high) = Ranges[outcome];
            result[outcome] = relation switch
            {
                BinaryOperatorKind.Equals => low == constant && high == constant ? Truth.Always : constant < low || constant > high ? Truth.Never : Truth.Maybe,
                BinaryOperatorKind.NotEquals => low == constant && high == constant ? Truth.Never : constant < low || constant > high ? Truth.Always : Truth.Maybe,
                BinaryOperatorKind.LessThan => high < constant ? Truth.Always : low >= constant ? Truth.Never : Truth.Maybe,
                BinaryOperatorKind.LessThanOrEqual => high <= constant ? Truth.Always : low > constant ? Truth.Never : Truth.Maybe,
                BinaryOperatorKind.GreaterThan => low > constant ? Truth.Always : high <= constant ? Truth.Never : Truth.Maybe,
                _ => low >= constant ? Truth.Always : high < constant ? Truth.Never : Truth.Maybe,
            };
        }

        return result;
    }

    private static Truth Invert(Truth truth) => truth switch
    {
        Truth.Always => Truth.Never,
        Truth.Never => Truth.Always,
        _ => Truth.Maybe,
    };

    private static Truth And(Truth left, Truth right)
        => left == Truth.Never || right == Truth.Never ? Truth.Never : left == Truth.Always && right == Truth.Always ? Truth.Always : Truth.Maybe;

    private static Truth Or(Truth left, Truth right)
        => left == Truth.Always || right == Truth.Always ? Truth.Always : left == Truth.Never && right == Truth.Never ? Truth.Never : Truth.Maybe;

    private static Truth[] Map(Truth[] values, Func<Truth, Truth> map)
    {
        var mapped = new Truth[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            mapped[i] = map(values[i]);
        }

        return mapped;
    }

    // ---- what stands for the result ---------------------------------------------------------------------------

    /// <summary>
    /// The first branch condition (in block order) that is true exactly in the child: <c>pid == 0</c>, <c>pid is 0</c>,
    /// <c>fork() == 0</c>, never true for the parent or a failed fork. Null when no condition tests the result that way.
    /// Fixers use it to find the child's <c>if</c> without recognizing the test again.
    /// </summary>
    public IOperation? ChildTest()
    {
        foreach (var block in _graph.Blocks)
        {
            if (block.BranchValue is { } condition && block.ConditionKind != ControlFlowConditionKind.None
                && Evaluate(condition, holderValid: true) is { } truth
                && truth[0] == Truth.Never && truth[1] == Truth.Always && truth[2] == Truth.Never)
            {
                return condition;
            }
        }

        return null;
    }

    /// <summary>The integer a compared operand stands for, when known: a constant, a binding's sentinel, a local assigned it once.</summary>
    private long? ValueOf(IOperation operand) => _calls.Values.IntegerValue(operand, _origins.SingleAssignment, _cancellationToken);

    /// <summary>True when the operation evaluates to the fork's result: the call, its holder, an alias capture, or an assignment of the call.</summary>
    private bool IsMention(IOperation operation, bool holderValid)
    {
        operation = OperationFacts.StripConversions(operation);
        if (operation == _fork)
        {
            return true;
        }

        switch (operation)
        {
            case ISimpleAssignmentOperation assignment:
                return OperationFacts.StripConversions(assignment.Value) == _fork;
            case IFlowCaptureReferenceOperation capture:
                return _captures.Contains(capture.Id);
            default:
                return holderValid && _holder is not null && CheckedBeforeUse.IsReferenceTo(operation, _holder);
        }
    }

    /// <summary>The variable the result is stored in: <c>var pid = fork()</c>, <c>pid = (int)fork()</c>, <c>if ((pid = fork()) == 0)</c>.</summary>
    public static ISymbol? HolderOf(IOperation fork)
    {
        var value = OperationFacts.OutermostConversion(fork);

        if (value.Parent is not ISimpleAssignmentOperation assignment || assignment.Value != value)
        {
            return null;
        }

        return assignment.Target switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
            _ => null,
        };
    }

    private static readonly OperationKinds FlowCaptures = new(OperationKind.FlowCapture);

    private void FindCaptures()
    {
        // switch statements, switch expressions and some patterns copy the tested value into a flow capture first.
        foreach (var block in _graph.Blocks)
        {
            for (var index = 0; index <= block.Operations.Length; index++)
            {
                foreach (var node in _statements.At(block, index, FlowCaptures))
                {
                    if (node is IFlowCaptureOperation capture && IsMention(capture.Value, holderValid: true))
                    {
                        _captures.Add(capture.Id);
                    }
                }
            }
        }
    }
}
