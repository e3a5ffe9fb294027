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

/// <summary>What a call met on a path after a fork means for that path.</summary>
public enum ChildCallKind
{
    /// <summary>An ordinary call: the path goes on.</summary>
    Other,

    /// <summary>
    /// An exec* call. It replaces the process image on success and returns only on failure, so the path goes on
    /// after it and the code there still runs in the child: the child must still leave with <c>_exit</c>.
    /// </summary>
    Exec,

    /// <summary><c>_exit</c> / <c>_Exit</c>: the child ends without running anything of the parent's.</summary>
    SafeExit,

    /// <summary><c>exit</c>, <c>Environment.Exit</c>, <c>Environment.FailFast</c>: the path ends, after running managed code, atexit handlers and stdio flushes that belong to the parent.</summary>
    UnsafeExit,

    /// <summary>Never returns for another reason (<c>abort</c>, <c>[DoesNotReturn]</c>): the path ends, nothing to say.</summary>
    NoReturn,
}

/// <summary>How a path of the child leaves the code that only the child runs.</summary>
public enum ChildExitKind
{
    /// <summary>An <c>_exit</c>-like call.</summary>
    SafeExit,

    /// <summary><c>exit</c>, <c>Environment.Exit</c> and the like.</summary>
    UnsafeExit,

    /// <summary>A <c>return</c> statement: the child goes back into the caller's (the parent's) code.</summary>
    Return,

    /// <summary>A <c>throw</c>: exception dispatch and the parent's handlers run in the child.</summary>
    Throw,

    /// <summary>The child reaches code the parent also runs (the end of the branch, a loop head, the end of the method).</summary>
    FallOut,
}

/// <summary>One way the child leaves; <see cref="Operation"/> is the exit call, the returned value, the thrown exception, or the last operation before a fall-out.</summary>
public sealed class ChildExit
{
    public ChildExit(ChildExitKind kind, IOperation? operation, Location location, IOperation? lastOperation, bool inChildBranch, bool singleSource)
    {
        Kind = kind;
        Operation = operation;
        Location = location;
        LastOperation = lastOperation;
        InChildBranch = inChildBranch;
        SingleSource = singleSource;
    }

    public ChildExitKind Kind { get; }

    /// <summary>The exit call, the returned value (null for <c>return;</c>), the thrown exception, or the last child operation before a fall-out.</summary>
    public IOperation? Operation { get; }

    /// <summary>Where to report it: the call, the return or throw statement, or the last child statement before a fall-out.</summary>
    public Location Location { get; }

    /// <summary>The last top-level operation the child ran before leaving this way (null when the leaving block has none).</summary>
    public IOperation? LastOperation { get; }

    /// <summary>True when the exit is in the branch where the result is known to be 0; false when it is in code both processes run before any test.</summary>
    public bool InChildBranch { get; }

    /// <summary>For a fall-out: every path that falls out here comes from one block, which ends with <see cref="LastOperation"/> (so one <c>_exit</c> after it closes them all).</summary>
    public bool SingleSource { get; }
}

/// <summary>A top-level graph operation that runs in the child.</summary>
public readonly struct ChildOperation
{
    public ChildOperation(IOperation operation, bool inChildBranch)
    {
        Operation = operation;
        InChildBranch = inChildBranch;
    }

    public IOperation Operation { get; }

    /// <summary>True inside the branch where the result is known to be 0; false for code both processes run after the fork and before any test of its result.</summary>
    public bool InChildBranch { get; }
}

/// <summary>
/// "What runs in the child of this fork?" on the control-flow graph. The fork's result (the call itself, the local,
/// parameter or field it is stored in, and the flow captures the compiler makes of it for <c>switch</c> and
/// patterns) is followed forward with the set of outcomes still possible on each path: failed (-1), child (0),
/// parent (&gt; 0). Every branch that compares the result with a constant narrows that set on each of its two edges,
/// so <c>if (pid == 0)</c>, <c>pid is 0</c>, <c>if (pid != 0) return;</c>, <c>case 0:</c>, <c>if (fork() == 0)</c>, the
/// <c>else</c> of <c>pid &gt; 0</c> after a <c>pid &lt; 0</c> check, and a result tested long after it was stored are all
/// one question: has the parent been ruled out while the child is still possible?
/// </summary>
/// <remarks>
/// <para>The child branch is the set of blocks reached only on paths where the parent is ruled out ({child}, or
/// {child, failed} for the <c>else</c> of <c>pid &gt; 0</c> without a failure check). Code after the fork and before
/// any test runs in both processes and is reported separately (<see cref="ChildOperation.InChildBranch"/> false).</para>
/// <para>A path ends at <c>_exit</c>, at an exit-like call, at a call that never returns, at a throw, and when it
/// reaches the fork again (a loop). exec* does not end a path: it returns only on failure, so what follows a lone
/// exec is still the child, and the child must still leave with <c>_exit</c>.</para>
/// <para>The child "falls out" when a path of the child branch reaches a block the parent also reaches (the join
/// after the branch, a loop head) or the end of the method; it "returns" when it reaches the end through a
/// <c>return</c>. Catch and finally blocks are entered with the state of their try block.</para>
/// </remarks>
public sealed class ChildBranch
{
    // Outcomes of the fork-like call, as a bit set.
    private const int Failed = 1;
    private const int Child = 2;
    private const int Parent = 4;
    private const int AllOutcomes = Failed | Child | Parent;

