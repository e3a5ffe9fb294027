using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using SafePosix.Analyzers;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX4005: narrow the mode to owner read and write, written readably: Mono's <c>FilePermissions.S_IRUSR |
/// FilePermissions.S_IWUSR</c>, Tmds' <c>S_IRUSR | S_IWUSR</c>, else <c>0b110_000_000 /* 0600 */</c>. Inside System V
/// flags only the part that is the mode is replaced (<c>IPC_CREAT | 0666</c> -> <c>IPC_CREAT | 0b110_000_000</c>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(WritableIpcObjectFixer))]
[Shared]
public sealed class WritableIpcObjectFixer : CodeFixProvider
{
    public const string OwnerOnlyKey = RuleIds.WritableIpcObject + ".OwnerOnly";

    private const long OwnerReadWrite = 0x180;

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.WritableIpcObject);

    public override FixAllProvider GetFixAllProvider() => new OneKeyBatchFixer(OwnerOnlyKey);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        var surfaces = PosixSurfaces.Create(model.Compilation);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(WritableIpcObjectAnalyzer.ModeParameterProperty, out var ordinalText)
                || !int.TryParse(ordinalText, NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal)
                || !diagnostic.Properties.TryGetValue(WritableIpcObjectAnalyzer.SurfaceProperty, out var surfaceName)
                || !Enum.TryParse<PosixSurface>(surfaceName, out var surface)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax invocation
                || model.GetOperation(invocation, context.CancellationToken) is not IInvocationOperation operation
                || operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal) is not { ArgumentKind: ArgumentKind.Explicit, Parameter: { } parameter } argument)
            {
                continue;
            }

            var mixed = diagnostic.Properties.ContainsKey(WritableIpcObjectAnalyzer.MixedWithFlagsProperty);
            var target = mixed ? SingleModePart(argument.Value, surfaces) : argument.Value;
            if (target is not { Syntax: ExpressionSyntax targetSyntax }
                || OwnerReadWriteFor(mixed ? target.Type : parameter.Type, surface, operation.TargetMethod) is not { } replacement)
            {
                continue;
            }

            var updated = invocation.ReplaceNode(targetSyntax, WithTrivia(Parenthesized(replacement, targetSyntax), targetSyntax));
            var bound = model.GetSpeculativeSymbolInfo(invocation.SpanStart, updated, SpeculativeBindingOption.BindAsExpression).Symbol;
            if (!SymbolEqualityComparer.Default.Equals(bound?.OriginalDefinition, operation.TargetMethod.OriginalDefinition))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Narrow the mode to owner read and write (0600)",
                    async cancellationToken =>
                    {
                        var editor = await DocumentEditor.CreateAsync(context.Document, cancellationToken).ConfigureAwait(false);
                        editor.ReplaceNode(targetSyntax, WithTrivia(Parenthesized(replacement, targetSyntax), targetSyntax));
                        return editor.GetChangedDocument();
                    },
                    OwnerOnlyKey),
                diagnostic);
        }
    }

    /// <summary>The one operand of an OR/+ tree that holds permission bits only, when there is exactly one.</summary>
    private static IOperation? SingleModePart(IOperation flags, PosixSurfaces surfaces)
    {
        var parts = new List<IOperation>();
        Collect(flags, parts);
        IOperation? mode = null;
        foreach (var part in parts)
        {
            if (PermissionValues.Value(part, surfaces) is not { } value)
            {
                return null;
            }

            if (value != 0 && (value & ~PermissionValues.PermissionBits) == 0)
            {
                if (mode is not null)
                {
                    return null;
                }

                mode = part;
            }
            else if ((value & PermissionValues.PermissionBits) != 0)
            {
                // A part mixing creation flags and mode bits (0x3b6): no clean part to replace.
                return null;
            }
        }

        return mode;

        static void Collect(IOperation operation, List<IOperation> parts)
        {
            var inner = operation;
            while (inner is IConversionOperation { IsImplicit: true } conversion)
            {
                inner = conversion.Operand;
            }

            if (inner is IBinaryOperation { OperatorKind: BinaryOperatorKind.Or or BinaryOperatorKind.Add } binary)
            {
                Collect(binary.LeftOperand, parts);
                Collect(binary.RightOperand, parts);
            }
            else
            {
                parts.Add(inner);
            }
        }
    }

    private static ExpressionSyntax? OwnerReadWriteFor(ITypeSymbol? type, PosixSurface surface, IMethodSymbol method)
    {
        if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType)
        {
            return !enumType.GetMembers("S_IRUSR").IsEmpty && !enumType.GetMembers("S_IWUSR").IsEmpty
                ? Or(Member(enumType, "S_IRUSR"), Member(enumType, "S_IWUSR"))
                : null;
        }

        if (surface == PosixSurface.Tmds && !method.ContainingType.GetMembers("S_IRUSR").IsEmpty)
        {
            return Or(Member(method.ContainingType, "S_IRUSR"), Member(method.ContainingType, "S_IWUSR"));
        }

        if (type?.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64
            or SpecialType.System_UInt64 or SpecialType.System_Int16 or SpecialType.System_UInt16))
        {
            return null;
        }

        return LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal("0b110_000_000", (int)OwnerReadWrite))
            .WithTrailingTrivia(Space, Comment("/* 0600 */"));
    }

    private static ExpressionSyntax Or(ExpressionSyntax left, ExpressionSyntax right)
        => BinaryExpression(SyntaxKind.BitwiseOrExpression, left, right);

    private static ExpressionSyntax Member(INamedTypeSymbol type, string member)
        => MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression,
                ParseTypeName(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)),
                IdentifierName(member))
            .WithAdditionalAnnotations(Simplifier.Annotation);

    private static ExpressionSyntax WithTrivia(ExpressionSyntax replacement, ExpressionSyntax replaced)
        => replacement.WithLeadingTrivia(replaced.GetLeadingTrivia())
            .WithTrailingTrivia(replacement.GetTrailingTrivia().AddRange(replaced.GetTrailingTrivia()));

    /// <summary>An OR replacing one operand of a wider expression keeps its own parentheses.</summary>
    private static ExpressionSyntax Parenthesized(ExpressionSyntax replacement, ExpressionSyntax replaced)
        => replacement is BinaryExpressionSyntax && replaced.Parent is BinaryExpressionSyntax
            ? ParenthesizedExpression(replacement)
            : replacement;
}
