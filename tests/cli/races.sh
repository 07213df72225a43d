#!/usr/bin/env bash
# Files that change or fail under memmap: fixtures/races-hostile (a hot-removed function, a
# half-removed one, a `resource` that cannot be read, `config` files shorter than their
# headers) through every command, and real EIO reads injected with the test-only LD_PRELOAD
# shim tests/preload/eio.cpp (built next to the tests as libmemmap_test_eio.so) on the
# fixture and, as root, on the live machine. Every command exits 0 (iomem: 3 when
# /proc/iomem itself fails), names what it could not read, and shows the rest.
# Usage: races.sh MEMMAP SOURCE_DIR. Exit 125 = skipped (no EIO shim: part 2 did not run).
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C NO_COLOR=1 COLUMNS=100
F=$src/fixtures/races-hostile
D=$F/sys/bus/pci/devices
crash='terminate called|Aborted|what\(\)|runtime error|AddressSanitizer|Segmentation'

run() {  # run NAME WANT_EXIT ARGS...: output in $tmp/NAME.out/.err
  local name=$1 want=$2; shift 2
  "$memmap" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  local rc=$?
  [ $rc = "$want" ] || fail "$name (memmap $*): exit $rc, want $want: $(head -5 "$tmp/$name.err")"
  grep -Eq "$crash" "$tmp/$name.err" && fail "$name: crash text: $(head -5 "$tmp/$name.err")"
  return 0
}
has() { grep -qF -- "$2" "$tmp/$1" || fail "$1: no '$2' in: $(head -c 1500 "$tmp/$1")"; }

# 1. The fixture through every command that reads PCI.
for c in bar tree iommu-groups; do
  # iommu-groups: the fixture has no sys/kernel/iommu_groups, so the groups were not captured
  # (its proc/iomem shows dmar0): exit 3, as the man page says.
  want=0; [ "$c" = iommu-groups ] && want=3
  run "$c" "$want" --root "$F" "$c"
  has "$c.err" "$D/0000:00:03.0: listed but unreadable (removed while memmap read it?); skipped"
  has "$c.err" "$D/0000:00:04.0: listed but unreadable"
done
for b in 00:00.0 00:02.0 00:1f.2 00:1f.3; do has bar.out "0000:$b"; has tree.out "$b"; done
grep -Eq '^0000:00:0[34]\.0 ' "$tmp/bar.out" && fail "bar shows a vanished function as a device"
# The resource that cannot be read (a directory: EISDIR stands for EIO in a fixture).
has bar.out "$D/0000:00:1f.3/resource: read failed at offset 0: Is a directory; CPU addresses and sizes unknown [sysfs-unreadable]"
# config shorter than the header claims: decoded as far as it goes, the rest unknown.
has bar.out "caps  (the list goes on past the 40 bytes of config space read)"
has bar.out "caps  (the list goes on past the 128 bytes of config space read)"
run bar-json 0 --root "$F" --json bar
python3 -c "
import json, sys
d = json.load(open('$tmp/bar-json.out'))
bdfs = [x['bdf'] for x in d['devices']]
assert bdfs == ['0000:00:00.0', '0000:00:02.0', '0000:00:1f.2', '0000:00:1f.3'], bdfs
" || fail "bar --json: not the four readable functions"
run summary 0 --root "$F"
has summary.out "PCI:"
run snapshot 0 --root "$F" snapshot "$tmp/snap"
[ -f "$tmp/snap/memmap-snapshot.json" ] || fail "snapshot of the fixture wrote no manifest"
run map 0 --root "$F" map
echo "fixture: bar, tree, iommu-groups, summary, snapshot, map: vanished functions named, the rest shown"

# 2. Real EIO, injected.
shim=$(dirname "$memmap")/tests/libmemmap_test_eio.so
# The shim is built with the tests (target memmap_test_eio); without it part 2 did not run:
# Skipped (125), not a pass.
[ -f "$shim" ] || { echo "SKIP: no $shim (build target memmap_test_eio); the fixture part passed, the EIO part did not run"; exit 125; }
eio() { LD_PRELOAD=$shim MEMMAP_TEST_EIO=$1 run "${@:2}"; }
eio "0000:00:1f.2/config" eio-config 0 --root "$F" bar
has eio-config.out "$D/0000:00:1f.2/config: no byte could be read; header, BAR registers and capabilities unknown [config-unreadable]"
has eio-config.out "BAR5  mem32  fde05000-fde05fff"   # from sysfs resource: still shown
eio "0000:00:00.0/resource" eio-resource 0 --root "$F" bar 00:00.0
has eio-resource.out "$D/0000:00:00.0/resource: read failed at offset 0: Input/output error"
eio "0000:00:02.0/class" eio-class 0 --root "$F" bar
has eio-class.out "$D/0000:00:02.0/class: read failed at offset 0: Input/output error; class taken from config space [sysfs-unreadable]"
has eio-class.out "0000:00:02.0  PCI bridge: Red Hat, Inc. QEMU PCIe Root port"
has eio-class.out "00:1f.2"
eio "races-hostile/proc/iomem" eio-iomem 3 --root "$F" iomem
has eio-iomem.err "memmap: $F/proc/iomem: read failed at offset 0: Input/output error"
eio "races-hostile/proc/iomem" eio-summary 0 --root "$F"
has eio-summary.err "$F/proc/iomem: read failed at offset 0: Input/output error"
has eio-summary.out "I/O ports"
eio "races-hostile/proc/iomem" eio-bar 0 --root "$F" bar
has eio-bar.out "0000:00:1f.2"
echo "EIO on the fixture: config, resource, class, /proc/iomem: named, the rest shown"
if [ "$(id -u)" = 0 ] && [ -d /sys/bus/pci/devices ]; then
  first=$(ls /sys/bus/pci/devices | head -1)
  if [ -n "$first" ]; then
    eio "$first/config" live-config 0 bar
    has live-config.out "/sys/bus/pci/devices/$first/config: no byte could be read"
    eio "$first/class" live-class 0 bar
    has live-class.out "/sys/bus/pci/devices/$first/class: read failed at offset 0: Input/output error"
    has live-class.out "$first  "
    echo "EIO live ($first): config and class reads failing are named, the rest shown"
  fi
fi
