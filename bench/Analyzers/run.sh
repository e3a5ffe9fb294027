#!/usr/bin/env bash
# Analyzer cost: SafePosix vs a floor analyzer and peer packages (Roslynator, Meziantou, NetAnalyzers, Sonar), in ms of
# analyzer time per 1,000 lines, on Debian's keepass2 source (real C#, no POSIX calls) and a generated POSIX-dense corpus.
# Usage: bench/Analyzers/run.sh [--reps N (keepass2, 5)] [--dense-reps N (9)] [--warmup SECONDS (5)] [--budget SECONDS (60)]
#                               [--sets floor,SafePosix,...] [--dense-lines N (40000)] [--no-gc (no collection inside a measured run)]
#                               [--no-settle (no unmeasured run of the same set before each measured run)]
# Fetches the corpus on first use (apt-get source, into bench/Analyzers/.corpus or $SAFEPOSIX_BENCH_CORPUS), builds in
# Release, prints a Markdown table and writes it to bench/Analyzers/results.md. Not part of CI; about 17 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${SAFEPOSIX_BENCH_CORPUS:-$here/.corpus}"
package=keepass2

fetch_corpus() {
  # A private apt state: deb-src entries made from the machine's own sources, lists and caches in a scratch folder,
  # so the system's package lists are left as they are.
  local scratch; scratch="$(mktemp -d)"
  mkdir -p "$scratch/parts" "$scratch/lists/partial" "$scratch/cache/archives/partial"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$scratch/parts/debian.sources"
  elif [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$scratch/parts/debian.list"
  else
    echo "no Debian apt source found under /etc/apt" >&2
    exit 1
  fi
  if ! command -v dpkg-source >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq dpkg-dev >/dev/null
  fi
  local apt=(-o "Dir::Etc::SourceParts=$scratch/parts" -o Dir::Etc::SourceList=/dev/null
             -o "Dir::State::Lists=$scratch/lists" -o "Dir::Cache=$scratch/cache")
  apt-get "${apt[@]}" -qq update
  mkdir -p "$cache/download"
  (cd "$cache/download" && apt-get "${apt[@]}" -qq source "$package" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  local dir; dir="$(find "$cache/download" -maxdepth 1 -mindepth 1 -type d -name "$package-*" | head -n 1)"
  if [ -z "$dir" ]; then
    echo "apt-get source $package did not unpack a source tree" >&2
    exit 1
  fi
  rm -rf "$cache/$package"
  mv "$dir" "$cache/$package"
  sed -n 's/^Version: //p' "$cache"/download/"$package"_*.dsc | head -n 1 > "$cache/$package/.debian-version"
  rm -rf "$cache/download" "$scratch"
}

if [ ! -d "$cache/$package/KeePass" ]; then
  echo "fetching the $package corpus into $cache" >&2
  fetch_corpus
fi

dotnet build -c Release "$here/SafePosix.Bench.Analyzers.csproj" -nologo -v q >&2
dotnet "$here/bin/Release/net10.0/SafePosix.Bench.Analyzers.dll" \
  --keepass "$cache/$package" --out "$here/results.md" --command "bench/Analyzers/run.sh${*:+ $*}" "$@"
