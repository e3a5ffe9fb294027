using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace SafePosix.Bench.Analyzers;

/// <summary>
/// The floor of a flow-sensitive package: the floor analyzer's name test against every function a SafePosix rule
/// starts from (<see cref="CallSites"/>), the driver's control-flow graph of the body around each such call (built once
/// per body and shared, as every rule that reads a graph gets it), and one diagnostic per fork call. Generated code is
/// left out as SafePosix leaves it out (<c>ReportDiagnostics</c>), so neither variant pays Roslyn's per-file
/// generated-code scan ("floor + report fork" prices that). No analysis: what is left of a rule's cost above this is its
/// own work. The reporting variant reports at every such call instead: with the plain variant it prices one reported
/// diagnostic, the cost no rule can avoid for a finding it makes.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GraphFloorAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new(
        "BENCH0003",
        "Call that a rule starts from",
        "Call to '{0}'",
        "Bench",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    private static readonly HashSet<string> Names = new(
        CallSites.ByRule.Values.SelectMany(names => names).Select(name => name[(name.LastIndexOf('.') + 1)..]),
        StringComparer.Ordinal);

    private readonly bool _reportEveryCall;

    public GraphFloorAnalyzer()
        : this(reportEveryCall: false)
    {
    }

    public GraphFloorAnalyzer(bool reportEveryCall) => _reportEveryCall = reportEveryCall;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    /// <summary>Graphs asked for (the driver caches them per body, so a repeat is a lookup).</summary>
    public long GraphRequests { get; private set; }

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
    }

    private void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var name = invocation.TargetMethod.Name;
        if (!Names.Contains(name))
        {
            return;
        }

        try
        {
            _ = context.GetControlFlowGraph();
            GraphRequests++;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // No graph for this kind of body (attribute arguments, field initializers in some shapes).
        }

        if (_reportEveryCall || name == "fork")
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), name));
        }
    }
}
