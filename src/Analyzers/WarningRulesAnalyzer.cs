using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using SafePosix.Analyzers.Rules;

namespace SafePosix.Analyzers;

/// <summary>
/// Every rule that is on by default at warning or error level, run as one analyzer. The driver pays a cost per
/// analyzer for every body and every operation it hands out (about 0.05 µs per callback, 11 ms over the POSIX-dense
/// corpus for 23 analyzers that do nothing, docs/performance.md); as one analyzer the rules share that cost, and the
/// operations each rule asks for come through one callback. Each rule stays its own class, tested on its own: this
/// class replays the rule's registrations, so the shipped rule and the tested one run the same code.
/// </summary>
/// <remarks>
/// Rules below warning (PSX2005) and rules off by default (PSX2007, PSX3005) ship as their own analyzers: a
/// command-line build skips an analyzer whose rules are all at suggestion level, and the driver never runs one whose
/// rules are all off, which it could not do for a rule inside this group. A rule of the group that the compilation
/// turns off (<c>NoWarn</c>, a global config or every file's <c>.editorconfig</c> setting it to <c>none</c>) registers
/// nothing, as the driver would have skipped its analyzer.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class WarningRulesAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rules this analyzer runs, in rule ID order.</summary>
    internal static ImmutableArray<DiagnosticAnalyzer> Rules { get; } = ImmutableArray.Create<DiagnosticAnalyzer>(
        new ForkFromManagedCodeAnalyzer(),
        new VforkChildAnalyzer(),
        new ForkChildExitAnalyzer(),
        new ZombieChildAnalyzer(),
        new SingleReapAnalyzer(),
        new AnyChildWaitAnalyzer(),
        new UncheckedWaitStatusAnalyzer(),
        new SigpipeResetAnalyzer(),
        new NoSignalSocketFlagsAnalyzer(),
        new SigchldIgnoredAnalyzer(),
        new ManagedSignalHandlerAnalyzer(),
        new UncheckedMmapResultAnalyzer(),
        new MisalignedMmapOffsetAnalyzer(),
        new MismatchedMunmapAnalyzer(),
        new FailingMmapArgumentsAnalyzer(),
        new StaleUnixSocketPathAnalyzer(),
        new DescriptorWithoutCloexecAnalyzer(),
        new DiscardedByteCountAnalyzer(),
        new EintrNotRetriedAnalyzer(),
        new WritableIpcObjectAnalyzer(),
        new CloseRetriedOnEintrAnalyzer(),
        new StaleErrnoAnalyzer(),
        new IgnoredFailureAnalyzer());

    private readonly ImmutableArray<(ImmutableArray<DiagnosticDescriptor> Descriptors, ImmutableArray<Action<CompilationStartAnalysisContext>> Starts)> _rules;

    public WarningRulesAnalyzer()
    {
        _rules = Rules.Select(rule => (rule.SupportedDiagnostics, RuleRegistrations.CompilationStartsOf(rule))).ToImmutableArray();
        SupportedDiagnostics = Rules.SelectMany(rule => rule.SupportedDiagnostics).ToImmutableArray();
    }

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; }

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.NotAnalyzed);
        context.RegisterCompilationStartAction(start =>
        {
            var actions = new OperationActions();
            RuleFailedException? failed = null;
            foreach (var rule in RulesToStart(start.Compilation, start.CancellationToken))
            {
                // A rule that fails to start loses only itself, as it would as its own analyzer.
                var name = Rules[rule].GetType().Name;
                try
                {
                    var ruleStart = new CollectingCompilationStart(start, actions, name);
                    foreach (var action in _rules[rule].Starts)
                    {
                        action(ruleStart);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failed = RuleFailedException.Add(failed, name, e);
                }
            }

            actions.RegisterOn(start);
            if (failed is not null)
            {
                throw failed;
            }
        });
    }

    /// <summary>The indexes in <see cref="Rules"/> of the rules the compilation does not turn off.</summary>
    internal IEnumerable<int> RulesToStart(Compilation compilation, CancellationToken cancellationToken)
    {
        for (var rule = 0; rule < _rules.Length; rule++)
        {
            if (!RuleRegistrations.AllSuppressed(_rules[rule].Descriptors, compilation, cancellationToken))
            {
                yield return rule;
            }
        }
    }
}

