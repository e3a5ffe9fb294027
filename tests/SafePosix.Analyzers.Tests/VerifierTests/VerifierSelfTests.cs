using System;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;

namespace SafePosix.Analyzers.Tests.VerifierTests;

/// <summary>The verifier must fail when it should: a verifier that always passes proves nothing.</summary>
public sealed class VerifierSelfTests
{
    private const string Source = """
        class C
        {
            void Flag() { }
            void Other() { }
            void M()
            {
                [|Flag()|];
                Other();
            }
        }
        """;

    private const string Fixed = """
        class C
        {
            void Flag() { }
            void Other() { }
            void M()
            {
                Other();
                Other();
            }
        }
        """;

    [Fact]
    public Task CorrectExpectation_Passes() => Run(Source);

    [Fact]
    public Task WrongSpan_Fails() => AssertFails(Run(Source.Replace("[|Flag()|]", "[|Flag|]()", StringComparison.Ordinal)), "missing");

    [Fact]
    public Task MissingDiagnostic_Fails() => AssertFails(Run(Source.Replace("Other();\n    }", "[|Other()|];\n    }", StringComparison.Ordinal)), "missing");

    [Fact]
    public Task UnexpectedDiagnostic_Fails() => AssertFails(Run(Source.Replace("[|Flag()|]", "Flag()", StringComparison.Ordinal)), "unexpected");

    [Fact]
    public Task WrongId_Fails() => AssertFails(Run(Source.Replace("[|Flag()|]", "{|TEST002:Flag()|}", StringComparison.Ordinal)), "missing");

    [Fact]
    public Task WrongMessage_Fails()
    {
        var test = new AnalyzerTest(new FlagAnalyzer()) { Source = Source.Replace("[|Flag()|]", "{|#0:Flag()|}", StringComparison.Ordinal) };
        test.ExpectedDiagnostics.Add(new DiagnosticResult("TEST001").WithLocation(0).WithMessage("Something else"));
        return AssertFails(test.RunAsync(), "wrong message");
    }

    [Fact]
    public Task MessageArguments_AreChecked()
    {
        var test = new AnalyzerTest(new FlagAnalyzer()) { Source = Source.Replace("[|Flag()|]", "{|#0:Flag()|}", StringComparison.Ordinal) };
        test.ExpectedDiagnostics.Add(new DiagnosticResult("TEST001").WithLocation(0).WithArguments("Other"));
        return AssertFails(test.RunAsync(), "wrong message");
    }

    [Fact]
    public Task FailureShowsTheSourceWithActualDiagnostics()
        => AssertFails(Run(Source.Replace("[|Flag()|]", "Flag()", StringComparison.Ordinal)), "{|TEST001:Flag()|}");

    [Fact]
    public Task SourceThatDoesNotCompile_Fails() => AssertFails(Run(Source.Replace("Other();", "Missing();", StringComparison.Ordinal)), "does not compile");

    [Fact]
    public Task UnbalancedMarker_Fails() => AssertFails(Run(Source.Replace("|]", string.Empty, StringComparison.Ordinal)), "Unclosed");

    [Fact]
    public Task StrayClosingMarker_Fails() => AssertFails(Run(Source.Replace("[|", string.Empty, StringComparison.Ordinal)), "Unbalanced");

    [Fact]
    public Task UnknownMarker_Fails() => AssertFails(Run(Source.Replace("[|Flag()|]", "{|bogus marker:Flag()|}", StringComparison.Ordinal)), "Unknown marker");

    [Fact]
    public Task DisabledByDefaultRule_IsForcedOn()
        => new AnalyzerTest(new FlagAnalyzer(enabledByDefault: false)) { Source = Source }.RunAsync();

    [Fact]
    public Task AnalyzerThatThrows_Fails()
        => AssertFails(new AnalyzerTest(new FlagAnalyzer(throws: true)) { Source = Source }.RunAsync(), "analyzer threw");

    [Fact]
    public Task AnalyzerReportingInGeneratedCode_Fails()
        => AssertFails(new AnalyzerTest(new FlagAnalyzer(skipGeneratedCode: false)) { Source = Source }.RunAsync(), "auto-generated");