    // A path state: the outcomes still possible, whether the path has been inside the child branch, and whether
    // the holder still holds the result. Encoded in 5 bits, so a block's set of states is one uint.
    private const int IsolatedBit = 8;
    private const int HolderValidBit = 16;

    private readonly ControlFlowGraph _graph;
    private readonly IOperation _fork;
    private readonly IOperation _forkStatement;
    private readonly BasicBlock _forkBlock;
    private readonly int _forkIndex;
    private readonly ISymbol? _holder;
    private readonly HashSet<CaptureId> _captures = new();
    private readonly Func<IInvocationOperation, ChildCallKind> _classify;
    private readonly Func<IOperation, long?> _valueOf;
    private readonly uint[] _entryStates;
    private readonly Dictionary<int, BlockEffect> _effects = new();
    private uint _startStates;

    private ChildBranch(FlowPosition fork, Func<IInvocationOperation, ChildCallKind> classify, Func<IOperation, long?> valueOf)
    {
        _graph = fork.Graph;
        _fork = fork.Operation;
        _forkBlock = fork.Block;
        _forkIndex = fork.Index;
        _forkStatement = fork.Index == FlowPosition.BranchValueIndex ? fork.Block.BranchValue! : fork.Block.Operations[fork.Index];
        _classify = classify;
        _valueOf = valueOf;
        _entryStates = new uint[_graph.Blocks.Length];
        _holder = HolderOf(_fork);
        FindCaptures();
    }

    /// <summary>The fork-like call, as an operation of <see cref="Graph"/>.</summary>
    public IOperation Fork => _fork;

    public ControlFlowGraph Graph => _graph;

    /// <summary>The local, parameter or field the result is stored in, if any.</summary>
    public ISymbol? Holder => _holder;

    /// <summary>True when some path tests the result and reaches code that only the child runs.</summary>
    public bool HasChildBranch { get; private set; }

    /// <summary>The top-level operations that run in the child, in block order.</summary>
    public ImmutableArray<ChildOperation> Operations { get; private set; }

    /// <summary>Every way the child leaves, in block order.</summary>
    public ImmutableArray<ChildExit> Exits { get; private set; }

    /// <summary>Follows the result of the fork-like call at <paramref name="fork"/> through its graph.</summary>
    /// <param name="classify">What a call means for a path (see <see cref="ChildCallKind"/>).</param>
    /// <param name="valueOf">The integer a compared operand stands for, when known (see <c>LibcValues</c>).</param>
    public static ChildBranch Analyze(
        FlowPosition fork, Func<IInvocationOperation, ChildCallKind> classify, Func<IOperation, long?> valueOf, CancellationToken cancellationToken)
    {
        var branch = new ChildBranch(fork, classify, valueOf);
        branch.Run(cancellationToken);
        return branch;
    }

    /// <summary>True when the block is reached only by the child, after a test of the result.</summary>
    public bool IsInChildBranch(BasicBlock block) => IsChildOnly(_entryStates[block.Ordinal]);

    // ---- the walk ---------------------------------------------------------------------------------------------

    private void Run(CancellationToken cancellationToken)
    {
        var pending = new Stack<int>();
        _startStates = State(AllOutcomes, isolated: false, holderValid: true);
        Propagate(_forkBlock, _forkIndex == FlowPosition.BranchValueIndex ? FlowPosition.BranchValueIndex : _forkIndex + 1, _startStates, pending);

        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var block = _graph.Blocks[pending.Pop()];
            Propagate(block, 0, _entryStates[block.Ordinal], pending);
        }

