using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Bench.Analyzers;

/// <summary>
/// The floor: the cheapest useful analyzer, one that registers an Invocation operation action and compares
/// <c>TargetMethod.Name</c> with a string. Every real rule pays at least this much.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FloorAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new(
        "BENCH0001",
        "Call to a method named fork",
        "Call to a method named '{0}'",
        "Bench",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    /// <summary>Invocation operations seen so far (the bench runs analysis on one thread: a plain increment is enough).</summary>
    public long Invocations { get; private set; }

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
    }

    private void AnalyzeInvocation(OperationAnalysisContext context)
    {
        Invocations++;
        var invocation = (IInvocationOperation)context.Operation;
        if (invocation.TargetMethod.Name == "fork")
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), invocation.TargetMethod.Name));
        }
    }
}
