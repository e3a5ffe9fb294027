using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;

namespace SafePosix.Analyzers.Tests.Meta;

/// <summary>
/// The warning-level rules ship inside one analyzer (<see cref="WarningRulesAnalyzer"/>) and are tested as their own
/// classes: these tests hold the two together.
/// </summary>
public sealed class RuleGroupTests
{
    private static readonly ImmutableHashSet<Type> Grouped = WarningRulesAnalyzer.Rules.Select(r => r.GetType()).ToImmutableHashSet();

    [Fact]
    public void EveryRuleClass_ShipsAloneOrInTheGroup_Once()
    {
        var grouped = WarningRulesAnalyzer.Rules.Select(r => r.GetType()).ToList();
        Assert.Equal(grouped.Count, grouped.Distinct().Count());
        foreach (var rule in RuleCatalog.RuleAnalyzers)
        {
            var alone = rule.GetType().GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null;
            Assert.True(alone != Grouped.Contains(rule.GetType()), $"{rule.GetType().Name} must either carry [DiagnosticAnalyzer] or be listed in WarningRulesAnalyzer.Rules, not both");
        }
    }

    [Fact]
    public void TheGroup_HoldsEveryRuleOnByDefaultAtWarningOrError_AndNothingElse()
    {
        foreach (var rule in RuleCatalog.RuleAnalyzers)
        {
            var warningOrError = rule.SupportedDiagnostics.All(d => d.IsEnabledByDefault && d.DefaultSeverity >= DiagnosticSeverity.Warning);
            Assert.True(warningOrError == Grouped.Contains(rule.GetType()),
                $"{rule.GetType().Name}: rules on by default at warning or error belong in the group; a suggestion-level or off-by-default rule ships alone so that the driver can skip it");
        }
    }

