#!/usr/bin/env python3
"""Analyzer CPU time per measured run, from CPU samples, beside Roslyn's wall-clock telemetry.

Usage: perf script -F tid,time,ip,sym,dso --ns | cpu_ratio.py RUN_LOG FREQUENCY [BASELINE_SET]

RUN_LOG is what the bench's --run-log writes: each measured run's set and its start and end on CLOCK_MONOTONIC (perf
must record with -k CLOCK_MONOTONIC). A sample is charged to the run whose window holds it when an analyzer's own
frame is on its stack: a managed frame whose declaring module is not Roslyn, the framework or the bench host (the
bench's floor analyzers count as analyzers). Roslyn's work for an analyzer (a control-flow graph, a symbol lookup)
sits under that frame and counts; the driver's work between callbacks and the binder on the other thread do not,
which is what the telemetry means to measure. Unlike the telemetry, a thread waiting for a core is not counted.
"""
import bisect
import collections
import re
import statistics
import sys

# The declaring module of a managed frame: "[Module] Namespace.Type::Method(...)"; modules of return and parameter
# types are written without the space.
DECLARING = re.compile(r"\[([^\]\s]+)\] ([^\s(]+)::")
HOST_MODULES = re.compile(r"^(Microsoft\.CodeAnalysis(\..*)?|System(\..*)?|mscorlib|netstandard|Microsoft\.Win32\..*|SafePosix\.Bench\.Analyzers)$")
BENCH_ANALYZERS = re.compile(r"^SafePosix\.Bench\.Analyzers\.(Graph)?FloorAnalyzer\b")
# A sample whose innermost frame is the native runtime, libc or the kernel: under an analyzer that is nearly always the
# allocator's slow path (the GC taking and clearing memory for an allocation context, the kernel faulting fresh pages
# in). It is paid per byte allocated but lands in bursts, 100 ms and more in some runs and none in others, a large
# part of the spread between runs of the same code, so it gets its own column. The JIT (libclrjit) is not in it.
NATIVE_RUNTIME = re.compile(r"\((/\S*/(libcoreclr\.so|libc\.so\.6)|\[kernel\.kallsyms\])\)\s*$")


def is_analyzer_frame(frame):
    match = DECLARING.search(frame)
    if not match:
        return False
    module, declaring_type = match.groups()
    if HOST_MODULES.match(module):
        return module == "SafePosix.Bench.Analyzers" and bool(BENCH_ANALYZERS.match(declaring_type))
    return True


def read_runs(path):
    runs = []
    with open(path) as log:
        header = log.readline().rstrip("\n").split("\t")
        for line in log:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            runs.append({
                "set": row["set"],
                "corpus": row["corpus"],
                "round": row["round"],
                "start": int(row["start_ns"]),
                "end": int(row["end_ns"]),
                "telemetry": float(row["telemetry_ms"]),
                "analyzer_samples": 0,
                "runtime_samples": 0,
                "all_samples": 0,
            })
    runs.sort(key=lambda r: r["start"])
    return runs


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    runs = read_runs(sys.argv[1])
    frequency = float(sys.argv[2])
    baseline = sys.argv[3] if len(sys.argv) > 3 else "Roslynator"
    starts = [r["start"] for r in runs]

    def take(time_ns, frames):
        index = bisect.bisect_right(starts, time_ns) - 1
        if index < 0 or time_ns > runs[index]["end"]:
            return
        run = runs[index]
        run["all_samples"] += 1
        if any(is_analyzer_frame(frame) for frame in frames):
            run["analyzer_samples"] += 1
            if NATIVE_RUNTIME.search(frames[0]):
                run["runtime_samples"] += 1

    time_ns = None
    frames = []
    for line in sys.stdin:
        if not line.strip():
            continue
        if not line.startswith("\t"):  # "TID SECONDS.NANOSECONDS:" then the frames, tab-indented
            if time_ns is not None:
                take(time_ns, frames)
            seconds, _, fraction = line.split()[1].rstrip(":").partition(".")
            time_ns = int(seconds) * 1_000_000_000 + int(fraction.ljust(9, "0"))
            frames = []
            continue
        frames.append(line)
    if time_ns is not None:
        take(time_ns, frames)

    by_set = collections.OrderedDict()
    for run in sorted(runs, key=lambda r: (r["corpus"], r["start"])):
        by_set.setdefault((run["corpus"], run["set"]), []).append(run)

    def ms(samples):
        return 1000.0 * samples / frequency

    print("| Corpus | Set | runs | analyzer CPU ms, sampled (min / median / max) | mean | of it in the native runtime and kernel (allocation), ms (median) | the rest: managed code, stubs, JIT (median) | telemetry ms (median) | process CPU in the runs, ms (median) |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|")
    medians = {}
    for (corpus, name), group in by_set.items():
        cpu = [ms(r["analyzer_samples"]) for r in group]
        telemetry = [r["telemetry"] for r in group]
        process = [ms(r["all_samples"]) for r in group]
        clearing = [ms(r["runtime_samples"]) for r in group]
        rest = [ms(r["analyzer_samples"] - r["runtime_samples"]) for r in group]
        medians[(corpus, name)] = (statistics.median(cpu), statistics.fmean(cpu), statistics.median(telemetry), statistics.median(rest))
        print(f"| {corpus} | {name} | {len(group)} | {min(cpu):.1f} / {statistics.median(cpu):.1f} / {max(cpu):.1f} "
              f"| {statistics.fmean(cpu):.1f} | {statistics.median(clearing):.1f} | {statistics.median(rest):.1f} "
              f"| {statistics.median(telemetry):.1f} | {statistics.median(process):.1f} |")

    # The same ratio per round: a set's run over the baseline's run of the same round, seconds apart, so that the
    # machine's speed, which moves between runs minutes apart, divides out where it moves slowly enough.
    baseline_runs = {(r["corpus"], r["round"]): r for r in runs if r["set"] == baseline}

    def paired(group, value):
        ratios = []
        for run in group:
            base = baseline_runs.get((run["corpus"], run["round"]))
            if base is not None and value(base) > 0:
                ratios.append(value(run) / value(base))
        return f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})" if ratios else "-"

    print()
    print(f"| Corpus | Set | x {baseline}, sampled CPU (median / mean) | managed code only (median) | x {baseline}, telemetry (median) "
          f"| per round: sampled CPU, median (range) | per round: telemetry, median (range) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (corpus, name), (cpu_median, cpu_mean, telemetry_median, rest_median) in medians.items():
        base = medians.get((corpus, baseline))
        if base is None or 0 in base:
            continue
        group = by_set[(corpus, name)]
        print(f"| {corpus} | {name} | {cpu_median / base[0]:.3f} / {cpu_mean / base[1]:.3f} | {rest_median / base[3]:.3f} "
              f"| {telemetry_median / base[2]:.3f} | {paired(group, lambda r: r['analyzer_samples'])} "
              f"| {paired(group, lambda r: r['telemetry'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