    [Fact]
    public Task GoodFix_Passes() => RunFix(new ReplaceWithOtherFix(), Source, Fixed);

    [Fact]
    public Task FixWithWrongResult_Fails()
        => AssertFails(RunFix(new ReplaceWithOtherFix(), Source, Fixed.Replace("Other();\n        Other();", "Other();", StringComparison.Ordinal)), "differs");

    [Fact]
    public Task FixThatBreaksCompilation_Fails()
        => AssertFails(RunFix(new ReplaceWithFix("Undefined"), Source, Fixed), "new compiler errors");

    [Fact]
    public Task FixThatChangesNothing_Fails()
        => AssertFails(RunFix(new ReplaceWithFix("Flag"), Source, Fixed), "made no change");

    [Fact]
    public Task FixWithoutFixAll_Fails()
        => AssertFails(RunFix(new ReplaceWithOtherFix(fixAll: false), Source, Fixed), "no Fix All");

    private static Task Run(string source) => new AnalyzerTest(new FlagAnalyzer()) { Source = source }.RunAsync();

    private static Task RunFix(CodeFixProvider fix, string source, string fixedSource)
        => new AnalyzerTest(new FlagAnalyzer()) { Source = source, FixedSource = fixedSource, CodeFix = fix }.RunAsync();

    private static async Task AssertFails(Task verification, string expectedInMessage)
    {
        var exception = await Record.ExceptionAsync(() => verification);
        Assert.NotNull(exception);
        Assert.True(exception is VerificationException or MarkupException, "Unexpected exception type: " + exception);
        Assert.Contains(expectedInMessage, exception.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reports TEST001 on every call to a method named Flag.</summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class FlagAnalyzer : DiagnosticAnalyzer
    {
        private readonly bool _throws;
        private readonly bool _skipGeneratedCode;
        private readonly DiagnosticDescriptor _rule;

        public FlagAnalyzer(bool enabledByDefault = true, bool throws = false, bool skipGeneratedCode = true)
        {
            _throws = throws;
            _skipGeneratedCode = skipGeneratedCode;
            _rule = new DiagnosticDescriptor("TEST001", "Flag", "Call to {0}", "Test", DiagnosticSeverity.Warning, enabledByDefault);
        }

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(_rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(_skipGeneratedCode ? GeneratedCodeAnalysisFlags.None : GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.RegisterOperationAction(
                c =>
                {
                    var invocation = (IInvocationOperation)c.Operation;
                    if (invocation.TargetMethod.Name != "Flag")
                    {
                        return;
                    }

                    if (_throws)
                    {
                        throw new InvalidOperationException("boom");
                    }

                    c.ReportDiagnostic(Diagnostic.Create(_rule, invocation.Syntax.GetLocation(), invocation.TargetMethod.Name));
                },
                OperationKind.Invocation);
        }
    }

    /// <summary>Replaces a flagged call's method name with a given name.</summary>
    private class ReplaceWithFix : CodeFixProvider
    {
        private readonly string _name;
        private readonly bool _fixAll;

        public ReplaceWithFix(string name, bool fixAll = true)
        {
            _name = name;
            _fixAll = fixAll;
        }

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create("TEST001");

        public override FixAllProvider? GetFixAllProvider() => _fixAll ? WellKnownFixAllProviders.BatchFixer : null;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = (await context.Document.GetSyntaxRootAsync(context.CancellationToken))!;
            var invocation = root.FindNode(context.Span).FirstAncestorOrSelf<InvocationExpressionSyntax>()!;
            context.RegisterCodeFix(
                CodeAction.Create("Replace", _ => Task.FromResult(context.Document.WithSyntaxRoot(
                    root.ReplaceNode(invocation.Expression, SyntaxFactory.IdentifierName(_name).WithTriviaFrom(invocation.Expression)))), "Replace"),
                context.Diagnostics.First());
        }
    }

    private sealed class ReplaceWithOtherFix : ReplaceWithFix
    {
        public ReplaceWithOtherFix(bool fixAll = true)
            : base("Other", fixAll)
        {
        }
    }
}
