using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// The operations of a whole body, in <see cref="OperationExtensions.Descendants"/> order, collected once per body
/// and shared by every rule that scans it.
/// </summary>
/// <remarks>
/// Many rules ask a question of the whole body around a call (is there an exec, a reset of SIGPIPE, a loop that
/// forks, another read of this local). Each used to walk the operation tree again; an array of the same operations
/// is walked in a fraction of that time.
/// </remarks>
internal static class OperationTrees
{
    private static readonly ConditionalWeakTable<IOperation, IOperation[]> Collected = new();

    /// <summary>The top of the tree an operation belongs to (its body, initializer or attribute).</summary>
    public static IOperation RootOf(IOperation operation)
    {
        while (operation.Parent is { } parent)
        {
            operation = parent;
        }

        return operation;
    }

    /// <summary>Every operation under <paramref name="body"/>, not counting itself, parent first.</summary>
    public static Operations Under(IOperation body) => new(Collect(body), 1);

    /// <summary><paramref name="body"/> and every operation under it, parent first.</summary>
    public static Operations WithSelf(IOperation body) => new(Collect(body), 0);

    private static IOperation[] Collect(IOperation body)
        => Collected.TryGetValue(body, out var all) ? all : Collected.GetValue(body, static b => CollectNow(b));

    private static IOperation[] CollectNow(IOperation body)
    {
        var all = new List<IOperation>();
        foreach (var operation in body.DescendantsAndSelf())
        {
            all.Add(operation);
        }

        return all.ToArray();
    }

    /// <summary>A run of collected operations, enumerated without allocation.</summary>
    public readonly struct Operations
    {
        private readonly IOperation[] _all;
        private readonly int _start;

        public Operations(IOperation[] all, int start)
        {
            _all = all;
            _start = start;
        }

        public Enumerator GetEnumerator() => new(_all, _start);

        public struct Enumerator
        {
            private readonly IOperation[] _all;
            private int _index;

            public Enumerator(IOperation[] all, int start)
            {
                _all = all;
                _index = start - 1;
            }

            public IOperation Current => _all[_index];

            public bool MoveNext() => ++_index < _all.Length;
        }
    }
}
