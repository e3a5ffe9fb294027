using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Linq;
using System.Text;

namespace SafePosix.Bench.Analyzers;

/// <summary>
/// Bytes allocated per type while a set's measured runs are under way (--alloc-types), from the runtime's own
/// allocation-tick events: one event about every 100 KB allocated, naming the type whose allocation crossed the
/// mark. A type's share of the events is its share of the bytes, within sampling error; that says which objects an
/// analyzer set adds over another (the graph floor, for SafePosix) without a profiler.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly ConcurrentDictionary<(RunOf Run, string Type), long> _bytes = new();
    private readonly ConcurrentDictionary<RunOf, int> _runs = new();
    private volatile RunOf? _current;

    /// <summary>Counts the allocations made until <see cref="Stop"/> as a run of this set on this corpus.</summary>
    public void Start(string corpus, string set)
    {
        var run = new RunOf(corpus, set);
        _runs.AddOrUpdate(run, 1, (_, runs) => runs + 1);
        _current = run;
    }

    public void Stop() => _current = null;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        var run = _current;
        if (run is null || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal)
            || eventData.PayloadNames is not { } names || eventData.Payload is not { } payload)
        {
            return;
        }

        var typeIndex = names.IndexOf("TypeName");
        var amountIndex = names.IndexOf("AllocationAmount64");
        var type = typeIndex >= 0 ? payload[typeIndex]?.ToString() ?? "?" : "?";
        var amount = amountIndex >= 0 ? Convert.ToInt64(payload[amountIndex], CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate((run, type), amount, (_, total) => total + amount);
    }

    /// <summary>Per set and corpus: MB per run and its top types; then its types against the baseline set's on the same corpus, largest difference first.</summary>
    public string Report(string baselineSet, int top = 25)
    {
        var text = new StringBuilder();
        text.AppendLine("## Allocation by type (allocation-tick sampling, MB per measured run)").AppendLine();
        var perRun = _bytes
            .GroupBy(entry => entry.Key.Run)
            .ToDictionary(
                run => run.Key,
                run => run.ToDictionary(entry => entry.Key.Type, entry => entry.Value / 1e6 / _runs.GetValueOrDefault(run.Key, 1)));
        foreach (var (set, types) in perRun.OrderBy(entry => entry.Key.Corpus, StringComparer.Ordinal).ThenBy(entry => entry.Key.Set, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"### {set}: {types.Values.Sum():F1} MB per run ({_runs.GetValueOrDefault(set)} runs)").AppendLine();
            foreach (var (type, megabytes) in types.OrderByDescending(entry => entry.Value).Take(top))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {megabytes:F2} {type}");
            }

            text.AppendLine();
            var baseline = set with { Set = baselineSet };
            if (set == baseline || !perRun.TryGetValue(baseline, out var baseTypes))
            {
                continue;
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"Against {baseline} ({baseTypes.Values.Sum():F1} MB per run), largest differences:").AppendLine();
            var differences = types.Keys.Union(baseTypes.Keys)
                .Select(type => (Type: type, Difference: types.GetValueOrDefault(type) - baseTypes.GetValueOrDefault(type)))
                .OrderByDescending(entry => entry.Difference)
                .Take(top);
            foreach (var (type, difference) in differences)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {difference:+0.00;-0.00} {type}");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private sealed record RunOf(string Corpus, string Set)
    {
        public override string ToString() => $"{Corpus}: {Set}";
    }
}
