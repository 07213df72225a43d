#!/usr/bin/env bash
# Smoke test of the benchmark generator (nothing is timed): bench/gen-sysroot 64 makes a
# sysroot that lspci decodes completely and quietly, that memmap --root reads without a
# warning, and whose sysfs, /proc/iomem and IOMMU groups agree with each other. Its
# decode-fidelity variant (no VF links, bare bridges, an unset window, an lspci -xxxx dump)
# reads in memmap as lspci reads it.
# Usage: bench-gen-sysroot.sh MEMMAP SOURCE_DIR. Exit 125 = skipped.
set -u
memmap=$1
src=$2
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: python3 needed by bench/gen-sysroot"; exit 125; }
command -v lspci >/dev/null || { echo "SKIP: lspci (pciutils) not installed"; exit 125; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
R=$tmp/root

python3 "$src/bench/gen-sysroot" 64 "$R" >"$tmp/gen.out" 2>&1 || fail "gen-sysroot: $(cat "$tmp/gen.out")"
grep -q ': 64 functions' "$tmp/gen.out" || fail "gen-sysroot did not report 64 functions: $(cat "$tmp/gen.out")"

# lspci: every function decoded, nothing on stderr but this machine's missing kernel modules.
lspci -A linux-sysfs -O sysfs.path="$R/sys/bus/pci" -vvv >"$tmp/lspci" 2>"$tmp/lspci.err" \
  || fail "lspci -vvv exited $?"
grep -v libkmod "$tmp/lspci.err" >"$tmp/lspci.err2"
[ -s "$tmp/lspci.err2" ] && fail "lspci stderr: $(cat "$tmp/lspci.err2")"
n=$(grep -c '^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7] ' "$tmp/lspci")
[ "$n" = 64 ] || fail "lspci shows $n functions, want 64"
for want in 'Single Root I/O Virtualization (SR-IOV)' 'Access Control Services' \
            'Express (v2) Root Port (Slot+)' 'Express (v2) Upstream Port' \
            'Express (v2) Downstream Port (Slot+)' 'Physical Resizable BAR' \
            '(64-bit, prefetchable) [virtual]' 'Expansion ROM at' 'I/O ports at' \
            'Kernel driver in use: iavf' 'IOMMU group:'; do
  grep -qF "$want" "$tmp/lspci" || fail "lspci -vvv never shows '$want'"
done
grep -qE '<chain (broken|looped)>|<access denied>|<unassigned>|<ignored>' "$tmp/lspci" \
  && fail "lspci reports a broken or unassigned structure: $(grep -m3 -E 'chain|denied|unassigned|ignored' "$tmp/lspci")"
# A VF reads ffff as its IDs in config space; lspci takes the real ones from sysfs.
lspci -A linux-sysfs -O sysfs.path="$R/sys/bus/pci" -n 2>/dev/null | grep -q ' 0200: 8086:154c' \
  || fail "lspci -n does not show the VFs as 8086:154c"

# memmap reads it with no warning (what bench/run measures).
for cmd in iomem ioports; do
  "$memmap" --root "$R" $cmd >"$tmp/$cmd.txt" 2>"$tmp/$cmd.err" || fail "memmap $cmd exited $?: $(cat "$tmp/$cmd.err")"
  [ -s "$tmp/$cmd.err" ] && fail "memmap --root R $cmd wrote to stderr: $(cat "$tmp/$cmd.err")"
done
grep -q '0000:09:00.0  .*Intel Corporation Ethernet Controller X710' "$tmp/iomem.txt" \
  || fail "memmap iomem does not label the X710 PF"
"$memmap" --root "$R" iomem --json >"$tmp/iomem.json" 2>"$tmp/iomem.jerr" || fail "memmap iomem --json exited $?"

# Consistency: sysfs layout, resource rows vs /proc/iomem, IOMMU group links.
python3 - "$R" "$tmp/iomem.json" <<'PY' || fail "sysroot inconsistent"
import json, os, sys
R, js = sys.argv[1], sys.argv[2]
devs = os.path.join(R, 'sys/bus/pci/devices')
iomem = set()
def walk(rs):
    for r in rs:
        iomem.add((int(r['start'], 16), int(r['end'], 16), r['name']))
        walk(r['children'])
walk(json.load(open(js))['regions'])
lines = sum(1 for _ in open(os.path.join(R, 'proc/iomem')))
assert len(iomem) == lines, f'{len(iomem)} distinct regions from memmap, {lines} lines'
checked = 0
for bdf in sorted(os.listdir(devs)):
    p = os.path.join(devs, bdf)
    t = os.readlink(p)
    assert not os.path.isabs(t) and t.startswith('../../../devices/pci'), (bdf, t)
    d = os.path.realpath(p)
    assert os.path.basename(d) == bdf
    cls = open(os.path.join(d, 'class')).read().strip()
    rows = [tuple(int(x, 16) for x in l.split()) for l in open(os.path.join(d, 'resource'))]
    assert len(rows) == (17 if cls == '0x060400' else 13), (bdf, len(rows))
    cfg = open(os.path.join(d, 'config'), 'rb').read()
    assert len(cfg) == 4096, (bdf, len(cfg))
    name = bdf
    if os.path.islink(os.path.join(d, 'physfn')):
        assert cfg[0:4] == b'\xff\xff\xff\xff', bdf
    for i, (s, e, fl) in enumerate(rows[:13]):
        if fl == 0 or not fl & 0x200:
            continue
        owner = bdf
        assert (s, e, owner) in iomem, f'{bdf} resource row {i} {s:x}-{e:x} not in /proc/iomem'
        checked += 1
    g = os.path.realpath(os.path.join(d, 'iommu_group'))
    assert os.path.realpath(os.path.join(g, 'devices', bdf)) == d, bdf
    assert open(os.path.join(g, 'type')).read().strip() == 'DMA-FQ'
    for l in open(os.path.join(g, 'reserved_regions')):
        s, e, typ = l.split()
        assert int(s, 16) <= int(e, 16) and typ in ('msi', 'direct-relaxable'), l
assert checked > 40, checked
print(f'{len(os.listdir(devs))} functions, {checked} memory resources found in /proc/iomem')
PY
# SR-IOV VFs: config space reads ffff, so memmap takes their IDs from sysfs as lspci does, names
# their PF (the physfn link), and shows their BARs (from sysfs resource, "virtual" as lspci
# says) instead of calling them absent.
"$memmap" --root "$R" bar >"$tmp/bar.txt" 2>"$tmp/bar.err" || fail "memmap bar exited $?"
grep -q 'absent' "$tmp/bar.txt" && fail "memmap bar calls a function absent: $(grep -m2 absent "$tmp/bar.txt")"
nvf=$(grep -c '^  id 8086:154c .*VF of 0000:09:00\.[01] ' "$tmp/bar.txt")
lvf=$(grep -c 'Ethernet Virtual Function 700 Series' "$tmp/lspci")
[ "$nvf" -gt 0 ] && [ "$nvf" = "$lvf" ] || fail "memmap shows $nvf VFs with IDs and PF, lspci $lvf"
lbars=$(grep -c '^\s*Region [0-9]: Memory at .* \[virtual\]' "$tmp/lspci")
mbars=$(grep -c '^  BAR[0-9].* virtual ' "$tmp/bar.txt")
[ "$mbars" = "$lbars" ] || fail "memmap shows $mbars virtual BARs, lspci $lbars"
"$memmap" --root "$R" --json bar >"$tmp/bar.json" || fail "memmap --json bar exited $?"
python3 - "$tmp/bar.json" <<'PY' || fail "VFs in bar --json"
import json, sys
devs = json.load(open(sys.argv[1]))['devices']
vfs = [d for d in devs if d['physfn']]
assert vfs and all(d['vendor_id'] == '0x8086' and d['device_id'] == '0x154c' for d in vfs), vfs[:1]
assert not any(d['absent'] for d in devs)
assert all(d['physfn'] in ('0000:09:00.0', '0000:09:00.1') for d in vfs)
PY

# The decode-fidelity variant: no physfn/virtfn links, bridges without I/O or prefetchable
# decoders, an unassigned prefetchable window, and the same machine as an lspci -xxxx dump.
V=$tmp/variant
python3 "$src/bench/gen-sysroot" 64 "$V" --vf-links none --bare-bridges --unset-window \
  --dump "$tmp/variant.txt" >"$tmp/vgen.out" 2>&1 || fail "gen-sysroot variant: $(cat "$tmp/vgen.out")"
[ -z "$(find "$V" -name physfn -o -name 'virtfn*')" ] || fail "--vf-links none left links"
lspci -A linux-sysfs -O sysfs.path="$V/sys/bus/pci" -vvv >"$tmp/vlspci" 2>/dev/null || fail "lspci variant"
lspci -F "$tmp/variant.txt" -vvv >"$tmp/vlspci-f" 2>/dev/null || fail "lspci -F variant dump exited $?"
[ "$(grep -c '^[0-9a-f][0-9a-f]:' "$tmp/vlspci-f")" = 64 ] || fail "lspci -F shows $(grep -c '^[0-9a-f][0-9a-f]:' "$tmp/vlspci-f") functions"
"$memmap" --root "$V" bar >"$tmp/vbar.txt" 2>"$tmp/vbar.err" || fail "memmap bar (variant) exited $?"
"$memmap" --lspci "$tmp/variant.txt" bar >"$tmp/vdump.txt" 2>"$tmp/vdump.err" || fail "memmap --lspci (variant) exited $?"
for f in vbar vdump; do
  grep -q 'absent' "$tmp/$f.txt" && fail "$f: a VF called absent: $(grep -m2 absent "$tmp/$f.txt")"
done
# Without links every VF is proven by its PF's SR-IOV capability, sysfs or dump.
lvf=$(grep -c 'Ethernet Virtual Function 700 Series' "$tmp/vlspci")
for f in vbar vdump; do
  n=$(grep -c 'VF of 0000:09:00\.[01] (VF [0-9]*) by its SR-IOV capability' "$tmp/$f.txt")
  [ "$n" -gt 0 ] && [ "$n" = "$lvf" ] || fail "$f: $n VFs placed by their PF, lspci shows $lvf"
done
[ "$(grep -c '^  id 8086:154c (its PF' "$tmp/vdump.txt")" = "$lvf" ] || fail "dump: VF IDs not taken from the PF"
lbars=$(grep -c '^\s*Region [0-9]: Memory at .* \[virtual\]' "$tmp/vlspci")
mbars=$(grep -c '^  BAR[0-9].* virtual ' "$tmp/vbar.txt")
[ "$mbars" = "$lbars" ] || fail "variant: memmap shows $mbars virtual BARs, lspci $lbars"
# Windows: memmap's live ones are exactly lspci's, less the one the kernel could not assign
# (lspci shows it at 0); no phantom 0000-0fff window from all-zero registers.
lwin=$(grep -E 'behind bridge: [0-9a-f]+-' "$tmp/vlspci" | grep -vc '\[disabled\]')
mwin=$(grep -cE '^  window  (io|mem|pref) +[0-9a-f]+-' "$tmp/vbar.txt")
unset_win=$(grep -c '^  window .* unassigned: the kernel could not' "$tmp/vbar.txt")
[ "$unset_win" = 1 ] || fail "variant: $unset_win unassigned windows, want 1"
[ "$mwin" = $((lwin - unset_win)) ] || fail "variant: memmap shows $mwin windows, lspci $lwin (1 unassigned)"
grep -qE '^  window  (io|pref) +0+-' "$tmp/vbar.txt" && fail "variant: a phantom window at 0: $(grep -m1 -E '^  window  (io|pref) +0+-' "$tmp/vbar.txt")"
grep -q 'registers all 0: the bridge may have no' "$tmp/vdump.txt" || fail "dump: all-zero window registers not marked"

echo "PASS"
