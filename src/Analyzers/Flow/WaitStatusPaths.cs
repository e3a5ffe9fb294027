using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Surfaces;

namespace SafePosix.Analyzers.Flow;

/// <summary>What holds on every path to a read of a wait status, about the status and about the wait that wrote it.</summary>
[Flags]
internal enum StatusFacts
{
    None = 0,

    /// <summary>The wait that wrote the status did not return -1 (or no wait wrote it yet, or an earlier read was already judged).</summary>
    NotFailed = 1,

    /// <summary>The wait did not return 0 (a blocking wait never does; WNOHANG returns 0 when no child has changed state).</summary>
    NotEmpty = 2,

    /// <summary>WIFEXITED (or <c>(status &amp; 0x7f) == 0</c>) held.</summary>
    Exited = 4,

    /// <summary>WIFSIGNALED held.</summary>
    Signaled = 8,

    /// <summary>WIFSTOPPED held.</summary>
    Stopped = 16,

    /// <summary>The wait that wrote the status had its result kept (on no path was it thrown away).</summary>
    ResultKept = 32,

    All = NotFailed | NotEmpty | Exited | Signaled | Stopped | ResultKept,

    /// <summary>
    /// The bits above <see cref="All"/>: one per local that holds a value computed from the status
    /// (<see cref="WaitStatusPaths.StatusAlias"/>), set while the status has not been written since that local was.
    /// </summary>
    Aliases = ~0xff,
}

/// <summary>
/// PSX2003's path proofs, on the control-flow graph of the function that reads a wait status: a forward "must" walk
/// in which a wait writing the status forgets every fact about it, and each conditional edge adds what its condition
/// proves when it goes that way (<c>!WIFEXITED(s)</c> false, <c>r &gt; 0</c> true, <c>(s &amp; 0x7f) == 0</c> true,
/// <c>&amp;&amp;</c>, <c>?:</c> and <c>switch</c> arms as the graph lowers them). A fact holds at a read when it holds on
/// every path that reaches it.
/// </summary>
internal sealed class WaitStatusPaths
{
    private const StatusFacts Entry = StatusFacts.NotFailed | StatusFacts.NotEmpty | StatusFacts.ResultKept;
    private const StatusFacts Read = StatusFacts.NotFailed | StatusFacts.NotEmpty | StatusFacts.ResultKept;

    private readonly ControlFlowGraph _graph;
    private readonly GraphStatements _statements;
    private readonly ILocalSymbol _status;
    private readonly PosixSurfaces _surfaces;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<CaptureId, IOperation?> _captures;
    private readonly HashSet<ILocalSymbol> _resultHolders;
    private readonly Dictionary<ILocalSymbol, StatusAlias> _aliases;

    // While a condition is read: the alias bits it relied on, and whether aliases may be read through at all.
    private StatusFacts _required;
    private bool _aliasesOff;

    private WaitStatusPaths(
        ControlFlowGraph graph,
        ILocalSymbol status,
        PosixSurfaces surfaces,
        Dictionary<CaptureId, IOperation?> captures,
        HashSet<ILocalSymbol> resultHolders,
        Dictionary<ILocalSymbol, StatusAlias> aliases,
        CancellationToken cancellationToken)
    {
        _graph = graph;
        _statements = GraphStatements.Of(graph);
        _status = status;
        _surfaces = surfaces;
        _captures = captures;
        _resultHolders = resultHolders;
        _aliases = aliases;
        _cancellationToken = cancellationToken;
    }

    /// <summary>
    /// A local assigned once in the function, from the status alone (<c>var exited = WIFEXITED(s);</c>,
    /// <c>var signal = s &amp; 0x7f;</c>, <c>var code = (s &amp; 0xff00) &gt;&gt; 8;</c>, or from other such locals):
    /// a condition on it is a condition on the status, and a decoding held in it is judged where it is used, as long as
    /// the status has not been written since the local was (its <see cref="Bit"/> holds).
    /// </summary>
    internal sealed class StatusAlias
    {
        public StatusAlias(IOperation value, StatusFacts bit)
        {
            Value = value;
            Bit = bit;
        }

        /// <summary>The value assigned (the graph's operation).</summary>
        public IOperation Value { get; }

        public StatusFacts Bit { get; }

        /// <summary>The bits of the aliases computed from this one, directly or not: a new value here makes theirs stale.</summary>
        public StatusFacts Dependents { get; set; }
    }

