using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SafePosix.Bench.Analyzers;

/// <summary>
/// Analyzer cost per 1,000 lines: a floor analyzer, SafePosix and peer packages on keepass2 (real code without
/// POSIX calls) and a generated POSIX-dense corpus. Usage (run.sh passes these):
///   SafePosix.Bench.Analyzers --keepass DIR [--reps 5] [--dense-reps 9] [--warmup 5] [--budget 60] [--dense-lines 40000] [--out FILE]
///                             [--sets floor,SafePosix,...] [--command TEXT] [--no-gc] [--no-settle] [--alloc-types] [--run-log FILE]
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "scan")
        {
            return await RealCodeScan.RunAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "fixall")
        {
            return await FixAllBench.RunAsync(args[1..]).ConfigureAwait(false);
        }

        var options = Options.Parse(args);
        if (options is null)
        {
            await Console.Error.WriteLineAsync("usage: --keepass DIR [--reps N] [--dense-reps N] [--warmup SECONDS] [--budget SECONDS] [--dense-lines N] [--out FILE] [--sets a,b] [--command TEXT] [--no-gc] [--no-settle] [--alloc-types] [--run-log FILE]").ConfigureAwait(false);
            return 2;
        }

        var clock = Stopwatch.StartNew();
        var framework = FrameworkReferences();
        Log($"framework: {framework.Length} reference assemblies from {RuntimeEnvironment.GetRuntimeDirectory()}");

        var sets = LoadSets(options);
        foreach (var set in sets)
        {
            Log($"set {set.Name}: {set.Source}: {AnalyzerSets.Describe(set)}" +
                (set.Failures.IsEmpty ? "" : $"; {set.Failures.Length} load failure(s): {set.Failures[0]}"));
        }

        var corpora = new List<Corpus>();
        if (options.KeepassDir is not null)
        {
            corpora.Add(Corpus.FromDirectory("keepass2", options.KeepassDir));
        }

        var tmdsRoot = AnalyzerSets.PackageRoot("Tmds.LibC")
            ?? throw new InvalidOperationException("Tmds.LibC's folder was not recorded at build time.");
        var tmds = MetadataReference.CreateFromFile(Path.Combine(tmdsRoot, "ref", "netstandard2.0", "Tmds.LibC.dll"));
        var monoRoot = AnalyzerSets.PackageRoot("Mono.Posix.NETStandard")
            ?? throw new InvalidOperationException("Mono.Posix.NETStandard's folder was not recorded at build time.");
        var mono = MetadataReference.CreateFromFile(Path.Combine(monoRoot, "ref", "netstandard2.0", "Mono.Posix.NETStandard.dll"));
        corpora.Add(PosixCorpus.Generate(options.DenseLines, tmds, mono));

        var runnable = sets.Where(s => s.Loaded).ToList();

        // Listens only when asked: the runtime then raises an event every ~100 KB allocated, which costs a little time.
        using var sampler = options.AllocationTypes ? new AllocationSampler() : null;
        using var runLog = options.RunLog is null ? null : new StreamWriter(options.RunLog);
        runLog?.WriteLine("corpus\tset\tround\tstart_ns\tend_ns\ttelemetry_ms");
        var results = new List<CorpusResult>();
        foreach (var corpus in corpora)
        {
            var compilation = CSharpCompilation.Create(
                corpus.Name,
                corpus.Trees,
                framework.AddRange(corpus.ExtraReferences),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, concurrentBuild: false));
            var errors = compilation.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
            Log($"corpus {corpus.Name}: {corpus.Files} files, {corpus.Lines} lines, {errors} compile errors");
            if (corpus.Name == "posix-dense" && errors > 0)
            {
                // The generated corpus must compile against the real packages: show what does not.
                foreach (var error in compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(10))
                {
                    Log($"  {error}");
                }
            }
            var callSites = CallSites.Count(compilation);
            results.Add(await MeasureAsync(corpus, compilation, errors, runnable, options, sampler, runLog).ConfigureAwait(false) with { CallSites = callSites });
        }

        var report = Report.Render(options, sets, results, clock.Elapsed);
        if (sampler is not null)
        {
            report += Environment.NewLine + sampler.Report(AnalyzerSets.GraphFloorName);
        }

        Console.WriteLine();
        Console.WriteLine(report);
        if (options.Out is not null)
        {
            await File.WriteAllTextAsync(options.Out, report).ConfigureAwait(false);
            Log($"written to {options.Out}");
        }

        return 0;
    }

    private static async Task<CorpusResult> MeasureAsync(
        Corpus corpus, CSharpCompilation compilation, int errors, List<AnalyzerSet> sets, Options options, AllocationSampler? sampler, StreamWriter? runLog)
    {
        var loadBefore = LoadAverage();
        var runs = sets.ToDictionary(s => s, _ => new List<RunResult>());
        var repetitions = new Dictionary<AnalyzerSet, int>();
        var cold = new HashSet<AnalyzerSet>();
        var floor = sets.FirstOrDefault(s => s.Name == "floor")?.Analyzers.OfType<FloorAnalyzer>().FirstOrDefault();
        long floorInvocations = -1;

        // Warm-up: every set until it has run for WarmupSeconds (at least once, at most 10 times): JIT tiering, the
        // analyzers' static caches. A short corpus needs several runs before the analyzers' code is fully optimized.
        // The last warm-up run's time sets how often the set is repeated within the budget. A set whose single run is
        // already over the budget is not run again: its warm-up run is its measurement (marked cold in the report; the
        // driver is jitted by then, only the set's own code is not).
        var reps = corpus.Name == "keepass2" ? options.Repetitions : options.DenseRepetitions;
        foreach (var set in sets)
        {
            RunResult warm;
            var warmedFor = TimeSpan.Zero;
            var warmups = 0;
            do
            {
                warm = await Measurement.RunAsync(compilation, set, options.NoGc, CancellationToken.None).ConfigureAwait(false);
                warmedFor += warm.Wall;
                warmups++;
            }
            while (warmedFor.TotalSeconds < options.WarmupSeconds && warmups < 10);

            // A measured run with its settling run costs two runs of the budget; whether a set is measured at all
            // (rather than by its one warm-up run) still depends on whether one run fits.
            var wall = Math.Max(warm.Wall.TotalSeconds, 0.001);
            var fits = (int)Math.Floor(options.BudgetSeconds / (wall * (options.Settle ? 2 : 1)));
            var oneFits = wall <= options.BudgetSeconds;
            repetitions[set] = warmups == 1 && !oneFits ? 0 : Math.Clamp(fits, 1, reps);
            if (repetitions[set] == 0)
            {
                cold.Add(set);
                runs[set].Add(warm);
            }

            Log($"  warm-up x{warmups} {set.Name,-24} analyzers {warm.AnalyzerTime.TotalMilliseconds,9:F1} ms, wall {warm.Wall.TotalSeconds,6:F1} s, " +
                $"{warm.Diagnostics} diagnostics -> " + (repetitions[set] == 0 ? "over the budget: this run is its measurement" : $"{repetitions[set]} measured run(s)"));
        }

        // Measured rounds, interleaved so that drift (and other load on the machine) spreads over every set alike. Each
        // round starts one set further on, so that no set always runs in the same place: with a fixed order, one build
        // measured 3% slower than a baseline when it ran right after the floor sets and 3% faster when it ran last.
        for (var round = 0; round < reps; round++)
        {
            var inRound = sets.Where(s => repetitions[s] > round).ToList();
            var start = inRound.Count == 0 ? 0 : round % inRound.Count;
            foreach (var set in inRound.Skip(start).Concat(inRound.Take(start)))
            {
                // A run's time depends on the set that ran just before it: right after a graph floor run, a SafePosix
                // set measured 10-15% slower than after another SafePosix set, and the rotation does not give every
                // set the same predecessors. An unmeasured run of the same set first makes every measured run follow
                // its own set (docs/performance.md, "A run carries the previous set's after-effects").
                if (options.Settle)
                {
                    await Measurement.RunAsync(compilation, set, options.NoGc, CancellationToken.None).ConfigureAwait(false);
                }

                var before = floor?.Invocations ?? 0;
                sampler?.Start(corpus.Name, set.Name);
                var startedAt = Stopwatch.GetTimestamp();
                var run = await Measurement.RunAsync(compilation, set, options.NoGc, CancellationToken.None).ConfigureAwait(false);
                var endedAt = Stopwatch.GetTimestamp();
                sampler?.Stop();
                runLog?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{corpus.Name}\t{set.Name}\t{round + 1}\t{Nanoseconds(startedAt)}\t{Nanoseconds(endedAt)}\t{run.AnalyzerTime.TotalMilliseconds:F3}"));
                if (floor is not null && set.Analyzers.Contains(floor))
                {
                    floorInvocations = floor.Invocations - before;
                }

                runs[set].Add(run);
                Log($"  round {round + 1} {set.Name,-24} analyzers {run.AnalyzerTime.TotalMilliseconds,9:F1} ms, wall {run.Wall.TotalSeconds,6:F1} s");
            }
        }

        return new CorpusResult(corpus, errors, runs.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutableArray()))
        {
            Cold = cold.ToImmutableHashSet(),
            FloorInvocations = floorInvocations,
            LoadBefore = loadBefore,
            LoadAfter = LoadAverage(),
        };
    }

    /// <summary>
    /// A timestamp on the clock `perf record -k CLOCK_MONOTONIC` stamps its samples with: on Linux the Stopwatch reads
    /// CLOCK_MONOTONIC, so cpu-ratio.sh can tell which measured run each CPU sample fell in.
    /// </summary>
    private static long Nanoseconds(long timestamp) => (long)(timestamp * (1_000_000_000.0 / Stopwatch.Frequency));

    /// <summary>The 1, 5 and 15 minute load averages: other work on the machine inflates wall-clock telemetry.</summary>
    private static string LoadAverage()
    {
        try
        {
            return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static List<AnalyzerSet> LoadSets(Options options)
    {
        var netAnalyzers = AnalyzerSets.Package("NetAnalyzers (default)", "Microsoft.CodeAnalysis.NetAnalyzers", AnalyzerSets.PackageRoot("Microsoft.CodeAnalysis.NetAnalyzers"));
        var all = new List<AnalyzerSet>
        {
            AnalyzerSets.Floor(),
            AnalyzerSets.FloorReporting(),
            AnalyzerSets.GraphFloor(),
            AnalyzerSets.GraphFloorReporting(),
            AnalyzerSets.SafePosix(),
            AnalyzerSets.SafePosixRules(),
            AnalyzerSets.Package("Roslynator", "Roslynator.Analyzers", AnalyzerSets.PackageRoot("Roslynator.Analyzers")),
            AnalyzerSets.Package("Meziantou", "Meziantou.Analyzer", AnalyzerSets.PackageRoot("Meziantou.Analyzer")),
            netAnalyzers,
            netAnalyzers.AllRulesAsWarnings("NetAnalyzers (all rules)"),
            AnalyzerSets.Package("Sonar", "SonarAnalyzer.CSharp", AnalyzerSets.PackageRoot("SonarAnalyzer.CSharp")),
        };

        // --package NAME=FOLDER: any other analyzer package folder (another version of a peer, an unpacked .nupkg).
        all.AddRange(options.ExtraPackages.Select(p => AnalyzerSets.Package(p.Name, p.Name, p.Folder)));

        return options.Sets is null
            ? all
            : all.Where(s => options.Sets.Any(f => s.Name.StartsWith(f, StringComparison.OrdinalIgnoreCase))).ToList();
        // (--sets floor selects both floors.)
    }

    /// <summary>The running runtime's reference set: TRUSTED_PLATFORM_ASSEMBLIES inside the shared framework folder.</summary>
    internal static ImmutableArray<MetadataReference> FrameworkReferences()
    {
        var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var tpa = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "";
        return tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => string.Equals(Path.GetDirectoryName(path), frameworkDir, StringComparison.Ordinal))
            .OrderBy(path => path, StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }

    internal static void Log(string message) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.Now:HH:mm:ss}] {message}"));
}

