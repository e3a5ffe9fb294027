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
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX3002: map from the page boundary below a constant offset, grow the length by the distance to it, and keep the
/// local pointing where the code expected (MAP_FAILED stays MAP_FAILED); munmap gets the mapping's base and length.
/// Offered only when the mapping is an <c>IntPtr</c> local used in this method by comparisons, memory APIs, pointer
/// arithmetic and munmap: anywhere else the base would be lost.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MisalignedMmapOffsetFixer))]
[Shared]
public sealed class MisalignedMmapOffsetFixer : CodeFixProvider
{
    public const string MapFromPageBoundaryKey = RuleIds.MisalignedMmapOffset + ".MapFromPageBoundary";

    private static readonly FunctionSet Unmap = PosixSurfaces.Functions("munmap");

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.MisalignedMmapOffset);

    // Fix All plans every mapping against the one document and applies them all in one pass (the batch fixer builds
    // and diffs a document per diagnostic).
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
            // Through a wrapper the rewrite would need the wrapper's own length and return value: no fix.
            if (diagnostic.Properties.ContainsKey(MisalignedMmapOffsetAnalyzer.WrapperProperty)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node
                || Plan(model, node, context.CancellationToken) is not { } plan)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    "Map from the page boundary below the offset and step into the mapping",
                    cancellationToken => ApplyAsync(document, plan, cancellationToken),
                    MapFromPageBoundaryKey),
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

        var plans = new Dictionary<SyntaxNode, FixPlan>();
        foreach (var diagnostic in diagnostics)
        {
            if (!diagnostic.Properties.ContainsKey(MisalignedMmapOffsetAnalyzer.WrapperProperty)
                && root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is { } node
                && Plan(model, node, context.CancellationToken) is { } plan
                && !plans.ContainsKey(plan.Statement))
            {
                plans[plan.Statement] = plan;
            }
        }

        return plans.Count == 0 ? document : document.WithSyntaxRoot(Apply(root, model, plans.Values));
    }

    private sealed class FixPlan
    {
        public FixPlan(LocalDeclarationStatementSyntax statement, InvocationExpressionSyntax mmap, ILocalSymbol local,
            ITypeSymbol lengthType, ITypeSymbol offsetType, List<(InvocationExpressionSyntax Call, ITypeSymbol LengthType)> unmaps,
            string mappingName, string deltaName)
        {
            Statement = statement;
            Mmap = mmap;
            Local = local;
            LengthType = lengthType;
            OffsetType = offsetType;
            Unmaps = unmaps;
            MappingName = mappingName;
            DeltaName = deltaName;
        }

        public LocalDeclarationStatementSyntax Statement { get; }

        public InvocationExpressionSyntax Mmap { get; }

        public ILocalSymbol Local { get; }

        public ITypeSymbol LengthType { get; }

        public ITypeSymbol OffsetType { get; }

        public List<(InvocationExpressionSyntax Call, ITypeSymbol LengthType)> Unmaps { get; }

        public string MappingName { get; }

        public string DeltaName { get; }
    }

    private static FixPlan? Plan(SemanticModel model, SyntaxNode node, CancellationToken cancellationToken)
    {
        var offset = node is ArgumentSyntax argument ? argument : node.Parent as ArgumentSyntax;
        if (offset?.Parent?.Parent is not InvocationExpressionSyntax mmap
            || mmap.ArgumentList.Arguments.Count != 6
            || mmap.ArgumentList.Arguments.Any(a => a.NameColon is not null || !a.RefKindKeyword.IsKind(SyntaxKind.None))
            || mmap.ArgumentList.Arguments.IndexOf(offset) != 5
            || model.GetConstantValue(offset.Expression, cancellationToken) is not { HasValue: true }
            || mmap.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
            || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1 }
            || declarator.Parent.Parent is not LocalDeclarationStatementSyntax { Parent: BlockSyntax body } statement
            || model.GetOperation(mmap, cancellationToken) is not IInvocationOperation { TargetMethod: { Parameters.Length: 6 } method }
            || method.ReturnType.SpecialType != SpecialType.System_IntPtr
            || model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol local
            || local.Type.SpecialType != SpecialType.System_IntPtr)
        {
            return null;
        }

        var surfaces = PosixSurfaces.Create(model.Compilation);
        var unmaps = new List<(InvocationExpressionSyntax, ITypeSymbol)>();
        var scope = statement.Parent!;
        foreach (var reference in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (reference.Identifier.ValueText != local.Name
                || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(reference, cancellationToken).Symbol, local))
            {
                continue;
            }

            switch (reference.Parent)
            {
                case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.EqualsExpression) || binary.IsKind(SyntaxKind.NotEqualsExpression)
                    || binary.IsKind(SyntaxKind.AddExpression) || binary.IsKind(SyntaxKind.SubtractExpression):
                    continue;
                case ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax call } used
                    when model.GetOperation(call, cancellationToken) is IInvocationOperation operation:
                    if (surfaces.TryGetLibcCall(operation.TargetMethod, Unmap, out _)
                        && call.ArgumentList.Arguments.IndexOf(used) == 0 && used.NameColon is null
                        && call.ArgumentList.Arguments.Count == 2 && call.ArgumentList.Arguments[1].NameColon is null)
                    {
                        unmaps.Add((call, operation.TargetMethod.Parameters[1].Type));
                        continue;
                    }

                    if (operation.TargetMethod.ContainingType is { } type && surfaces.MemoryApiTypes.Contains(type.OriginalDefinition))
                    {
                        continue;
                    }

                    return null;
                default:
                    return null; // stored, returned or handed on: the base address would be lost there
            }
        }

        var position = statement.SpanStart;
        var mappingName = FreeName(model, position, local.Name + "Mapping");
        var deltaName = FreeName(model, position, local.Name + "PageDelta");
        return new FixPlan(statement, mmap, local, method.Parameters[1].Type, method.Parameters[5].Type, unmaps, mappingName, deltaName);
    }

    private static string FreeName(SemanticModel model, int position, string name)
    {
        var candidate = name;
        for (var i = 2; model.LookupSymbols(position, name: candidate).Any(); i++)
        {
            candidate = name + i;
        }

        return candidate;
    }

    private static async Task<Document> ApplyAsync(Document document, FixPlan plan, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        return root is null || model is null ? document : document.WithSyntaxRoot(Apply(root, model, new[] { plan }));
    }

    /// <summary>
    /// Every plan in one pass: each mmap statement becomes three (StatementLists), each munmap of its local gets the
    /// base and the grown length (one ReplaceNodes). One editor replaying the same edits took far longer at 1,000.
    /// </summary>
    private static SyntaxNode Apply(SyntaxNode root, SemanticModel model, IEnumerable<FixPlan> plans)
    {
        var statements = new Dictionary<StatementSyntax, Func<StatementSyntax, IEnumerable<StatementSyntax>>>();
        var unmaps = new Dictionary<SyntaxNode, SyntaxNode>();
        foreach (var plan in plans)
        {
            var (replacement, unmapped) = Edits(model, plan);
            statements[plan.Statement] = _ => replacement;
            foreach (var (call, fixedCall) in unmapped)
            {
                unmaps[call] = fixedCall;
            }
        }

        return StatementLists.Rewrite(root, unmaps, statements);
    }

    private static (StatementSyntax[] Statements, List<(InvocationExpressionSyntax Call, InvocationExpressionSyntax Fixed)> Unmaps) Edits(SemanticModel model, FixPlan plan)
    {
        var position = plan.Statement.SpanStart;
        var arguments = plan.Mmap.ArgumentList.Arguments;
        var offset = Parenthesized(arguments[5].Expression);
        var delta = IdentifierName(plan.DeltaName);
        var mapping = IdentifierName(plan.MappingName);

        // long delta = offset % Environment.SystemPageSize;
        var deltaDeclaration = LocalDeclarationStatement(VariableDeclaration(PredefinedType(Token(SyntaxKind.LongKeyword)))
            .AddVariables(VariableDeclarator(plan.DeltaName).WithInitializer(EqualsValueClause(
                BinaryExpression(SyntaxKind.ModuloExpression, offset, Qualified("System.Environment.SystemPageSize"))))));

        // var mapping = mmap(addr, length + (T)delta, prot, flags, fd, (T)(offset - delta));
        var grownLength = BinaryExpression(SyntaxKind.AddExpression, Parenthesized(arguments[1].Expression), Cast(model, position, plan.LengthType, delta));
        var alignedOffset = Cast(model, position, plan.OffsetType, ParenthesizedExpression(BinaryExpression(SyntaxKind.SubtractExpression, offset, delta)));
        var newMmap = plan.Mmap.WithArgumentList(plan.Mmap.ArgumentList.WithArguments(SeparatedList(new[]
        {
            arguments[0], arguments[1].WithExpression(grownLength), arguments[2], arguments[3], arguments[4], arguments[5].WithExpression(alignedOffset),
        }, arguments.GetSeparators())));
        var mappingDeclaration = LocalDeclarationStatement(VariableDeclaration(IdentifierName("var"))
            .AddVariables(VariableDeclarator(plan.MappingName).WithInitializer(EqualsValueClause(newMmap))));

        // p = mapping == MAP_FAILED ? mapping : mapping + (int)delta;  (checks of p for MAP_FAILED keep working)
        // Spelled as the code spells it: the simplifier would turn System.IntPtr into nint.
        var intPtr = model.LookupNamespacesAndTypes(position, name: "IntPtr").Any(t => t is ITypeSymbol { SpecialType: SpecialType.System_IntPtr })
            ? ParseTypeName("IntPtr")
            : ParseTypeName("System.IntPtr");
        var mapFailed = ObjectCreationExpression(intPtr)
            .AddArgumentListArguments(Argument(PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(1)))));
        var pointer = ConditionalExpression(
            BinaryExpression(SyntaxKind.EqualsExpression, mapping, mapFailed),
            mapping,
            BinaryExpression(SyntaxKind.AddExpression, mapping, CastExpression(PredefinedType(Token(SyntaxKind.IntKeyword)), delta)));
        var declarator = plan.Statement.Declaration.Variables[0];
        var pointerDeclaration = plan.Statement.WithDeclaration(plan.Statement.Declaration.WithVariables(
            SingletonSeparatedList(declarator.WithInitializer(EqualsValueClause(pointer)))));

        var replacement = new StatementSyntax[]
        {
            Laid(deltaDeclaration, plan.Statement),
            Laid(mappingDeclaration, plan.Statement),
            pointerDeclaration,
        };

        // munmap(p, length) -> munmap(mapping, length + (T)delta)
        var unmaps = new List<(InvocationExpressionSyntax, InvocationExpressionSyntax)>();
        foreach (var (call, lengthType) in plan.Unmaps)
        {
            var unmapArguments = call.ArgumentList.Arguments;
            var grown = BinaryExpression(SyntaxKind.AddExpression, Parenthesized(unmapArguments[1].Expression), Cast(model, position, lengthType, delta));
            unmaps.Add((call, call.WithArgumentList(call.ArgumentList.WithArguments(SeparatedList(new[]
            {
                unmapArguments[0].WithExpression(mapping.WithTriviaFrom(unmapArguments[0].Expression)),
                unmapArguments[1].WithExpression(grown),
            })))));
        }

        return (replacement, unmaps);
    }

    /// <summary>
    /// A new statement laid out like the one it goes before. A one-line original gives a one-line statement spaced
    /// here, which spares Roslyn's formatter a pass per fix (most of Fix All's time over 1,000 mappings); an original
    /// written over several lines keeps its line breaks through the formatter.
    /// </summary>
    private static StatementSyntax Laid(StatementSyntax statement, StatementSyntax original)
    {
        var trailing = original.GetTrailingTrivia();
        var lines = original.SyntaxTree.GetLineSpan(original.Span);
        if (lines.StartLinePosition.Line != lines.EndLinePosition.Line)
        {
            return statement.WithLeadingTrivia(original.GetLeadingTrivia()).WithAdditionalAnnotations(Formatter.Annotation);
        }

        return statement.NormalizeWhitespace(eol: trailing.FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).ToString() is { Length: > 0 } eol ? eol : "\n")
            .WithLeadingTrivia(original.GetLeadingTrivia())
            .WithTrailingTrivia(trailing);
    }

    private static ExpressionSyntax Qualified(string name)
        => ParseExpression("global::" + name).WithAdditionalAnnotations(Simplifier.Annotation);

    private static ExpressionSyntax Parenthesized(ExpressionSyntax expression)
        => expression is IdentifierNameSyntax or LiteralExpressionSyntax or MemberAccessExpressionSyntax or ParenthesizedExpressionSyntax
            ? expression.WithoutTrivia()
            : ParenthesizedExpression(expression.WithoutTrivia());

    private static ExpressionSyntax Cast(SemanticModel model, int position, ITypeSymbol type, ExpressionSyntax expression)
        => CastExpression(ParseTypeName(type.ToMinimalDisplayString(model, position)), expression);
}
