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
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX2001: wrap the single wait in a loop that repeats while it returns a pid, stops on 0 or -1 and retries EINTR.
/// A result kept in a local keeps its name, and the statements after it in the block (what the code did with the
/// one child) become the loop's per-child body.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SingleReapFixer))]
[Shared]
public sealed class SingleReapFixer : CodeFixProvider
{
    public const string ReapInLoopKey = RuleIds.SingleReap + ".ReapInLoop";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.SingleReap);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Plan(root, model, diagnostic, context.CancellationToken) is not { } plan)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Reap in a loop until " + plan.Function + " returns 0 or -1, retrying EINTR",
                    cancellationToken => ApplyAsync(context.Document, new[] { diagnostic }, cancellationToken),
                    ReapInLoopKey),
                diagnostic);
        }
    }

    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
        => await ApplyAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false);

    private static async Task<Document> ApplyAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var root = editor.OriginalRoot;
        var plans = new List<FixPlan>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (Plan(root, editor.SemanticModel, diagnostic, cancellationToken) is { } plan
                && !plans.Any(other => other.Covers(plan)))
            {
                plans.Add(plan);
            }
        }

        foreach (var plan in plans)
        {
            plan.Apply(editor);
        }

        return editor.GetChangedDocument();
    }

    /// <summary>Everything the fix needs, worked out and validated before anything is offered.</summary>
    private static FixPlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(SingleReapAnalyzer.SurfaceProperty, out var surfaceName)
            || !Enum.TryParse<PosixSurface>(surfaceName, out var surface)
            || ErrnoIsEintr(surface) is not { } eintrCheck
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax wait
            || model.GetSymbolInfo(wait, cancellationToken).Symbol is not IMethodSymbol method)
        {
            return null;
        }

        var function = method.Name;
        ExpressionSyntax value = wait;
        while (value.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            value = parenthesized;
        }

        // `waitpid(-1, out _, WNOHANG);` or `_ = waitpid(...);`
        var statement = value.Parent switch
        {
            ExpressionStatementSyntax expressionStatement => expressionStatement,
            AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Parent: ExpressionStatementSyntax discarded } => discarded,
            _ => null,
        };
        if (statement is not null)
        {
            if (DeclaresVariables(wait) || !CanHoldStatements(statement.Parent))
            {
                return null;
            }

            return new FixPlan(function, statement, wait, UniqueName(model, statement.SpanStart, "reaped"), eintrCheck, rest: ImmutableArray<StatementSyntax>.Empty, declaration: null);
        }

        // `_ => waitpid(-1, out _, WNOHANG)` as a handler that returns nothing.
        if (value.Parent is LambdaExpressionSyntax lambda && lambda.ExpressionBody == value
            && model.GetSymbolInfo(lambda, cancellationToken).Symbol is IMethodSymbol { ReturnsVoid: true })
        {
            return DeclaresVariables(wait)
                ? null
                : new FixPlan(function, lambda, wait, UniqueName(model, lambda.SpanStart, "reaped"), eintrCheck, ImmutableArray<StatementSyntax>.Empty, declaration: null);
        }

        // `var pid = waitpid(...);` followed by what the code does with that one child.
        if (value.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
            && declarator.Parent is VariableDeclarationSyntax { Variables.Count: 1 } declaration
            && declaration.Parent is LocalDeclarationStatementSyntax { Parent: BlockSyntax block } local
            && !local.UsingKeyword.IsKind(SyntaxKind.UsingKeyword)
            && !local.IsConst)
        {
            var index = block.Statements.IndexOf(local);
            var rest = block.Statements.Skip(index + 1).ToImmutableArray();
            if (rest.Any(LeavesOrJumps))
            {
                return null;
            }

            return new FixPlan(function, local, wait, declarator.Identifier.ValueText, eintrCheck, rest, declaration);
        }

        return null;
    }

    private sealed class FixPlan
    {
        private readonly SyntaxNode _target;
        private readonly InvocationExpressionSyntax _wait;
        private readonly string _name;
        private readonly ExpressionSyntax _eintrCheck;
        private readonly ImmutableArray<StatementSyntax> _rest;
        private readonly VariableDeclarationSyntax? _declaration;

        public FixPlan(string function, SyntaxNode target, InvocationExpressionSyntax wait, string name, ExpressionSyntax eintrCheck, ImmutableArray<StatementSyntax> rest, VariableDeclarationSyntax? declaration)
        {
            Function = function;
            _target = target;
            _wait = wait;
            _name = name;
            _eintrCheck = eintrCheck;
            _rest = rest;
            _declaration = declaration;
        }

        public string Function { get; }

        /// <summary>Another plan already moves this one's wait into its loop body: applying both would conflict.</summary>
        public bool Covers(FixPlan other) => other != this
            && (_target.Span.Contains(other._wait.Span) || _rest.Any(statement => statement.Span.Contains(other._wait.Span)));

        public void Apply(DocumentEditor editor)
        {
            var holder = Identifier(_name);
            LocalDeclarationStatementSyntax first = _declaration is not null
                ? LocalDeclarationStatement(_declaration.WithoutTrivia())
                : LocalDeclarationStatement(VariableDeclaration(IdentifierName("var"))
                    .AddVariables(VariableDeclarator(holder).WithInitializer(EqualsValueClause(_wait.WithoutTrivia()))));
            var reaped = IdentifierName(holder);
            var minusOne = PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(1)));
            var retry = IfStatement(
                BinaryExpression(SyntaxKind.LogicalAndExpression,
                    BinaryExpression(SyntaxKind.EqualsExpression, reaped, minusOne),
                    _eintrCheck),
                Block(ContinueStatement()));
            var stop = IfStatement(
                BinaryExpression(SyntaxKind.LessThanOrEqualExpression, reaped, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(0))),
                Block(BreakStatement()));
            var body = new List<StatementSyntax> { first, retry, stop };
            body.AddRange(_rest);
            var loop = WhileStatement(LiteralExpression(SyntaxKind.TrueLiteralExpression), Block(body))
                .WithAdditionalAnnotations(Formatter.Annotation);

            switch (_target)
            {
                case LambdaExpressionSyntax lambda:
                    // A one-line lambda stays on one line under the formatter: lay the new block out first.
                    var endOfLine = EndOfLineOf(lambda);
                    var indentation = IndentationOf(lambda);
                    var lines = Block(loop).NormalizeWhitespace("    ", endOfLine).ToFullString().Split(new[] { endOfLine }, StringSplitOptions.None);
                    var text = string.Join(endOfLine, lines.Select(line => line.Length == 0 ? line : indentation + line));
                    var block = ((BlockSyntax)ParseStatement(text)).WithLeadingTrivia(EndOfLine(endOfLine), Whitespace(indentation));
                    block = block.ReplaceNodes(
                        block.DescendantNodes().OfType<MemberAccessExpressionSyntax>().Where(access => access.Parent is not MemberAccessExpressionSyntax && access.ToString().StartsWith("global::", StringComparison.Ordinal)),
                        (_, access) => access.WithAdditionalAnnotations(Simplifier.Annotation));
                    editor.ReplaceNode(lambda, lambda.WithExpressionBody(null).WithArrowToken(lambda.ArrowToken.WithoutTrivia())
                        .WithBlock(block));
                    break;
                default:
                    editor.ReplaceNode(_target, loop.WithTriviaFrom(_target));
                    foreach (var statement in _rest)
                    {
                        editor.RemoveNode(statement);
                    }

                    break;
            }
        }
    }

    /// <summary>The indentation of the line the node starts on.</summary>
    private static string IndentationOf(SyntaxNode node)
    {
        var text = node.SyntaxTree.GetText();
        var line = text.Lines.GetLineFromPosition(node.SpanStart).ToString();
        return line.Substring(0, line.Length - line.TrimStart().Length);
    }

    private static string EndOfLineOf(SyntaxNode node)
    {
        foreach (var trivia in node.SyntaxTree.GetRoot().DescendantTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return trivia.ToString();
            }
        }

        return "\n";
    }

    /// <summary>`errno == EINTR` in the surface's vocabulary; null where the fix would not know how to read errno.</summary>
    private static ExpressionSyntax? ErrnoIsEintr(PosixSurface surface)
    {
        switch (surface)
        {
            case PosixSurface.OwnInterop:
                return BinaryExpression(SyntaxKind.EqualsExpression,
                    InvocationExpression(ParseExpression("global::System.Runtime.InteropServices.Marshal.GetLastPInvokeError").WithAdditionalAnnotations(Simplifier.Annotation)),
                    LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(4))
                        .WithTrailingTrivia(Space, Comment("/* EINTR */")));
            case PosixSurface.MonoNative:
                return BinaryExpression(SyntaxKind.EqualsExpression,
                    InvocationExpression(ParseExpression("global::Mono.Unix.Native.Stdlib.GetLastError").WithAdditionalAnnotations(Simplifier.Annotation)),
                    ParseExpression("global::Mono.Unix.Native.Errno.EINTR").WithAdditionalAnnotations(Simplifier.Annotation));
            default:
                return null;
        }
    }

    private static bool DeclaresVariables(InvocationExpressionSyntax wait)
        => wait.ArgumentList.Arguments.Any(argument => argument.Expression is DeclarationExpressionSyntax { Designation: not DiscardDesignationSyntax });

    private static bool CanHoldStatements(SyntaxNode? parent) => parent is BlockSyntax or IfStatementSyntax or ElseClauseSyntax or SwitchSectionSyntax
        or WhileStatementSyntax or ForStatementSyntax or ForEachStatementSyntax or DoStatementSyntax or UsingStatementSyntax or LockStatementSyntax or GlobalStatementSyntax;

    /// <summary>A statement whose meaning changes inside a loop: break/continue that would bind to it, return, goto, yield, or a local function that code before the wait may call.</summary>
    private static bool LeavesOrJumps(StatementSyntax statement)
    {
        foreach (var node in statement.DescendantNodesAndSelf(descendIntoChildren: node => node is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax) || node == statement))
        {
            switch (node)
            {
                case ReturnStatementSyntax or GotoStatementSyntax or YieldStatementSyntax or LocalFunctionStatementSyntax or LabeledStatementSyntax:
                    return true;
                case BreakStatementSyntax or ContinueStatementSyntax when !IsInsideInnerLoop(node, statement):
                    return true;
            }
        }

        return false;
    }

    private static bool IsInsideInnerLoop(SyntaxNode jump, StatementSyntax outermost)
    {
        for (var current = jump.Parent; current is not null && current != outermost.Parent; current = current.Parent)
        {
            if (current is WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or ForEachStatementSyntax
                || (current is SwitchStatementSyntax && jump is BreakStatementSyntax))
            {
                return true;
            }
        }

        return false;
    }

    private static string UniqueName(SemanticModel model, int position, string name)
    {
        var candidate = name;
        for (var suffix = 2; !model.LookupSymbols(position, name: candidate).IsEmpty; suffix++)
        {
            candidate = name + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
