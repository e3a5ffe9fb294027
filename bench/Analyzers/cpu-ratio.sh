#!/usr/bin/env bash
# Analyzer CPU time per measured run from CPU samples (Linux perf), beside Roslyn's wall-clock telemetry, for sets
# measured in one run: the telemetry times each callback by the wall clock, so it also counts a callback's thread
# waiting for a core while the binder, the JIT and the runtime run beside it on 2 cores; samples count only CPU time
# spent under an analyzer's own frames (cpu_ratio.py says exactly which).
# Usage: bench/Analyzers/cpu-ratio.sh [--sets "floor + graphs,SafePosix,Roslynator"] [--dense-reps N (15)] [--with-gc]
#                                     [--out FILE (results-cpu.md)] [any other bench option, e.g. --package NAME=DIR]
# --with-gc lets collections run inside the measured runs (the bench's default) instead of holding them off (--no-gc).
# Needs perf (Debian: apt-get install linux-perf) and a few GB free in $TMPDIR while perf's output is read.
# Not part of CI; about 7 minutes on 2 cores with the default sets. Every set gets all its runs (--budget 300).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/results-cpu.md"
reps=15
sets="floor + graphs,SafePosix,Roslynator"
frequency=1999
gc_mode=--no-gc
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --dense-reps) reps="$2"; shift 2 ;;
    --sets) sets="$2"; shift 2 ;;
    --with-gc) gc_mode=""; shift ;;
    *) args+=("$1"); shift ;;
  esac
done

source "$here/perf-setup.sh"

# Perf maps name the JIT's code (W^X off: otherwise that code runs from a mapping perf cannot name). No profiling of
# delegate calls: with it the JIT inlines a hot analyzer callback into Roslyn's driver where one delegate dominates a
# call site (seen for the graph floor's callback), and the samples of its code then carry no analyzer frame. Guarded
# devirtualization of interface and virtual calls stays on for every set, as in a build. Samples are stamped on
# CLOCK_MONOTONIC, the clock the bench's --run-log writes each measured run's window on.
DOTNET_PerfMapEnabled=3 DOTNET_EnableWriteXorExecute=0 DOTNET_JitDelegateProfiling=0 \
  perf record -k CLOCK_MONOTONIC -F "$frequency" -g -e cpu-clock -o "$scratch/perf.data" -- \
  dotnet "$here/bin/Release/net10.0/SafePosix.Bench.Analyzers.dll" \
    --sets "$sets" ${gc_mode:+"$gc_mode"} --reps 1 --dense-reps "$reps" --budget 300 --run-log "$scratch/runs.tsv" --out "$scratch/bench.md" "${args[@]}" >&2

{
  echo "# Analyzer CPU time from samples, beside the telemetry ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$here" rev-parse --short HEAD))"
  echo
  echo "Command: \`bench/Analyzers/cpu-ratio.sh --sets \"$sets\" --dense-reps $reps$( [ -z "$gc_mode" ] && echo " --with-gc" )${args[*]:+ ${args[*]}}\` (perf, cpu-clock, $frequency Hz, call"
  echo "graphs; the bench $( [ -n "$gc_mode" ] && echo "with \`$gc_mode\`" || echo "with collections on" ), \`DOTNET_JitDelegateProfiling=0\`). Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  perf script -i "$scratch/perf.data" -F tid,time,ip,sym,dso --ns 2>"$scratch/script.err" | python3 "$here/cpu_ratio.py" "$scratch/runs.tsv" "$frequency"
} > "$out"
cat "$out"
echo "written to $out" >&2