/// <summary>The operation actions the rules of a group registered, run from one callback per operation kind.</summary>
internal sealed class OperationActions
{
    private readonly Dictionary<OperationKind, List<GroupedAction>> _byKind = new();

    public void Add(string rule, Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> kinds)
    {
        foreach (var kind in kinds)
        {
            if (!_byKind.TryGetValue(kind, out var actions))
            {
                _byKind[kind] = actions = new List<GroupedAction>();
            }

            actions.Add(new GroupedAction(rule, action));
        }
    }

    public void RegisterOn(CompilationStartAnalysisContext start)
    {
        foreach (var pair in _byKind)
        {
            var actions = new ActionsOfKind(pair.Value.ToArray());
            start.RegisterOperationAction(context => RunAll(actions, context), pair.Key);
        }
    }

    /// <summary>
    /// Every rule runs even when one before it throws; the failures are thrown after, in one exception naming each rule
    /// (the driver reports it as AD0001 against the group, with the rules' own exceptions inside). The tests that rules wrap around
    /// their actions are made once per operation for all of them: whether the call may reach libc, and whether the
    /// operation is in a generated accessor.
    /// </summary>
    internal static void RunAll(ActionsOfKind kind, OperationAnalysisContext context)
    {
        var shared = kind.SharedFilter;
        RuleFailedException? failed = null;
        GroupedAction[] actions;
        try
        {
            actions = shared is null || shared.Wants(context) ? kind.All : kind.Unfiltered;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // As when each rule tested the call: the filtered rules do not run, the first of them is named, the rest run.
            failed = new RuleFailedException(kind.FirstFilteredName!, e);
            actions = kind.Unfiltered;
        }

        bool? inGeneratedAccessor = null;
        foreach (var grouped in actions)
        {
            try
            {
                // Filters over different surfaces (never in one compilation's group) each test the call themselves.
                if (shared is null && grouped.Filter is { } own && !own.Wants(context))
                {
                    continue;
                }

                if (grouped.OutsideGeneratedMembers && (inGeneratedAccessor ??= GeneratedCode.IsGeneratedAccessor(context.ContainingSymbol)))
                {
                    continue;
                }

                grouped.Rule(context);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed = RuleFailedException.Add(failed, grouped.Name, e);
            }
        }

        if (failed is not null)
        {
            throw failed;
        }
    }
}

/// <summary>
/// One operation kind's grouped actions, arranged once: in registration order, and without the ones behind a libc-call
/// filter, which is the list for a call no libc rule wants (most calls).
/// </summary>
internal sealed class ActionsOfKind
{
    public ActionsOfKind(GroupedAction[] actions)
    {
        All = actions;
        Unfiltered = actions.Where(action => action.Filter is null).ToArray();
        var surfaces = actions.Select(action => action.Filter?.Surfaces).Where(filter => filter is not null).Distinct().Count();
        SharedFilter = surfaces == 1 ? actions.First(action => action.Filter is not null).Filter : null;
        FirstFilteredName = actions.FirstOrDefault(action => action.Filter is not null).Name;
    }

    /// <summary>The rule a failure of the shared test is charged to: the first that would have made it.</summary>
    public string? FirstFilteredName { get; }

    public GroupedAction[] All { get; }

    public GroupedAction[] Unfiltered { get; }

    /// <summary>The one filter every filtered action shares, so one test of the call serves them all; null when there are none or several.</summary>
    public LibcCallAction? SharedFilter { get; }
}

/// <summary>
/// A rule's operation action in a group, taken out of the wrappers it was registered in: the libc-call filter
/// (<see cref="LibcCallAction"/>) and the generated-accessor test (<see cref="GeneratedCode.OutsideGeneratedMembers"/>).
/// </summary>
internal readonly struct GroupedAction
{
    public GroupedAction(string name, Action<OperationAnalysisContext> action)
    {
        Name = name;
        Filter = LibcCallAction.Behind(action);
        var inner = Filter?.Action ?? action;
        Rule = GeneratedCode.Behind(inner) ?? inner;
        OutsideGeneratedMembers = !ReferenceEquals(Rule, inner);
    }

    public string Name { get; }

    /// <summary>The filter the action was registered behind, or null: the group makes its test.</summary>
    public LibcCallAction? Filter { get; }

    /// <summary>Whether the action was registered to skip generated accessors: the group makes that test too.</summary>
    public bool OutsideGeneratedMembers { get; }

    /// <summary>The rule's own action, without the wrappers.</summary>
    public Action<OperationAnalysisContext> Rule { get; }
}

