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
using SafePosix.Analyzers.Flow;
using SafePosix.Analyzers.Rules;
using SafePosix.Analyzers.Surfaces;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SafePosix.CodeFixes.Rules;

/// <summary>PSX1003: end the child with the surface's <c>_exit</c>, declaring one when the project's own interop has none.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ForkChildExitFixer))]
[Shared]
public sealed class ForkChildExitFixer : CodeFixProvider
{
    public const string UseExitKey = RuleIds.ForkChildExit + ".UseExit";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.ForkChildExit);

    // One editor per document, so that the _exit declaration a project lacks is added once however many children need it.
    public override FixAllProvider GetFixAllProvider()
        => FixAllProvider.Create(async (context, document, diagnostics) => await FixAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false));

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
                    TitleOf(plan),
                    cancellationToken => FixAsync(context.Document, ImmutableArray.Create(diagnostic), cancellationToken),
                    UseExitKey),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        // One _exit declaration per type (or per block of local functions), however many forks (fork and vfork) it declares.
        var declared = new HashSet<SyntaxNode>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (Plan(editor.OriginalRoot, editor.SemanticModel, diagnostic, cancellationToken) is not { } plan)
            {
                continue;
            }

            var exit = ProcessSyntax.ExitStatement(plan.Target.Callee, plan.Status);
            switch (plan.Edit)
            {
                case Edit.Replace:
                    editor.ReplaceNode(plan.Anchor, exit.WithTriviaFrom(plan.Anchor));
                    break;
                case Edit.InsertBefore:
                    ProcessSyntax.InsertBefore(editor, plan.Anchor, exit);
                    break;
                default:
                    ProcessSyntax.InsertAfter(editor, plan.Anchor, exit);
                    break;
            }

            if (plan.Target.DeclareAfter is { Parent: { } scope } anchor && declared.Add(scope))
            {
                if (anchor is LocalFunctionStatementSyntax localFunction)
                {
                    editor.InsertAfter(localFunction, ProcessSyntax.AfterBlankLine(ProcessSyntax.LocalExitDeclaration(), localFunction));
                }
                else if (anchor is MethodDeclarationSyntax method)
                {
                    editor.InsertAfter(method, ProcessSyntax.AfterBlankLine(ProcessSyntax.ExitDeclaration(Accessibility(method.Modifiers)), method));
                }
            }
        }

        return editor.GetChangedDocument();
    }

    /// <summary>Says exactly what the action does, with the status it keeps or chooses.</summary>
    private static string TitleOf(FixPlan plan)
    {
        var call = "_exit(" + plan.Status.ToString() + ")";
        return plan.Edit switch
        {
            Edit.Replace => "Replace with " + call,
            Edit.InsertBefore => "Call " + call + " before the " + (plan.Anchor is ThrowStatementSyntax ? "throw" : "return"),
            _ => "Call " + call + " at the end of the child",
        };
    }

    private enum Edit
    {
        Replace,
        InsertBefore,
        InsertAfter,
    }

    private sealed class ExitTarget
    {
        public ExitTarget(ExpressionSyntax callee, SyntaxNode? declareAfter)
        {
            Callee = callee;
            DeclareAfter = declareAfter;
        }

        public ExpressionSyntax Callee { get; }

        /// <summary>The fork declaration to put a new <c>_exit</c> declaration after, when there is none to call.</summary>
        public SyntaxNode? DeclareAfter { get; }
    }

    private sealed class FixPlan
    {
        public FixPlan(Edit edit, StatementSyntax anchor, ExpressionSyntax status, ExitTarget target)
        {
            Edit = edit;
            Anchor = anchor;
            Status = status;
            Target = target;
        }

        public Edit Edit { get; }

        public StatementSyntax Anchor { get; }

        public ExpressionSyntax Status { get; }

        public ExitTarget Target { get; }
    }

    /// <summary>
    /// Everything the fix needs, or null when one precondition fails (then no fix is offered). The analyzer found the
    /// fork, the statement to edit and the status to keep (additional locations 0, 1, 2); the fixer only chooses how
    /// to write the edit so that the code still compiles.
    /// </summary>
    private static FixPlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(ForkChildExitAnalyzer.ExitKindProperty, out var kindName)
            || !Enum.TryParse<ChildExitKind>(kindName, out var kind)
            || !diagnostic.Properties.TryGetValue(ForkChildExitAnalyzer.SurfaceProperty, out var surfaceName)
            || !Enum.TryParse<PosixSurface>(surfaceName, out var surface)
            || diagnostic.Properties.ContainsKey(ForkChildExitAnalyzer.HelperProperty)
            || diagnostic.AdditionalLocations.Count < 2
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax fork
            || model.GetSymbolInfo(fork, cancellationToken).Symbol is not IMethodSymbol forkMethod
            || root.FindNode(diagnostic.AdditionalLocations[1].SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<StatementSyntax>() is not { } anchor
            || anchor.Span != diagnostic.AdditionalLocations[1].SourceSpan)
        {
            return null;
        }

        var status = ProcessSyntax.ExecFailedLiteral();
        if (diagnostic.Properties.ContainsKey(ForkChildExitAnalyzer.KeptStatusProperty))
        {
            // Environment.Exit(code) and exit(code) keep their status: the parent may read it.
            if (diagnostic.AdditionalLocations.Count < 3
                || root.FindNode(diagnostic.AdditionalLocations[2].SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax kept)
            {
                return null;
            }

            status = kept.WithoutTrivia();
        }

        var edit = kind switch
        {
            ChildExitKind.UnsafeExit => Edit.Replace,
            // `return value;` stays after _exit, unreachable at run time, so every path still returns for the compiler.
            ChildExitKind.Return => anchor is ReturnStatementSyntax { Expression: null } && !InSwitchSection(anchor) ? Edit.Replace : Edit.InsertBefore,
            ChildExitKind.Throw => ReturnsVoid(anchor, model, cancellationToken) && !InSwitchSection(anchor) ? Edit.Replace : Edit.InsertBefore,
            ChildExitKind.FallOut when diagnostic.Properties.ContainsKey(ForkChildExitAnalyzer.InsertAfterProperty) => Edit.InsertAfter,
            _ => (Edit?)null,
        };
        if (edit is not { } chosen
            || ExitTargetFor(surface, forkMethod, anchor, model, cancellationToken) is not { } target)
        {
            return null;
        }

        return new FixPlan(chosen, anchor, status, target);
    }

    /// <summary>The surface's _exit: Tmds' LibC._exit, Mono's Syscall._exit, the project's own declaration, or a new one.</summary>
    private static ExitTarget? ExitTargetFor(PosixSurface surface, IMethodSymbol forkMethod, SyntaxNode site, SemanticModel model, CancellationToken cancellationToken)
    {
        var compilation = model.Compilation;
        switch (surface)
        {
            case PosixSurface.Tmds when compilation.GetTypeByMetadataName("Tmds.Linux.LibC") is not null:
                return new ExitTarget(ProcessSyntax.Qualified("Tmds.Linux.LibC._exit"), null);
            case PosixSurface.MonoNative or PosixSurface.MonoLegacy when compilation.GetTypeByMetadataName("Mono.Unix.Native.Syscall") is not null:
                return new ExitTarget(ProcessSyntax.Qualified("Mono.Unix.Native.Syscall._exit"), null);
            case PosixSurface.OwnInterop:
                return OwnExit(forkMethod, site, model, cancellationToken);
            default:
                return null;
        }
    }

    private static ExitTarget? OwnExit(IMethodSymbol forkMethod, SyntaxNode site, SemanticModel model, CancellationToken cancellationToken)
    {
        var surfaces = PosixSurfaces.Create(model.Compilation);
        bool IsExit(ISymbol symbol) => symbol is IMethodSymbol { Parameters.Length: 1 } method
            && surfaces.TryGetLibcCall(method, ProcessCalls.SafeExitFunctions, out _)
            && model.IsAccessible(site.SpanStart, method);

        if (forkMethod.MethodKind == MethodKind.LocalFunction)
        {
            // Extern local functions: use a sibling _exit, or declare one next to the fork's declaration.
            if (forkMethod.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not LocalFunctionStatementSyntax forkDeclaration
                || forkDeclaration.SyntaxTree != site.SyntaxTree || forkDeclaration.Parent is not BlockSyntax block)
            {
                return null;
            }

            foreach (var sibling in block.Statements.OfType<LocalFunctionStatementSyntax>())
            {
                if (model.GetDeclaredSymbol(sibling, cancellationToken) is { } symbol && IsExit(symbol))
                {
                    return new ExitTarget(IdentifierName(sibling.Identifier.ValueText), null);
                }
            }

            return NameIsFree(model, site, "_exit") ? new ExitTarget(IdentifierName("_exit"), forkDeclaration) : null;
        }

        var type = forkMethod.ContainingType;
        if (type.GetMembers().FirstOrDefault(IsExit) is IMethodSymbol existing)
        {
            return new ExitTarget(ProcessSyntax.MemberOf(type, existing.Name), null);
        }

        // Declare _exit next to the fork declaration, with the same accessibility, when that declaration is in this document.
        if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || !type.GetMembers("_exit").IsEmpty
            || forkMethod.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not MethodDeclarationSyntax declaration
            || declaration.SyntaxTree != site.SyntaxTree)
        {
            return null;
        }

        return new ExitTarget(ProcessSyntax.MemberOf(type, "_exit"), declaration);
    }

    private static bool NameIsFree(SemanticModel model, SyntaxNode site, string name)
        => model.LookupSymbols(site.SpanStart, name: name).IsEmpty;

    private static SyntaxTokenList Accessibility(SyntaxTokenList modifiers)
        => TokenList(modifiers.Where(m => m.IsKind(SyntaxKind.PublicKeyword) || m.IsKind(SyntaxKind.InternalKeyword) || m.IsKind(SyntaxKind.PrivateKeyword) || m.IsKind(SyntaxKind.ProtectedKeyword))
            .Select(m => Token(m.Kind())));

    /// <summary>
    /// True when the statement sits in a switch section of its own function, directly, in a nested block or behind a
    /// label: replacing it with a call could let control fall out of the section (CS0163, CS8070), so the fix keeps
    /// it after the new <c>_exit</c>, unreachable at run time.
    /// </summary>
    private static bool InSwitchSection(StatementSyntax statement)
    {
        foreach (var ancestor in statement.Ancestors())
        {
            switch (ancestor)
            {
                case SwitchSectionSyntax:
                    return true;
                case MemberDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax:
                    return false;
            }
        }

        return false;
    }

    /// <summary>A throw in a function that returns nothing can become a call: no path then lacks a return value.</summary>
    private static bool ReturnsVoid(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (var ancestor in node.Ancestors())
        {
            switch (ancestor)
            {
                case MethodDeclarationSyntax method:
                    return method.ReturnType is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword };
                case LocalFunctionStatementSyntax localFunction:
                    return localFunction.ReturnType is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword };
                case AnonymousFunctionExpressionSyntax lambda:
                    return model.GetSymbolInfo(lambda, cancellationToken).Symbol is IMethodSymbol { ReturnsVoid: true };
                case ConstructorDeclarationSyntax or AccessorDeclarationSyntax { Keyword.RawKind: (int)SyntaxKind.SetKeyword or (int)SyntaxKind.InitKeyword or (int)SyntaxKind.AddKeyword or (int)SyntaxKind.RemoveKeyword }:
                    return true;
                case MemberDeclarationSyntax:
                    return false;
            }
        }

        return false;
    }
}
