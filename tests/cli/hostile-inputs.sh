#!/usr/bin/env bash
# Every command, with and without --json, on every malformed and hostile fixture: only the
# documented exit codes (0 ok, 1 findings, 2 bad input or usage, 3 unreadable), a message on
# stderr for 2 and 3, valid JSON on stdout with --json, no hang, no uncaught exception and no
# sanitizer report (this script runs under the asan preset too).
# Usage: hostile-inputs.sh MEMMAP SOURCE_DIR.
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 2

# Sources, each with the commands that read it: single listings, lspci dumps, sysroots.
# (A listing is another machine's: bar or iommu-groups beside it read nothing of it.)
listing_cmds='""|iomem|iomem --flat|audit|resolve 0xc0001|map|map --svg $tmp/m.svg'
ports_cmds='""|ioports|ioports --flat|audit'
dump_cmds='""|bar|tree|audit|resolve 0xc0001|resolve --bus 0xc0001|iommu-groups'
root_cmds='""|iomem|ioports|bar|tree|iommu-groups|iommu-groups --device 00:01.0|audit|resolve 0xc0001|resolve --bus 0xc0001|map|trace --dma-debug'
sources=()
for f in fixtures/malformed/*.iomem fixtures/fuzz-regressions/resource_tree/*; do
  sources+=("--iomem $f;$listing_cmds" "--ioports $f;$ports_cmds")
done
for f in fixtures/pci-hostile/*.txt fixtures/fuzz-regressions/lspci_text/*; do
  sources+=("--lspci $f;$dump_cmds")
done
# A dma-api dump from the fuzz corpus, placed where trace --dma-debug reads it.
i=0
for f in fixtures/fuzz-regressions/dma_debug/*; do
  i=$((i + 1))
  mkdir -p "$tmp/dma$i/sys/kernel/debug/dma-api"
  cp "$f" "$tmp/dma$i/sys/kernel/debug/dma-api/dump"
  sources+=("--root $tmp/dma$i;\"\"|trace --dma-debug|audit")
done
for d in fixtures/iommu-hostile fixtures/races-hostile fixtures/malformed/non-utf8-dma-api \
         fixtures/trace-dma-debug fixtures/pci-hostile; do
  sources+=("--root $d;$root_cmds")
done
[ ${#sources[@]} -ge 40 ] || fail "only ${#sources[@]} hostile sources found"

traces=(fixtures/trace/bad-lines.txt fixtures/trace/bad-not-a-trace.txt)

n=0
run() {  # run SOURCE-ARGS... : one invocation, judged
  local json=$1; shift
  n=$((n + 1))
  timeout 30 "$memmap" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$?
  local what="memmap $*"
  [ $rc != 124 ] || fail "$what: hung (killed after 30 s)"
  case $rc in 0|1|2|3) ;; *) fail "$what: exit $rc: $(head -c 600 "$tmp/err")" ;; esac
  if grep -Eq 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|terminate called|what\(\):' "$tmp/err"; then
    fail "$what: $(grep -Em2 'Sanitizer|runtime error|terminate|what\(\)' "$tmp/err")"
  fi
  if [ $rc -ge 2 ]; then
    grep -q '^memmap' "$tmp/err" || fail "$what: exit $rc without a memmap: message"
  elif [ "$json" = 1 ] && [ -s "$tmp/out" ]; then
    # One document, or one document per line (trace streams).
    python3 -c 'import json,sys
t=open(sys.argv[1],encoding="utf-8").read()
try:
    json.loads(t)
except ValueError:
    for line in t.splitlines():
        json.loads(line)' "$tmp/out" 2>"$tmp/jerr" || fail "$what: stdout is not JSON: $(tail -1 "$tmp/jerr")"
  fi
}

for entry in "${sources[@]}"; do
  s=${entry%%;*}
  IFS='|' read -r -a cmds <<<"${entry#*;}"
  for c in "${cmds[@]}"; do
    eval "set -- $c"  # "" is the summary (no command)
    # shellcheck disable=SC2086
    run 0 $s "$@"
    # shellcheck disable=SC2086
    run 1 $s --json "$@"
  done
done
for t in "${traces[@]}"; do
  for extra in "" "--root fixtures/iommu-hostile" "--iomem fixtures/malformed/non-utf8-name.iomem"; do
    # shellcheck disable=SC2086
    run 0 $extra trace --input "$t"
    # shellcheck disable=SC2086
    run 1 $extra --json trace --input "$t"
  done
done
# Sysroots through snapshot and diff.
for d in fixtures/iommu-hostile fixtures/races-hostile; do
  rm -rf "$tmp/snap"
  run 0 --root "$d" snapshot "$tmp/snap"
  run 1 --json diff "$d" "$d"
  run 0 diff "$d" fixtures/qemu-q35-iommu
done
echo "PASS ($n invocations on ${#sources[@]} hostile sources)"
