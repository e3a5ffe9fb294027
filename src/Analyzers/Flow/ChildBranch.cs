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
internal sealed partial class ChildBranch
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
    private readonly GraphStatements _statements;
    private readonly IOperation _fork;
    private readonly IOperation _forkStatement;
    private readonly BasicBlock _forkBlock;
    private readonly int _forkIndex;
    private readonly ISymbol? _holder;
    private readonly HashSet<CaptureId> _captures = new();
    private readonly ProcessCalls _calls;
    private readonly ValueOrigins _origins;
    private readonly CancellationToken _cancellationToken;
    private readonly uint[] _entryStates;
    // Indexed by EffectKey: a block, whether the walk enters at its start, and whether helpers are summarized.
    private readonly BlockEffect?[] _effects;
    private uint _startStates;

    private ChildBranch(FlowPosition fork, ProcessCalls calls, ValueOrigins origins, CancellationToken cancellationToken)
    {
        _graph = fork.Graph;
        _statements = GraphStatements.Of(_graph);
        _fork = fork.Operation;
        _forkBlock = fork.Block;
        _forkIndex = fork.Index;
        _forkStatement = fork.Index == FlowPosition.BranchValueIndex ? fork.Block.BranchValue! : fork.Block.Operations[fork.Index];
        _calls = calls;
        _origins = origins;
        _cancellationToken = cancellationToken;
        _entryStates = new uint[_graph.Blocks.Length];
        _effects = new BlockEffect?[_graph.Blocks.Length * 4];
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

    /// <summary>
    /// Follows the result of the fork-like call at <paramref name="fork"/> through its graph. Rules do not call this:
    /// they ask <see cref="ProcessCalls.AnalyzeChild"/>, which walks each fork of a graph once for every rule.
    /// </summary>
    /// <param name="calls">What a call means for a path (<see cref="ProcessCalls.Classify"/>), and the binding's values.</param>
    /// <param name="origins">The single assignments of the graph's locals, for operands like <c>pid == failed</c>.</param>
    internal static ChildBranch Analyze(FlowPosition fork, ProcessCalls calls, ValueOrigins origins, CancellationToken cancellationToken)
    {
        var branch = new ChildBranch(fork, calls, origins, cancellationToken);
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

        var effect = EffectOf(block, firstIndex, helpers: ChildPossible(states));
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
        var inTryFinally = InTryWithFinally(block);
        for (var edge = 0; edge < 2; edge++)
        {
            if ((edge == 0 ? block.ConditionalSuccessor : block.FallThroughSuccessor) is not { } successor)
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

            // FinallyRegions is built on first use for every edge: ask only where a try with a finally encloses the block.
            foreach (var finallyRegion in inTryFinally ? successor.FinallyRegions : ImmutableArray<ControlFlowRegion>.Empty)
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

    /// <summary>True when a try region with a finally encloses the block: only then can an edge out of it run a finally.</summary>
    private static bool InTryWithFinally(BasicBlock block)
    {
        for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
        {
            if (region.Kind == ControlFlowRegionKind.Try && region.EnclosingRegion is { Kind: ControlFlowRegionKind.TryAndFinally })
            {
                return true;
            }
        }

        return false;
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

    private static bool ChildPossible(uint states)
    {
        for (var state = 0; state < 32; state++)
        {
            if ((states & (1u << state)) != 0 && (state & Child) != 0)
            {
                return true;
            }
        }

        return false;
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
}
