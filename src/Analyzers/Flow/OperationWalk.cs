using System;
using Microsoft.CodeAnalysis;

namespace SafePosix.Analyzers.Flow;

/// <summary>
/// A tree's operations in <c>DescendantsAndSelf()</c> order (parent first, children in <c>ChildOperations</c> order),
/// walked once and kept nowhere: for a graph's statements, a loop, a condition, which nothing walks twice.
/// <see cref="OperationTrees"/> keeps the whole bodies that several rules scan.
/// </summary>
/// <remarks>
/// Roslyn's iterator allocates itself and a stack per walk and reaches each child through interface calls; these
/// walks run for every statement of every graph a rule reads. The stack here is a thread's spare array. Callers
/// test an operation's <c>Kind</c> before its interfaces: on Roslyn's operation classes an interface test is a
/// lookup, and most operations match none.
/// </remarks>
internal readonly struct OperationWalk
{
    private readonly IOperation _root;
    private readonly bool _withRoot;

    private OperationWalk(IOperation root, bool withRoot)
    {
        _root = root;
        _withRoot = withRoot;
    }

    /// <summary><paramref name="root"/> and every operation under it: <c>DescendantsAndSelf()</c>.</summary>
    public static OperationWalk WithSelf(IOperation root) => new(root, withRoot: true);

    /// <summary>Every operation under <paramref name="root"/>, not itself: <c>Descendants()</c>.</summary>
    public static OperationWalk Under(IOperation root) => new(root, withRoot: false);

    public Enumerator GetEnumerator() => new(_root, _withRoot);

    public struct Enumerator : IDisposable
    {
        // One spare stack per thread; a walk inside a walk finds it taken and makes its own.
        [ThreadStatic]
        private static IOperation.OperationList.Enumerator[]? t_spare;

        private IOperation? _unvisitedRoot;
        private readonly bool _withRoot;
        private IOperation.OperationList.Enumerator[] _pending;
        private int _depth;
        private int _deepest;

        internal Enumerator(IOperation root, bool withRoot)
        {
            _unvisitedRoot = root;
            _withRoot = withRoot;
            _pending = t_spare ?? new IOperation.OperationList.Enumerator[16];
            t_spare = null;
            _depth = 0;
            _deepest = 0;
            Current = null!;
        }

        public IOperation Current { get; private set; }

        public bool MoveNext()
        {
            if (_unvisitedRoot is { } root)
            {
                _unvisitedRoot = null;
                Push(root);
                if (_withRoot)
                {
                    Current = root;
                    return true;
                }
            }

            while (_depth > 0)
            {
                ref var children = ref _pending[_depth - 1];
                if (!children.MoveNext())
                {
                    _depth--;
                    continue;
                }

                var current = children.Current;
                Push(current);
                Current = current;
                return true;
            }

            return false;
        }

        public void Dispose()
        {
            if (_pending is null)
            {
                return;
            }

            // The enumerators hold operations: a spare array must not keep a compilation's trees alive.
            Array.Clear(_pending, 0, _deepest);
            t_spare = _pending;
            _pending = null!;
        }

        private void Push(IOperation operation)
        {
            if (_depth == _pending.Length)
            {
                Array.Resize(ref _pending, _depth * 2);
            }

            _pending[_depth++] = operation.ChildOperations.GetEnumerator();
            if (_depth > _deepest)
            {
                _deepest = _depth;
            }
        }
    }
}
