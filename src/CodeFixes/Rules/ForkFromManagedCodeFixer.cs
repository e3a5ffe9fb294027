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

namespace SafePosix.CodeFixes.Rules;

/// <summary>
/// PSX1001: rewrites the canonical fork + exec + _exit (+ waitpid) block into <c>Process.Start</c>. Offered only when
/// the rewrite keeps the program's meaning: a constant path with a '/' (execv does not search PATH; Process.Start
/// would for a bare name), argv[0] equal to the path or its file name (Process.Start passes the path as argv[0]),
/// constant "NAME=value" environment entries (execve replaces the whole environment, so it is cleared first), a
/// pid that nothing but the test and one waitpid ever reads, and a wait whose status nobody reads.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ForkFromManagedCodeFixer))]
[Shared]
public sealed class ForkFromManagedCodeFixer : CodeFixProvider
{
    public const string UseProcessStartKey = RuleIds.ForkFromManagedCode + ".UseProcessStart";

    /// <summary>The exec calls whose arguments map onto ProcessStartInfo (a path or file, argv, perhaps an environment); ProcessCalls.ExecFunctions has them all.</summary>
    private static readonly FunctionSet RewritableExecFunctions = PosixSurfaces.Functions("execv", "execvp", "execve");

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.ForkFromManagedCode);

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
            if (Plan(root, model, diagnostic, context.CancellationToken) is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Start the program with Process.Start",
                    cancellationToken => FixAsync(context.Document, ImmutableArray.Create(diagnostic), cancellationToken),
                    UseProcessStartKey),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var applied = false;
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (Plan(editor.OriginalRoot, editor.SemanticModel, diagnostic, cancellationToken) is not { } plan)
            {
                continue;
            }

            applied = true;

            var startInfo = FreeName(editor.SemanticModel, plan.First, "startInfo", taken);
            var process = FreeName(editor.SemanticModel, plan.First, "process", taken);
            var statements = ProcessSyntax.ProcessStart(startInfo, process, plan.Path, plan.Arguments, plan.Environment, plan.Wait is not null);
            statements[0] = statements[0].WithLeadingTrivia(plan.First.GetLeadingTrivia());
            statements[statements.Length - 1] = statements[statements.Length - 1].WithTrailingTrivia(plan.Removed[plan.Removed.Count - 1].GetTrailingTrivia());
            editor.InsertBefore(plan.First, statements);
            foreach (var statement in plan.Removed)
            {
                editor.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia);
            }
        }

        // A Fix All whose every plan failed changes nothing, not even a using.
        return applied
            ? await PosixSyntax.AddUsingsAsync(editor.GetChangedDocument(), cancellationToken, "System.Diagnostics").ConfigureAwait(false)
            : document;
    }

    private sealed class FixPlan
    {
        public FixPlan(StatementSyntax first, List<StatementSyntax> removed, ExpressionSyntax path, List<ExpressionSyntax> arguments,
            List<KeyValuePair<string, string>>? environment, StatementSyntax? wait)
        {
            First = first;
            Removed = removed;
            Path = path;
            Arguments = arguments;
            Environment = environment;
            Wait = wait;
        }

        public StatementSyntax First { get; }

        public List<StatementSyntax> Removed { get; }

        public ExpressionSyntax Path { get; }

        public List<ExpressionSyntax> Arguments { get; }

        public List<KeyValuePair<string, string>>? Environment { get; }

        public StatementSyntax? Wait { get; }
    }

    private static FixPlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.ContainsKey(ForkFromManagedCodeAnalyzer.ExecThenExitProperty)
            || diagnostic.AdditionalLocations.Count == 0
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax childTest
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax fork
            || model.Compilation.GetTypeByMetadataName("System.Diagnostics.ProcessStartInfo") is not { } startInfoType
            || startInfoType.GetMembers("ArgumentList").IsEmpty)
        {
            return null;
        }

        var surfaces = PosixSurfaces.Create(model.Compilation);
        var value = Outer(fork);

        // if (fork() == 0) { ... }: the analyzer found the test that is true exactly in the child.
        if (value.Parent is ExpressionSyntax test && test == childTest && test.Parent is IfStatementSyntax direct && direct.Condition == test)
        {
            return PlanFor(direct, direct, new List<StatementSyntax> { direct }, null, null, model, surfaces, cancellationToken);
        }

        // var pid = fork(); if (pid == 0) { ... } [waitpid(pid, out _, 0);]
        if (value.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
            || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax declaration }
            || model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol pid
            || Next(declaration) is not IfStatementSyntax branch
            || branch.Condition != childTest
            || !MentionsOnly(childTest, pid, model, cancellationToken))
        {
            return null;
        }

        var wait = Next(branch) is ExpressionStatementSyntax candidate && IsWaitFor(candidate, pid, model, surfaces, cancellationToken) ? candidate : null;

        // Nothing else may read the pid: the rewrite has no pid to give it.
        var body = declaration.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? (SyntaxNode)declaration.Parent!;
        foreach (var identifier in body.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (identifier.Identifier.ValueText == pid.Name
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, pid)
                && !branch.Condition.Span.Contains(identifier.Span)
                && !(wait is not null && wait.Span.Contains(identifier.Span)))
            {
                return null;
            }
        }

        var removed = new List<StatementSyntax> { declaration, branch };
        if (wait is not null)
        {
            removed.Add(wait);
        }

        return PlanFor(declaration, branch, removed, wait, pid, model, surfaces, cancellationToken);
    }

    private static FixPlan? PlanFor(StatementSyntax first, IfStatementSyntax branch, List<StatementSyntax> removed, StatementSyntax? wait, ILocalSymbol? pid,
        SemanticModel model, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        if (first.Parent is not (BlockSyntax or SwitchSectionSyntax) || branch.Else is not null
            || branch.Statement is not BlockSyntax { Statements: { Count: 2 } child }
            || child[0] is not ExpressionStatementSyntax { Expression: InvocationExpressionSyntax exec }
            || child[1] is not ExpressionStatementSyntax { Expression: InvocationExpressionSyntax exit }
            || model.GetSymbolInfo(exec, cancellationToken).Symbol is not IMethodSymbol execMethod
            || !surfaces.TryGetLibcCall(execMethod, RewritableExecFunctions, out var execCall)
            || model.GetSymbolInfo(exit, cancellationToken).Symbol is not IMethodSymbol exitMethod
            || !surfaces.TryGetLibcCall(exitMethod, ProcessCalls.SafeExitFunctions, out _))
        {
            return null;
        }

        var arguments = exec.ArgumentList.Arguments;
        var expected = execCall.Function == "execve" ? 3 : 2;
        if (arguments.Count != expected || arguments.Any(a => a.NameColon is not null || !a.RefKindKeyword.IsKind(SyntaxKind.None)))
        {
            return null;
        }

        // execv does not search PATH and Process.Start does for a bare name: only a path with a '/' means the same to both.
        if (model.GetConstantValue(arguments[0].Expression, cancellationToken) is not { HasValue: true, Value: string path } || path.IndexOf('/') < 0
            || Elements(arguments[1].Expression) is not { Count: > 0 } argv)
        {
            return null;
        }

        // Process.Start passes the path as argv[0]: keep only programs told the same name (or its file name).
        if (model.GetConstantValue(argv[0], cancellationToken) is not { HasValue: true, Value: string argv0 }
            || (argv0 != path && argv0 != path.Substring(path.LastIndexOf('/') + 1)))
        {
            return null;
        }

        var rest = new List<ExpressionSyntax>();
        for (var i = 1; i < argv.Count; i++)
        {
            if (IsNull(argv[i], model, cancellationToken) || model.GetTypeInfo(argv[i], cancellationToken).Type?.SpecialType != SpecialType.System_String)
            {
                return null;
            }

            rest.Add(argv[i].WithoutTrivia());
        }

        List<KeyValuePair<string, string>>? environment = null;
        if (execCall.Function == "execve")
        {
            if (Elements(arguments[2].Expression) is not { } envp)
            {
                return null;
            }

            environment = new List<KeyValuePair<string, string>>();
            foreach (var entry in envp)
            {
                if (model.GetConstantValue(entry, cancellationToken) is not { HasValue: true, Value: string text } || text.IndexOf('=') <= 0)
                {
                    return null;
                }

                var equals = text.IndexOf('=');
                environment.Add(new KeyValuePair<string, string>(text.Substring(0, equals), text.Substring(equals + 1)));
            }
        }

        return new FixPlan(first, removed, arguments[0].Expression.WithoutTrivia(), rest, environment, wait);

        bool IsNull(ExpressionSyntax expression, SemanticModel semantic, CancellationToken token)
            => semantic.GetConstantValue(expression, token) is { HasValue: true, Value: null };
    }

    /// <summary>The elements of an array creation with an initializer, without the NULL terminator(s) at the end.</summary>
    private static List<ExpressionSyntax>? Elements(ExpressionSyntax expression)
    {
        var initializer = expression switch
        {
            ArrayCreationExpressionSyntax { Initializer: { } explicitInitializer } => explicitInitializer,
            ImplicitArrayCreationExpressionSyntax { Initializer: var implicitInitializer } => implicitInitializer,
            _ => null,
        };
        if (initializer is null)
        {
            return null;
        }

        var elements = initializer.Expressions.ToList();
        while (elements.Count > 0 && elements[elements.Count - 1].IsKind(SyntaxKind.NullLiteralExpression))
        {
            elements.RemoveAt(elements.Count - 1);
        }

        return elements;
    }

    private static ExpressionSyntax Outer(ExpressionSyntax expression)
    {
        while (expression.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            expression = (ExpressionSyntax)expression.Parent;
        }

        return expression;
    }

    /// <summary>The child test reads the pid directly (<c>pid == 0</c>), not through another local the rewrite would lose.</summary>
    private static bool MentionsOnly(ExpressionSyntax test, ILocalSymbol pid, SemanticModel model, CancellationToken cancellationToken)
    {
        var operand = test switch
        {
            BinaryExpressionSyntax binary => binary.Left is LiteralExpressionSyntax ? binary.Right : binary.Left,
            IsPatternExpressionSyntax pattern => pattern.Expression,
            _ => null,
        };
        return operand is IdentifierNameSyntax identifier && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, pid);
    }

    /// <summary><c>waitpid(pid, out _, 0);</c> with a status nobody reads and no options.</summary>
    private static bool IsWaitFor(ExpressionStatementSyntax statement, ILocalSymbol pid, SemanticModel model, PosixSurfaces surfaces, CancellationToken cancellationToken)
    {
        if (statement.Expression is not InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 3 } arguments } wait
            || model.GetSymbolInfo(wait, cancellationToken).Symbol is not IMethodSymbol method
            || !surfaces.TryGetLibcCall(method, out var call) || call.Function != "waitpid"
            || arguments[0].Expression is not IdentifierNameSyntax first
            || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(first, cancellationToken).Symbol, pid)
            || model.GetConstantValue(arguments[2].Expression, cancellationToken) is not { HasValue: true, Value: 0 })
        {
            return false;
        }

        var status = arguments[1];
        if (status.RefKindKeyword.IsKind(SyntaxKind.OutKeyword))
        {
            // out _, out var _, out int _: a discard; a declared status must not be read anywhere.
            return status.Expression switch
            {
                IdentifierNameSyntax { Identifier.ValueText: "_" } => true,
                DeclarationExpressionSyntax { Designation: DiscardDesignationSyntax } => true,
                DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation }
                    => model.GetDeclaredSymbol(designation, cancellationToken) is ILocalSymbol local && !IsRead(local, statement, model, cancellationToken),
                _ => false,
            };
        }

        return model.GetConstantValue(status.Expression, cancellationToken) is { HasValue: true, Value: null }
            || (status.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Zero" } zero
                && model.GetTypeInfo(zero, cancellationToken).Type?.SpecialType == SpecialType.System_IntPtr);
    }

    private static bool IsRead(ILocalSymbol local, StatementSyntax declaringStatement, SemanticModel model, CancellationToken cancellationToken)
    {
        var body = declaringStatement.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? (SyntaxNode)declaringStatement.Parent!;
        return body.DescendantNodes().OfType<IdentifierNameSyntax>().Any(identifier => identifier.Identifier.ValueText == local.Name
            && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, local));
    }

    private static StatementSyntax? Next(StatementSyntax statement)
    {
        var siblings = statement.Parent switch
        {
            BlockSyntax block => block.Statements,
            SwitchSectionSyntax section => section.Statements,
            _ => default,
        };
        var index = siblings.IndexOf(statement);
        return index >= 0 && index + 1 < siblings.Count ? siblings[index + 1] : null;
    }

    private static string FreeName(SemanticModel model, SyntaxNode site, string name, HashSet<string> taken)
    {
        var candidate = name;
        var scope = (site.Parent?.SpanStart ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture) + ":";
        for (var i = 2; !model.LookupSymbols(site.SpanStart, name: candidate).IsEmpty || !taken.Add(scope + candidate); i++)
        {
            candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
