#!/usr/bin/env bash
# The IPC tests at the issue's full sizes (sendfile of a 1 GiB sparse file, 100,000 signals; the other sizes are
# already full in CI: 64 MiB pipe/socket, 6 MiB both ways, 100,000 queue messages, 10 million ring messages).
# Usage: bench/Ipc/long-run.sh   (a few minutes; not part of CI)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SAFEPOSIX_IPC_LONG=1 dotnet test "$root/tests/SafePosix.Runtime.Tests" -c Release --filter "FullyQualifiedName~SafePosix.Runtime.Tests.Ipc" \
  --logger "console;verbosity=normal"