/// <summary>A grouped rule's exception, named: AD0001 would otherwise name only the group.</summary>
internal sealed class RuleFailedException : Exception
{
    private readonly ImmutableArray<(string Rule, Exception Error)> _failures;

    public RuleFailedException(string rule, Exception inner)
        : this(ImmutableArray.Create((rule, inner)))
    {
    }

    // The driver reports one AD0001 per callback: every rule that failed in it is named there, not only the first,
    // so fixing one bug does not uncover the next only in the next build.
    private RuleFailedException(ImmutableArray<(string Rule, Exception Error)> failures)
        : base(
            string.Join("; ", failures.Select(failure => $"{failure.Rule} threw {failure.Error.GetType().Name}: {failure.Error.Message}")),
            failures.Length == 1 ? failures[0].Error : new AggregateException(failures.Select(failure => failure.Error)))
        => _failures = failures;

    /// <summary>The failures so far with one more: a new exception when there were none.</summary>
    public static RuleFailedException Add(RuleFailedException? failed, string rule, Exception error)
        => failed is null ? new RuleFailedException(rule, error) : new RuleFailedException(failed._failures.Add((rule, error)));
}

internal static class RuleRegistrations
{
    /// <summary>
    /// What a rule's <c>Initialize</c> registers, replayed: its compilation-start actions. A rule of a group may only
    /// turn on concurrent execution, leave generated code out as <see cref="GeneratedCode.NotAnalyzed"/> says, and
    /// register compilation-start actions; anything else would be lost in the group, so it throws.
    /// </summary>
    public static ImmutableArray<Action<CompilationStartAnalysisContext>> CompilationStartsOf(DiagnosticAnalyzer rule)
    {
        var recorder = new RecordingAnalysisContext(rule.GetType().Name);
        rule.Initialize(recorder);
        return recorder.CompilationStarts.ToImmutable();
    }