    /// <summary>What the walk found for one status in one graph; read-only once made, so callers on any thread share it.</summary>
    internal sealed class Solution
    {
        public Solution(Dictionary<CaptureId, IOperation?> captures, HashSet<ILocalSymbol> resultHolders, Dictionary<ILocalSymbol, StatusAlias> aliases, StatusFacts[] inStates)
        {
            Captures = captures;
            ResultHolders = resultHolders;
            Aliases = aliases;
            InStates = inStates;
        }

        public Dictionary<CaptureId, IOperation?> Captures { get; }

        public HashSet<ILocalSymbol> ResultHolders { get; }

        public Dictionary<ILocalSymbol, StatusAlias> Aliases { get; }

        public StatusFacts[] InStates { get; }
    }

    /// <summary>
    /// The facts that hold right before <paramref name="read"/> on every path, or null when the read is not found in
    /// the graph (then the rule stays silent).
    /// </summary>
    public static StatusFacts? Before(ControlFlowGraph rootGraph, SyntaxNode read, ILocalSymbol status, PosixSurfaces surfaces, CancellationToken cancellationToken)
        => ControlFlowGraphs.Find(rootGraph, read, cancellationToken) is { } position ? Before(position, read, status, surfaces, cancellationToken) : null;

    private static StatusFacts Before(FlowPosition position, SyntaxNode read, ILocalSymbol status, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        var solution = SolutionFor(position.Graph, status, surfaces, cancellationToken);
        var paths = new WaitStatusPaths(position.Graph, status, surfaces, solution.Captures, solution.ResultHolders, solution.Aliases, cancellationToken);
        var state = solution.InStates[position.Block.Ordinal];
        var count = position.Index == FlowPosition.BranchValueIndex ? position.Block.Operations.Length : position.Index;
        for (var index = 0; index < count; index++)
        {
            state = paths.Transfer(position.Block, index, state, before: null);
        }

        return paths.Transfer(position.Block, position.Index, state, before: read);
    }

    /// <summary>
    /// A function usually reads one status several times (WIFEXITED, then WEXITSTATUS): the walk over its graph is
    /// done once per status and kept with the graph; each read then replays only its own block.
    /// </summary>
    private static Solution SolutionFor(ControlFlowGraph graph, ILocalSymbol status, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        var solutions = GraphFacts.Of(graph).WaitStatusSolutions;
        if (!solutions.TryGetValue(status, out var solution))
        {
            var solving = new WaitStatusPaths(
                graph,
                status,
                surfaces,
                new Dictionary<CaptureId, IOperation?>(),
                new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default),
                new Dictionary<ILocalSymbol, StatusAlias>(SymbolEqualityComparer.Default),
                cancellationToken);
            solving.Collect();
            solution = solutions.GetOrAdd(status, new Solution(solving._captures, solving._resultHolders, solving._aliases, solving.Solve()));
        }

