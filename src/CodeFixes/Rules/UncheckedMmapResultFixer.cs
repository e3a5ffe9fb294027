using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>PSX3001: compare with the surface's MAP_FAILED, or insert a check that throws with errno.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UncheckedMmapResultFixer))]
[Shared]
public sealed class UncheckedMmapResultFixer : CodeFixProvider
{
    /// <summary>
    /// One key for both shapes (compare with MAP_FAILED; throw when the result is MAP_FAILED): each diagnostic gets the
    /// one action its shape calls for, so one Fix All (and one <c>dotnet format analyzers</c> pass) fixes every PSX3001.
    /// </summary>
    public const string FixKey = RuleIds.UncheckedMmapResult + ".CheckMapFailed";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.UncheckedMmapResult);

    // One pass per document: every edit lands, and the usings the throw needs are added once. (One editor replaying
    // a thousand edits took 19 CPU seconds.)
    public override FixAllProvider GetFixAllProvider()
        => FixAllProvider.Create(async (context, document, diagnostics) => await FixAllAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false));

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        var generator = SyntaxGenerator.GetGenerator(context.Document);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(UncheckedMmapResultAnalyzer.SurfaceProperty, out var surfaceName)
                || !Enum.TryParse<PosixSurface>(surfaceName, out var surface)
                || !diagnostic.Properties.TryGetValue(UncheckedMmapResultAnalyzer.ShapeProperty, out var shape))
            {
                continue;
            }

            if (PlanFor(root, model, generator, diagnostic) is not { } plan)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    plan.Title,
                    async cancellationToken =>
                    {
                        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
                        plan.Edit(editor);
                        return await FinishAsync(editor.GetChangedDocument(), plan.NeedsUsings, cancellationToken).ConfigureAwait(false);
                    },
                    FixKey),
                diagnostic);
        }
    }

    private static async Task<Document?> FixAllAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var generator = SyntaxGenerator.GetGenerator(document);
        var needsUsings = false;
        var comparisons = new Dictionary<SyntaxNode, SyntaxNode>();
        var statements = new Dictionary<StatementSyntax, FixPlan>();
        foreach (var diagnostic in diagnostics)
        {
            if (PlanFor(root, model, generator, diagnostic) is not { } plan || comparisons.ContainsKey(plan.Target))
            {
                continue;
            }

            if (plan.Target is StatementSyntax statement)
            {
                if (!statements.ContainsKey(statement))
                {
                    statements[statement] = plan;
                    needsUsings |= plan.NeedsUsings;
                }
            }
            else if (plan.Replacement is { } replacement)
            {
                comparisons[plan.Target] = replacement;
            }
        }

        // The comparisons sit inside statements, never around one that gets a check.
        var fixedRoot = StatementLists.Rewrite(root, comparisons, statements.ToDictionary(
            p => p.Key,
            p => (Func<StatementSyntax, IEnumerable<StatementSyntax>>)(visited => p.Value.Guard is { } guard
                ? new[] { visited, guard }
                : new[] { (StatementSyntax)p.Value.Replacement! })));
        return await FinishAsync(document.WithSyntaxRoot(fixedRoot), needsUsings, cancellationToken).ConfigureAwait(false);
    }

    private static Task<Document> FinishAsync(Document document, bool needsUsings, CancellationToken cancellationToken)
        => needsUsings
            ? PosixSyntax.AddUsingsAsync(document, cancellationToken, "System.ComponentModel", "System.Runtime.InteropServices")
            : Task.FromResult(document);

    /// <summary>The one edit a diagnostic's shape calls for, or null when a precondition fails.</summary>
    private static FixPlan? PlanFor(SyntaxNode root, SemanticModel model, SyntaxGenerator generator, Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(UncheckedMmapResultAnalyzer.SurfaceProperty, out var surfaceName)
            || !Enum.TryParse<PosixSurface>(surfaceName, out var surface)
            || !diagnostic.Properties.TryGetValue(UncheckedMmapResultAnalyzer.ShapeProperty, out var shape))
        {
            return null;
        }

        return shape == UncheckedMmapResultAnalyzer.WrongSentinelShape
            ? WrongSentinelPlan(root, model, generator, diagnostic, surface)
            : ThrowPlan(root, model, generator, diagnostic, surface);
    }

    /// <summary>
    /// One fix: <see cref="Replacement"/> replaces <see cref="Target"/> (a wrong sentinel, or a discarded call that
    /// becomes its own check), or <see cref="Guard"/> goes after the statement <see cref="Target"/>.
    /// </summary>
    private sealed class FixPlan
    {
        public FixPlan(string title, SyntaxNode target, SyntaxNode? replacement, StatementSyntax? guard, bool needsUsings)
        {
            Title = title;
            Target = target;
            Replacement = replacement;
            Guard = guard;
            NeedsUsings = needsUsings;
        }

        public string Title { get; }

        /// <summary>The node the edit changes; a second diagnostic on the same node is left to the next pass.</summary>
        public SyntaxNode Target { get; }

        public SyntaxNode? Replacement { get; }

        public StatementSyntax? Guard { get; }

        public bool NeedsUsings { get; }

        public void Edit(DocumentEditor editor)
        {
            if (Guard is not null)
            {
                editor.InsertAfter(Target, Guard);
            }
            else
            {
                editor.ReplaceNode(Target, Replacement!);
            }
        }
    }

    private static FixPlan? WrongSentinelPlan(SyntaxNode root, SemanticModel model, SyntaxGenerator generator, Diagnostic diagnostic, PosixSurface surface)
    {
        if (diagnostic.AdditionalLocations.Count == 0
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not { } wrong)
        {
            return null;
        }

        SyntaxNode replacement;
        if (wrong is ConstantPatternSyntax pattern)
        {
            // `p is 0` / `p is null`: only integer-typed values have a -1 constant pattern.
            if (model.GetTypeInfo(pattern.Expression).ConvertedType is not { } patternType || patternType is IPointerTypeSymbol)
            {
                return null;
            }

            replacement = pattern.WithExpression(PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(1))));
        }
        else if (wrong is ExpressionSyntax expression && model.GetTypeInfo(expression).ConvertedType is { } comparedType)
        {
            replacement = PosixSyntax.MapFailed(surface, model.GetTypeInfo(expression).Type, comparedType, model.Compilation, generator).WithTriviaFrom(expression);
        }
        else
        {
            return null;
        }

        return new FixPlan("Compare with MAP_FAILED", wrong, replacement, guard: null, needsUsings: false);
    }

    private static FixPlan? ThrowPlan(SyntaxNode root, SemanticModel model, SyntaxGenerator generator, Diagnostic diagnostic, PosixSurface surface)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax invocation
            || invocation.FirstAncestorOrSelf<StatementSyntax>() is not { } statement
            || statement.Parent is not (BlockSyntax or SwitchSectionSyntax))
        {
            return null;
        }

        // The discarded form keeps discarding the result, now checked: `if (mmap(...) == MAP_FAILED) throw ...;`.
        if (statement is ExpressionStatementSyntax { Expression: var discarded } && IsResultItself(discarded, invocation)
            && model.GetTypeInfo(invocation).Type is { } resultType)
        {
            var check = PosixSyntax.ThrowIfEqual(invocation.WithoutTrivia(), PosixSyntax.MapFailed(surface, null, resultType, model.Compilation, generator), model.Compilation, generator)
                .WithTriviaFrom(statement);
            return Throw(statement, check, guard: null);
        }

        if (HolderOf(statement, invocation, model, diagnostic) is not ({ } holder, { } holderType))
        {
            return null;
        }

        var guard = PosixSyntax.ThrowIfEqual(holder.WithoutTrivia(), PosixSyntax.MapFailed(surface, null, holderType, model.Compilation, generator), model.Compilation, generator);
        return Throw(statement, replacement: null, guard);
    }

    private static FixPlan Throw(StatementSyntax statement, StatementSyntax? replacement, StatementSyntax? guard)
        => new("Throw with errno when the result is MAP_FAILED", statement, replacement, guard, needsUsings: true);

    /// <summary>
    /// The variable the analyzer found holding the result (its second additional location), when the statement that
    /// stores it is one the check can follow: <c>var p = mmap(...)</c> or <c>p = (byte*)mmap(...)</c>.
    /// </summary>
    private static (ExpressionSyntax? Holder, ITypeSymbol? Type) HolderOf(StatementSyntax statement, InvocationExpressionSyntax invocation, SemanticModel model, Diagnostic diagnostic)
    {
        if (diagnostic.AdditionalLocations.Count < 2
            || statement.SyntaxTree.GetRoot().FindNode(diagnostic.AdditionalLocations[1].SourceSpan, getInnermostNodeForTie: true) is not { } held)
        {
            return (null, null);
        }

        switch (statement)
        {
            case LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } variables }
                when variables[0] == held && variables[0].Initializer is { Value: var value } && IsResultItself(value, invocation):
                return (IdentifierName(variables[0].Identifier.WithoutTrivia()), (model.GetDeclaredSymbol(variables[0]) as ILocalSymbol)?.Type);
            case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment }
                when assignment.Left == held && IsResultItself(assignment.Right, invocation):
                return (assignment.Left, model.GetTypeInfo(assignment.Left).Type);
            default:
                return (null, null);
        }
    }

    /// <summary>True when the expression is the call's result, perhaps cast or wrapped in <c>new IntPtr(...)</c>.</summary>
    private static bool IsResultItself(ExpressionSyntax expression, InvocationExpressionSyntax invocation)
    {
        while (true)
        {
            switch (expression)
            {
                case var same when same == invocation:
                    return true;
                case ParenthesizedExpressionSyntax parenthesized:
                    expression = parenthesized.Expression;
                    continue;
                case CastExpressionSyntax cast:
                    expression = cast.Expression;
                    continue;
                case ObjectCreationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments }:
                    expression = arguments[0].Expression;
                    continue;
                case AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" } } discard:
                    expression = discard.Right;
                    continue;
                default:
                    return false;
            }
        }
    }

}
