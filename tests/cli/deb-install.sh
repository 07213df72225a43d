#!/usr/bin/env bash
# The Debian package: packaging/build-deb.sh packages this build tree; dpkg -i installs it;
# the installed memmap runs (--version), its man page renders without warnings
# (MANWIDTH=80 man --warnings -l), its bash completion loads; dpkg -r removes it again, so
# the machine is left as it was. Needs root and dpkg; skipped (125) where memmap is already
# installed, so an installation of the user's is never touched.
# Usage: deb-install.sh MEMMAP SOURCE_DIR.
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: dpkg -i needs root"; exit 125; }
for t in dpkg dpkg-deb cpack dpkg-shlibdeps man; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 125; }
done
if dpkg-query -W -f='${Status}' memmap 2>/dev/null | grep -q 'install ok installed'; then
  echo "SKIP: a memmap package is already installed; not replacing it"; exit 125
fi
[ -e /usr/bin/memmap ] && { echo "SKIP: /usr/bin/memmap exists (not from this test)"; exit 125; }
build=$(cd "$(dirname "$memmap")" && pwd)
[ -f "$build/CPackConfig.cmake" ] || { echo "SKIP: $build has no CPackConfig.cmake"; exit 125; }
tmp=$(mktemp -d)
installed=0
cleanup() {
  if [ $installed = 1 ]; then dpkg -r memmap >/dev/null 2>&1 || echo "WARNING: dpkg -r memmap failed"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

deb=$(bash "$src/packaging/build-deb.sh" --build-dir "$build" --out "$tmp" 2>"$tmp/build.err" | tail -1)
[ -f "$deb" ] || fail "build-deb.sh made no package: $(tail -20 "$tmp/build.err")"
dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/contents"
for f in ./usr/bin/memmap ./usr/share/man/man8/memmap.8.gz \
         ./usr/share/bash-completion/completions/memmap ./usr/share/zsh/vendor-completions/_memmap; do
  grep -qx "$f" "$tmp/contents" || fail "package lacks $f"
done
dpkg-deb -f "$deb" Depends | grep -q libpci3 || fail "Depends lacks libpci3 (shlibdeps)"

# dpkg takes a lock; wait for another dpkg/apt run instead of failing at once.
for _ in $(seq 30); do
  dpkg -i "$deb" >"$tmp/install.log" 2>&1 && { installed=1; break; }
  grep -q 'lock' "$tmp/install.log" || break
  sleep 2
done
[ $installed = 1 ] || fail "dpkg -i: $(cat "$tmp/install.log")"
dpkg-query -W -f='${Status}' memmap | grep -q 'install ok installed' || fail "not installed"

v=$(/usr/bin/memmap --version) || fail "installed memmap --version: exit $?"
[ "$v" = "$("$memmap" --version)" ] || fail "installed version '$v' differs from the build's"
warn=$(MANWIDTH=80 man --warnings -l /usr/share/man/man8/memmap.8.gz 2>&1 >"$tmp/man.txt")
[ -z "$warn" ] || fail "man warnings on the installed page: $warn"
grep -q 'memmap snapshot' "$tmp/man.txt" || fail "the installed page lacks memmap snapshot"
bash --norc -c 'source /usr/share/bash-completion/completions/memmap && complete -p memmap' \
  | grep -q '_memmap memmap' || fail "installed bash completion does not register"
/usr/bin/memmap --root "$src/fixtures/seed-quadro-p1000" iomem --depth 1 >/dev/null \
  || fail "installed memmap cannot read a fixture"

dpkg -r memmap >"$tmp/remove.log" 2>&1 || fail "dpkg -r: $(cat "$tmp/remove.log")"
installed=0
[ -e /usr/bin/memmap ] && fail "/usr/bin/memmap left behind by dpkg -r"
[ -e /usr/share/man/man8/memmap.8.gz ] && fail "man page left behind by dpkg -r"
echo "PASS: $(basename "$deb") built, installed, run, man page rendered, removed"
