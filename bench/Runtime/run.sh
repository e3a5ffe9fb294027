#!/usr/bin/env bash
# Runtime benchmarks, one run each, Markdown tables:
#  1. spawn+wait throughput of /bin/true: SafePosix vs Process.Start vs a C posix_spawn+waitpid loop (the floor);
#  2. buffered run of a child printing 50 MB: SafePosix RunAsync vs Process+ReadToEndAsync vs CliWrap.
# Usage: bench/Runtime/run.sh [iterations] [megabytes]   (defaults 3000 and 50).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
iterations="${1:-3000}"
megabytes="${2:-50}"
out="$here/bin/floor"
mkdir -p "$out"
cc -O2 -Wall -Wextra -o "$out/spawn_floor" "$here/spawn_floor.c"
dotnet build -c Release "$here/SafePosix.Bench.Runtime.csproj" -nologo -v q >/dev/null
dotnet "$here/bin/Release/net10.0/SafePosix.Bench.Runtime.dll" "$out/spawn_floor" "$iterations"
echo
dotnet "$here/bin/Release/net10.0/SafePosix.Bench.Runtime.dll" buffered "$megabytes"
