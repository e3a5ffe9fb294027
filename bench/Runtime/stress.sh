#!/usr/bin/env bash
# The long versions of the runtime stress tests (CI runs them sampled): SAFEPOSIX_STRESS_SCALE multiplies the
# counts and the signal storm's duration (scale 5: 1,500 pipe-reading spawns, 500 kills under two waits, a 10 s storm).
# Usage: bench/Runtime/stress.sh [scale]   (default 5)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SAFEPOSIX_STRESS_SCALE="${1:-5}" dotnet test "$root/tests/SafePosix.Runtime.Tests" \
  --filter "FullyQualifiedName~StressTests|FullyQualifiedName~HardeningTests" --logger "console;verbosity=detailed"