    [Fact]
    public void TheShippedAnalyzers_SupportEveryRuleOnce()
    {
        var shipped = RuleCatalog.Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).OrderBy(id => id, StringComparer.Ordinal).ToList();
        var rules = RuleCatalog.RuleAnalyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).OrderBy(id => id, StringComparer.Ordinal).ToList();
        Assert.Equal(rules, shipped);
    }

    [Fact]
    public async Task TheGroup_ReportsWhatItsRulesReportAlone()
    {
        var compilation = ShowcaseCompilation();
        var together = await DiagnosticsOf(compilation, ImmutableArray.Create<DiagnosticAnalyzer>(new WarningRulesAnalyzer()));
        var alone = new List<string>();
        foreach (var rule in WarningRulesAnalyzer.Rules)
        {
            alone.AddRange(await DiagnosticsOf(compilation, ImmutableArray.Create(rule)));
        }

        alone.Sort(StringComparer.Ordinal);
        Assert.True(together.Count >= 40, "the showcase should give the group plenty to report; it reported " + together.Count);
        Assert.Equal(alone, together);
    }

    [Fact]
    public async Task ARuleTurnedOffForTheCompilation_LeavesTheOthersReporting()
    {
        var compilation = ShowcaseCompilation();
        var options = compilation.Options.WithSpecificDiagnosticOptions(
            compilation.Options.SpecificDiagnosticOptions.SetItem(RuleIds.ForkFromManagedCode, ReportDiagnostic.Suppress));
        var group = new WarningRulesAnalyzer();
        var diagnostics = await DiagnosticsOf(compilation.WithOptions(options), ImmutableArray.Create<DiagnosticAnalyzer>(group));

        Assert.DoesNotContain(diagnostics, d => d.StartsWith(RuleIds.ForkFromManagedCode, StringComparison.Ordinal));
        Assert.Contains(diagnostics, d => d.StartsWith(RuleIds.ForkChildExit, StringComparison.Ordinal));
    }

    [Fact]
    public void ARuleTurnedOffForTheCompilation_IsNotStarted()
    {
        var compilation = ShowcaseCompilation();
        var off = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            compilation.Options.SpecificDiagnosticOptions.SetItem(RuleIds.ForkFromManagedCode, ReportDiagnostic.Suppress)));
        var group = new WarningRulesAnalyzer();
        var fork = WarningRulesAnalyzer.Rules.IndexOf(WarningRulesAnalyzer.Rules.Single(r => r is SafePosix.Analyzers.Rules.ForkFromManagedCodeAnalyzer));

        Assert.Contains(fork, group.RulesToStart(compilation, CancellationToken.None));
        Assert.DoesNotContain(fork, group.RulesToStart(off, CancellationToken.None));
        Assert.Equal(WarningRulesAnalyzer.Rules.Length - 1, group.RulesToStart(off, CancellationToken.None).Count());
    }

    [Fact]
    public void ARuleMadeAnErrorOnTheCommandLine_RunsEvenWhenEveryFileSetsItToNone()
        => Assert.False(Suppressed(OnByDefault, new TreeOptions { PerTree = { ["a.cs"] = ReportDiagnostic.Suppress, ["b.cs"] = ReportDiagnostic.Suppress } }, specific: ReportDiagnostic.Error));

    [Fact]
    public void ARuleThatThrows_LetsTheNextRuleRun_AndItsExceptionReachesTheDriverNamed()
    {
        var compilation = TestReferences.Compile("class C { void M() { M(); } }");
        var invocation = compilation.GetSemanticModel(compilation.SyntaxTrees[0]).GetOperation(
            compilation.SyntaxTrees[0].GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax>().Single())!;
#pragma warning disable CS0618 // obsolete for analyzers; the test builds the context the driver would hand over, to call RunAll alone
        var context = new OperationAnalysisContext(invocation, compilation.GetTypeByMetadataName("C")!, compilation,
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), _ => { }, _ => true, CancellationToken.None);
#pragma warning restore CS0618
        var ran = new List<string>();
        GroupedAction[] actions =
        {
            new("FirstAnalyzer", _ => { ran.Add("first"); throw new InvalidOperationException("rule bug"); }),
            new("SecondAnalyzer", _ => ran.Add("second")),
        };

        var thrown = Assert.Throws<RuleFailedException>(() => OperationActions.RunAll(new ActionsOfKind(actions), context));
        Assert.Equal("FirstAnalyzer threw InvalidOperationException: rule bug", thrown.Message);
        Assert.IsType<InvalidOperationException>(thrown.InnerException);
        Assert.Equal(new[] { "first", "second" }, ran);
    }

    [Fact]
    public void TwoRulesThatThrow_AreBothNamed_AndBothExceptionsReachTheDriver()
    {
        var (context, _) = InvocationContext("class C { void M() { M(); } }");
        var ran = new List<string>();
        GroupedAction[] actions =
        {
            new("FirstAnalyzer", _ => { ran.Add("first"); throw new InvalidOperationException("rule bug"); }),
            new("SecondAnalyzer", _ => ran.Add("second")),
            new("ThirdAnalyzer", _ => { ran.Add("third"); throw new ArgumentException("another bug"); }),
        };

        var thrown = Assert.Throws<RuleFailedException>(() => OperationActions.RunAll(new ActionsOfKind(actions), context));
        Assert.Equal("FirstAnalyzer threw InvalidOperationException: rule bug; ThirdAnalyzer threw ArgumentException: another bug", thrown.Message);
        var inner = Assert.IsType<AggregateException>(thrown.InnerException);
        Assert.Collection(inner.InnerExceptions, e => Assert.IsType<InvalidOperationException>(e), e => Assert.IsType<ArgumentException>(e));
        Assert.Equal(new[] { "first", "second", "third" }, ran);
    }

    [Fact]
    public void RulesThatOnlyWantLibcCalls_AreNotCalledForOtherCalls_TheOthersAre()
    {
        var ran = new List<string>();
        var (framework, _) = InvocationContext("class C { void M() { System.Console.WriteLine(); } }");
        OperationActions.RunAll(new ActionsOfKind(Actions(framework, ran)), framework);
        Assert.Equal(new[] { "every call" }, ran);
    }

    [Fact]
    public void RulesThatOnlyWantLibcCalls_AreCalledForAPInvoke_InTheirOrder()
    {
        var ran = new List<string>();
        var (pinvoke, _) = InvocationContext("""
            using System.Runtime.InteropServices;
            class C
            {
                [DllImport("libc")] static extern int fork();
                void M() { fork(); }
            }
            """);
        OperationActions.RunAll(new ActionsOfKind(Actions(pinvoke, ran)), pinvoke);
        Assert.Equal(new[] { "libc 1", "every call", "libc 2" }, ran);
    }

    [Fact]
    public void RulesSkippingGeneratedAccessors_AreNotCalledInOne_TheOthersAre()
    {
        var ran = new List<string>();
        var (getter, _) = InvocationContext("""
            class C
            {
                [System.CodeDom.Compiler.GeneratedCode("tool", "1")]
                int P => M();

                int M() => 0;
            }
            """, symbol: compilation => compilation.GetTypeByMetadataName("C")!.GetMembers("get_P").Single());
        OperationActions.RunAll(new ActionsOfKind(GeneratedAccessorActions(ran)), getter);
        Assert.Equal(new[] { "anywhere" }, ran);
    }

    [Fact]
    public void RulesSkippingGeneratedAccessors_AreCalledInAnOrdinaryMethod_InTheirOrder()
    {
        var ran = new List<string>();
        var (method, _) = InvocationContext("class C { void M() { M(); } }");
        OperationActions.RunAll(new ActionsOfKind(GeneratedAccessorActions(ran)), method);
        Assert.Equal(new[] { "outside generated 1", "anywhere", "outside generated 2" }, ran);
    }

    [Fact]
    public void FiltersOfTwoCompilations_EachTestTheCall()
    {
        // Fork() is a possible wrapper in its own compilation only: that compilation's filter wants the call, the
        // other's does not, so a filter shared across the two would run both rules or neither.
        var ran = new List<string>();
        var (wrapperCall, _) = InvocationContext("""
            using System.Runtime.InteropServices;
            class C
            {
                [DllImport("libc")] static extern int fork();
                static int Fork() => fork();
                void M() { Fork(); }
            }
            """);
        var (framework, _) = InvocationContext("class C { void M() { System.Console.WriteLine(); } }");
        var here = SafePosix.Analyzers.Surfaces.PosixSurfaces.Create(wrapperCall.Compilation);
        var other = SafePosix.Analyzers.Surfaces.PosixSurfaces.Create(framework.Compilation);
        var actions = new ActionsOfKind(new GroupedAction[]
        {
            new("OtherRule", LibcCallAction.Create(other, _ => ran.Add("other"))),
            new("HereRule", LibcCallAction.Create(here, _ => ran.Add("here"))),
        });

        OperationActions.RunAll(actions, wrapperCall);
        Assert.Equal(new[] { "here" }, ran);
    }

    [Fact]
    public void ASharedTestThatThrows_IsChargedToTheFirstFilteredRule_AndTheOthersRun()
    {
        var ran = new List<string>();
        var (method, compilation) = InvocationContext("class C { void M() { M(); } }");
        var surfaces = SafePosix.Analyzers.Surfaces.PosixSurfaces.Create(compilation);
        var actions = new ActionsOfKind(new GroupedAction[]
        {
            new("AnyCallRule", _ => ran.Add("every call")),
            new("LibcRule1", LibcCallAction.Create(surfaces, _ => ran.Add("libc 1"))),
            new("LibcRule2", LibcCallAction.Create(surfaces, _ => ran.Add("libc 2"))),
        });
#pragma warning disable CS0618 // obsolete for analyzers; the test builds the context the driver would hand over, to call RunAll alone
        var operation = DispatchProxy.Create<IInvocationOperation, BrokenOperation>();
        ((BrokenOperation)(object)operation).Syntax = method.Operation.Syntax;
        var broken = new OperationAnalysisContext(operation, method.ContainingSymbol,
            compilation, method.Options, _ => { }, _ => true, CancellationToken.None);
#pragma warning restore CS0618

        var thrown = Assert.Throws<RuleFailedException>(() => OperationActions.RunAll(actions, broken));
        Assert.Equal("LibcRule1 threw InvalidOperationException: broken operation", thrown.Message);
        Assert.Equal(new[] { "every call" }, ran);
    }

    /// <summary>An invocation that has a place in the code but throws on every other question (its target method first).</summary>
    public class BrokenOperation : DispatchProxy
    {
        public SyntaxNode? Syntax { get; set; }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
        {
            "get_Syntax" => Syntax,
            "get_Kind" => OperationKind.Invocation,
            _ => throw new InvalidOperationException("broken operation"),
        };
    }

    private static GroupedAction[] GeneratedAccessorActions(List<string> ran) => new GroupedAction[]
    {
        new("OutsideGenerated1", GeneratedCode.OutsideGeneratedMembers(_ => ran.Add("outside generated 1"))),
        new("AnywhereRule", _ => ran.Add("anywhere")),
        new("OutsideGenerated2", GeneratedCode.OutsideGeneratedMembers(_ => ran.Add("outside generated 2"))),
    };

    private static GroupedAction[] Actions(OperationAnalysisContext context, List<string> ran)
    {
        var surfaces = SafePosix.Analyzers.Surfaces.PosixSurfaces.Create(context.Compilation);
        return new GroupedAction[]
        {
            new("LibcRule1", LibcCallAction.Create(surfaces, _ => ran.Add("libc 1"))),
            new("AnyCallRule", _ => ran.Add("every call")),
            new("LibcRule2", LibcCallAction.Create(surfaces, _ => ran.Add("libc 2"))),
        };
    }

    private static (OperationAnalysisContext Context, Compilation Compilation) InvocationContext(string source, Func<Compilation, ISymbol>? symbol = null)
    {
        var compilation = TestReferences.Compile(source);
        var tree = compilation.SyntaxTrees[0];
        var invocation = compilation.GetSemanticModel(tree).GetOperation(
            tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax>().Last())!;
#pragma warning disable CS0618 // obsolete for analyzers; the test builds the context the driver would hand over, to call RunAll alone
        var context = new OperationAnalysisContext(invocation, symbol?.Invoke(compilation) ?? compilation.GetTypeByMetadataName("C")!, compilation,
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), _ => { }, _ => true, CancellationToken.None);
#pragma warning restore CS0618
        return (context, compilation);
    }

    [Fact]
    public void ARuleWithNoOptions_Runs()
        => Assert.False(Suppressed(OnByDefault, new TreeOptions()));

    [Fact]
    public void ARuleSetToNoneByNoWarn_IsSkipped()
        => Assert.True(Suppressed(OnByDefault, new TreeOptions(), specific: ReportDiagnostic.Suppress));

    [Fact]
    public void ARuleSetToNoneInTheGlobalConfig_IsSkipped()
        => Assert.True(Suppressed(OnByDefault, new TreeOptions { Global = ReportDiagnostic.Suppress }));

    [Fact]
    public void ARuleSetToNoneGlobally_ButOnInOneFile_Runs()
        => Assert.False(Suppressed(OnByDefault, new TreeOptions { Global = ReportDiagnostic.Suppress, PerTree = { ["b.cs"] = ReportDiagnostic.Warn } }));

    [Fact]
    public void ARuleSetToNoneInEveryFile_IsSkipped()
        => Assert.True(Suppressed(OnByDefault, new TreeOptions { PerTree = { ["a.cs"] = ReportDiagnostic.Suppress, ["b.cs"] = ReportDiagnostic.Suppress } }));

    [Fact]
    public void ARuleSetToNoneInOneFileOfTwo_Runs()
        => Assert.False(Suppressed(OnByDefault, new TreeOptions { PerTree = { ["a.cs"] = ReportDiagnostic.Suppress } }));

    [Fact]
    public void ARuleOffByDefault_WithNothingTurningItOn_IsSkipped()
        => Assert.True(Suppressed(OffByDefault, new TreeOptions()));

    [Fact]
    public void ARuleOffByDefault_TurnedOnInOneFile_Runs()
        => Assert.False(Suppressed(OffByDefault, new TreeOptions { PerTree = { ["a.cs"] = ReportDiagnostic.Warn } }));

    // Descriptors for the option checks only, never reported: release tracking has nothing to track.
