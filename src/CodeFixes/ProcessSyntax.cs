using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes;

/// <summary>The code the process-creation fixes write: <c>_exit</c> calls and declarations, <c>Process.Start</c> blocks.</summary>
internal static class ProcessSyntax
{
    /// <summary>The status a child reports when exec failed, as shells and posix_spawn do.</summary>
    public const int ExecFailedStatus = 127;

    /// <summary>A fully qualified name the simplifier shortens where a using or using static allows it.</summary>
    public static ExpressionSyntax Qualified(string dottedName)
        => ParseExpression("global::" + dottedName).WithAdditionalAnnotations(Simplifier.Annotation);

    /// <summary>A member of a source type, fully qualified so it resolves anywhere, shortened by the simplifier.</summary>
    public static ExpressionSyntax MemberOf(INamedTypeSymbol type, string member)
        => ParseExpression(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + member).WithAdditionalAnnotations(Simplifier.Annotation);

    /// <summary><c>target(status);</c></summary>
    public static StatementSyntax ExitStatement(ExpressionSyntax target, ExpressionSyntax status)
        => ExpressionStatement(InvocationExpression(target, ArgumentList(SingletonSeparatedList(Argument(status)))))
            .WithAdditionalAnnotations(Formatter.Annotation);

    public static ExpressionSyntax ExecFailedLiteral()
        => LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(ExecFailedStatus));

    /// <summary><c>[DllImport("libc", EntryPoint = "_exit")] {accessibility} static extern void _exit(int status);</c></summary>
    public static MethodDeclarationSyntax ExitDeclaration(SyntaxTokenList accessibility)
        => MethodDeclaration(PredefinedType(Token(SyntaxKind.VoidKeyword)), Identifier("_exit"))
            .WithAttributeLists(SingletonList(DllImportExit()))
            .WithModifiers(accessibility.AddRange(new[] { Token(SyntaxKind.StaticKeyword), Token(SyntaxKind.ExternKeyword) }))
            .WithParameterList(ExitParameters())
            .WithSemicolonToken(Token(SyntaxKind.SemicolonToken))
            .WithAdditionalAnnotations(Formatter.Annotation);

    /// <summary>The same declaration as an extern local function, for code that declares its P/Invokes locally.</summary>
    public static LocalFunctionStatementSyntax LocalExitDeclaration()
        => LocalFunctionStatement(PredefinedType(Token(SyntaxKind.VoidKeyword)), Identifier("_exit"))
            .WithAttributeLists(SingletonList(DllImportExit().WithTrailingTrivia(ElasticCarriageReturnLineFeed)))
            .WithModifiers(TokenList(Token(SyntaxKind.StaticKeyword), Token(SyntaxKind.ExternKeyword)))
            .WithParameterList(ExitParameters())
            .WithSemicolonToken(Token(SyntaxKind.SemicolonToken))
            .WithAdditionalAnnotations(Formatter.Annotation);

    private static AttributeListSyntax DllImportExit()
        => AttributeList(SingletonSeparatedList(
            Attribute(ParseName("global::System.Runtime.InteropServices.DllImport").WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation))
                .WithArgumentList(AttributeArgumentList(SeparatedList(new[]
                {
                    AttributeArgument(LiteralExpression(SyntaxKind.StringLiteralExpression, Literal("libc"))),
                    AttributeArgument(LiteralExpression(SyntaxKind.StringLiteralExpression, Literal("_exit")))
                        .WithNameEquals(NameEquals(IdentifierName("EntryPoint"))),
                })))));

    private static ParameterListSyntax ExitParameters()
        => ParameterList(SingletonSeparatedList(Parameter(Identifier("status")).WithType(PredefinedType(Token(SyntaxKind.IntKeyword)))));

    /// <summary>A blank line before a declaration inserted after another one, in the document's own line ending.</summary>
    public static TNode AfterBlankLine<TNode>(TNode node, SyntaxNode previous)
        where TNode : SyntaxNode
    {
        var newLine = previous.GetTrailingTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        var endOfLine = newLine.IsKind(SyntaxKind.EndOfLineTrivia) ? newLine : EndOfLine("\n");
        return node.WithLeadingTrivia(endOfLine).WithTrailingTrivia(endOfLine);
    }

    /// <summary>
    /// <c>var startInfo = new ProcessStartInfo(path) { ArgumentList = { ... } };</c>, the environment when exec was
    /// given one (cleared first: execve replaces it), then <c>using (var process = Process.Start(startInfo)) { process?.WaitForExit(); }</c>
    /// when the parent waited, else <c>Process.Start(startInfo)?.Dispose();</c> (the runtime reaps the child).
    /// </summary>
    public static StatementSyntax[] ProcessStart(string startInfo, string process, ExpressionSyntax path, IReadOnlyList<ExpressionSyntax> arguments,
        IReadOnlyList<KeyValuePair<string, string>>? environment, bool wait)
    {
        var text = new List<string>();
        var initializer = arguments.Count == 0 ? string.Empty : " { ArgumentList = { " + string.Join(", ", arguments.Select(a => a.ToString())) + " } }";
        text.Add($"var {startInfo} = new global::System.Diagnostics.ProcessStartInfo({path}){initializer};");
        if (environment is not null)
        {
            text.Add($"{startInfo}.Environment.Clear();");
            foreach (var pair in environment)
            {
                text.Add($"{startInfo}.Environment[{Quote(pair.Key)}] = {Quote(pair.Value)};");
            }
        }

        text.Add(wait
            ? $"using (var {process} = global::System.Diagnostics.Process.Start({startInfo}))\n{{\n{process}?.WaitForExit();\n}}"
            : $"global::System.Diagnostics.Process.Start({startInfo})?.Dispose();");
        return text.Select(t => AnnotateQualifiedNames(ParseStatement(t)).WithTrailingTrivia(ElasticCarriageReturnLineFeed)
            .WithAdditionalAnnotations(Formatter.Annotation)).ToArray();
    }

    /// <summary>Marks every <c>global::</c> name so that the simplifier adds the using and shortens it.</summary>
    private static StatementSyntax AnnotateQualifiedNames(StatementSyntax statement)
    {
        var names = statement.DescendantNodes().OfType<AliasQualifiedNameSyntax>()
            .Select(alias =>
            {
                SyntaxNode node = alias;
                while (node.Parent is QualifiedNameSyntax qualified && qualified.Left == node
                    || node.Parent is MemberAccessExpressionSyntax access && access.Expression == node && char.IsUpper(access.Name.Identifier.ValueText[0]) && !(access.Parent is InvocationExpressionSyntax))
                {
                    node = node.Parent;
                }

                return node;
            })
            .ToList();
        return statement.ReplaceNodes(names, (_, current) => current.WithAdditionalAnnotations(Simplifier.Annotation));
    }

    private static string Quote(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>Puts <paramref name="statement"/> right after <paramref name="anchor"/>, wrapping an embedded statement in a block.</summary>
    public static void InsertAfter(SyntaxEditor editor, StatementSyntax anchor, StatementSyntax statement)
    {
        if (anchor.Parent is BlockSyntax or SwitchSectionSyntax)
        {
            editor.InsertAfter(anchor, statement);
        }
        else
        {
            editor.ReplaceNode(anchor, (current, _) => Block(((StatementSyntax)current).WithoutTrivia(), statement).WithTriviaFrom(current).WithAdditionalAnnotations(Formatter.Annotation));
        }
    }

    /// <summary>Puts <paramref name="statement"/> right before <paramref name="anchor"/>, wrapping an embedded statement in a block.</summary>
    public static void InsertBefore(SyntaxEditor editor, StatementSyntax anchor, StatementSyntax statement)
    {
        if (anchor.Parent is BlockSyntax or SwitchSectionSyntax)
        {
            editor.InsertBefore(anchor, statement);
        }
        else
        {
            editor.ReplaceNode(anchor, (current, _) => Block(statement, ((StatementSyntax)current).WithoutTrivia()).WithTriviaFrom(current).WithAdditionalAnnotations(Formatter.Annotation));
        }
    }
}
