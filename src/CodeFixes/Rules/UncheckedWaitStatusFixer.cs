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
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Rules;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX2003: guard the decoding with its check. Inserts, before the statement that decodes, a statement that throws
/// unless the child ended the way the decoder assumes: no value is made up for the other endings.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UncheckedWaitStatusFixer))]
[Shared]
public sealed class UncheckedWaitStatusFixer : CodeFixProvider
{
    public const string GuardKey = RuleIds.UncheckedWaitStatus + ".Guard";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.UncheckedWaitStatus);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(
        async (context, document, diagnostics) => await GuardAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false));

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Plan(root, diagnostic) is { } plan)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Throw unless " + plan.Describe + " before decoding",
                        cancellationToken => GuardAsync(context.Document, new[] { diagnostic }, cancellationToken),
                        GuardKey),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> GuardAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var guarded = new HashSet<(StatementSyntax, string)>();
        foreach (var diagnostic in diagnostics)
        {
            // One guard per statement and check, however many decodings it holds.
            if (Plan(editor.OriginalRoot, diagnostic) is { } plan && guarded.Add((plan.Statement, plan.Describe)))
            {
                editor.InsertBefore(plan.Statement, plan.Guard.WithAdditionalAnnotations(Formatter.Annotation));
            }
        }

        return editor.GetChangedDocument();
    }

    private sealed class GuardPlan
    {
        public GuardPlan(StatementSyntax statement, StatementSyntax guard, string describe)
        {
            Statement = statement;
            Guard = guard;
            Describe = describe;
        }

        public StatementSyntax Statement { get; }

        public StatementSyntax Guard { get; }

        public string Describe { get; }
    }

    private static GuardPlan? Plan(SyntaxNode root, Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(UncheckedWaitStatusAnalyzer.CheckProperty, out var check) || check is null
            || !diagnostic.Properties.TryGetValue(UncheckedWaitStatusAnalyzer.StatusProperty, out var status) || status is null
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax decoded
            || InnermostStatement(decoded) is not { } statement)
        {
            return null;
        }

        ExpressionSyntax failed;
        string describe;
        string what;
        if (check == UncheckedWaitStatusAnalyzer.HandCheck)
        {
            failed = ParseExpression($"({status} & 0x7f) != 0");
            describe = $"({status} & 0x7f) == 0";
            what = "did not exit normally";
        }
        else if (decoded is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access })
        {
            // Same receiver as the decoder: Syscall.WEXITSTATUS -> Syscall.WIFEXITED.
            var test = InvocationExpression(access.WithName(IdentifierName(check)), ArgumentList(SingletonSeparatedList(Argument(IdentifierName(status)))));
            failed = PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, test);
            describe = $"{check}({status})";
            what = check switch
            {
                "WIFEXITED" => "did not exit normally",
                "WIFSIGNALED" => "was not killed by a signal",
                _ => "is not stopped",
            };
        }
        else
        {
            return null;
        }

        var message = ParseExpression($"$\"The child {what} (wait status {{{status}}}).\"");
        var exception = ObjectCreationExpression(
            ParseTypeName("global::System.InvalidOperationException").WithAdditionalAnnotations(Simplifier.Annotation),
            ArgumentList(SingletonSeparatedList(Argument(message))),
            initializer: null);
        var guard = IfStatement(failed, Block(ThrowStatement(exception)));
        return new GuardPlan(statement, guard, describe);
    }

    /// <summary>
    /// The statement that runs the decoding, when a guard can go right before it without changing when it runs: the
    /// innermost statement, directly in a block, and the decoding not behind a condition or inside a lambda.
    /// </summary>
    private static StatementSyntax? InnermostStatement(ExpressionSyntax decoded)
    {
        for (SyntaxNode? current = decoded.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ConditionalExpressionSyntax conditional when !conditional.Condition.Span.Contains(decoded.Span):
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression or (int)SyntaxKind.LogicalOrExpression or (int)SyntaxKind.CoalesceExpression } binary
                    when binary.Right.Span.Contains(decoded.Span):
                case AnonymousFunctionExpressionSyntax:
                case SwitchExpressionArmSyntax:
                    return null;
                case StatementSyntax statement:
                    return statement.Parent is BlockSyntax && statement is not (WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or ForEachStatementSyntax or LocalFunctionStatementSyntax)
                        ? statement
                        : null;
            }
        }

        return null;
    }
}