#pragma warning disable RS2008
    private static readonly DiagnosticDescriptor OnByDefault = new("PSX9998", "t", "m", "c", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor OffByDefault = new("PSX9999", "t", "m", "c", DiagnosticSeverity.Warning, isEnabledByDefault: false);
#pragma warning restore RS2008

    private static bool Suppressed(DiagnosticDescriptor descriptor, TreeOptions treeOptions, ReportDiagnostic? specific = null)
    {
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary).WithSyntaxTreeOptionsProvider(treeOptions);
        if (specific is { } value)
        {
            options = options.WithSpecificDiagnosticOptions(ImmutableDictionary<string, ReportDiagnostic>.Empty.Add(descriptor.Id, value));
        }

        var compilation = CSharpCompilation.Create(
            "Options",
            new[] { CSharpSyntaxTree.ParseText("class A { }", path: "a.cs"), CSharpSyntaxTree.ParseText("class B { }", path: "b.cs") },
            TestReferences.Default,
            options);
        return RuleRegistrations.AllSuppressed(ImmutableArray.Create(descriptor), compilation, CancellationToken.None);
    }

    private static CSharpCompilation ShowcaseCompilation()
    {
        var folder = RuleCatalog.PathInRepository("samples", "Showcase");
        var trees = Directory.GetFiles(folder, "*.cs")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), TestReferences.ParseOptions, f));
        return CSharpCompilation.Create(
            "Showcase",
            trees,
            TestReferences.Default,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
    }

    /// <summary>ID, place and message of every diagnostic, sorted; AD0001 fails the test.</summary>
    private static async Task<List<string>> DiagnosticsOf(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: true, logAnalyzerExecutionTime: false);
        var diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics
            .Select(d => $"{d.Id} {d.Location.GetLineSpan()} {d.GetMessage()}")
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();
    }

    private sealed class TreeOptions : SyntaxTreeOptionsProvider
    {
        public ReportDiagnostic? Global { get; init; }

        public Dictionary<string, ReportDiagnostic> PerTree { get; } = new(StringComparer.Ordinal);

        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.NotGenerated;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
            => PerTree.TryGetValue(tree.FilePath, out severity);

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = Global ?? default;
            return Global is not null;
        }
    }
}
