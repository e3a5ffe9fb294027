using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SafePosix.Analyzers;

internal static class GeneratedCode
{
    /// <summary>
    /// What every analyzer passes to <c>ConfigureGeneratedCodeAnalysis</c>: generated code is never analyzed, so no
    /// diagnostic comes from it. Without <c>Analyze</c> the driver skips every callback in a generated file (by name,
    /// <c>&lt;auto-generated&gt;</c> header or <c>generated_code</c> option) and in every member of a
    /// <c>[GeneratedCode]</c> type or with the attribute itself. <c>ReportDiagnostics</c> is set because each rule
    /// reports inside the code it was called back for; with <c>None</c> Roslyn would look every reported location up
    /// again, and the first report in a file makes it walk that whole file for <c>[GeneratedCode]</c> declarations
    /// (on POSIX-dense code more than any single rule costs, see docs/performance.md). The driver's own skip misses
    /// one place that lookup covered: the accessors of a <c>[GeneratedCode]</c> property, indexer or event, whose
    /// callbacks name the accessor, not the member that carries the attribute. <see cref="OutsideGeneratedMembers"/>
    /// covers them. Lines after a <c>#line hidden</c> inside a visible member get no report either: the driver drops
    /// it (GeneratedCodeTests).
    /// </summary>
    public const GeneratedCodeAnalysisFlags NotAnalyzed = GeneratedCodeAnalysisFlags.ReportDiagnostics;

    /// <summary>The action, except in an accessor of a property, indexer or event marked <c>[GeneratedCode]</c>.</summary>
    public static Action<OperationAnalysisContext> OutsideGeneratedMembers(Action<OperationAnalysisContext> action)
        => new OutsideGenerated(action).Run;

    /// <summary>
    /// The action inside an <see cref="OutsideGeneratedMembers"/> wrapper, or null for any other action: a group of rules
    /// makes the test once per operation for all of them (the rules are called back for the same operation in turn).
    /// </summary>
    public static Action<OperationAnalysisContext>? Behind(Action<OperationAnalysisContext> action) => (action.Target as OutsideGenerated)?.Action;

    internal static bool IsGeneratedAccessor(ISymbol? symbol)
    {
        if (symbol is not IMethodSymbol { AssociatedSymbol: { } member })
        {
            return false;
        }

        foreach (var attribute in member.GetAttributes())
        {
            if (attribute.AttributeClass is
                {
                    Name: "GeneratedCodeAttribute",
                    ContainingNamespace:
                    {
                        Name: "Compiler",
                        ContainingNamespace: { Name: "CodeDom", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } },
                    },
                })
            {
                return true;
            }
        }

        return false;
    }

    private sealed class OutsideGenerated
    {
        public OutsideGenerated(Action<OperationAnalysisContext> action) => Action = action;

        public Action<OperationAnalysisContext> Action { get; }

        public void Run(OperationAnalysisContext context)
        {
            if (!IsGeneratedAccessor(context.ContainingSymbol))
            {
                Action(context);
            }
        }
    }
}