internal sealed record CorpusResult(Corpus Corpus, int CompileErrors, ImmutableDictionary<AnalyzerSet, ImmutableArray<RunResult>> Runs)
{
    /// <summary>Sets measured by their warm-up run alone (one run was over the budget).</summary>
    public ImmutableHashSet<AnalyzerSet> Cold { get; init; } = ImmutableHashSet<AnalyzerSet>.Empty;

    /// <summary>Invocation operations the floor analyzer saw in one run (-1: the floor did not run).</summary>
    public long FloorInvocations { get; init; } = -1;

    /// <summary>Call sites each rule starts from (CallSites.ByRule), per rule ID.</summary>
    public ImmutableDictionary<string, int> CallSites { get; init; } = ImmutableDictionary<string, int>.Empty;

    public string LoadBefore { get; init; } = "?";

    public string LoadAfter { get; init; } = "?";
}

internal sealed class Options
{
    public string? KeepassDir { get; private set; }

    /// <summary>Measured runs per set on keepass2.</summary>
    public int Repetitions { get; private set; } = 5;

    /// <summary>Measured runs per set on the POSIX-dense corpus: a run is short there, and noisier.</summary>
    public int DenseRepetitions { get; private set; } = 9;

    public double WarmupSeconds { get; private set; } = 5;