        return solution;
    }

    /// <summary>
    /// True when <paramref name="decoding"/> is the whole value of a status alias and every read of that local comes
    /// where <paramref name="check"/> held for the status the local was computed from: <c>var code = (s &amp; 0xff00)
    /// &gt;&gt; 8; var exited = (s &amp; 0x7f) == 0; if (exited) Report(code);</c> decodes early and uses the code only
    /// for a child that exited. A local read inside a lambda or local function is not followed (false).
    /// </summary>
    public static bool UsedOnlyWhereChecked(
        ControlFlowGraph rootGraph, SyntaxNode decoding, ILocalSymbol status, StatusFacts check, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        if (ControlFlowGraphs.Find(rootGraph, decoding, cancellationToken) is not { } position
            || OperationFacts.OutermostConversion(position.Operation).Parent is not ISimpleAssignmentOperation { Target: ILocalReferenceOperation holder }
            || !SolutionFor(position.Graph, status, surfaces, cancellationToken).Aliases.TryGetValue(holder.Local, out var alias)
            || IsMentionedInNestedFunction(position.Graph.OriginalOperation, holder.Local))
        {
            return false;
        }

        var required = check | alias.Bit;
        var statements = GraphStatements.Of(position.Graph);
        foreach (var block in position.Graph.Blocks)
        {
            for (var index = 0; index <= block.Operations.Length; index++)
            {
                foreach (var operation in statements.At(block, index, LocalReferences))
                {
                    if (operation is not ILocalReferenceOperation reference || reference == holder
                        || !SymbolEqualityComparer.Default.Equals(reference.Local, holder.Local))
                    {
                        continue;
                    }

                    // Code no path reaches never reads the local.
                    if (!block.IsReachable)
                    {
                        continue;
                    }

                    // A handler's first block starts from "everything holds" (nothing proves otherwise): that proves
                    // nothing about a read there.
                    if (InHandler(block))
                    {
                        return false;
                    }

                    var read = new FlowPosition(position.Graph, block, index == block.Operations.Length ? FlowPosition.BranchValueIndex : index, reference);
                    if ((Before(read, reference.Syntax, status, surfaces, cancellationToken) & required) != required)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    private static readonly OperationKinds LocalReferences = new(OperationKind.LocalReference);

    private static bool InHandler(BasicBlock block)
    {
        for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
        {
            if (region.Kind is ControlFlowRegionKind.Catch or ControlFlowRegionKind.Filter or ControlFlowRegionKind.FilterAndHandler or ControlFlowRegionKind.Finally)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDeclaredWithin(ILocalSymbol local, SyntaxNode function)
        => local.DeclaringSyntaxReferences.Length == 1
           && local.DeclaringSyntaxReferences[0].SyntaxTree == function.SyntaxTree
           && function.Span.Contains(local.DeclaringSyntaxReferences[0].Span);

    /// <summary>A lambda or local function assigns the local, increments it, or hands it on by reference or address.</summary>
    private static bool IsWrittenInNestedFunction(IOperation root, ILocalSymbol local)
    {
        foreach (var reference in OperationTrees.LocalReferencesUnder(root))
        {
            if (!SymbolEqualityComparer.Default.Equals(reference.Local, local) || !OperationFacts.InsideNestedFunction(reference, root))
            {
                continue;
            }

            var outer = OperationFacts.OutermostConversion(reference);
            var written = outer.Parent switch
            {
                // `r = ref status;` as well: writes through r write the status.
                ISimpleAssignmentOperation assignment => assignment.Target == outer || assignment.IsRef,
                ICompoundAssignmentOperation compound => compound.Target == outer,
                IIncrementOrDecrementOperation or IAddressOfOperation or IDeclarationExpressionOperation => true,
                IArgumentOperation argument => argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out,
                ITupleOperation => true,
                // `ref int r = ref status;`: writes through r write the status.
                IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol.RefKind: RefKind.Ref } } => true,
                _ => false,
            };
            if (written)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsMentionedInNestedFunction(IOperation root, ILocalSymbol local)
    {
        foreach (var reference in OperationTrees.LocalReferencesUnder(root))
        {
            if (SymbolEqualityComparer.Default.Equals(reference.Local, local) && OperationFacts.InsideNestedFunction(reference, root))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly OperationKinds CapturesAndAssignments = new(OperationKind.FlowCapture, OperationKind.SimpleAssignment);

    // Most operations are none of these: the kind rules them out before any interface cast.
    private static readonly OperationKinds EffectKinds = new(OperationKind.Invocation, OperationKind.Binary, OperationKind.LocalReference, OperationKind.SimpleAssignment);

    /// <summary>The alias bits: one per bit of <see cref="StatusFacts.Aliases"/>, the lowest first.</summary>
    private const int FirstAliasBit = 8;
    private const int MaxAliases = 24;

    private void Collect()
    {
        var candidates = new List<ISimpleAssignmentOperation>();
        foreach (var block in _graph.Blocks)
        {
            for (var index = 0; index <= block.Operations.Length; index++)
            {
                foreach (var descendant in _statements.At(block, index, CapturesAndAssignments))
                {
                    switch (descendant)
                    {
                        case IFlowCaptureOperation capture:
                            // A capture written on two branches (a ?: result) stands for no single value.
                            _captures[capture.Id] = _captures.ContainsKey(capture.Id) ? null : capture.Value;
                            break;
                        case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment
                            when WaitWritingStatus(SignalValues.SkipConversions(assignment.Value)) is not null:
                            _resultHolders.Add(target.Local);
                            break;
                        case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when !IsStatus(target):
                            candidates.Add(assignment);
                            break;
                    }
                }
            }
        }

        CollectAliases(candidates);
    }

    /// <summary>
    /// The locals assigned once from the status and constants alone, or from other such locals, through the W* macros
    /// and integer operators: what the function computed from the status and named.
    /// </summary>
    private void CollectAliases(List<ISimpleAssignmentOperation> candidates)
    {
        if (candidates.Count == 0)
        {
            return;
        }

        // A status a nested function may write changes under its aliases where this graph cannot see it; so may a
        // sibling lambda, when the status is the enclosing function's.
        if (!IsDeclaredWithin(_status, _graph.OriginalOperation.Syntax) || IsWrittenInNestedFunction(_graph.OriginalOperation, _status))
        {
            return;
        }

        var origins = ValueOrigins.Of(_graph);
        HashSet<ILocalSymbol>? untrackable = null;
        // An alias may be computed from another: each round admits those whose inputs are admitted already.
        for (var changed = true; changed && _aliases.Count < MaxAliases;)
        {
            changed = false;
            foreach (var assignment in candidates)
            {
                // Declared here: a local of an enclosing function, assigned in this lambda, is read where this graph does not go.
                if (assignment.Target is not ILocalReferenceOperation { Local: var local } || !IsDeclaredWithin(local, _graph.OriginalOperation.Syntax)
                    || _aliases.ContainsKey(local) || _resultHolders.Contains(local) || local.RefKind != RefKind.None
                    || origins.SingleAssignment(local) != assignment.Value || !IsComputedFromStatus(assignment.Value))
                {
                    continue;
                }

                // Written through a reference, by a pattern or inside a lambda: not assigned once after all.
                untrackable ??= KnownIntegers.UntrackableLocals(_graph);
                if (untrackable.Contains(local) || _aliases.Count == MaxAliases)
                {
                    continue;
                }

                _aliases.Add(local, new StatusAlias(assignment.Value, (StatusFacts)(1 << (FirstAliasBit + _aliases.Count))));
                changed = true;
            }
        }

        // A new value in one alias makes every alias computed from it stale: its own bit goes with the others'.
        foreach (var alias in _aliases.Values)
        {
            foreach (var operation in OperationWalk.WithSelf(alias.Value))
            {
                if (operation is ILocalReferenceOperation reference && _aliases.TryGetValue(reference.Local, out var input))
                {
                    input.Dependents |= alias.Bit;
                }
            }
        }

        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var alias in _aliases.Values)
            {
                var dependents = alias.Dependents;
                foreach (var other in _aliases.Values)
                {
                    if ((alias.Dependents & other.Bit) != 0)
                    {
                        dependents |= other.Dependents;
                    }
                }

                if (dependents != alias.Dependents)
                {
                    alias.Dependents = dependents;
                    changed = true;
                }
            }
        }
    }

    /// <summary>Built from the status (or admitted aliases) and constants only, with integer operators, comparisons and W* macros.</summary>
    private bool IsComputedFromStatus(IOperation value)
    {
        var fromStatus = false;
        foreach (var operation in OperationWalk.WithSelf(value))
        {
            switch (operation)
            {
                case ILocalReferenceOperation reference when IsStatus(reference) || _aliases.ContainsKey(reference.Local):
                    fromStatus = true;
                    break;
                case IInvocationOperation invocation when IsReadOfStatus(invocation):
                    fromStatus = true;
                    break;
                case IArgumentOperation or IConversionOperation or IBinaryOperation or IUnaryOperation or IIsPatternOperation
                    or IConstantPatternOperation or IRelationalPatternOperation or INegatedPatternOperation or IBinaryPatternOperation:
                    break;
                case ILiteralOperation or IFieldReferenceOperation { Field.IsConst: true }:
                    break;
                default:
                    if (!operation.ConstantValue.HasValue)
                    {
                        return false;
                    }

                    break;
            }
        }

        return fromStatus;
    }

    private StatusFacts[] Solve()
    {
        var blocks = _graph.Blocks;
        var inStates = new StatusFacts[blocks.Length];
        var outStates = new StatusFacts[blocks.Length];
        var stale = new bool[blocks.Length];
        for (var i = 0; i < blocks.Length; i++)
        {
            inStates[i] = Top;
            stale[i] = true;
        }

        // What a branch's condition proves does not depend on the facts flowing in: worked out once per block and sense.
        var implied = new ImpliedFacts?[blocks.Length * 2];

        // Neither does what a block does to them: each operation sets the facts or adds to them, so a block's
        // operations compose into one effect, found in one walk of the block instead of one per round.
        var effects = new StatusEffect[blocks.Length];
        for (var i = 0; i < blocks.Length; i++)
        {
            // The branch value is the statement at Operations.Length; a block without one has nothing there.
            var effect = StatusEffect.Identity;
            for (var index = 0; index <= blocks[i].Operations.Length; index++)
            {
                effect = effect.Then(Effect(blocks[i], index, before: null));
            }

            effects[i] = effect;
        }

        inStates[0] = Entry;
        // Each fact can only go from held to not held, so the walk ends; the bound is a guard against a mistake.
        for (var round = 0; round < (blocks.Length + 2) * 8; round++)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            for (var i = 0; i < blocks.Length; i++)
            {
                if (!stale[i])
                {
                    continue;
                }

                stale[i] = false;
                outStates[i] = effects[i].Apply(inStates[i]);
            }

            var changed = false;
            for (var i = 1; i < blocks.Length; i++)
            {
                var block = blocks[i];
                var meet = Top;
                foreach (var predecessor in block.Predecessors)
                {
                    if (predecessor.Source.IsReachable)
                    {
                        meet &= Along(predecessor, outStates[predecessor.Source.Ordinal], implied);
                    }
                }

                // A block with no predecessor (a catch or finally start, unreachable code) proves nothing and is not
                // reported from: it starts from "everything holds".
                if (meet != inStates[i])
                {
                    inStates[i] = meet;
                    stale[i] = true;
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        return inStates;
    }

    /// <summary>Everything holds: where the meet of the paths into a block starts.</summary>
    private const StatusFacts Top = StatusFacts.All | StatusFacts.Aliases;

    private StatusFacts Along(ControlFlowBranch branch, StatusFacts state, ImpliedFacts?[] implied)
    {
        var source = branch.Source;
        if (source.ConditionKind == ControlFlowConditionKind.None || source.BranchValue is not { } condition)
        {
            return state;
        }

        var whenTrue = source.ConditionKind == ControlFlowConditionKind.WhenTrue;
        var sense = branch.IsConditionalSuccessor ? whenTrue : !whenTrue;
        var slot = source.Ordinal * 2 + (sense ? 1 : 0);
        var proved = implied[slot] ??= ImpliedBy(condition, sense);
        return state | ((state & proved.Required) == proved.Required ? proved.Facts : proved.WithoutAliases);
    }

    /// <summary>
    /// What a condition proves, and which aliases it was read through: that proof stands only where none of them is
    /// stale; elsewhere the condition proves what it says without them.
    /// </summary>
    private readonly struct ImpliedFacts
    {
        public ImpliedFacts(StatusFacts facts, StatusFacts required, StatusFacts withoutAliases)
        {
            Facts = facts;
            Required = required;
            WithoutAliases = withoutAliases;
        }

        public StatusFacts Facts { get; }

        public StatusFacts Required { get; }

        public StatusFacts WithoutAliases { get; }
    }

    private ImpliedFacts ImpliedBy(IOperation condition, bool sense)
    {
        _required = StatusFacts.None;
        var facts = Implied(condition, sense);
        var required = _required;
        if (required == StatusFacts.None)
        {
            return new ImpliedFacts(facts, required, facts);
        }

        _aliasesOff = true;
        var withoutAliases = Implied(condition, sense);
        _aliasesOff = false;
        return new ImpliedFacts(facts, required, withoutAliases);
    }

    /// <summary>The effect of one operation on the facts: waits and other writes of the status, and reads of it.</summary>
    private StatusFacts Transfer(BasicBlock block, int index, StatusFacts state, SyntaxNode? before) => Effect(block, index, before).Apply(state);

    /// <summary>The effect of the statement at <paramref name="index"/> of the block (its branch value at <c>Operations.Length</c>).</summary>
    private StatusEffect Effect(BasicBlock block, int index, SyntaxNode? before)
    {
        var effect = StatusEffect.Identity;
        foreach (var descendant in _statements.At(block, index, EffectKinds))
        {
            if (before is not null && descendant.Syntax.Span.End > before.SpanStart)
            {
                continue;
            }

            switch (descendant)
            {
                case IInvocationOperation invocation when WaitWritingStatus(invocation) is { } function:
                    var written = WaitCalls.IsNonBlocking(invocation, function, _surfaces, _cancellationToken) ? StatusFacts.None : StatusFacts.NotEmpty;
                    if (!IsDiscarded(invocation))
                    {
                        written |= StatusFacts.ResultKept;
                    }

                    effect = effect.Then(StatusEffect.Set(written));
                    break;
                case IInvocationOperation invocation when IsReadOfStatus(invocation):
                    // Only the first read on a path is judged; later ones would repeat the same finding.
                    effect = effect.Then(StatusEffect.Add(Read));
                    break;
                case IBinaryOperation binary when IsHandReadOfStatus(binary):
                    effect = effect.Then(StatusEffect.Add(Read));
                    break;
                case ILocalReferenceOperation local when IsStatus(local) && IsOtherWrite(local):
                    // Written by something other than a wait: no longer this rule's status on this path.
                    effect = effect.Then(StatusEffect.Set(StatusFacts.All));
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } when _aliases.TryGetValue(target.Local, out var alias):
                    effect = effect.Then(StatusEffect.Assign(alias));
                    break;
            }
        }

        return effect;
    }

    /// <summary>What operations do to the facts, composed: keep the facts in <c>Kept</c>, then add <c>Added</c>.</summary>
    private readonly struct StatusEffect
    {
        private StatusEffect(StatusFacts kept, StatusFacts added)
        {
            Kept = kept;
            Added = added;
        }

        private const StatusFacts Everything = StatusFacts.All | StatusFacts.Aliases;

        public static StatusEffect Identity => new(Everything, StatusFacts.None);

        private StatusFacts Kept { get; }

        private StatusFacts Added { get; }

        public static StatusEffect Set(StatusFacts facts) => new(StatusFacts.None, facts);

        public static StatusEffect Add(StatusFacts facts) => new(Everything, facts);

        /// <summary>The alias gets a value from the status as it is now; those computed from its old value go stale.</summary>
        public static StatusEffect Assign(StatusAlias alias) => new(Everything & ~alias.Dependents, alias.Bit);

        public StatusFacts Apply(StatusFacts state) => (state & Kept) | Added;

        /// <summary>This effect followed by <paramref name="next"/>.</summary>
        public StatusEffect Then(StatusEffect next) => new(Kept & next.Kept, (Added & next.Kept) | next.Added);
    }

    /// <summary>What the condition proves when it evaluates to <paramref name="sense"/>.</summary>
    private StatusFacts Implied(IOperation condition, bool sense)
    {
        var operation = Resolve(condition);
        switch (operation)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return Implied(not.Operand, !sense);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both:
                return sense ? Implied(both.LeftOperand, true) | Implied(both.RightOperand, true) : StatusFacts.None;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either:
                return sense ? StatusFacts.None : Implied(either.LeftOperand, false) | Implied(either.RightOperand, false);
            case IInvocationOperation invocation:
                return CheckFact(invocation) is { } fact ? (sense ? fact : StatusFacts.None) : UserTest(invocation);
            case IBinaryOperation binary when OperationFacts.IntegerRelation(binary) is { } relation:
                if (Constant(binary.RightOperand) is var right && Compare(binary.LeftOperand, relation, right, binary.RightOperand, sense) is { } leftFacts)
                {
                    return leftFacts;
                }

                return Compare(binary.RightOperand, OperationFacts.Swap(relation), Constant(binary.LeftOperand), binary.LeftOperand, sense) ?? StatusFacts.None;
            case IIsPatternOperation isPattern:
                return Matches(isPattern.Value, isPattern.Pattern, sense);
            default:
                return StatusFacts.None;
        }
    }

    private StatusFacts Matches(IOperation subject, IPatternOperation pattern, bool sense) => pattern switch
    {
        INegatedPatternOperation negated => Matches(subject, negated.Pattern, !sense),
        IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.And } both
            => sense ? Matches(subject, both.LeftPattern, true) | Matches(subject, both.RightPattern, true) : StatusFacts.None,
        IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.Or } either
            => sense ? StatusFacts.None : Matches(subject, either.LeftPattern, false) | Matches(subject, either.RightPattern, false),
        IConstantPatternOperation constant => Compare(subject, BinaryOperatorKind.Equals, Constant(constant.Value), constant.Value, sense) ?? StatusFacts.None,
        IRelationalPatternOperation relational => Compare(subject, relational.OperatorKind, Constant(relational.Value), relational.Value, sense) ?? StatusFacts.None,
        _ => StatusFacts.None,
    };

    /// <summary>
    /// What <c>subject relation other</c> proves when it is <paramref name="sense"/>, when the subject is something this
    /// walk knows (a wait's result, a WIF* check, the status masked or whole); null when it is not.
    /// </summary>
    private StatusFacts? Compare(IOperation subject, BinaryOperatorKind relation, long? constant, IOperation other, bool sense)
    {
        subject = Resolve(subject);
        if (subject is ISimpleAssignmentOperation assignment)
        {
            subject = Resolve(assignment.Value);
        }

        if (IsResult(subject))
        {
            // A comparison with a variable (`r == pid`) is the wait answering for that child: a pid.
            if (constant is null)
            {
                var equal = relation == BinaryOperatorKind.Equals ? sense : relation == BinaryOperatorKind.NotEquals && !sense;
                return equal && !other.ConstantValue.HasValue ? StatusFacts.NotFailed | StatusFacts.NotEmpty : StatusFacts.None;
            }

            return ResultFacts(relation, constant.Value, sense);
        }

        if (subject is IInvocationOperation invocation && CheckFact(invocation) is { } fact)
        {
            // An own P/Invoke of WIFEXITED returns int: `!= 0` is the check, `== 0` its negation.
            var truth = other.ConstantValue.Value switch
            {
                bool boolean => (bool?)boolean,
                _ when constant == 0 => false,
                _ when constant == 1 => true,
                _ => null,
            };
            return truth switch
            {
                null => StatusFacts.None,
                _ when relation == BinaryOperatorKind.Equals => sense == truth ? fact : StatusFacts.None,
                _ when relation == BinaryOperatorKind.NotEquals => sense != truth ? fact : StatusFacts.None,
                false when relation == BinaryOperatorKind.GreaterThan => sense ? fact : StatusFacts.None,
                _ => StatusFacts.None,
            };
        }

        // `(status & 0x7f) == 0`, `(status & 0xff) == 0`, `status == 0`: the low seven bits are 0, the child exited.
        var exitTest = subject switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.And } masked when MaskedStatus(masked) is { } mask => (mask & 0x7f) == 0x7f,
            ILocalReferenceOperation local => IsStatus(local),
            _ => false,
        };
        if (exitTest && constant is { } value && (value & 0x7f) == 0)
        {
            var equal = relation == BinaryOperatorKind.Equals ? sense : relation == BinaryOperatorKind.NotEquals && !sense;
            return equal ? StatusFacts.Exited : StatusFacts.None;
        }

        return null;
    }

    /// <summary>What <c>result relation k</c> being <paramref name="sense"/> says about a wait's result.</summary>
    private static StatusFacts ResultFacts(BinaryOperatorKind relation, long k, bool sense)
    {
        switch (relation)
        {
            case BinaryOperatorKind.NotEquals:
                return ResultFacts(BinaryOperatorKind.Equals, k, !sense);
            case BinaryOperatorKind.LessThan:
                return sense ? StatusFacts.None : ResultFacts(BinaryOperatorKind.GreaterThanOrEqual, k, true);
            case BinaryOperatorKind.LessThanOrEqual:
                return sense ? StatusFacts.None : ResultFacts(BinaryOperatorKind.GreaterThan, k, true);
            case BinaryOperatorKind.GreaterThan:
                return ResultFacts(BinaryOperatorKind.GreaterThanOrEqual, k + 1, sense);
            case BinaryOperatorKind.GreaterThanOrEqual:
                return !sense ? StatusFacts.None
                    : (k >= 0 ? StatusFacts.NotFailed : StatusFacts.None) | (k >= 1 ? StatusFacts.NotEmpty : StatusFacts.None);
            case BinaryOperatorKind.Equals:
                if (sense)
                {
                    return (k != -1 ? StatusFacts.NotFailed : StatusFacts.None) | (k != 0 ? StatusFacts.NotEmpty : StatusFacts.None);
                }

                return k == -1 ? StatusFacts.NotFailed : k == 0 ? StatusFacts.NotEmpty : StatusFacts.None;
            default:
                return StatusFacts.None;
        }
    }

    private StatusFacts? CheckFact(IInvocationOperation invocation)
    {
        if (!_surfaces.TryGetLibcCall(invocation.TargetMethod, WaitStatuses.Macros, out var call)
            || SignalValues.SkipConversions(OperationFacts.Argument(invocation, 0)) is not ILocalReferenceOperation local || !IsStatus(local))
        {
            return null;
        }

        return call.Function switch
        {
            "WIFEXITED" => StatusFacts.Exited,
            "WIFSIGNALED" => StatusFacts.Signaled,
            "WIFSTOPPED" => StatusFacts.Stopped,
            _ => null,
        };
    }

    /// <summary>
    /// A condition that hands the status to the program's own method (<c>if (Exited(status))</c>): this walk cannot
    /// see what it tests, so on both edges it trusts it, rather than report a check it cannot read.
    /// </summary>
    private StatusFacts UserTest(IInvocationOperation invocation)
    {
        if (_surfaces.TryGetLibcCall(invocation.TargetMethod, out _))
        {
            return StatusFacts.None;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (SignalValues.SkipConversions(argument.Value) is ILocalReferenceOperation local && IsStatus(local))
            {
                return StatusFacts.Exited | StatusFacts.Signaled | StatusFacts.Stopped;
            }
        }

        return StatusFacts.None;
    }

    private bool IsResult(IOperation operation) => operation switch
    {
        IInvocationOperation invocation => WaitWritingStatus(invocation) is not null,
        ILocalReferenceOperation local => _resultHolders.Contains(local.Local),
        _ => false,
    };

    private string? WaitWritingStatus(IOperation? operation)
    {
        if (operation is not IInvocationOperation invocation
            || !_surfaces.TryGetLibcCall(invocation.TargetMethod, WaitStatuses.StatusWaitFunctions, out var call))
        {
            return null;
        }

        var ordinal = call.Function is "wait" or "wait3" ? 0 : 1;
        return SignalValues.SkipConversions(OperationFacts.Argument(invocation, ordinal)) switch
        {
            ILocalReferenceOperation local when IsStatus(local) => call.Function,
            IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } when IsStatus(declared) => call.Function,
            IAddressOfOperation { Reference: ILocalReferenceOperation addressed } when IsStatus(addressed) => call.Function,
            _ => null,
        };
    }

    /// <summary>The wait is a statement of its own (the graph keeps it as a block operation) or assigned to a discard.</summary>
    private static bool IsDiscarded(IInvocationOperation wait)
    {
        var outer = OperationFacts.OutermostConversion(wait);
        return outer.Parent is null or IExpressionStatementOperation
            || outer.Parent is ISimpleAssignmentOperation { Target: IDiscardOperation };
    }

    private bool IsReadOfStatus(IInvocationOperation invocation)
        => _surfaces.TryGetLibcCall(invocation.TargetMethod, WaitStatuses.Macros, out _)
            && SignalValues.SkipConversions(OperationFacts.Argument(invocation, 0)) is ILocalReferenceOperation local && IsStatus(local);

    private bool IsHandReadOfStatus(IBinaryOperation binary)
        => binary.OperatorKind == BinaryOperatorKind.And ? MaskedStatus(binary) is not null
            : binary.OperatorKind == BinaryOperatorKind.RightShift && SignalValues.SkipConversions(binary.LeftOperand) is ILocalReferenceOperation local && IsStatus(local);

    /// <summary>The mask of <c>status &amp; mask</c> (either order).</summary>
    private long? MaskedStatus(IBinaryOperation and)
    {
        if (SignalValues.SkipConversions(and.LeftOperand) is ILocalReferenceOperation left && IsStatus(left))
        {
            return Constant(and.RightOperand);
        }

        return SignalValues.SkipConversions(and.RightOperand) is ILocalReferenceOperation right && IsStatus(right) ? Constant(and.LeftOperand) : null;
    }

    /// <summary>A mention of the status that writes it, other than as a status wait's status argument.</summary>
    private bool IsOtherWrite(ILocalReferenceOperation local)
    {
        var outer = OperationFacts.OutermostConversion(local);
        switch (outer.Parent)
        {
            case ISimpleAssignmentOperation assignment when assignment.Target == outer:
            case ICompoundAssignmentOperation compound when compound.Target == outer:
            case IIncrementOrDecrementOperation:
                return true;
        }

        // `(status, _) = Next();`: an element of the tuple a deconstruction assigns.
        var element = outer;
        while (element.Parent is ITupleOperation tuple)
        {
            element = tuple;
        }

        if (element != outer && element.Parent is IDeconstructionAssignmentOperation deconstruction && deconstruction.Target == element)
        {
            return true;
        }

        // `out status`, `ref status`, `out var status`, `&status` handed to a call that is not a status wait.
        var passed = outer;
        var byAddressOrDeclaration = false;
        if (outer.Parent is IAddressOfOperation or IDeclarationExpressionOperation)
        {
            passed = OperationFacts.OutermostConversion(outer.Parent);
            byAddressOrDeclaration = true;
        }

        return passed.Parent is IArgumentOperation { Parent: IInvocationOperation invocation } argument
            && (byAddressOrDeclaration || argument.Parameter?.RefKind is RefKind.Out or RefKind.Ref)
            && WaitWritingStatus(invocation) is null && !IsReadOfStatus(invocation);
    }

    private bool IsStatus(ILocalReferenceOperation local) => SymbolEqualityComparer.Default.Equals(local.Local, _status);

    private long? Constant(IOperation? operation) => SignalValues.IntegerValue(Unwrap(operation), _surfaces, _cancellationToken);

    /// <summary>
    /// <see cref="Unwrap"/>, and through the status aliases to the values they hold, noting each in
    /// <see cref="_required"/>: a condition on <c>exited</c> is a condition on what <c>exited</c> was computed from.
    /// </summary>
    private IOperation Resolve(IOperation? operation)
    {
        var current = Unwrap(operation);
        for (var depth = 0; depth < 8 && !_aliasesOff && current is ILocalReferenceOperation reference && _aliases.TryGetValue(reference.Local, out var alias); depth++)
        {
            _required |= alias.Bit;
            current = Unwrap(alias.Value);
        }

        return current;
    }

    /// <summary>Through conversions, parentheses and the graph's captures (a switch's value, a condition held for later).</summary>
    private IOperation Unwrap(IOperation? operation)
    {
        for (var depth = 0; depth < 8; depth++)
        {
            operation = SignalValues.SkipConversions(operation);
            if (operation is IFlowCaptureReferenceOperation reference && _captures.TryGetValue(reference.Id, out var captured) && captured is not null)
            {
                operation = captured;
                continue;
            }

            break;
        }

        return operation!;
    }
}
