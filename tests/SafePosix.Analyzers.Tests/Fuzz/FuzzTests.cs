using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using SafePosix.Analyzers.Tests.Meta;
using SafePosix.Analyzers.Tests.Verification;
using Xunit;
using Xunit.Abstractions;

namespace SafePosix.Analyzers.Tests.Fuzz;

/// <summary>
/// Every analyzer and every fixer over broken variants of the test sources: no analyzer may throw (AD0001 in every
/// user's build) and no fixer may throw when asked for, or applying, its actions. A fixed seed and a sample sized for
/// CI; bench/Fuzz/run.sh runs the same code on many more variants (SAFEPOSIX_FUZZ_VARIANTS, SAFEPOSIX_FUZZ_SEED).
/// </summary>
public sealed class FuzzTests
{
    private const int DefaultVariants = 300;
    private const int DefaultSeed = 20261129;
    private const int MaxFixesPerVariant = 6;

    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task AnalyzersAndFixers_SurviveBrokenSource()
    {
        var variants = Setting("SAFEPOSIX_FUZZ_VARIANTS", DefaultVariants);
        var seed = Setting("SAFEPOSIX_FUZZ_SEED", DefaultSeed);
        var corpus = FuzzCorpus.Load();
        Assert.True(corpus.Count > 50, $"The corpus has only {corpus.Count} sources: the harvest from the test files is broken.");

        var random = new Random(seed);
        var mutator = new Mutator(random);
        var crashes = new Dictionary<string, Crash>(StringComparer.Ordinal);
        var mutations = Mutator.Names.ToDictionary(n => n, _ => 0, StringComparer.Ordinal);
        var stopwatch = Stopwatch.StartNew();
        var fixesTried = 0;
        for (var i = 0; i < variants; i++)
        {
            var source = corpus[random.Next(corpus.Count)];
            var applied = new List<string>();
            for (var steps = 1 + random.Next(2); steps > 0; steps--)
            {
                var (name, text) = mutator.Mutate(source);
                mutations[name]++;
                applied.Add(name);
                source = text;
            }

            foreach (var (where, exception) in await RunAsync(source, () => fixesTried++))
            {
                var key = where + ": " + exception.GetType().Name + " at " + TopFrame(exception);
                if (!crashes.TryGetValue(key, out var known) || source.Length < known.Source.Length)
                {
                    crashes[key] = new Crash(key, source, string.Join("+", applied), exception, (known?.Count ?? 0) + 1);
                }
                else
                {
                    crashes[key] = known with { Count = known.Count + 1 };
                }
            }
        }

        var summary = $"fuzz: {variants} variants (seed {seed}) from {corpus.Count} sources, {fixesTried} code fixes asked for, "
            + $"{stopwatch.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s; mutations: "
            + string.Join(", ", mutations.Select(m => m.Key + " " + m.Value)) + $"; distinct crashes: {crashes.Count}";
        _output.WriteLine(summary);
        var report = Report(summary, crashes.Values);
        if (Environment.GetEnvironmentVariable("SAFEPOSIX_FUZZ_REPORT") is { Length: > 0 } path)
        {
            File.WriteAllText(path, report);
        }

        Assert.True(crashes.Count == 0, report);
    }

    private sealed record Crash(string Key, string Source, string Mutations, Exception Exception, int Count);

    private static int Setting(string name, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private static string TopFrame(Exception exception)
    {
        var frames = (exception.StackTrace ?? string.Empty).Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("at ", StringComparison.Ordinal)).ToList();
        var ours = frames.FirstOrDefault(f => f.Contains("SafePosix.", StringComparison.Ordinal)) ?? frames.FirstOrDefault() ?? "?";
        var inFile = ours.IndexOf(" in ", StringComparison.Ordinal);
        return (inFile > 0 ? ours.Substring(0, inFile) : ours).Substring(ours.StartsWith("at ", StringComparison.Ordinal) ? 3 : 0);
    }

