using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

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
    private static readonly ConditionalWeakTable<IOperation, BodyFacts> ByBody = new();

    private static readonly ConditionalWeakTable<IOperation, BodyFacts>.CreateValueCallback NewFacts = body => new BodyFacts(body);

    /// <summary>Every operation under <paramref name="body"/>, not counting itself, parent first: <c>Descendants()</c>.</summary>
    public static OperationRun Under(IOperation body) => new(FactsOf(body).Operations, 1);

    /// <summary><paramref name="body"/> and every operation under it, parent first: <c>DescendantsAndSelf()</c>.</summary>
    public static OperationRun WithSelf(IOperation body) => new(FactsOf(body).Operations, 0);

    /// <summary>
    /// The operations under <paramref name="body"/> (not itself) of the given kinds, in <c>Descendants()</c> order. The
    /// kind of each operation was read once, when the body was collected; a scan that tested every operation's
    /// <c>Kind</c> made one interface call per operation of the body, for each call that started it.
    /// </summary>
    public static KindRun Under(IOperation body, OperationKinds kinds)
    {
        var operations = FactsOf(body).Operations;
        return new(operations, 1, operations.Count, kinds);
    }

    /// <summary>The invocations under <paramref name="body"/>, not counting itself, in <c>Descendants()</c> order.</summary>
    public static ArrayRun<IInvocationOperation> InvocationsUnder(IOperation body) => FactsOf(body).Kinds.Invocations.Under();

    /// <summary>The invocations of <paramref name="body"/> and under it, in <c>DescendantsAndSelf()</c> order.</summary>
    public static ArrayRun<IInvocationOperation> InvocationsWithSelf(IOperation body) => FactsOf(body).Kinds.Invocations.WithSelf();

    /// <summary>
    /// The calls under <paramref name="body"/> (not itself) that reach libc, each with its function, in
    /// <c>Descendants()</c> order: resolved once per body for the rules that look over a body's libc calls around a
    /// fork, where each looked every call of the body up again.
    /// </summary>
    public static ArrayRun<BodyLibcCall> LibcCallsUnder(IOperation body, PosixSurfaces surfaces) => FactsOf(body).LibcCalls(surfaces).Under();

    /// <summary>As <see cref="LibcCallsUnder"/>, with <paramref name="body"/> itself when it is such a call.</summary>
    public static ArrayRun<BodyLibcCall> LibcCallsWithSelf(IOperation body, PosixSurfaces surfaces) => FactsOf(body).LibcCalls(surfaces).WithSelf();

    /// <summary>The local references under <paramref name="body"/>, not counting itself, in <c>Descendants()</c> order.</summary>
    public static ArrayRun<ILocalReferenceOperation> LocalReferencesUnder(IOperation body) => FactsOf(body).Kinds.LocalReferences.Under();

    /// <summary>The local references of <paramref name="body"/> and under it, in <c>DescendantsAndSelf()</c> order.</summary>
    public static ArrayRun<ILocalReferenceOperation> LocalReferencesWithSelf(IOperation body) => FactsOf(body).Kinds.LocalReferences.WithSelf();

    /// <summary>
    /// What the rules work out once per body. One table entry per body: each entry of a weak table costs a lock and
    /// a handle, and its finalization takes the table's lock again.
    /// </summary>
    public static BodyFacts FactsOf(IOperation body) => ByBody.GetValue(body, NewFacts);

    /// <summary>Publishes a value computed without a lock: two threads that race computed the same thing, and one wins.</summary>
    internal static T Publish<T>(ref T? field, T value)
        where T : class
        => Interlocked.CompareExchange(ref field, value, null) ?? value;

    /// <summary>The walk <c>DescendantsAndSelf()</c> makes, kept: <see cref="OperationWalk"/>, into the body's array.</summary>
    internal static Collected Collect(IOperation body)
    {
        var collected = new Collected();
        foreach (var operation in OperationWalk.WithSelf(body))
        {
            collected.Add(operation, operation.Kind);
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

        // Each operation's kind, a byte apiece beside the 8-byte slots: a struct of both would be 16 bytes each, and
        // every body and graph the rules read is collected (the garbage counts in a build).
        private byte[] _kinds = new byte[32];

        public int Count { get; private set; }

        public IOperation this[int index] => _items[index].Operation;

        /// <summary>The operation's kind; <see cref="OperationKinds.Beyond"/> for a kind past it, which no set holds.</summary>
        public OperationKind KindAt(int index) => (OperationKind)_kinds[index];

        public void Add(IOperation operation, OperationKind kind)
        {
            if (Count == _items.Length)
            {
                Array.Resize(ref _items, Count * 2);
                Array.Resize(ref _kinds, Count * 2);
            }

            _kinds[Count] = (uint)kind < (uint)OperationKinds.Beyond ? (byte)kind : (byte)OperationKinds.Beyond;
            _items[Count++] = new Slot(operation);
        }
    }

    private readonly struct Slot
    {
        public Slot(IOperation operation) => Operation = operation;

        public IOperation Operation { get; }
    }

    /// <summary>
    /// The operations of one kind in a body, in tree order, picked out once: most scans of a body look only at its
    /// calls or at the references to one local, and each fork, wait or failing call starts one or more such scans.
    /// </summary>
    internal sealed class ByKind<T>
        where T : class, IOperation
    {
        private readonly T[] _items;
        private readonly bool _startsWithBody;

        public ByKind(T[] items, bool startsWithBody)
        {
            _items = items;
            _startsWithBody = startsWithBody;
        }

        public ArrayRun<T> Under() => new(_items, _startsWithBody ? 1 : 0);

        public ArrayRun<T> WithSelf() => new(_items, 0);
    }

    /// <summary>The items of an array from a start index, enumerated without allocation: a body's operations of one kind, its libc calls.</summary>
    public readonly struct ArrayRun<T>
    {
        private readonly T[] _items;
        private readonly int _start;

        internal ArrayRun(T[] items, int start)
        {
            _items = items;
            _start = start;
        }

        public Enumerator GetEnumerator() => new(_items, _start);

        public struct Enumerator
        {
            private readonly T[] _items;
            private int _index;

            internal Enumerator(T[] items, int start)
            {
                _items = items;
                _index = start - 1;
            }

            public T Current => _items[_index];

            public bool MoveNext() => ++_index < _items.Length;
        }
    }

    /// <summary>The body's invocations and local references, from one pass over its collected operations.</summary>
    internal sealed class OperationsByKind
    {
        public OperationsByKind(Collected operations)
        {
            var invocations = new List<IInvocationOperation>();
            var localReferences = new List<ILocalReferenceOperation>();
            for (var index = 0; index < operations.Count; index++)
            {
                var operation = operations[index];
                switch (operations.KindAt(index))
                {
                    case OperationKind.Invocation when operation is IInvocationOperation invocation:
                        invocations.Add(invocation);
                        break;
                    case OperationKind.LocalReference when operation is ILocalReferenceOperation reference:
                        localReferences.Add(reference);
                        break;
                }
            }

            // Index 0 is the body itself: the "Under" runs leave it out when it is one of them.
            var body = operations.Count > 0 ? operations[0] : null;
            Invocations = new ByKind<IInvocationOperation>(invocations.ToArray(), invocations.Count > 0 && ReferenceEquals(invocations[0], body));
            LocalReferences = new ByKind<ILocalReferenceOperation>(localReferences.ToArray(), localReferences.Count > 0 && ReferenceEquals(localReferences[0], body));
        }

        public ByKind<IInvocationOperation> Invocations { get; }

        public ByKind<ILocalReferenceOperation> LocalReferences { get; }
    }

    /// <summary>The collected operations of some kinds between two indexes, enumerated without allocation.</summary>
    public readonly struct KindRun
    {
        private readonly Collected _all;
        private readonly int _start;
        private readonly int _end;
        private readonly OperationKinds _kinds;

        internal KindRun(Collected all, int start, int end, OperationKinds kinds)
        {
            _all = all;
            _start = start;
            _end = end;
            _kinds = kinds;
        }

        public Enumerator GetEnumerator() => new(_all, _start, _end, _kinds);

        public struct Enumerator
        {
            private readonly Collected _all;
            private readonly int _end;
            private readonly OperationKinds _kinds;
            private int _index;

            internal Enumerator(Collected all, int start, int end, OperationKinds kinds)
            {
                _all = all;
                _end = end;
                _kinds = kinds;
                _index = start - 1;
            }

            public IOperation Current => _all[_index];

            public bool MoveNext()
            {
                while (++_index < _end)
                {
                    if (_kinds.Contains(_all.KindAt(_index)))
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }

    /// <summary>A body's libc calls (see <see cref="LibcCallsUnder"/>), picked out of its invocations once.</summary>
    internal sealed class LibcCallsOfBody
    {
        private readonly BodyLibcCall[] _calls;
        private readonly bool _startsWithBody;

        public LibcCallsOfBody(ByKind<IInvocationOperation> invocations, IOperation body, PosixSurfaces surfaces)
        {
            Surfaces = surfaces;
            var calls = new List<BodyLibcCall>();
            foreach (var invocation in invocations.WithSelf())
            {
                if (surfaces.TryGetLibcCall(invocation.TargetMethod, out var call))
                {
                    calls.Add(new BodyLibcCall(invocation, call));
                }
            }

            _calls = calls.ToArray();
            _startsWithBody = _calls.Length > 0 && ReferenceEquals(_calls[0].Invocation, body);
        }

        /// <summary>The compilation's surfaces the calls were resolved with.</summary>
        public PosixSurfaces Surfaces { get; }

        public ArrayRun<BodyLibcCall> Under() => new(_calls, _startsWithBody ? 1 : 0);

        public ArrayRun<BodyLibcCall> WithSelf() => new(_calls, 0);
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

/// <summary>A set of operation kinds, tested with a shift and a mask: the kinds a scan of a body looks at.</summary>
internal readonly struct OperationKinds
{
    // OperationKind's values run to about 0x80 in the Roslyn this package builds against; a newer Roslyn's kinds past
    // the last word are never in a set, which is right: no scan here was written for them.
    private const int Words = 4;

    /// <summary>What a collected operation's kind reads as when it is this value or past it (kinds are kept in a byte).</summary>
    public const OperationKind Beyond = (OperationKind)255;

    /// <summary>Where locals get their values: declarators and simple assignments.</summary>
    public static readonly OperationKinds DeclarationsAndAssignments = new(OperationKind.SimpleAssignment, OperationKind.VariableDeclarator);

    private readonly ulong _word0;
    private readonly ulong _word1;
    private readonly ulong _word2;
    private readonly ulong _word3;

    public OperationKinds(params OperationKind[] kinds)
    {
        var words = new ulong[Words];
        foreach (var kind in kinds)
        {
            var value = (int)kind;
            if (value < 0 || value >= (int)Beyond)
            {
                throw new ArgumentOutOfRangeException(nameof(kinds), kind, "outside the range a set of kinds holds");
            }

            words[value >> 6] |= 1UL << (value & 63);
        }

        _word0 = words[0];
        _word1 = words[1];
        _word2 = words[2];
        _word3 = words[3];
    }

    // Asked of every operation a scan passes: inlined, it is a few compares instead of a call.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(OperationKind kind)
    {
        var value = (uint)kind;
        var word = value < 64 ? _word0 : value < 128 ? _word1 : value < 192 ? _word2 : value < 256 ? _word3 : 0UL;
        return ((word >> (int)(value & 63)) & 1) != 0;
    }
}

/// <summary>A call in a body that reaches libc, and the function it calls.</summary>
internal readonly struct BodyLibcCall
{
    public BodyLibcCall(IInvocationOperation invocation, LibcCall call)
    {
        Invocation = invocation;
        Call = call;
    }

    public IInvocationOperation Invocation { get; }

    public LibcCall Call { get; }

    public void Deconstruct(out IInvocationOperation invocation, out LibcCall call)
    {
        invocation = Invocation;
        call = Call;
    }
}

/// <summary>Facts about one body (a method's, a lambda's), each made on first use (see <see cref="OperationTrees.FactsOf"/>).</summary>
internal sealed class BodyFacts
{
    private readonly IOperation _body;
    private OperationTrees.Collected? _operations;
    private OperationTrees.OperationsByKind? _kinds;
    private OperationTrees.LibcCallsOfBody? _libcCalls;
    private WaitStatuses? _waitStatuses;
    private Dictionary<ILocalSymbol, List<IOperation>>? _assignedValues;

    public BodyFacts(IOperation body) => _body = body;

    /// <summary>The body and its operations in <c>DescendantsAndSelf()</c> order.</summary>
    public OperationTrees.Collected Operations => _operations ?? OperationTrees.Publish(ref _operations, OperationTrees.Collect(_body));

    /// <summary>The body's invocations and local references (see <see cref="OperationTrees.OperationsByKind"/>).</summary>
    public OperationTrees.OperationsByKind Kinds => _kinds ?? OperationTrees.Publish(ref _kinds, new OperationTrees.OperationsByKind(Operations));

    /// <summary>The body's libc calls (see <see cref="OperationTrees.LibcCallsUnder"/>).</summary>
    public OperationTrees.LibcCallsOfBody LibcCalls(PosixSurfaces surfaces)
    {
        // A body belongs to one compilation and so to one PosixSurfaces; should another ever ask, it gets its own
        // answer, not the one kept.
        var kept = _libcCalls ?? OperationTrees.Publish(ref _libcCalls, new OperationTrees.LibcCallsOfBody(Kinds.Invocations, _body, surfaces));
        return ReferenceEquals(kept.Surfaces, surfaces) ? kept : new OperationTrees.LibcCallsOfBody(Kinds.Invocations, _body, surfaces);
    }

    /// <summary>The body's wait statuses (see <see cref="Flow.WaitStatuses"/>).</summary>
    public WaitStatuses WaitStatuses(PosixSurfaces surfaces)
        => _waitStatuses ?? OperationTrees.Publish(ref _waitStatuses, Flow.WaitStatuses.Compute(_body, surfaces));

    /// <summary>The values each local is declared with or assigned (see <see cref="EintrTests"/>).</summary>
    public Dictionary<ILocalSymbol, List<IOperation>> AssignedValues(Func<IOperation, Dictionary<ILocalSymbol, List<IOperation>>> compute)
        => _assignedValues ?? OperationTrees.Publish(ref _assignedValues, compute(_body));
}