        Collect();
    }

    private void Propagate(BasicBlock block, int firstIndex, uint states, Stack<int> pending)
    {
        if (states == 0)
        {
            return;
        }

        // Exceptions thrown anywhere in a try block reach its catch and finally blocks with the same states.
        EnterHandlers(block, states, pending);

        var effect = EffectOf(block, firstIndex);
        if (effect.EndsPath)
        {
            return;
        }

        if (effect.Overwrites)
        {
            states = InvalidateHolder(states);
        }

        // The same test narrows differently on paths where the holder still holds the result and where it does not.
        var whenValid = Evaluate(block, effect, holderValid: true);
        var whenInvalid = Evaluate(block, effect, holderValid: false);
        foreach (var successor in new[] { block.ConditionalSuccessor, block.FallThroughSuccessor })
        {
            if (successor is null)
            {
                continue;
            }

            var next = 0u;
            for (var state = 0; state < 32; state++)
            {
                if ((states & (1u << state)) == 0)
                {
                    continue;
                }

                var holderValid = (state & HolderValidBit) != 0;
                var narrowed = (state & AllOutcomes) & OutcomesOnEdge(block, successor, holderValid ? whenValid : whenInvalid);
                if (narrowed == 0)
                {
                    continue;
                }

                var isolated = (state & IsolatedBit) != 0 || IsChildSide(narrowed);
                next |= State(narrowed, isolated, holderValid && !effect.BranchOverwrites);
            }

            foreach (var finallyRegion in successor.FinallyRegions)
            {
                if (!IsOwnRegion(finallyRegion))
                {
                    continue;
                }

                Enter(_graph.Blocks[finallyRegion.FirstBlockOrdinal], next, pending);
            }

            if (successor.Destination is { } destination)
            {
                Enter(destination, next, pending);
            }
        }
    }

    private void EnterHandlers(BasicBlock block, uint states, Stack<int> pending)
    {
        // A local function's or lambda's graph keeps the regions of the body that declares it above its own root
        // (a lock, foreach or using around the declaration): their handlers are blocks of that other graph, and an
        // exception in the nested function does not enter them here. Stop at this graph's root.
        for (var region = block.EnclosingRegion; region is not null && region != _graph.Root; region = region.EnclosingRegion)
        {
            if (region.Kind != ControlFlowRegionKind.Try || region.EnclosingRegion is not { } tryAnd)
            {
                continue;
            }

            foreach (var handler in tryAnd.NestedRegions)
            {
                if (handler != region)
                {
                    Enter(_graph.Blocks[handler.FirstBlockOrdinal], states, pending);
                }
            }
        }
    }

    /// <summary>True for a region of this graph (not one of the body that declares this local function or lambda).</summary>
    private bool IsOwnRegion(ControlFlowRegion region)
    {
        for (var current = region; current is not null; current = current.EnclosingRegion)
        {
            if (current == _graph.Root)
            {
                return true;
            }
        }

        return false;
    }

    private void Enter(BasicBlock block, uint states, Stack<int> pending)
    {
        var before = _entryStates[block.Ordinal];
        var after = before | states;
        if (after != before)
        {
            _entryStates[block.Ordinal] = after;
            pending.Push(block.Ordinal);
        }
    }

    private static uint State(int outcomes, bool isolated, bool holderValid)
        => 1u << (outcomes | (isolated ? IsolatedBit : 0) | (holderValid ? HolderValidBit : 0));

    private static uint InvalidateHolder(uint states)
    {
        var result = 0u;
        for (var state = 0; state < 32; state++)
        {
            if ((states & (1u << state)) != 0)
            {
                result |= 1u << (state & ~HolderValidBit);
            }
        }

        return result;
    }

    /// <summary>
    /// Outcomes after a test that ruled out the parent: the child, and perhaps a failed fork (then no child exists and
    /// the code runs in the parent, which is the user's own bug, not this one): <c>else</c> of <c>pid &gt; 0</c>.
    /// </summary>
    private static bool IsChildSide(int outcomes) => (outcomes & Child) != 0 && (outcomes & Parent) == 0;

    private static bool IsChildOnly(uint states)
    {
        var anyChild = false;
        for (var state = 0; state < 32; state++)
        {
            if ((states & (1u << state)) == 0)
            {
                continue;
            }

            if ((state & Parent) != 0)
            {
                return false;
            }

            anyChild |= (state & Child) != 0;
        }

        return anyChild;
    }

    /// <summary>Code both processes run after the fork, before a test has told them apart.</summary>
    private static bool RunsInChildBeforeTest(uint states)
    {
        for (var state = 0; state < 32; state++)
        {
            if ((states & (1u << state)) != 0 && (state & Child) != 0 && (state & IsolatedBit) == 0)
            {
                return true;
            }
        }

        return false;
    }

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

    private BlockEffect EffectOf(BasicBlock block, int firstIndex)
    {
        var key = block.Ordinal * 2 + (firstIndex == 0 ? 0 : 1);
        if (_effects.TryGetValue(key, out var cached))
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

            if (Ends(operation) is { } end)
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

    private (ChildCallKind Kind, IInvocationOperation Call)? Ends(IOperation operation)
    {
        foreach (var node in operation.DescendantsAndSelf())
        {
            if (node is IInvocationOperation invocation)
            {
                var kind = _classify(invocation);
                if (kind is ChildCallKind.SafeExit or ChildCallKind.UnsafeExit or ChildCallKind.NoReturn)
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
                    && SkipConversions(assignment.Value) != _fork:
                case ICompoundAssignmentOperation compound when CheckedBeforeUse.IsReferenceTo(compound.Target, _holder):
                case IIncrementOrDecrementOperation increment when CheckedBeforeUse.IsReferenceTo(increment.Target, _holder):
                case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument when CheckedBeforeUse.IsReferenceTo(argument.Value, _holder):
                case IAddressOfOperation addressOf when CheckedBeforeUse.IsReferenceTo(addressOf.Reference, _holder):
                    return true;
            }
        }

        return false;
    }

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
        condition = SkipConversions(condition);
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not when Evaluate(not.Operand, holderValid) is { } inner:
                return Map(inner, Invert);
            case IBinaryOperation binary when Relation(binary.OperatorKind) is { } relation:
                if (IsMention(binary.LeftOperand, holderValid) && _valueOf(binary.RightOperand) is { } right)
                {
                    return Compare(relation, right);
                }

                if (IsMention(binary.RightOperand, holderValid) && _valueOf(binary.LeftOperand) is { } left)
                {
                    return Compare(Flip(relation), left);
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
            case IConstantPatternOperation constant when _valueOf(constant.Value) is { } value:
                return Compare(BinaryOperatorKind.Equals, value);
            case IRelationalPatternOperation relational when Relation(relational.OperatorKind) is { } relation && _valueOf(relational.Value) is { } bound:
                return Compare(relation, bound);
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

    private static BinaryOperatorKind? Relation(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
            or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual => kind,
        _ => null,
    };

    private static BinaryOperatorKind Flip(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
        BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
        BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
        _ => kind,
    };

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

    private static Truth[] Map(Truth[] values, Func<Truth, Truth> map) => values.Select(map).ToArray();

    // ---- what stands for the result ---------------------------------------------------------------------------

    /// <summary>True when the operation evaluates to the fork's result: the call, its holder, an alias capture, or an assignment of the call.</summary>
    private bool IsMention(IOperation operation, bool holderValid)
    {
        operation = SkipConversions(operation);
        if (operation == _fork)
        {
            return true;
        }

        switch (operation)
        {
            case ISimpleAssignmentOperation assignment:
                return SkipConversions(assignment.Value) == _fork;
            case IFlowCaptureReferenceOperation capture:
                return _captures.Contains(capture.Id);
            default:
                return holderValid && _holder is not null && CheckedBeforeUse.IsReferenceTo(operation, _holder);
        }
    }

    /// <summary>The variable the result is stored in: <c>var pid = fork()</c>, <c>pid = (int)fork()</c>, <c>if ((pid = fork()) == 0)</c>.</summary>
    public static ISymbol? HolderOf(IOperation fork)
    {
        var value = fork;
        while (value.Parent is IConversionOperation conversion)
        {
            value = conversion;
        }

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

    private void FindCaptures()
    {
        // switch statements, switch expressions and some patterns copy the tested value into a flow capture first.
        foreach (var block in _graph.Blocks)
        {
            foreach (var operation in ControlFlowGraphs.TopLevelOperations(block))
            {
                foreach (var node in operation.DescendantsAndSelf())
                {
                    if (node is IFlowCaptureOperation capture && IsMention(capture.Value, holderValid: true))
                    {
                        _captures.Add(capture.Id);
                    }
                }
            }
        }
    }

    private static IOperation SkipConversions(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }

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
            if (effect.EndOperation is { } call && effect.EndKind is ChildCallKind.SafeExit or ChildCallKind.UnsafeExit)
            {
                exits.Add(new ChildExit(
                    effect.EndKind == ChildCallKind.SafeExit ? ChildExitKind.SafeExit : ChildExitKind.UnsafeExit,
                    call, call.Syntax.GetLocation(), block.Operations[effect.EndIndex], inChildBranch, singleSource: true));
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
