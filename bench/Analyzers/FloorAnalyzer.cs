using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Bench.Analyzers;

/// <summary>
/// The floor: the cheapest useful analyzer, one that registers an Invocation operation action and compares
/// <c>TargetMethod.Name</c> with a string. Every real rule pays at least this much. The bench runs it twice: with a
/// name no corpus calls (the per-invocation cost alone) and with <c>fork</c>, which the POSIX-dense corpus calls a few
/// hundred times (that cost plus reporting a diagnostic per call).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FloorAnalyzer : DiagnosticAnalyzer
{
    private readonly string _name;
    private readonly DiagnosticDescriptor _rule;

    public FloorAnalyzer()
        : this("BENCH0001", "__no_such_method__")
    {
    }

    public FloorAnalyzer(string id, string name)
    {
        _name = name;
        _rule = new DiagnosticDescriptor(
            id,
            "Call to a method with a given name",
            "Call to a method named '{0}'",
            "Bench",
            DiagnosticSeverity.Warning,
            isEnabledByDefault: true);
        SupportedDiagnostics = ImmutableArray.Create(_rule);
    }

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; }

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
        if (invocation.TargetMethod.Name == _name)
        {
            context.ReportDiagnostic(Diagnostic.Create(_rule, invocation.Syntax.GetLocation(), invocation.TargetMethod.Name));
        }
    }
}
