# Sourced by profile.sh and cpu-ratio.sh (with $here set to this folder): checks for perf, builds the bench, and makes
# $scratch, a folder for perf's output (gigabytes) that goes on exit with the perf maps the run's runtime wrote.

if ! command -v perf >/dev/null 2>&1; then
  echo "perf is not installed (Debian: apt-get install linux-perf)" >&2
  exit 1
fi

dotnet build -c Release "$here/SafePosix.Bench.Analyzers.csproj" -nologo -v q >&2
scratch="$(mktemp -d)"
# The runtime writes its perf maps to /tmp/perf-PID.map and perfinfo-PID.map; the ones this run made go at the end.
shopt -s nullglob
perf_maps() { for map in /tmp/perf-*.map /tmp/perfinfo-*.map; do echo "$map"; done | sort; }
perf_maps > "$scratch/maps-before"
perf_cleanup() {
  # Nothing here may fail and stop the trap before the scratch folder is gone.
  if [ -s "$scratch/script.err" ]; then tail -3 "$scratch/script.err" >&2 || true; fi
  perf_maps | comm -13 "$scratch/maps-before" - | xargs -r rm -f || true
  rm -rf "$scratch"
}
trap perf_cleanup EXIT
