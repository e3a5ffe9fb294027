#!/usr/bin/env bash
# The long fuzz run: the suite's FuzzTests (same code) on more variants.
#   bench/Fuzz/run.sh [variants=20000] [seed=20261129]
# Writes the report (figures, then each distinct crash with its smallest source and stack) to bench/Fuzz/results/.
set -euo pipefail
cd "$(dirname "$0")/../.."
variants=${1:-20000}
seed=${2:-20261129}
mkdir -p bench/Fuzz/results
report="$PWD/bench/Fuzz/results/fuzz-$variants-$seed.txt"
dotnet build tests/SafePosix.Analyzers.Tests -v q -nologo >/dev/null
set +e
SAFEPOSIX_FUZZ_VARIANTS=$variants SAFEPOSIX_FUZZ_SEED=$seed SAFEPOSIX_FUZZ_REPORT=$report \
  dotnet test tests/SafePosix.Analyzers.Tests --no-build --filter "FullyQualifiedName~Fuzz.FuzzTests" \
  -- RunConfiguration.TestSessionTimeout=86400000 >/dev/null
status=$?
set -e
head -1 "$report"
grep '^== ' "$report" || echo "no crash"
echo "report: $report"
exit $status