    /// <summary>Seconds of measured runs (with their settling runs) one set may take on one corpus; a slower set gets fewer repetitions.</summary>
    public double BudgetSeconds { get; private set; } = 60;

    public int DenseLines { get; private set; } = 40_000;

    /// <summary>No garbage collection inside a measured run (GC.TryStartNoGCRegion): steadier, but leaves the GC cost out.</summary>
    public bool NoGc { get; private set; }

    /// <summary>An unmeasured run of the same set before each measured run, so that no set's runs follow another set's.</summary>
    public bool Settle { get; private set; } = true;

    public string? Out { get; private set; }

    /// <summary>Sample what each set's measured runs allocate, by type (<see cref="AllocationSampler"/>).</summary>
    public bool AllocationTypes { get; private set; }

    /// <summary>Where each measured run's start and end (CLOCK_MONOTONIC, ns) and telemetry go, for cpu-ratio.sh.</summary>
    public string? RunLog { get; private set; }

    public IReadOnlyList<string>? Sets { get; private set; }

    public string Command { get; private set; } = "dotnet SafePosix.Bench.Analyzers.dll";

    public List<(string Name, string Folder)> ExtraPackages { get; } = new();

    public static Options? Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--keepass": options.KeepassDir = Next(); break;
                case "--reps": options.Repetitions = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--dense-reps": options.DenseRepetitions = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": options.WarmupSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--budget": options.BudgetSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--dense-lines": options.DenseLines = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--out": options.Out = Next(); break;
                case "--no-gc": options.NoGc = true; break;
                case "--no-settle": options.Settle = false; break;
                case "--alloc-types": options.AllocationTypes = true; break;
                case "--run-log": options.RunLog = Path.GetFullPath(Next()); break;
                case "--sets": options.Sets = Next().Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                case "--command": options.Command = Next(); break;
                case "--package":
                    var spec = Next().Split('=', 2);
                    options.ExtraPackages.Add((spec[0], spec.Length > 1 ? Path.GetFullPath(spec[1]) : ""));
                    break;
                default: return null;
            }
        }

        return options;
    }
}
