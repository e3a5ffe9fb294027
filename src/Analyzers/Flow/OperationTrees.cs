using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// The operations under a node, in <see cref="OperationExtensions.DescendantsAndSelf"/> order, collected once per
/// node and shared by every rule that scans it. Callers pass a whole body (the tree's top, or a lambda's or local
/// function's): that is what several rules scan around the same call.
/// </summary>
/// <remarks>
/// Many rules ask a question of the whole body around a call (is there an exec, a reset of SIGPIPE, a loop that
/// forks, another read of this local). Each used to walk the operation tree again; an array of the same operations
/// is read in a fraction of that time.
/// </remarks>
internal static class OperationTrees
{
    private static readonly ConditionalWeakTable<IOperation, Collected> ByBody = new();

    /// <summary>Every operation under <paramref name="body"/>, not counting itself, parent first: <c>Descendants()</c>.</summary>
    public static OperationRun Under(IOperation body) => new(ByBody.GetValue(body, Collect), 1);

    /// <summary><paramref name="body"/> and every operation under it, parent first: <c>DescendantsAndSelf()</c>.</summary>
    public static OperationRun WithSelf(IOperation body) => new(ByBody.GetValue(body, Collect), 0);

    /// <summary>
    /// The walk <c>DescendantsAndSelf()</c> makes (parent first, children in <c>ChildOperations</c> order), with an
    /// explicit stack as it has (operation trees can be deep) but without its iterator.
    /// </summary>
    private static Collected Collect(IOperation body)
    {
        var collected = new Collected();
        collected.Add(body);
        var pending = new IOperation.OperationList.Enumerator[16];
        var depth = 0;
        pending[depth++] = body.ChildOperations.GetEnumerator();
        while (depth > 0)
        {
            ref var children = ref pending[depth - 1];
            if (!children.MoveNext())
            {
                depth--;
                continue;
            }

            var current = children.Current;
            collected.Add(current);
            if (depth == pending.Length)
            {
                Array.Resize(ref pending, depth * 2);
            }

            pending[depth++] = current.ChildOperations.GetEnumerator();
        }

        return collected;
    }

    /// <summary>
    /// The operations of one body. Held in a struct so that storing each one is a plain write: storing into an
    /// <c>IOperation[]</c> checks the element type every time, and that check was a quarter of the walk.
    /// </summary>
    internal sealed class Collected
    {
        private Slot[] _items = new Slot[32];

        public int Count { get; private set; }

        public IOperation this[int index] => _items[index].Operation;

        public void Add(IOperation operation)
        {
            if (Count == _items.Length)
            {
                Array.Resize(ref _items, Count * 2);
            }

            _items[Count++] = new Slot(operation);
        }
    }

    private readonly struct Slot
    {
        public Slot(IOperation operation) => Operation = operation;

        public IOperation Operation { get; }
    }

    /// <summary>A run of collected operations, enumerated without allocation.</summary>
    public readonly struct OperationRun
    {
        private readonly Collected _all;
        private readonly int _start;

        internal OperationRun(Collected all, int start)
        {
            _all = all;
            _start = start;
        }

        public Enumerator GetEnumerator() => new(_all, _start);

        public struct Enumerator
        {
            private readonly Collected _all;
            private int _index;

            internal Enumerator(Collected all, int start)
            {
                _all = all;
                _index = start - 1;
            }

            public IOperation Current => _all[_index];

            public bool MoveNext() => ++_index < _all.Count;
        }
    }
}
