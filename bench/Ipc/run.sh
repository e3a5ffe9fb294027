#!/usr/bin/env bash
# IPC throughput: SafePosix vs the BCL, and the shared-memory ring. Usage: bench/Ipc/run.sh [rounds] (default 7).
# One run; prints two Markdown tables (median round per contender, ratios of medians measured in the same run).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet build -c Release "$here/SafePosix.Bench.Ipc.csproj" -nologo -v q >/dev/null
dotnet "$here/bin/Release/net10.0/SafePosix.Bench.Ipc.dll" "${1:-7}"
