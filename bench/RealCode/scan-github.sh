#!/usr/bin/env bash
# The hand-run scan of public GitHub projects (bench/RealCode/results.md, "Public projects on GitHub"), repeatable:
# github-projects.tsv lists each project's repository, commit, the folders scanned, what was taken out of the tree
# and the scan's options. This script does not fetch: this machine reaches no GitHub, and a tree comes from a stored
# snapshot (the tool library's fetch), exported at the listed commit into ROOT/NAME, e.g.
#   mkdir -p ROOT/NAME && git --git-dir=SNAPSHOT archive COMMIT | tar -x -C ROOT/NAME
# with the "removed" paths deleted. Options, space-separated: implicit-usings (the SDK's global usings) and
# define=SYMBOL;SYMBOL (a build's preprocessor symbols). It builds the scan's arguments from the list and runs it; it exits 1 on an analyzer
# exception (the scan's own check), and 2 when a project's tree is missing or still holds a path the list removes.
# Usage: bench/RealCode/scan-github.sh ROOT [--rounds 1,2,...] [--out FILE (ROOT/scan.md)]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
root="${1:?usage: scan-github.sh ROOT [--rounds 1,2,...] [--out FILE]}"
shift
rounds=""
out="$root/scan.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=",$2,"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

args=()
problems=0
while IFS=$'\t' read -r round name repository commit folders removed options; do
  [ "$round" = "round" ] && continue
  if [ -n "$rounds" ] && [[ "$rounds" != *",$round,"* ]]; then continue; fi
  tree="$root/$name"
  if [ ! -d "$tree" ]; then
    echo "$name: no tree at $tree (export $repository at $commit)" >&2
    problems=1
    continue
  fi
  case "$removed" in
    -) ;;
    obj/*) if [ -n "$(find "$tree/" -type d -name obj -print -quit)" ]; then echo "$name: remove its committed obj/ folders first" >&2; problems=1; fi ;;
    *) IFS=',' read -ra paths <<< "$removed"
       for path in "${paths[@]}"; do
         path="${path# }"
         if [ -e "$tree/$path" ]; then echo "$name: remove $path first" >&2; problems=1; fi
       done ;;
  esac
  if [ "$folders" = "." ]; then args+=(--project "$name=$tree"); else args+=(--project "$name=$tree:$folders"); fi
  for option in $options; do
    case "$option" in
      -) ;;
      implicit-usings) args+=(--implicit-usings "$name") ;;
      define=*) args+=(--define "$name=${option#define=}") ;;
      *) echo "$name: unknown option '$option'" >&2; exit 2 ;;
    esac
  done
done < "$here/github-projects.tsv"

if [ "$problems" -ne 0 ]; then exit 2; fi
if [ ${#args[@]} -eq 0 ]; then echo "no project selected" >&2; exit 2; fi

dotnet build -c Release "$repo/bench/Analyzers/SafePosix.Bench.Analyzers.csproj" -v q -nologo >/dev/null
dotnet "$repo/bench/Analyzers/bin/Release/net10.0/SafePosix.Bench.Analyzers.dll" scan "${args[@]}" --out "$out"
