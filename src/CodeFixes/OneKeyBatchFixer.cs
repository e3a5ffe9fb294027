using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace SafePosix.CodeFixes;

/// <summary>
/// The batch fixer for a fixer whose code actions all share one equivalence key, run with that key whatever key the
/// caller passed. `dotnet format analyzers` asks the fixer for actions on the first diagnostic of the rule it collected
/// (analysis is concurrent, so which one is first changes from run to run) and passes that action's key on; when the
/// first diagnostic is a shape the fixer rightly leaves alone, the key is null, the plain batch fixer matches no
/// action, and every fixable diagnostic of the rule is left for a second pass.
/// </summary>
internal sealed class OneKeyBatchFixer : FixAllProvider
{
    private readonly string _equivalenceKey;

    public OneKeyBatchFixer(string equivalenceKey) => _equivalenceKey = equivalenceKey;

    public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() => WellKnownFixAllProviders.BatchFixer.GetSupportedFixAllScopes();

    public override Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
        => WellKnownFixAllProviders.BatchFixer.GetFixAsync(
            fixAllContext.CodeActionEquivalenceKey == _equivalenceKey ? fixAllContext : WithOwnKey(fixAllContext));

    private FixAllContext WithOwnKey(FixAllContext context)
    {
        // Scopes narrower than a document carry a span these constructors cannot pass on: keep the caller's context.
        if (context.Scope is not (FixAllScope.Document or FixAllScope.Project or FixAllScope.Solution))
        {
            return context;
        }

        var diagnostics = new SameDiagnostics(context);
        return context.Document is { } document
            ? new FixAllContext(document, context.CodeFixProvider, context.Scope, _equivalenceKey, context.DiagnosticIds, diagnostics, context.CancellationToken)
            : new FixAllContext(context.Project, context.CodeFixProvider, context.Scope, _equivalenceKey, context.DiagnosticIds, diagnostics, context.CancellationToken);
    }

    /// <summary>The diagnostics the caller's context would fix.</summary>
    private sealed class SameDiagnostics : FixAllContext.DiagnosticProvider
    {
        private readonly FixAllContext _context;

        public SameDiagnostics(FixAllContext context) => _context = context;

        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
            => await _context.WithCancellationToken(cancellationToken).GetDocumentDiagnosticsAsync(document).ConfigureAwait(false);

        public override async Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => await _context.WithCancellationToken(cancellationToken).GetProjectDiagnosticsAsync(project).ConfigureAwait(false);

        public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => await _context.WithCancellationToken(cancellationToken).GetAllDiagnosticsAsync(project).ConfigureAwait(false);
    }
}
