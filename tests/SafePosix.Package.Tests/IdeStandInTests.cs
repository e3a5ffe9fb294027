using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.MSBuild;
using Xunit;

namespace SafePosix.Package.Tests;

/// <summary>
/// An IDE stand-in: the showcase consumer opened with MSBuildWorkspace (the project system Visual Studio Code's C#
/// extension and others build on), our analyzers taken from the restored package as the IDE takes them, squiggles
/// computed per document, our fixers asked for code actions on each, and one applied to the document on disk.
/// </summary>
[Collection(PackageFeedCollection.Name)]
public sealed class IdeStandInTests
{
    private readonly PackageFeed _feed;

    public IdeStandInTests(PackageFeed feed) => _feed = feed;

    [Fact]
    public async Task Workspace_ShowsSquigglesOffersFixesAndAppliesOne()
    {
        var consumer = _feed.NewConsumer("ide").Showcase(Consumer.CentralVersions()).Write();
        var restore = await consumer.RunAsync("restore");
        Assert.True(restore.ExitCode == 0, restore.ToString());

        using var workspace = MSBuildWorkspace.Create();
        var project = await workspace.OpenProjectAsync(consumer.ProjectPath);
        Assert.DoesNotContain(workspace.Diagnostics, d => d.Kind == WorkspaceDiagnosticKind.Failure);

        // The IDE loads analyzers and fixers from the analyzer references the project's package brings.
        var ours = project.AnalyzerReferences.OfType<AnalyzerFileReference>()
            .Where(r => r.FullPath.Contains("safeposix.analyzers", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Equal(2, ours.Count);
        var analyzers = ours.SelectMany(r => r.GetAnalyzers(LanguageNames.CSharp)).ToImmutableArray();
        var fixers = ours.SelectMany(r => r.GetAssembly().GetTypes())
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t) && t.GetCustomAttribute<ExportCodeFixProviderAttribute>() is not null)
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!).ToList();
        Assert.NotEmpty(analyzers);
        Assert.NotEmpty(fixers);

        var squiggles = await Squiggles(project, analyzers);
        Assert.Contains(squiggles, d => d.Id == "PSX3001");
        Assert.Contains(squiggles, d => d.Id == "PSX1001");
        foreach (var diagnostic in squiggles)
        {
            // A squiggle covers one whole syntax node (the call, or the statement that leaves the child).
            var root = await diagnostic.Location.SourceTree!.GetRootAsync();
            Assert.True(diagnostic.Location.SourceSpan.Length > 0, diagnostic.ToString());
            Assert.Equal(diagnostic.Location.SourceSpan, root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).Span);
        }

        var writeHeader = squiggles.Single(d => d.Id == "PSX3001" && Text(d).StartsWith("MapFile(", StringComparison.Ordinal));
        var actions = new Dictionary<Diagnostic, List<CodeAction>>();
        foreach (var diagnostic in squiggles)
        {
            var document = project.GetDocument(diagnostic.Location.SourceTree)!;
            foreach (var fixer in fixers.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                var offered = new List<CodeAction>();
                await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => offered.Add(action), CancellationToken.None));
                actions[diagnostic] = offered;
            }
        }

        Assert.NotEmpty(actions[writeHeader]);
        Assert.All(actions.Values.SelectMany(a => a), a => Assert.False(string.IsNullOrWhiteSpace(a.Title)));
        Assert.Contains(actions, pair => pair.Key.Id == "PSX1003" && pair.Value.Count > 0);

        // Apply the first code action offered on WriteHeader's mmap, as a click in the light bulb does.
        var operations = await actions[writeHeader][0].GetOperationsAsync(CancellationToken.None);
        var apply = Assert.Single(operations.OfType<ApplyChangesOperation>());
        Assert.True(workspace.TryApplyChanges(apply.ChangedSolution));

        var onDisk = await File.ReadAllTextAsync(Path.Combine(consumer.ProjectDirectory, "MappingMistakes.cs"));
        Assert.NotEqual(await File.ReadAllTextAsync(Path.Combine(PackageFeed.RepositoryRoot, "samples", "Showcase", "MappingMistakes.cs")), onDisk);
        var fixedProject = workspace.CurrentSolution.GetProject(project.Id)!;
        var compilation = (await fixedProject.GetCompilationAsync())!;
        Assert.DoesNotContain(compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
        var after = await Squiggles(fixedProject, analyzers);
        Assert.Equal(squiggles.Count(d => d.Id == "PSX3001") - 1, after.Count(d => d.Id == "PSX3001"));
        Assert.DoesNotContain(after, d => d.Id == "PSX3001" && Text(d).StartsWith("MapFile(", StringComparison.Ordinal));
    }

    private static async Task<ImmutableArray<Diagnostic>> Squiggles(Project project, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var compilation = (await project.GetCompilationAsync())!;
        var diagnostics = await compilation.WithAnalyzers(analyzers, project.AnalyzerOptions).GetAnalyzerDiagnosticsAsync();
        return diagnostics.Where(d => d.Id.StartsWith("PSX", StringComparison.Ordinal) && d.Location.IsInSource).ToImmutableArray();
    }

    private static string Text(Diagnostic diagnostic) => diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan);
}