    /// <summary>
    /// True when no descriptor of the rule can be reported anywhere in the compilation: each one is set to <c>none</c>
    /// on the command line (<c>NoWarn</c>), or is off by default or set to <c>none</c> in a global config and not turned
    /// on in any syntax tree, or is set to <c>none</c> in every syntax tree.
    /// </summary>
    public static bool AllSuppressed(ImmutableArray<DiagnosticDescriptor> descriptors, Compilation compilation, CancellationToken cancellationToken)
    {
        foreach (var descriptor in descriptors)
        {
            if (!IsSuppressed(descriptor, compilation, cancellationToken))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSuppressed(DiagnosticDescriptor descriptor, Compilation compilation, CancellationToken cancellationToken)
    {
        var options = compilation.Options;
        var provider = options.SyntaxTreeOptionsProvider;

        // The command line (NoWarn, WarningsAsErrors, a rule set) wins over every configuration file, as in the
        // compiler's own filter; only /warnaserror-:ID (Default) leaves the decision to them.
        if (options.SpecificDiagnosticOptions.TryGetValue(descriptor.Id, out var specific) && specific != ReportDiagnostic.Default)
        {
            return specific == ReportDiagnostic.Suppress;
        }

        ReportDiagnostic? global = null;
        if (provider is not null && provider.TryGetGlobalDiagnosticValue(descriptor.Id, cancellationToken, out var fromGlobalConfig))
        {
            global = fromGlobalConfig;
        }

        var suppressedForCompilation = global is { } value && value != ReportDiagnostic.Default
            ? value == ReportDiagnostic.Suppress
            : !descriptor.IsEnabledByDefault;
        if (!suppressedForCompilation)
        {
            // A tree may still turn it off, but one tree that leaves it on is enough to run it.
            if (provider is null)
            {
                return false;
            }

            foreach (var tree in compilation.SyntaxTrees)
            {
                if (!provider.TryGetDiagnosticValue(tree, descriptor.Id, cancellationToken, out var inTree) || inTree != ReportDiagnostic.Suppress)
                {
                    return false;
                }
            }

            return compilation.SyntaxTrees.Any();
        }

        // Off for the compilation: one tree that turns it on is enough to run it.
        if (provider is not null)
        {
            foreach (var tree in compilation.SyntaxTrees)
            {
                if (provider.TryGetDiagnosticValue(tree, descriptor.Id, cancellationToken, out var inTree) && inTree != ReportDiagnostic.Suppress)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Records a rule's registrations; see <see cref="CompilationStartsOf"/>.</summary>
    private sealed class RecordingAnalysisContext : AnalysisContext
    {
        private readonly string _rule;

        public RecordingAnalysisContext(string rule) => _rule = rule;

        public ImmutableArray<Action<CompilationStartAnalysisContext>>.Builder CompilationStarts { get; } =
            ImmutableArray.CreateBuilder<Action<CompilationStartAnalysisContext>>();

        public override void EnableConcurrentExecution()
        {
        }

        public override void ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags analysisMode)
        {
            if (analysisMode != GeneratedCode.NotAnalyzed)
            {
                throw Unsupported("a generated-code mode other than GeneratedCode.NotAnalyzed");
            }
        }

        public override void RegisterCompilationStartAction(Action<CompilationStartAnalysisContext> action) => CompilationStarts.Add(action);

        public override void RegisterCompilationAction(Action<CompilationAnalysisContext> action) => throw Unsupported("a compilation action");

        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => throw Unsupported("a semantic model action");

        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => throw Unsupported("a symbol action");

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => throw Unsupported("a code block start action");

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => throw Unsupported("a code block action");

        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => throw Unsupported("a syntax tree action");

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds)
            => throw Unsupported("a syntax node action");

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds)
            => throw Unsupported("an operation action outside a compilation start");

        private NotSupportedException Unsupported(string what)
            => new($"{_rule} registers {what}; a rule run in a group may only register compilation-start actions (see RuleRegistrations).");
    }
}

/// <summary>
/// A rule's view of the compilation start: operation actions go to the group's shared callbacks, everything else to
/// the driver as the rule asked.
/// </summary>
internal sealed class CollectingCompilationStart : CompilationStartAnalysisContext
{
    private readonly CompilationStartAnalysisContext _start;
    private readonly OperationActions _actions;
    private readonly string _rule;

    // RS1012 expects a start context to register something itself; this one forwards the rule's registrations to it.
#pragma warning disable RS1012
    public CollectingCompilationStart(CompilationStartAnalysisContext start, OperationActions actions, string rule)
        : base(start.Compilation, start.Options, start.CancellationToken)
    {
        _start = start;
        _actions = actions;
        _rule = rule;
    }
#pragma warning restore RS1012

    public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds)
        => _actions.Add(_rule, action, operationKinds);

    public override void RegisterCompilationEndAction(Action<CompilationAnalysisContext> action) => _start.RegisterCompilationEndAction(action);

    public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => _start.RegisterSemanticModelAction(action);

    public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds)
        => _start.RegisterSymbolAction(action, symbolKinds);

    public override void RegisterSymbolStartAction(Action<SymbolStartAnalysisContext> action, SymbolKind symbolKind)
        => _start.RegisterSymbolStartAction(action, symbolKind);

    public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action)
        => _start.RegisterCodeBlockStartAction(action);

    public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => _start.RegisterCodeBlockAction(action);

    public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => _start.RegisterSyntaxTreeAction(action);

    public override void RegisterAdditionalFileAction(Action<AdditionalFileAnalysisContext> action) => _start.RegisterAdditionalFileAction(action);

    public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds)
        => _start.RegisterSyntaxNodeAction(action, syntaxKinds);

    public override void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action) => _start.RegisterOperationBlockStartAction(action);

    public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => _start.RegisterOperationBlockAction(action);
}
