using System.Collections.Generic;
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
    private static readonly ConditionalWeakTable<IOperation, IOperation[]> Collected = new();

    /// <summary>Every operation under <paramref name="body"/>, not counting itself, parent first: <c>Descendants()</c>.</summary>
    public static OperationRun Under(IOperation body) => new(Collected.GetValue(body, Collect), 1);

    /// <summary><paramref name="body"/> and every operation under it, parent first: <c>DescendantsAndSelf()</c>.</summary>
    public static OperationRun WithSelf(IOperation body) => new(Collected.GetValue(body, Collect), 0);

    private static IOperation[] Collect(IOperation body)
    {
        var all = new List<IOperation>();
        foreach (var operation in body.DescendantsAndSelf())
        {
            all.Add(operation);
        }

        return all.ToArray();
    }

    /// <summary>A run of collected operations, enumerated without allocation.</summary>
    public readonly struct OperationRun
    {
        private readonly IOperation[] _all;
        private readonly int _start;

        public OperationRun(IOperation[] all, int start)
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
