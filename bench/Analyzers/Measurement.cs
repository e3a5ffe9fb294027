using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Runtime;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace SafePosix.Bench.Analyzers;

/// <summary>One analysis of one corpus by one set: analyzer time as Roslyn's own telemetry measures it.</summary>
public sealed class RunResult
{
    public required TimeSpan AnalyzerTime { get; init; }

    public required ImmutableDictionary<DiagnosticAnalyzer, TimeSpan> PerAnalyzer { get; init; }

    /// <summary>The whole GetAnalyzerDiagnosticsAsync call, the driver's own binding of the corpus included.</summary>
    public required TimeSpan Wall { get; init; }

    public required ImmutableDictionary<string, int> DiagnosticsById { get; init; }

    public required int AnalyzerExceptions { get; init; }

    public required ImmutableArray<string> ExceptionSamples { get; init; }

    public int Diagnostics => DiagnosticsById.Values.Sum();
}

public static class Measurement
{
    /// <summary>Bytes a run may allocate with collections held off (--no-gc); far more than one analysis of a corpus allocates.</summary>
    private const long NoGcBudget = 4_000_000_000;

    public static async Task<RunResult> RunAsync(CSharpCompilation compilation, AnalyzerSet set, bool holdCollections, CancellationToken cancellationToken)
    {
        // A new compilation every run, as every build is: nothing an analyzer keeps per compilation (symbols it resolved,
        // summaries, caches) survives into the next run. The syntax trees are shared, as they are in an IDE between edits.
        var target = set.SpecificOptions.IsEmpty
            ? compilation.Clone()
            : compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(set.SpecificOptions));
        var exceptions = 0;
        var samples = new List<string>();
        void OnException(Exception exception, DiagnosticAnalyzer analyzer, Diagnostic diagnostic)
        {
            Interlocked.Increment(ref exceptions);
            lock (samples)
            {
                if (samples.Count < 3)
                {
                    samples.Add($"{analyzer.GetType().Name}: {exception.GetType().Name}: {exception.Message}");
                }
            }
        }

        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            OnException,
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: true,
            reportSuppressedDiagnostics: false);

        // Collect the previous run's garbage outside the measured region.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var withAnalyzers = target.WithAnalyzers(set.Analyzers, options);

        // With --no-gc no collection runs inside the measured region: a collection's pause is otherwise charged to
        // whichever analyzer was running, and on this 2-core machine that alone made runs of one set differ by 2x.
        bool held;
        try
        {
            held = holdCollections && GC.TryStartNoGCRegion(NoGcBudget);
        }
        catch (ArgumentOutOfRangeException)
        {
            held = false;
        }

        var stopwatch = Stopwatch.StartNew();
        var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
        stopwatch.Stop();
        if (held && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            GC.EndNoGCRegion();
        }
        else if (holdCollections)
        {
            // A set that allocates more than the budget (NetAnalyzers with every rule on keepass2) runs with collections.
            Console.Error.WriteLine($"  {set.Name}: --no-gc could not hold collections off for this run");
        }

        var perAnalyzer = ImmutableDictionary.CreateBuilder<DiagnosticAnalyzer, TimeSpan>();
        var total = TimeSpan.Zero;
        foreach (var analyzer in set.Analyzers)
        {
            var telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, cancellationToken).ConfigureAwait(false);
            perAnalyzer[analyzer] = telemetry.ExecutionTime;
            total += telemetry.ExecutionTime;
        }

        return new RunResult
        {
            AnalyzerTime = total,
            PerAnalyzer = perAnalyzer.ToImmutable(),
            Wall = stopwatch.Elapsed,
            DiagnosticsById = diagnostics.GroupBy(d => d.Id, StringComparer.Ordinal)
                .ToImmutableDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            AnalyzerExceptions = exceptions,
            ExceptionSamples = samples.ToImmutableArray(),
        };
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
