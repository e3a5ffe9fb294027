#!/usr/bin/env bash
# Where SafePosix's analyzer time goes on the POSIX-dense corpus, from CPU samples (Linux perf) rather than from the
# runtime's own sampler, which suspends threads at safepoints and charges their work to the next one.
# Usage: bench/Analyzers/profile.sh [--dense-reps N (40)] [--out FILE (results-profile.md)] [any other bench option]
# Needs perf (Debian: apt-get install linux-perf) and about 5 GB free in $TMPDIR for perf's output while it is read.
# Not part of CI; about 3 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/results-profile.md"
reps=40
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --dense-reps) reps="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

source "$here/perf-setup.sh"

# Perf maps name the JIT's code (3: the maps only, no jitdump); with W^X on, that code runs from a second mapping
# perf cannot name.
DOTNET_PerfMapEnabled=3 DOTNET_EnableWriteXorExecute=0 \
  perf record -F 1999 -g -e cpu-clock -o "$scratch/perf.data" -- \
  dotnet "$here/bin/Release/net10.0/SafePosix.Bench.Analyzers.dll" \
    --sets SafePosix --no-gc --dense-reps "$reps" --out "$scratch/bench.md" "${args[@]}" >&2

{
  echo "# Where SafePosix's time goes on posix-dense ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$here" rev-parse --short HEAD))"
  echo
  echo "Command: \`bench/Analyzers/profile.sh${args[*]:+ ${args[*]}} --dense-reps $reps\`. CPU samples (perf, cpu-clock, 1999 Hz, call"
  echo "graphs) of the bench running the two SafePosix sets (as shipped, and one analyzer per rule) with \`--no-gc\`."
  echo "Samples whose innermost SafePosix frame the JIT has not optimized yet (the warm-up rounds) are left out."
  echo
  perf script -i "$scratch/perf.data" -F tid,ip,sym,dso 2>"$scratch/script.err" | python3 "$here/profile.py"
} > "$out"
cat "$out"
echo "written to $out" >&2
