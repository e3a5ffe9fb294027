using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// What the rules work out once per control-flow graph, kept beside the graph for as long as the driver keeps it.
/// One table entry per graph, each fact made on first use without a lock: a table entry costs a lock, and several
/// rules ask on every graph that holds a POSIX call.
/// </summary>
internal sealed class GraphFacts
{
    private static readonly ConditionalWeakTable<ControlFlowGraph, GraphFacts> ByGraph = new();

    private readonly ControlFlowGraph _graph;
    private ValueOrigins? _origins;
    private HashSet<ILocalSymbol>? _untrackableLocals;
    private readonly FewEntries<SyntaxNode, ChildBranch?> _forks = new(EqualityComparer<SyntaxNode>.Default);
    private readonly FewEntries<ILocalSymbol, WaitStatusPaths.Solution> _waitStatusSolutions = new(SymbolEqualityComparer.Default);
    private Dictionary<IOperation, (BasicBlock Block, int Index)>? _positions;
    private StatementCalls? _statementCalls;
    private GraphStatements? _statements;

    private GraphFacts(ControlFlowGraph graph) => _graph = graph;

    public static GraphFacts Of(ControlFlowGraph graph)
        => ByGraph.GetValue(graph, g => new GraphFacts(g));

    /// <summary>Where each local's value comes from (see <see cref="ValueOrigins"/>).</summary>
    public ValueOrigins Origins => _origins ?? OperationTrees.Publish(ref _origins, ValueOrigins.Compute(_graph));

    /// <summary>The graph's statements and the operations under them (see <see cref="GraphStatements"/>).</summary>
    public GraphStatements Statements => _statements ?? OperationTrees.Publish(ref _statements, GraphStatements.Compute(_graph));

    /// <summary>Locals whose value the graph cannot follow (see <see cref="KnownIntegers"/>).</summary>
    public HashSet<ILocalSymbol> UntrackableLocals(Func<ControlFlowGraph, HashSet<ILocalSymbol>> compute)
        => _untrackableLocals ?? OperationTrees.Publish(ref _untrackableLocals, compute(_graph));

    /// <summary>Each fork's child branch, by the fork's syntax (the fork may sit in a lambda's or local function's graph).</summary>
    public FewEntries<SyntaxNode, ChildBranch?> Forks => _forks;

    /// <summary>
    /// Where each top-level operation of the graph sits: its block and index (the branch value at index
    /// <c>Operations.Length</c>).
    /// </summary>
    public IReadOnlyDictionary<IOperation, (BasicBlock Block, int Index)> Positions
        => _positions ?? OperationTrees.Publish(ref _positions, PositionsOf(_graph));

    private static Dictionary<IOperation, (BasicBlock Block, int Index)> PositionsOf(ControlFlowGraph graph)
    {
        var positions = new Dictionary<IOperation, (BasicBlock, int)>();
        foreach (var block in graph.Blocks)
        {
            for (var i = 0; i < block.Operations.Length; i++)
            {
                positions[block.Operations[i]] = (block, i);
            }

            if (block.BranchValue is { } branchValue)
            {
                positions[branchValue] = (block, block.Operations.Length);
            }
        }

        return positions;
    }

    /// <summary>Each statement's calls, for PSX5001's walks back from errno reads (see <see cref="ErrnoSources"/>).</summary>
    public StatementCalls StatementCalls => _statementCalls ?? OperationTrees.Publish(ref _statementCalls, new StatementCalls(_graph));

    /// <summary>PSX2003's walks, one per wait status local.</summary>
    public FewEntries<ILocalSymbol, WaitStatusPaths.Solution> WaitStatusSolutions => _waitStatusSolutions;
}

/// <summary>
/// A map for the handful of keys one graph holds (its forks, its wait statuses), read and added to from any thread
/// without a lock: a list that is only ever prepended to with a compare-and-swap.
/// </summary>
internal sealed class FewEntries<TKey, TValue>
    where TKey : class
{
    private readonly IEqualityComparer<TKey> _comparer;
    private Entry? _head;

    public FewEntries(IEqualityComparer<TKey> comparer) => _comparer = comparer;

    public bool TryGetValue(TKey key, out TValue value) => TryFind(Volatile.Read(ref _head), key, out value);

    /// <summary>Adds the value unless another thread added one for the key first; returns the one kept.</summary>
    public TValue GetOrAdd(TKey key, TValue value)
    {
        while (true)
        {
            var head = Volatile.Read(ref _head);
            if (TryFind(head, key, out var existing))
            {
                return existing;
            }

            if (Interlocked.CompareExchange(ref _head, new Entry(key, value, head), head) == head)
            {
                return value;
            }
        }
    }

    private bool TryFind(Entry? entry, TKey key, out TValue value)
    {
        for (; entry is not null; entry = entry.Next)
        {
            if (_comparer.Equals(entry.Key, key))
            {
                value = entry.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    private sealed class Entry
    {
        public Entry(TKey key, TValue value, Entry? next)
        {
            Key = key;
            Value = value;
            Next = next;
        }

        public TKey Key { get; }

        public TValue Value { get; }

        public Entry? Next { get; }
    }
}
