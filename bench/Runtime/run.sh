#!/usr/bin/env bash
# Spawn+wait throughput of /bin/true: SafePosix vs Process.Start vs a C posix_spawn+waitpid loop (the floor).
# Usage: bench/Runtime/run.sh [iterations]   (default 3000). One run; prints a Markdown table.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
iterations="${1:-3000}"
out="$here/bin/floor"
mkdir -p "$out"
cc -O2 -Wall -Wextra -o "$out/spawn_floor" "$here/spawn_floor.c"
dotnet build -c Release "$here/SafePosix.Bench.Runtime.csproj" -nologo -v q >/dev/null
dotnet "$here/bin/Release/net10.0/SafePosix.Bench.Runtime.dll" "$out/spawn_floor" "$iterations"