    private static string Report(string summary, IEnumerable<Crash> crashes)
    {
        var report = new StringBuilder(summary).AppendLine();
        foreach (var crash in crashes.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var stack = string.Join("\n", (crash.Exception.StackTrace ?? string.Empty).Split('\n').Take(8));
            report.AppendLine().AppendLine($"== {crash.Key} ({crash.Count} variants; smallest made by {crash.Mutations})")
                .AppendLine(crash.Exception.GetType().FullName + ": " + crash.Exception.Message)
                .AppendLine(stack)
                .AppendLine("-- source --")
                .AppendLine(crash.Source);
        }

        return report.ToString();
    }

    /// <summary>Every analyzer on the source, then every fixer on every diagnostic it fixes; returns what threw where.</summary>
    private static async Task<List<(string Where, Exception Exception)>> RunAsync(string source, Action fixAsked)
    {
        var failures = new List<(string, Exception)>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var cancellationToken = timeout.Token;
        var document = CreateDocument(source);
        var compilation = (await document.Project.GetCompilationAsync(cancellationToken).ConfigureAwait(false))!;
        var thrown = new ConcurrentQueue<(string, Exception)>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            (exception, analyzer, _) => thrown.Enqueue(("analyzer " + analyzer.GetType().Name, exception)),
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        var diagnostics = await compilation.WithAnalyzers(RuleCatalog.Analyzers, options).GetAnalyzerDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
        failures.AddRange(thrown);
        foreach (var ad0001 in diagnostics.Where(d => d.Id == "AD0001" && thrown.IsEmpty))
        {
            failures.Add(("analyzer (AD0001)", new InvalidOperationException(ad0001.GetMessage(CultureInfo.InvariantCulture))));
        }

        var fixable = diagnostics.Where(d => d.Location.IsInSource && RuleCatalog.Fixers.Any(f => f.FixableDiagnosticIds.Contains(d.Id))).Take(MaxFixesPerVariant).ToList();
        foreach (var diagnostic in fixable)
        {
            foreach (var fixer in RuleCatalog.Fixers.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                fixAsked();
                try
                {
                    var actions = new List<CodeAction>();
                    await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), cancellationToken)).ConfigureAwait(false);
                    foreach (var action in actions)
                    {
                        await ApplyAsync(document, action, cancellationToken).ConfigureAwait(false);
                    }

                    if (actions.Count > 0 && fixer.GetFixAllProvider() is { } fixAll)
                    {
                        var context = new FixAllContext(document, fixer, FixAllScope.Document, actions[0].EquivalenceKey, fixer.FixableDiagnosticIds,
                            new FixedDiagnostics(diagnostics), cancellationToken);
                        if (await fixAll.GetFixAsync(context).ConfigureAwait(false) is { } all)
                        {
                            await ApplyAsync(document, all, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    failures.Add(("fixer " + fixer.GetType().Name + " on " + diagnostic.Id, exception));
                }
            }
        }

        return failures;
    }

    private static async Task ApplyAsync(Document document, CodeAction action, CancellationToken cancellationToken)
    {
        foreach (var operation in await action.GetOperationsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (operation is ApplyChangesOperation apply)
            {
                foreach (var changed in apply.ChangedSolution.GetChanges(document.Project.Solution).GetProjectChanges().SelectMany(p => p.GetChangedDocuments()))
                {
                    await apply.ChangedSolution.GetDocument(changed)!.GetTextAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static readonly CSharpCompilationOptions Options = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable)
        .WithSpecificDiagnosticOptions(PosixTestSetup.ForcedOn(RuleCatalog.Analyzers, new HashSet<string>()));

    private static Document CreateDocument(string source)
    {
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId, VersionStamp.Default, "Fuzz", "Fuzz", LanguageNames.CSharp,
            compilationOptions: Options, parseOptions: TestReferences.ParseOptions, metadataReferences: TestReferences.Default));
        var documentId = DocumentId.CreateNewId(projectId);
        return solution.AddDocument(documentId, "Fuzz.cs", SourceText.From(source)).GetDocument(documentId)!;
    }

    private sealed class FixedDiagnostics : FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> _diagnostics;

        public FixedDiagnostics(ImmutableArray<Diagnostic> diagnostics) => _diagnostics = diagnostics;

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics.Where(d => d.Location.IsInSource));

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult(Enumerable.Empty<Diagnostic>());

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);
    }
}
