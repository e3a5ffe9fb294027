#!/usr/bin/env bash
# Real-code scan: every SafePosix analyzer (every rule forced to warning) over Debian C# source packages that call
# libc through Mono.Posix (Mono.Unix / Mono.Unix.Native) or their own [DllImport]s. Reports files, lines, compile
# errors, analyzer exceptions (must be 0: the script exits 1 otherwise) and every diagnostic with file and line.
# Usage: bench/RealCode/run.sh [--out FILE (bench/RealCode/scan.md)]
# Sources go to bench/RealCode/.corpus (gitignored; $SAFEPOSIX_REALCODE_CORPUS to use another folder), fetched once
# with `apt-get source` through a private apt state, as bench/Analyzers/run.sh does: the machine's lists are untouched.
# mono's source is large (about 1.3 GB unpacked): the first run spends most of its time fetching it. A package the
# archive does not serve is left out with a message; the scan goes on with the others.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${SAFEPOSIX_REALCODE_CORPUS:-$here/.corpus}"
out="$here/scan.md"
if [ "${1:-}" = "--out" ]; then out="$2"; fi

# Source package -> the folders scanned as one project each (NAME=SUBDIR[,SUBDIR]; "." is the whole package).
# mono is 58k files: its Mono.Posix sources, its tools and the corefx Unix sources and tests that declare libc imports.
projects=(
  "dbus-sharp:dbus-sharp=."
  "hyena:hyena=."
  "keepass2:keepass2=."
  "mono:mono-Mono.Posix=mcs/class/Mono.Posix"
  "mono:mono-tools=mcs/tools"
  "mono:mono-corefx-unix=external/corefx/src/System.IO.Pipes,external/corefx/src/System.Diagnostics.Process,external/corefx/src/System.IO.MemoryMappedFiles,external/corefx/src/System.Console,external/corefx/src/System.IO.FileSystem,external/corefx/src/System.Net.Sockets"
)

fetch() {
  local package="$1"
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
    echo "apt-get source $package did not unpack a source tree: left out" >&2
    rm -rf "$cache/download" "$scratch"
    return 1
  fi
  rm -rf "${cache:?}/$package"
  mv "$dir" "$cache/$package"
  sed -n 's/^Version: //p' "$cache"/download/"$package"_*.dsc | head -n 1 | sed "s/^/$package /" > "$cache/$package/.debian-version"
  rm -rf "$cache/download" "$scratch"
}

args=()
for entry in "${projects[@]}"; do
  package="${entry%%:*}"; rest="${entry#*:}"; name="${rest%%=*}"; parts="${rest#*=}"
  if [ ! -f "$cache/$package/.debian-version" ]; then
    echo "fetching $package into $cache" >&2
    fetch "$package" || continue
  fi
  if [ "$parts" = "." ]; then
    args+=(--project "$name=$cache/$package")
  else
    args+=(--project "$name=$cache/$package:$parts")
  fi
done

dotnet build -c Release "$repo/bench/Analyzers/SafePosix.Bench.Analyzers.csproj" -nologo -v q >&2
dotnet "$repo/bench/Analyzers/bin/Release/net10.0/SafePosix.Bench.Analyzers.dll" scan "${args[@]}" --out "$out"
