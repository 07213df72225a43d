#!/usr/bin/env bash
# The whole command set as `nobody` on this machine: each command either works with what an
# unprivileged user can see and says on stderr what is missing (exit 0, or 1 for findings),
# or exits 3 with one clear `memmap: ...` line naming what needs root. Never a crash, a
# libpci abort, a C++ exception text or silence about what was hidden. Commands that
# `memmap --help` lists but this table does not know run bare, with the same rules.
# Needs root (to become nobody) and the user nobody; skipped (125) otherwise.
# Usage: unprivileged.sh MEMMAP SOURCE_DIR.
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run commands as nobody"; exit 125; }
id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 125; }
[ -r /proc/iomem ] || { echo "SKIP: no /proc/iomem"; exit 125; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
cp "$memmap" "$tmp/memmap"; chmod 755 "$tmp/memmap"
cp "$src/fixtures/trace/s2-6.12.trace.txt" "$tmp/trace.txt"; chmod 644 "$tmp/trace.txt"
mkdir "$tmp/o"; chown nobody "$tmp/o" 2>/dev/null || chmod 777 "$tmp/o"

# fit needs a function whose BAR0 is a memory BAR (the sysfs row's IORESOURCE_MEM flag).
fit_bdf=00:00.0
for d in /sys/bus/pci/devices/*; do
  l=$(head -1 "$d/resource" 2>/dev/null) || continue
  f=${l##* }
  if [ -n "$f" ] && (( f & 0x200 )); then fit_bdf=${d##*/}; break; fi
done

# name;allowed exits;stderr must match (extended regex; for exit 3 the reason)|args
table=(
  "summary;0;every address reads as zero;"
  "iomem;0;every address reads as zero;iomem"
  "iomem-json;0;every address reads as zero;--json iomem"
  "ioports;0;every address reads as zero;ioports"
  "bar;0;first 64 bytes of config space;bar"
  "bar-json;0;first 64 bytes of config space;--json bar"
  "tree;0;first 64 bytes of config space;tree"
  "iommu-groups;0;needs root;iommu-groups"
  "map;0;every address reads as zero;map"
  "map-svg;0;every address reads as zero;map --svg $tmp/o/m.svg"
  "trace;3;needs root;trace --duration 1"
  "trace-dma-debug;3;debugfs|root;trace --dma-debug"
  "trace-input;0;^;trace --input $tmp/trace.txt"
  "snapshot;0;not root;snapshot $tmp/o/snap"
  "diff;0 1;every address reads as zero;diff $tmp/o/snap live"
  "audit;0 1;every address reads as zero;audit"
  "resolve;3;every address reads as zero;resolve 0x1000"
  "fit;3;every address reads as zero;fit $fit_bdf 0 4K"
)
known=" "
for row in "${table[@]}"; do known+="$(echo "$row" | cut -d';' -f4 | sed 's/^--json //' | cut -d' ' -f1) "; done
cmds=$("$memmap" --help | sed -n '/^Subcommands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || fail "no subcommands in memmap --help"
for c in $cmds; do
  case $known in *" $c "*) ;; *) table+=("$c;0 1 3;.;$c") ;; esac
done

n=0
for row in "${table[@]}"; do
  IFS=';' read -r name codes want args <<<"$row"
  su -s /bin/sh nobody -c "cd $tmp && LC_ALL=C NO_COLOR=1 COLUMNS=100 ./memmap $args" \
    >"$tmp/out.$name" 2>"$tmp/err.$name"
  rc=$?
  err=$tmp/err.$name
  case " $codes " in *" $rc "*) ;; *) fail "$name (memmap $args): exit $rc, want $codes: $(head -5 "$err")" ;; esac
  grep -Eq 'terminate called|Aborted|what\(\)|runtime error|AddressSanitizer|Segmentation' "$err" \
    && fail "$name: crash text on stderr: $(head -5 "$err")"
  if [ $rc = 3 ]; then
    [ -s "$tmp/out.$name" ] && fail "$name: exit 3 but something on stdout"
    grep -Eq "^memmap: .*($want)" "$err" || fail "$name: exit 3 without a clear reason matching '$want': $(cat "$err")"
  else
    [ -s "$tmp/out.$name" ] || [ "$name" = map-svg ] || [ "$name" = snapshot ] \
      || fail "$name: exit $rc but nothing on stdout"
    # What is hidden from nobody is said on stderr (trace --input reads a saved file: nothing is hidden).
    if [ "$want" != "^" ]; then
      grep -Eq "$want" "$err" || fail "$name: does not say what is missing (want '$want'): $(cat "$err")"
    fi
  fi
  grep -v '^memmap: ' "$err" | grep -q . && fail "$name: stderr lines not prefixed 'memmap: ': $(grep -v '^memmap: ' "$err" | head -3)"
  n=$((n + 1))
  echo "ok: $name (exit $rc): $(head -c 120 "$err" | head -1)"
done
[ -s "$tmp/o/m.svg" ] || fail "map --svg as nobody wrote no SVG"
[ -f "$tmp/o/snap/memmap-snapshot.json" ] || fail "snapshot as nobody wrote no manifest"
echo "unprivileged: $n command lines checked as nobody"
