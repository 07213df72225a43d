#!/usr/bin/env bash
# Live on this machine: memmap iommu-groups reports the IOMMU state the kernel shows, as root
# and as nobody (the iommu_groups tree is world-readable). Exit 125 = skipped.
set -u
memmap=$1
fail() { echo "FAIL: $*"; exit 1; }
[ -d /sys/bus/pci ] || { echo "SKIP: no PCI sysfs"; exit 125; }
command -v python3 >/dev/null || { echo "SKIP: python3 needed"; exit 125; }
tmp=$(mktemp -d); chmod 755 "$tmp"; trap 'rm -rf "$tmp"' EXIT
groups=$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)
"$memmap" iommu-groups --json >"$tmp/j" 2>"$tmp/err" || fail "exit $?: $(cat "$tmp/err")"
python3 - "$tmp/j" "$groups" <<'PY' || fail "JSON does not match /sys/kernel/iommu_groups"
import json, os, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert len(d["groups"]) == n, (len(d["groups"]), n)
assert d["iommu"]["present"] == (n > 0 or bool(os.listdir("/sys/class/iommu"))), d["iommu"]
for g in d["groups"]:
    want = sorted(os.listdir(f"/sys/kernel/iommu_groups/{g['id']}/devices"))
    assert [x["bdf"] for x in g["devices"]] == want, (g["id"], want)
print(f"{n} groups match")
PY
"$memmap" iommu-groups >"$tmp/t" 2>/dev/null || fail "text: exit $?"
if [ "$groups" = 0 ]; then
  grep -q 'No IOMMU is active' "$tmp/t" || fail "no IOMMU here, but the text does not say so"
  grep -q 'What to check' "$tmp/t" || fail "no advice on what to check"
  "$memmap" iommu-groups --device 00:00.0 >/dev/null 2>&1; [ $? = 1 ] || fail "pre-flight without an IOMMU: want exit 1"
fi
if id nobody >/dev/null 2>&1; then
  cp "$memmap" "$tmp/memmap"; chmod 755 "$tmp/memmap"
  su -s /bin/sh nobody -c "$tmp/memmap iommu-groups" >"$tmp/n" 2>"$tmp/nerr" || fail "as nobody: exit $?"
  cmp -s "$tmp/n" "$tmp/t" || [ "$groups" != 0 ] || fail "as nobody: different output with no IOMMU"
fi
echo PASS
