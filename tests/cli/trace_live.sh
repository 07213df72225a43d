#!/usr/bin/env bash
# Live `memmap trace` on this machine: memmap's own tracefs instance is created with the
# DMA events enabled, and removed after a normal end, SIGINT, SIGTERM, SIGHUP and a closed
# output pipe; a device filter lands in the kernel's filter file; an instance left by a
# killed memmap is removed; the top-level tracing state is unchanged; as `nobody` it exits 3
# with a message. Usage: trace_live.sh MEMMAP SOURCE_DIR (exit 125 = skipped).
set -u
memmap=$1
T=/sys/kernel/tracing
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 125; }
if ! grep -q " $T tracefs " /proc/mounts; then
  mount -t tracefs nodev "$T" 2>/dev/null || { echo "skip: cannot mount tracefs"; exit 125; }
fi
[ -d "$T/events/dma" ] || { echo "skip: this kernel has no dma:* events"; exit 125; }

state() {
  for f in tracing_on set_event current_tracer buffer_size_kb trace_clock tracing_cpumask \
           events/enable events/dma/enable events/dma/filter events/iommu/enable; do
    printf '%s=' "$f"; cat "$T/$f" 2>/dev/null | tr '\n' ' '; echo
  done
}
mine() { ls "$T/instances" | grep -E '^memmap-[0-9]+$' || true; }
before=$(state)
before_inst=$(mine)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. A 1-second run exits 0 and leaves nothing behind.
"$memmap" trace --duration 1 --interval 0.5 >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] && ok "1 s run exits 0" || bad "1 s run exit $rc: $(cat "$tmp/err")"
grep -q '^tracing [0-9]* events in /sys/kernel/tracing/instances/memmap-' "$tmp/out" \
  && ok "says which instance" || bad "no 'tracing N events' line: $(head -3 "$tmp/out")"
grep -q '^DMA trace summary' "$tmp/out" && ok "summary printed" || bad "no summary"
[ "$(mine)" = "$before_inst" ] && ok "no instance left after a normal end" || bad "left: $(mine)"

# 2. JSON lines: start (instance, enabled events), intervals, summary last.
"$memmap" trace --json --duration 1 --interval 0.4 >"$tmp/json" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] || bad "json run exit $rc"
python3 - "$tmp/json" <<'EOF' && ok "NDJSON start/interval/summary" || bad "NDJSON contract"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[0]["type"] == "start", lines[0]
assert lines[0]["instance"].startswith("memmap-")
en = lines[0]["events_enabled"]
assert any(e.startswith("dma/dma_map") for e in en), en
assert "dma/dma_unmap_sg" in en and "iommu/map" in en, en
assert lines[-1]["type"] == "summary" and "outstanding" in lines[-1]
assert all(l["type"] == "interval" for l in lines[1:-1]) and len(lines) >= 3
EOF

# 3. While it runs: the instance exists with the events enabled; signals remove it. (Up to
# 15 s for the instance to appear: a loaded CI machine running the ASan build.)
for sig in INT TERM HUP; do
  "$memmap" trace --interval 0.2 >"$tmp/sig.out" 2>"$tmp/sig.err" &
  pid=$!
  for _ in $(seq 150); do [ -e "$T/instances/memmap-$pid/events/dma/dma_unmap_sg/enable" ] && break; sleep 0.1; done
  sleep 0.3
  if [ -d "$T/instances/memmap-$pid" ]; then
    ok "SIG$sig: instance memmap-$pid exists while tracing"
    [ "$(cat "$T/instances/memmap-$pid/events/dma/dma_unmap_sg/enable")" = 1 ] \
      && ok "SIG$sig: dma_unmap_sg enabled in the instance" || bad "SIG$sig: event not enabled"
  else
    bad "SIG$sig: no instance memmap-$pid"
  fi
  kill -"$sig" "$pid"; wait "$pid"; rc=$?
  [ $rc -eq 0 ] && ok "SIG$sig: exit 0" || bad "SIG$sig: exit $rc ($(cat "$tmp/sig.err"))"
  [ ! -e "$T/instances/memmap-$pid" ] && ok "SIG$sig: instance removed" || bad "SIG$sig: instance left"
  grep -q '^DMA trace summary' "$tmp/sig.out" && ok "SIG$sig: summary printed" || bad "SIG$sig: no summary"
done

# 4. A closed pipe (memmap trace | head -1) ends it and removes the instance.
timeout 20 bash -c "'$memmap' trace --json --interval 0.2 | head -1" >"$tmp/head" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] && ok "| head -1 ends memmap (no timeout)" || bad "| head -1: exit $rc"
grep -q '"type":"start"' "$tmp/head" && ok "| head -1 got the start line" || bad "head got: $(cat "$tmp/head")"
timeout 20 bash -c "'$memmap' trace --interval 0.2 | head -1" >/dev/null 2>&1 || bad "text | head -1"
sleep 0.2
[ "$(mine)" = "$before_inst" ] && ok "no instance left after closed pipes" || bad "left: $(mine)"

# 5. --device goes into the kernel's filter files.
"$memmap" trace --device 0000:00:1f.7 --interval 0.2 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 150); do [ -e "$T/instances/memmap-$pid/events/dma/dma_map_sg/enable" ] && break; sleep 0.1; done
sleep 0.3
filt=$(cat "$T/instances/memmap-$pid/events/dma/dma_map_sg/filter" 2>/dev/null)
case "$filt" in
  *'device == "0000:00:1f.7"'*) ok "kernel filter: $filt" ;;
  *) bad "filter file holds '$filt'" ;;
esac
[ "$(cat "$T/instances/memmap-$pid/events/iommu/map/enable" 2>/dev/null)" != 1 ] \
  && ok "iommu:map (no device field) not enabled with --device" || bad "iommu:map enabled"
kill -INT "$pid"; wait "$pid"
[ ! -e "$T/instances/memmap-$pid" ] && ok "--device run removed its instance" || bad "instance left"

# 6. An instance left by a killed memmap (dead pid) is removed by the next run.
dead=$(bash -c 'echo $$')
mkdir "$T/instances/memmap-$dead" 2>/dev/null
"$memmap" trace --duration 0.3 >/dev/null 2>"$tmp/err"
[ ! -e "$T/instances/memmap-$dead" ] && ok "stale memmap-$dead removed" || { bad "stale instance kept"; rmdir "$T/instances/memmap-$dead"; }
grep -q "removed $T/instances/memmap-$dead" "$tmp/err" && ok "stale removal reported" || bad "no notice: $(cat "$tmp/err")"

# 7. Not root: exit 3 and a message saying root is needed.
if command -v setpriv >/dev/null; then
  setpriv --reuid=nobody --regid=nogroup --clear-groups "$memmap" trace --duration 1 >"$tmp/out" 2>"$tmp/err"; rc=$?
  [ $rc -eq 3 ] && ok "nobody: exit 3" || bad "nobody: exit $rc"
  grep -q 'needs root' "$tmp/err" && ok "nobody: $(cat "$tmp/err")" || bad "nobody message: $(cat "$tmp/err")"
  [ ! -s "$tmp/out" ] || bad "nobody: stdout not empty"
fi

# 8. The top-level tracing state is what it was.
after=$(state)
[ "$before" = "$after" ] && ok "top-level tracing state unchanged" || { bad "top-level state changed"; diff <(echo "$before") <(echo "$after"); }
[ "$(mine)" = "$before_inst" ] || bad "instances left: $(mine)"
exit $fail
