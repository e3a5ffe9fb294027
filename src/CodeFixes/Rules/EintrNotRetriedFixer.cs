using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX4004: wrap the call in the standard retry loop. <c>int rc = poll(...);</c> becomes
/// <c>int rc; do { rc = poll(...); } while (rc == -1 &amp;&amp; Marshal.GetLastPInvokeError() == EINTR);</c> (Mono:
/// <c>while (UnixMarshal.ShouldRetrySyscall(rc))</c>). Only for a result stored in a local by its own statement.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(EintrNotRetriedFixer))]
[Shared]
public sealed class EintrNotRetriedFixer : CodeFixProvider
{
    public const string RetryOnEintrKey = RuleIds.EintrNotRetried + ".RetryOnEintr";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.EintrNotRetried);

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
            if (Plan(diagnostic, root, model, context.CancellationToken) is not ({ } statement, { } statements, var surface))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Retry the call while it fails with EINTR",
                    async cancellationToken =>
                    {
                        var editor = await DocumentEditor.CreateAsync(context.Document, cancellationToken).ConfigureAwait(false);
                        editor.InsertBefore(statement, statements);
                        editor.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia);
                        var document = editor.GetChangedDocument();
                        return surface == PosixSurface.MonoNative
                            ? await PosixSyntax.AddUsingsAsync(document, cancellationToken, "Mono.Unix").ConfigureAwait(false)
                            : await PosixSyntax.AddUsingsAsync(document, cancellationToken, "System.Runtime.InteropServices").ConfigureAwait(false);
                    },
                    RetryOnEintrKey),
                diagnostic);
        }
    }

    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var changes = new Dictionary<StatementSyntax, Func<StatementSyntax, IEnumerable<StatementSyntax>>>();
        var usings = new HashSet<string>(StringComparer.Ordinal);
        foreach (var diagnostic in diagnostics)
        {
            if (Plan(diagnostic, root, model, context.CancellationToken) is ({ } statement, { } statements, var surface)
                && !changes.ContainsKey(statement))
            {
                changes[statement] = _ => statements;
                usings.Add(surface == PosixSurface.MonoNative ? "Mono.Unix" : "System.Runtime.InteropServices");
            }
        }

        return changes.Count == 0
            ? document
            : await PosixSyntax.AddUsingsAsync(document.WithSyntaxRoot(StatementLists.Rewrite(root, changes)), context.CancellationToken, usings.ToArray()).ConfigureAwait(false);
    }

    /// <summary>The statement holding the call, the statements that replace it (laid out), and the call's surface; null when no fix applies.</summary>
    private static (StatementSyntax Statement, StatementSyntax[] Statements, PosixSurface Surface)? Plan(
        Diagnostic diagnostic, SyntaxNode root, SemanticModel model, System.Threading.CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(EintrNotRetriedAnalyzer.SurfaceProperty, out var surfaceName)
            || !Enum.TryParse<PosixSurface>(surfaceName, out var surface)
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call
            || call.FirstAncestorOrSelf<StatementSyntax>() is not { Parent: BlockSyntax or SwitchSectionSyntax } statement
            || model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol method
            || Rewrite(statement, call, method, surface, model) is not { } statements)
        {
            return null;
        }

        return (statement, statements, surface);
    }

    private static StatementSyntax[]? Rewrite(StatementSyntax statement, InvocationExpressionSyntax call, IMethodSymbol method, PosixSurface surface, SemanticModel model)
    {
        IdentifierNameSyntax result;
        TypeSyntax? declaredType = null;
        switch (statement)
        {
            case LocalDeclarationStatementSyntax { Declaration: { Variables.Count: 1 } declared } local
                when declared.Variables[0].Initializer?.Value == call && !local.IsConst && local.UsingKeyword.IsKind(SyntaxKind.None)
                     && model.GetDeclaredSymbol(declared.Variables[0]) is ILocalSymbol symbol:
                result = IdentifierName(declared.Variables[0].Identifier.WithoutTrivia());
                declaredType = declared.Type.IsVar
                    ? ParseTypeName(symbol.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)).WithAdditionalAnnotations(Simplifier.Annotation)
                    : declared.Type.WithoutTrivia();
                break;
            case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax target } assignment }
                when assignment.Right == call && model.GetSymbolInfo(target).Symbol is ILocalSymbol:
                result = target.WithoutTrivia();
                break;
            default:
                return null;
        }

        if (RetryCondition(result, method, surface, model) is not { } condition)
        {
            return null;
        }

        return LaidOut(statement, declaredType, result, call.WithoutTrivia(), condition)
            ?? Formatted(statement, declaredType, result, IndentContinuationLines(call.WithoutTrivia(), UnitAt(statement)), condition);
    }

    /// <summary>One level of indentation at the statement; four spaces when its line does not start with it.</summary>
    private static string UnitAt(StatementSyntax statement)
    {
        var text = statement.SyntaxTree.GetText();
        return Indentation(text, text.Lines.GetLineFromPosition(statement.SpanStart)) is { } indentation ? Unit(text, statement, indentation) : "    ";
    }

    /// <summary>
    /// The call with each of its continuation lines one unit further in. The call moves into the loop's body, one unit
    /// deeper than the statement it came from; Roslyn's formatter indents the line the call starts on but leaves the
    /// lines after it where they were, which put <c>1000);</c> under <c>ready = poll(fds,</c> instead of past it.
    /// </summary>
    private static InvocationExpressionSyntax IndentContinuationLines(InvocationExpressionSyntax call, string unit)
    {
        var startingLines = new List<SyntaxToken>();
        var previous = default(SyntaxToken);
        foreach (var token in call.DescendantTokens())
        {
            if (previous != default && (previous.TrailingTrivia.Any(SyntaxKind.EndOfLineTrivia) || token.LeadingTrivia.Any(SyntaxKind.EndOfLineTrivia)))
            {
                startingLines.Add(token);
            }

            previous = token;
        }

        return startingLines.Count == 0
            ? call
            : call.ReplaceTokens(startingLines, (original, _) => original.WithLeadingTrivia(IndentedLeading(original.LeadingTrivia, unit)));
    }

    /// <summary>
    /// Leading trivia of a token that starts a line, with one more unit on each line it spans (a comment line above
    /// the token moves with it); blank lines and preprocessor lines stay as written.
    /// </summary>
    private static SyntaxTriviaList IndentedLeading(SyntaxTriviaList leading, string unit)
    {
        var deeper = new List<SyntaxTrivia>();
        var atLineStart = true;
        foreach (var trivia in leading)
        {
            if (atLineStart && !trivia.IsKind(SyntaxKind.EndOfLineTrivia) && !trivia.IsDirective)
            {
                deeper.Add(trivia.IsKind(SyntaxKind.WhitespaceTrivia) ? Whitespace(unit + trivia.ToString()) : Whitespace(unit));
                if (!trivia.IsKind(SyntaxKind.WhitespaceTrivia))
                {
                    deeper.Add(trivia);
                }
            }
            else
            {
                deeper.Add(trivia);
            }

            atLineStart = trivia.IsKind(SyntaxKind.EndOfLineTrivia) || trivia.IsDirective;
        }

        if (atLineStart)
        {
            // The token itself starts the line with no indentation before it.
            deeper.Add(Whitespace(unit));
        }

        return TriviaList(deeper);
    }

    /// <summary>
    /// The declaration and the loop, laid out here like the statement they replace: its indentation for <c>do</c>, the
    /// braces and <c>while</c>, one unit more for the body, its line ending. Roslyn's formatter, run by the code action
    /// on every statement a fix writes, was the largest part of Fix All's time over 1,000 calls; with no elastic trivia
    /// and no formatter annotation it has nothing left to do. Null for a statement written over several lines (the
    /// formatter lays it out and keeps the call's own line breaks) or not starting its line.
    /// </summary>
    private static StatementSyntax[]? LaidOut(StatementSyntax statement, TypeSyntax? declaredType, IdentifierNameSyntax result, InvocationExpressionSyntax call, ExpressionSyntax condition)
    {
        var text = statement.SyntaxTree.GetText();
        var line = text.Lines.GetLineFromPosition(statement.SpanStart);
        if (line.LineNumber != text.Lines.GetLinePosition(statement.Span.End).Line
            || Indentation(text, line) is not { } indentation
            || indentation.Length != statement.SpanStart - line.Start)
        {
            return null;
        }

        var eol = text.ToString(TextSpan.FromBounds(line.End, line.EndIncludingLineBreak)) is { Length: > 0 } ending ? ending : "\n";
        var unit = Unit(text, statement, indentation);
        var at = indentation.Length == 0 ? TriviaList() : TriviaList(Whitespace(indentation));
        var endOfLine = TriviaList(EndOfLine(eol));
        var space = TriviaList(Space);

        // The user's call keeps its own spacing: only the tokens written here get trivia.
        var assign = ExpressionStatement(
            AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, result.WithTrailingTrivia(space), Token(TriviaList(), SyntaxKind.EqualsToken, space), call),
            Token(TriviaList(), SyntaxKind.SemicolonToken, endOfLine))
            .WithLeadingTrivia(Whitespace(indentation + unit));
        var loop = DoStatement(
            Token(at, SyntaxKind.DoKeyword, endOfLine),
            Block(Token(at, SyntaxKind.OpenBraceToken, endOfLine), SingletonList<StatementSyntax>(assign), Token(at, SyntaxKind.CloseBraceToken, endOfLine)),
            Token(at, SyntaxKind.WhileKeyword, space),
            Token(TriviaList(), SyntaxKind.OpenParenToken, TriviaList()),
            condition.NormalizeWhitespace(eol: eol),
            Token(TriviaList(), SyntaxKind.CloseParenToken, TriviaList()),
            Token(TriviaList(), SyntaxKind.SemicolonToken, statement.GetTrailingTrivia()));
        if (declaredType is null)
        {
            return new StatementSyntax[] { loop.WithLeadingTrivia(statement.GetLeadingTrivia()) };
        }

        var declaration = LocalDeclarationStatement(
            TokenList(),
            VariableDeclaration(declaredType.NormalizeWhitespace(eol: eol).WithTrailingTrivia(space), SingletonSeparatedList(VariableDeclarator(result.Identifier))),
            Token(TriviaList(), SyntaxKind.SemicolonToken, endOfLine))
            .WithLeadingTrivia(statement.GetLeadingTrivia());
        return new StatementSyntax[] { declaration, loop };
    }

    /// <summary>The whitespace that starts <paramref name="line"/>; null if the line is blank.</summary>
    private static string? Indentation(SourceText text, TextLine line)
    {
        var end = line.Start;
        while (end < line.End && text[end] is ' ' or '\t')
        {
            end++;
        }

        return end == line.End ? null : text.ToString(TextSpan.FromBounds(line.Start, end));
    }

    /// <summary>
    /// One level of indentation as this code writes it: the statement's indentation past that of the line opening its
    /// block (or its case label); four spaces when that difference is not plain extra whitespace.
    /// </summary>
    private static string Unit(SourceText text, StatementSyntax statement, string indentation)
    {
        var opening = statement.Parent switch
        {
            BlockSyntax block => block.OpenBraceToken.SpanStart,
            SwitchSectionSyntax section => section.SpanStart,
            _ => -1,
        };
        return opening >= 0
            && Indentation(text, text.Lines.GetLineFromPosition(opening)) is { } outer
            && indentation.Length > outer.Length
            && indentation.StartsWith(outer, StringComparison.Ordinal)
            ? indentation.Substring(outer.Length)
            : "    ";
    }

    /// <summary>The same statements left to Roslyn's formatter.</summary>
    private static StatementSyntax[] Formatted(StatementSyntax statement, TypeSyntax? declaredType, IdentifierNameSyntax result, InvocationExpressionSyntax call, ExpressionSyntax condition)
    {
        var loop = DoStatement(Block(ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, result, call))), condition);
        var statements = declaredType is null
            ? new StatementSyntax[] { loop }
            : new StatementSyntax[] { LocalDeclarationStatement(VariableDeclaration(declaredType, SingletonSeparatedList(VariableDeclarator(result.Identifier)))), loop };
        statements[0] = statements[0].WithLeadingTrivia(statement.GetLeadingTrivia());
        return statements.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)).ToArray();
    }

    private static ExpressionSyntax? RetryCondition(IdentifierNameSyntax result, IMethodSymbol method, PosixSurface surface, SemanticModel model)
    {
        if (surface == PosixSurface.MonoNative)
        {
            return model.Compilation.GetTypeByMetadataName("Mono.Unix.UnixMarshal") is null
                ? null
                : InvocationExpression(StaticMember("global::Mono.Unix.UnixMarshal", "ShouldRetrySyscall"), ArgumentList(SingletonSeparatedList(Argument(result))));
        }

        var marshal = model.Compilation.GetTypeByMetadataName("System.Runtime.InteropServices.Marshal");
        var reader = marshal?.GetMembers("GetLastPInvokeError").Any() == true ? "GetLastPInvokeError" : "GetLastWin32Error";
        var errno = InvocationExpression(StaticMember("global::System.Runtime.InteropServices.Marshal", reader));
        ExpressionSyntax eintr;
        if (surface == PosixSurface.Tmds && !method.ContainingType.GetMembers("EINTR").IsEmpty)
        {
            eintr = StaticMember("global::Tmds.Linux.LibC", "EINTR");
        }
        else if (method.ContainingType.GetMembers("EINTR").OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue) is not null)
        {
            eintr = StaticMember(method.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), "EINTR");
        }
        else
        {
            eintr = LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(4)).WithTrailingTrivia(Space, Comment("/* EINTR */"));
        }

        var failed = BinaryExpression(SyntaxKind.EqualsExpression, result, PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(1))));
        return BinaryExpression(SyntaxKind.LogicalAndExpression, failed, BinaryExpression(SyntaxKind.EqualsExpression, errno, eintr));
    }

    private static ExpressionSyntax StaticMember(string qualifiedType, string member)
        => MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, ParseTypeName(qualifiedType), IdentifierName(member))
            .WithAdditionalAnnotations(Simplifier.Annotation);
}
