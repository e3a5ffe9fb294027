using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SafePosix.Bench.Analyzers;

/// <summary>The Markdown report: printed to stdout and written to results.md.</summary>
internal static class Report
{
    private const string Floor = "floor";
    private const string FloorReporting = "floor + report fork";
    private const string GraphFloor = AnalyzerSets.GraphFloorName;
    private const string GraphFloorReports = "floor + graphs + reports";
    private const string Roslynator = "Roslynator";
    private const string SafePosix = "SafePosix";
    private const string SafePosixRules = "SafePosix, one analyzer per rule";

    public static string Render(Options options, IReadOnlyList<AnalyzerSet> sets, IReadOnlyList<CorpusResult> results, TimeSpan elapsed)
    {
        var md = new StringBuilder();
        void Line(string text = "") => md.Append(text).Append('\n');
        string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

        Line("# Analyzer cost: SafePosix vs peers");
        Line();
        Line(F($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; whole run {elapsed.TotalMinutes:F1} min"));
        Line(F($"- Machine: {CpuModel()}, {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {RuntimeInformation.OSDescription}"));
        Line(F($"- Host: {RuntimeInformation.FrameworkDescription}, Roslyn {RoslynVersion()} (Microsoft.CodeAnalysis.CSharp.Workspaces 4.14.0)"));
        Line(F($"- Command: `{options.Command}`"));
        Line(options.NoGc
            ? "- Collections: none inside a measured run (`--no-gc`, `GC.TryStartNoGCRegion`): the figures leave the GC cost of what a set allocates out, and are steady"
            : "- Collections: as in a build; a collection's pause counts toward the analyzer that was running (on this machine that makes runs of one set differ by up to 2x; `--no-gc` holds them off)");
        Line(options.Settle
            ? "- Order: each measured run follows an unmeasured run of the same set (a run measured right after another set's carries that set's after-effects: 10-15% after a graph floor run); a cold set's one run is not settled"
            : "- Order: each measured run follows whichever set ran before it in the round (`--no-settle`); a run right after a graph floor run measured 10-15% slower");
        foreach (var result in results)
        {
            var bound = result.FloorInvocations < 0 ? "?" : result.FloorInvocations.ToString("N0", CultureInfo.InvariantCulture);
            Line(F($"- Corpus {result.Corpus.Name}: {result.Corpus.Files} files, {result.Corpus.Lines:N0} lines ({result.Corpus.Description}); {result.CompileErrors:N0} compile errors; {result.Corpus.InvocationExpressions:N0} invocation expressions, of which {bound} bind to a method (invocation operations the floor analyzer saw); load average {result.LoadBefore} before, {result.LoadAfter} after"));
        }

        Line();
        Line("Analyzer time is the sum of Roslyn's own per-analyzer telemetry (`GetAnalyzerTelemetryInfoAsync(...).ExecutionTime`, " +
             "`concurrentAnalysis: false`, `logAnalyzerExecutionTime: true`) over the set's analyzers: time spent inside the " +
             "analyzers' callbacks, not the compiler's own binding. Warm-up runs per set and corpus until it has run for " + F($"{options.WarmupSeconds:F0} s") + " (JIT tiering), then the median of the " +
             "measured runs (count in the runs columns; a set whose single run is over the time budget is measured by that run alone, " +
             "marked cold). ms/1k = milliseconds per 1,000 physical lines. The telemetry is wall-clock time: other load on the " +
             "machine (load averages above) inflates every set; the rounds are interleaved so that it spreads over the sets alike.");
        Line();

        Line("## Analyzer time per 1,000 lines");
        Line();
        var header = new StringBuilder("| Set | Analyzers |");
        var rule = new StringBuilder("|---|---:|");
        foreach (var result in results)
        {
            header.Append(F($" {result.Corpus.Name} ms | ms/1k | x floor | x Roslynator | runs |"));
            rule.Append("---:|---:|---:|---:|---:|");
        }

        Line(header.ToString());
        Line(rule.ToString());
        foreach (var set in sets)
        {
            var row = new StringBuilder(F($"| {set.Name} | {(set.Loaded ? set.Analyzers.Length.ToString(CultureInfo.InvariantCulture) : "not loaded")} |"));
            foreach (var result in results)
            {
                if (!result.Runs.TryGetValue(set, out var runs) || runs.IsEmpty)
                {
                    row.Append(" - | - | - | - | 0 |");
                    continue;
                }

                var ms = MedianMs(result, set);
                var perK = PerThousand(result, ms);
                var floor = MedianOf(result, Floor);
                var roslynator = MedianOf(result, Roslynator);
                var count = result.Cold.Contains(set) ? F($"{runs.Length} (cold)") : runs.Length.ToString(CultureInfo.InvariantCulture);
                row.Append(F($" {ms:F1} | {perK:F3} | {Ratio(ms, floor)} | {Ratio(ms, roslynator)} | {count} |"));
            }

            Line(row.ToString());
        }

        Line();
        Line("## Budget (docs: shared design README, \"Performance budget\")");
        Line();
        var keepass = results.FirstOrDefault(r => r.Corpus.Name == "keepass2");
        var dense = results.FirstOrDefault(r => r.Corpus.Name == "posix-dense");
        if (keepass is not null && MedianOf(keepass, SafePosix) is { } realMs)
        {
            var perK = PerThousand(keepass, realMs);
            var keepassFloor = MedianOf(keepass, Floor);
            var keepassRoslynator = MedianOf(keepass, Roslynator);
            Line(F($"- keepass2 (no POSIX calls): SafePosix {perK:F3} ms/1k lines = {Ratio(realMs, keepassFloor)} x floor (budget <= 10 x: **{Verdict(keepassFloor is { } f ? realMs <= 10 * f : null)}**), {Ratio(realMs, keepassRoslynator)} x Roslynator (budget < 0.01 x: **{Verdict(keepassRoslynator is { } r ? realMs < r / 100 : null)}**)"));
            if (keepassFloor is { } floorOnKeepass && keepass.Runs.FirstOrDefault(p => p.Key.Name == SafePosixRules) is { Value.IsEmpty: false } oursOnKeepass)
            {
                var over = oursOnKeepass.Key.Analyzers
                    .Select(a => (Name: a.GetType().Name, Ms: Measurement.Median(oursOnKeepass.Value.Select(r => r.PerAnalyzer[a].TotalMilliseconds))))
                    .Where(x => x.Ms > 2 * floorOnKeepass)
                    .Select(x => F($"{x.Name} {x.Ms / floorOnKeepass:F1} x"))
                    .ToList();
                Line(F($"- keepass2, per rule (each rule's own analyzer, the \"{SafePosixRules}\" set): budget <= 2 x floor each: **{(over.Count == 0 ? "met" : "NOT met: " + string.Join(", ", over))}**"));
            }
        }

        if (dense is not null && MedianOf(dense, SafePosix) is { } denseMs && MedianOf(dense, Roslynator) is { } rosMs)
        {
            Line(F($"- posix-dense: SafePosix {PerThousand(dense, denseMs):F3} ms/1k = {denseMs / rosMs:F3} x Roslynator ({PerThousand(dense, rosMs):F3} ms/1k), budget <= 0.35 x: **{(denseMs <= rosMs * 0.35 ? "met" : "NOT met")}**"));
        }
        else if (dense is not null)
        {
            Line("- posix-dense: Roslynator did not run, so the ratio cannot be computed");
        }

        if (dense is not null && MedianOf(dense, SafePosix) is { } oursMs && MedianOf(dense, Roslynator) is { } theirs
            && MedianOf(dense, Floor) is { } floorMs && MedianOf(dense, FloorReporting) is { } reportingMs)
        {
            var scan = Math.Max(0, reportingMs - floorMs);
            Line(F($"- The first diagnostic a set that leaves generated code out (`GeneratedCodeAnalysisFlags.None`, as the floor analyzers and most peers do) reports in a file makes Roslyn's driver walk that whole file for [GeneratedCode] declarations (`AnalyzerDriver.IsInGeneratedCode`, once per file and driver). The \"floor + report fork\" row pays it on every dense file: {scan:F1} ms = {scan / theirs:F3} x Roslynator. SafePosix does not analyze generated code either but sets `ReportDiagnostics` (src/Analyzers/GeneratedCode.cs), so its reports skip that walk."));
            if (MedianOf(dense, GraphFloor) is { } graphsMs)
            {
                Line(F($"- The \"floor + graphs\" row is the least a flow-sensitive package pays here: the name test and the control-flow graph of every body holding a call a rule starts from (built once per body and shared), generated code left out as SafePosix does: {graphsMs:F1} ms = {graphsMs / theirs:F3} x Roslynator. SafePosix is {oursMs / Math.Max(graphsMs, 0.001):F1} x that and spends {Math.Max(0, oursMs - graphsMs):F1} ms beyond it: its rules' own work and reporting its diagnostics."));
            }

            if (MedianOf(dense, GraphFloor) is { } graphsOnly && MedianOf(dense, GraphFloorReports) is { } reportsMs
                && DiagnosticsOf(dense, GraphFloor) is { } graphDiagnostics && DiagnosticsOf(dense, GraphFloorReports) is { } reported
                && DiagnosticsOf(dense, SafePosix) is { } ourDiagnostics && reported > graphDiagnostics)
            {
                if (reportsMs <= graphsOnly)
                {
                    Line(F($"- Reporting cannot be priced from this run: the \"floor + graphs + reports\" row ({reportsMs:F1} ms, {reported:N0} diagnostics) came out at or below \"floor + graphs\" ({graphsOnly:F1} ms, {graphDiagnostics:N0}); the difference is smaller than the run-to-run spread here (collections make runs bimodal: `--no-gc` prices it)."));
                }
                else
                {
                    var perDiagnostic = (reportsMs - graphsOnly) / (reported - graphDiagnostics);
                    var unavoidable = graphsOnly + perDiagnostic * Math.Max(0, ourDiagnostics - graphDiagnostics);
                    Line(F($"- Reporting: the \"floor + graphs + reports\" row reports {reported:N0} diagnostics instead of {graphDiagnostics:N0}, for {reportsMs - graphsOnly:F1} ms more, {perDiagnostic * 1000:F1} µs each (Roslyn's own path: severity and suppression filtering, the diagnostic queue). SafePosix reports {ourDiagnostics:N0} here. What no package making those findings with control-flow graphs can avoid (name tests, graphs, reporting): {unavoidable:F1} ms = {unavoidable / theirs:F3} x Roslynator. SafePosix's rules' own work: {Math.Max(0, oursMs - unavoidable):F1} ms = {Math.Max(0, oursMs - unavoidable) / theirs:F3} x Roslynator."));
                }
            }
        }

        Line();
        Line("## Per SafePosix rule");
        Line();
        Line($"The package runs its warning-level rules as one analyzer (WarningRulesAnalyzer), so Roslyn's telemetry has one figure for them; the \"{SafePosixRules}\" set runs each rule's own class (the code the group runs, one analyzer each) and gives each rule's figure. " +
             "Each analyzer's own telemetry in that run (median). Call sites: the bound calls the rule starts from " +
             "(the functions in bench/Analyzers/CallSites.cs, through any surface); ms/1k call sites divides the analyzer's time by them. " +
             "The first analyzer to ask for a body's control-flow graph pays for building it (the driver then shares it).");
        Line();
        var ours = sets.FirstOrDefault(s => s.Name == SafePosixRules) ?? sets.FirstOrDefault(s => s.Name == SafePosix);
        if (ours is { Loaded: true })
        {
            var head = new StringBuilder("| Analyzer | Rule IDs |");
            var line = new StringBuilder("|---|---|");
            foreach (var result in results)
            {
                head.Append(F($" {result.Corpus.Name} ms | ms/1k lines | call sites | ms/1k call sites | diagnostics |"));
                line.Append("---:|---:|---:|---:|---:|");
            }

            Line(head.ToString());
            Line(line.ToString());
            foreach (var analyzer in ours.Analyzers)
            {
                var ids = analyzer.SupportedDiagnostics.Select(d => d.Id).Distinct(StringComparer.Ordinal).ToList();
                var row = new StringBuilder(F($"| {analyzer.GetType().Name} | {string.Join(", ", ids)} |"));
                foreach (var result in results)
                {
                    if (!result.Runs.TryGetValue(ours, out var runs) || runs.IsEmpty)
                    {
                        row.Append(" - | - | - | - | - |");
                        continue;
                    }

                    var ms = Measurement.Median(runs.Select(r => r.PerAnalyzer[analyzer].TotalMilliseconds));
                    var count = ids.Sum(id => runs[0].DiagnosticsById.GetValueOrDefault(id));
                    // An analyzer with several rules starts from the widest of their call-site lists.
                    var sites = ids.Select(id => result.CallSites.GetValueOrDefault(id)).DefaultIfEmpty(0).Max();
                    var perSite = sites == 0 ? "-" : F($"{ms / (sites / 1000.0):F1}");
                    row.Append(F($" {ms:F2} | {PerThousand(result, ms):F3} | {sites} | {perSite} | {count} |"));
                }

                Line(row.ToString());
            }
        }
        else
        {
            Line(ours is null ? "SafePosix was not among the selected sets." : "SafePosix did not load: " + string.Join("; ", ours.Failures));
        }

        Line();
        Line("## Sets and packages");
        Line();
        Line("| Set | Source | Loaded | Load failures |");
        Line("|---|---|---|---|");
        foreach (var set in sets)
        {
            var failures = set.Failures.IsEmpty ? "none" : F($"{set.Failures.Length}: ") + string.Join("<br>", set.Failures.Take(5).Select(Escape));
            Line(F($"| {set.Name} | {Escape(set.Source)} | {AnalyzerSets.Describe(set)} | {failures} |"));
        }

        Line();
        Line("- Rules run at their packages' defaults with no .editorconfig, suggestion- and hidden-level rules included (what an IDE runs; " +
             "a command-line build skips an analyzer whose rules are all below warning). \"NetAnalyzers (default)\" is what the SDK's " +
             "AnalysisMode=Default gives (SDK 10's default globalconfig only turns off CA1516, a rule newer than 10.0); \"NetAnalyzers (all rules)\" " +
             "forces every rule ID the package supports to warning, like AnalysisMode=All.");
        Line("- Each package's C# analyzers are loaded as the SDK picks them (the highest `analyzers/dotnet/roslynX.Y/cs` not above the host's " +
             "Roslyn, else `analyzers/dotnet/cs` and `analyzers/dotnet`, else `analyzers/`) through `AnalyzerFileReference`, one load context per package, " +
             "Roslyn shared with the host: a package built against a newer Roslyn is listed as a load failure.");

        Line();
        Line("## Details per corpus");
        foreach (var result in results)
        {
            Line();
            Line(F($"### {result.Corpus.Name}"));
            Line();
            Line("| Set | runs | analyzer ms min-median-max | wall s/run (driver incl. binding) | diagnostics | analyzer exceptions | slowest analyzers (median ms) |");
            Line("|---|---:|---|---:|---:|---:|---|");
            foreach (var set in sets.Where(s => result.Runs.ContainsKey(s)))
            {
                var runs = result.Runs[set];
                if (runs.IsEmpty)
                {
                    continue;
                }

                var times = runs.Select(r => r.AnalyzerTime.TotalMilliseconds).ToList();
                var slowest = set.Analyzers
                    .Select(a => (Name: a.GetType().Name, Ms: Measurement.Median(runs.Select(r => r.PerAnalyzer[a].TotalMilliseconds))))
                    .OrderByDescending(x => x.Ms)
                    .Take(3)
                    .Select(x => F($"{x.Name} {x.Ms:F0}"));
                var exceptions = runs[0].AnalyzerExceptions == 0
                    ? "0"
                    : F($"{runs[0].AnalyzerExceptions} ({Escape(string.Join("; ", runs[0].ExceptionSamples))})");
                Line(F($"| {set.Name} | {runs.Length} | {times.Min():F1} / {Measurement.Median(times):F1} / {times.Max():F1} | {Measurement.Median(runs.Select(r => r.Wall.TotalSeconds)):F1} | {runs[0].Diagnostics} | {exceptions} | {string.Join(", ", slowest)} |"));
            }
        }

        return md.ToString();
    }

    private static double MedianMs(CorpusResult result, AnalyzerSet set) =>
        Measurement.Median(result.Runs[set].Select(r => r.AnalyzerTime.TotalMilliseconds));

    private static double? MedianOf(CorpusResult result, string name)
    {
        var set = result.Runs.Keys.FirstOrDefault(s => s.Name == name);
        return set is null || result.Runs[set].IsEmpty ? null : MedianMs(result, set);
    }

    private static int? DiagnosticsOf(CorpusResult result, string name)
    {
        var set = result.Runs.Keys.FirstOrDefault(s => s.Name == name);
        return set is null || result.Runs[set].IsEmpty ? null : result.Runs[set][0].Diagnostics;
    }

    private static double PerThousand(CorpusResult result, double ms) => ms / (result.Corpus.Lines / 1000.0);

    private static string Ratio(double ms, double? reference) =>
        reference is { } r && r > 0 ? (ms / r).ToString(ms / r >= 10 ? "F0" : ms / r >= 1 ? "F1" : "F3", CultureInfo.InvariantCulture) : "-";

    private static string Verdict(bool? met) => met switch { true => "met", false => "NOT met", null => "no reference run" };

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private static string RoslynVersion() =>
        typeof(Compilation).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]
        ?? typeof(Compilation).Assembly.GetName().Version?.ToString() ?? "?";
}
