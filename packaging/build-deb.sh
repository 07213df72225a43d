#!/usr/bin/env bash
# Build the Debian package of memmap with CPack.
#   packaging/build-deb.sh                      configure and build the release preset
#                                               (build/release), package into build/deb/
#   packaging/build-deb.sh --build-dir DIR      package an already configured build tree
#   packaging/build-deb.sh --out DIR            write the .deb into DIR
# Prints the path of the .deb on the last line. Needs dpkg-dev (dpkg-shlibdeps) and file.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build="" out="$src/build/deb"
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "build-deb.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
for tool in cpack dpkg-shlibdeps dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "build-deb.sh: $tool not found (bash packaging/install-deps.sh)" >&2; exit 3; }
done
if [ -z "$build" ]; then
  cmake --preset release -S "$src" >/dev/null
  build="$src/build/release"
fi
cmake --build "$build" --target memmap memmap_manpage
mkdir -p "$out"
cpack --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1 \
  || { cat "$out/cpack.log" >&2; exit 1; }
deb=$(ls -t "$out"/memmap_*.deb | head -1)
echo "$deb"
