using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SafePosix.Bench.Analyzers;

/// <summary>
/// The real-code scan (bench/RealCode/run.sh): every SafePosix analyzer, every rule forced on as a warning, over the C#
/// files of unpacked source packages. Each project compiles with the references that resolve (the running runtime's
/// framework; Mono.Posix.NETStandard and Tmds.LibC, each unless the project defines that binding itself); what does not bind
/// is skipped by the rules, which is the point: they must survive incomplete code. Usage:
///   SafePosix.Bench.Analyzers scan --project NAME=DIR[:SUBDIR,SUBDIR...] ... [--implicit-usings NAME ...]
///     [--define NAME=SYMBOL;SYMBOL...] [--out FILE]
/// `--implicit-usings NAME` compiles that project with the global usings the .NET SDK adds for
/// `<ImplicitUsings>enable</ImplicitUsings>` (System, System.IO, System.Linq ...): without them such a project's
/// `File.Delete` or `Task` does not bind, and the rules see less than a build would. `--define NAME=...` parses that
/// project with those preprocessor symbols (a build defines NETCOREAPP, NET8_0_OR_GREATER ... for its target; without
/// them code under `#if NETCOREAPP` is not compiled, and not analyzed).
/// </summary>
internal static class RealCodeScan
{
    private const string SdkImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var projects = new List<(string Name, string Root, string[] Parts)>();
        string? output = null;
        var implicitUsings = new HashSet<string>(StringComparer.Ordinal);
        var defines = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--project":
                    var spec = Next().Split('=', 2);
                    var pathAndParts = spec[1].Split(':', 2);
                    projects.Add((spec[0], pathAndParts[0], pathAndParts.Length > 1 ? pathAndParts[1].Split(',') : Array.Empty<string>()));
                    break;
                case "--out": output = Next(); break;
                case "--implicit-usings": implicitUsings.Add(Next()); break;
                case "--define":
                    var define = Next().Split('=', 2);
                    defines[define[0]] = define.Length > 1 ? define[1].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : Array.Empty<string>();
                    break;
                default:
                    await Console.Error.WriteLineAsync("usage: scan --project NAME=DIR[:SUBDIR,...] ... [--implicit-usings NAME ...] [--define NAME=SYMBOL;...] [--out FILE]").ConfigureAwait(false);
                    return 2;
            }
        }

        foreach (var unknown in implicitUsings.Where(name => projects.All(project => project.Name != name)))
        {
            await Console.Error.WriteLineAsync($"--implicit-usings {unknown}: no --project of that name").ConfigureAwait(false);
            return 2;
        }

        foreach (var unknown in defines.Keys.Where(name => projects.All(project => project.Name != name)))
        {
            await Console.Error.WriteLineAsync($"--define {unknown}: no --project of that name").ConfigureAwait(false);
            return 2;
        }

        var framework = Program.FrameworkReferences();
        var monoRoot = AnalyzerSets.PackageRoot("Mono.Posix.NETStandard")
            ?? throw new InvalidOperationException("Mono.Posix.NETStandard's folder was not recorded at build time.");
        var monoPosix = MetadataReference.CreateFromFile(Path.Combine(monoRoot, "ref", "netstandard2.0", "Mono.Posix.NETStandard.dll"));
        var tmdsRoot = AnalyzerSets.PackageRoot("Tmds.LibC")
            ?? throw new InvalidOperationException("Tmds.LibC's folder was not recorded at build time.");
        var tmdsLibC = MetadataReference.CreateFromFile(Path.Combine(tmdsRoot, "ref", "netstandard2.0", "Tmds.LibC.dll"));
        var safePosix = AnalyzerSets.SafePosix();
        var allRulesOn = safePosix.Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct(StringComparer.Ordinal)
            .ToImmutableDictionary(id => id, _ => ReportDiagnostic.Warn, StringComparer.Ordinal);

        var report = new StringBuilder();
        report.AppendLine("# Real-code scan: raw output");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"{safePosix.Analyzers.Length} analyzers ({safePosix.Source}), every rule forced to warning.");
        report.AppendLine();
        report.AppendLine("| project | files | lines | compile errors | invocations bound | analyzer exceptions | diagnostics | analysis s |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        var details = new StringBuilder();
        var totalExceptions = 0;
        foreach (var (name, root, parts) in projects)
        {
            var corpus = Load(name, root, parts);
            // A project that carries its own copy of a binding compiles against that copy, not the package's too.
            var texts = corpus.Trees.Select(tree => tree.ToString()).ToList();
            var definesMonoPosix = Defines(texts, "Mono.Unix.Native", "Syscall");
            var definesTmds = Defines(texts, "Tmds.Linux", "LibC");
            var references = framework;
            references = definesMonoPosix ? references : references.Add(monoPosix);
            references = definesTmds ? references : references.Add(tmdsLibC);
            var trees = corpus.Trees;
            if (defines.TryGetValue(name, out var symbols))
            {
                trees = trees.Select(tree => CSharpSyntaxTree.ParseText(tree.GetText(), ((CSharpParseOptions)tree.Options).WithPreprocessorSymbols(symbols), tree.FilePath)).ToImmutableArray();
            }

            if (implicitUsings.Contains(name))
            {
                trees = trees.Add(CSharpSyntaxTree.ParseText(SdkImplicitUsings, (CSharpParseOptions?)trees.FirstOrDefault()?.Options, Path.Combine(root, "ImplicitUsings.g.cs")));
            }

            var compilation = CSharpCompilation.Create(name, trees, references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, concurrentBuild: false)
                    .WithSpecificDiagnosticOptions(allRulesOn));
            var errors = compilation.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
            var bound = BoundInvocations(compilation);

            var exceptions = new List<string>();
            var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                (exception, analyzer, diagnostic) =>
                {
                    lock (exceptions)
                    {
                        exceptions.Add($"{analyzer.GetType().Name} at {diagnostic.Location.GetLineSpan()}: {exception}");
                    }
                },
                concurrentAnalysis: false, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: false);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var diagnostics = await compilation.WithAnalyzers(safePosix.Analyzers, options)
                .GetAnalyzerDiagnosticsAsync(CancellationToken.None).ConfigureAwait(false);
            clock.Stop();
            var ours = diagnostics.Where(d => d.Id.StartsWith("PSX", StringComparison.Ordinal) || d.Id == "AD0001")
                .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
                .ThenBy(d => d.Location.SourceSpan.Start)
                .ToList();
            var ad0001 = ours.Count(d => d.Id == "AD0001");
            totalExceptions += exceptions.Count + ad0001;
            Program.Log($"{name}: {corpus.Files} files, {corpus.Lines} lines, {errors} compile errors, {ours.Count} diagnostics, {exceptions.Count + ad0001} analyzer exceptions, {clock.Elapsed.TotalSeconds:F1} s");
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {corpus.Files} | {corpus.Lines} | {errors} | {bound.Bound} of {bound.Total} | {exceptions.Count + ad0001} | {ours.Count - ad0001} | {clock.Elapsed.TotalSeconds:F1} |");

            details.AppendLine(CultureInfo.InvariantCulture, $"## {name}");
            details.AppendLine();
            details.AppendLine(CultureInfo.InvariantCulture, $"{corpus.Description}{(parts.Length > 0 ? $" (folders: {string.Join(", ", parts)})" : "")}{(implicitUsings.Contains(name) ? "; the SDK's implicit usings added" : "")}; Mono.Posix.NETStandard {(definesMonoPosix ? "not referenced: the project defines Mono.Unix.Native.Syscall" : "referenced")}; Tmds.LibC {(definesTmds ? "not referenced: the project defines Tmds.Linux.LibC" : "referenced")}.");
            details.AppendLine();
            foreach (var exception in exceptions)
            {
                details.AppendLine(CultureInfo.InvariantCulture, $"- EXCEPTION {exception}");
            }

            foreach (var diagnostic in ours)
            {
                var span = diagnostic.Location.GetLineSpan();
                var line = diagnostic.Location.SourceTree?.GetText().Lines[span.StartLinePosition.Line].ToString().Trim() ?? "";
                details.AppendLine(CultureInfo.InvariantCulture,
                    $"- {diagnostic.Id} {span.Path}:{span.StartLinePosition.Line + 1}: {diagnostic.GetMessage(CultureInfo.InvariantCulture)}");
                details.AppendLine(CultureInfo.InvariantCulture, $"  `{(line.Length > 160 ? line[..160] + "..." : line)}`");
            }

            if (exceptions.Count == 0 && ours.Count == 0)
            {
                details.AppendLine("No diagnostic.");
            }

            details.AppendLine();
        }

        report.AppendLine();
        report.Append(details);
        Console.WriteLine(report);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, report.ToString()).ConfigureAwait(false);
        }

        return totalExceptions == 0 ? 0 : 1;
    }

    /// <summary>A file declaring both the binding's namespace and its class (by whole name: not LibCHelpers).</summary>
    private static bool Defines(List<string> texts, string namespaceName, string className)
    {
        var namespacePattern = new Regex(@"\bnamespace\s+" + Regex.Escape(namespaceName) + @"\b");
        var classPattern = new Regex(@"\bclass\s+" + Regex.Escape(className) + @"\b");
        return texts.Any(text => namespacePattern.IsMatch(text) && classPattern.IsMatch(text));
    }

    private static Corpus Load(string name, string root, string[] parts)
    {
        if (parts.Length == 0)
        {
            return Corpus.FromDirectory(name, root);
        }

        var trees = parts.SelectMany(part => Corpus.FromDirectory(name, Path.Combine(root, part)).Trees
                .Select(tree => tree.WithFilePath(Path.Combine(part, tree.FilePath))))
            .ToImmutableArray();
        var versionFile = Path.Combine(root, ".debian-version");
        var description = File.Exists(versionFile) ? $"Debian source package {File.ReadAllText(versionFile).Trim()}" : root;
        return new Corpus(name, description, trees, ImmutableArray<MetadataReference>.Empty);
    }

    private static (int Bound, int Total) BoundInvocations(CSharpCompilation compilation)
    {
        var bound = 0;
        var total = 0;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var invocation in tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax>())
            {
                total++;
                if (model.GetSymbolInfo(invocation).Symbol is IMethodSymbol)
                {
                    bound++;
                }
            }
        }

        return (bound, total);
    }
}
