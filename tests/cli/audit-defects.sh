#!/usr/bin/env bash
# memmap audit on fixtures with planted defects (fixtures/tools/plant-defects.py): each planted
# defect raises its finding (id, subject, severity), and the clean captures they were made from
# raise none of those checks.
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: python3 needed"; exit 125; }
cd "$src" || exit 2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$memmap" --root fixtures/audit-defects audit --json >"$tmp/d.json" 2>/dev/null; rc=$?
[ $rc = 1 ] || fail "audit-defects: exit $rc, want 1 (errors present)"
"$memmap" --root fixtures/audit-defects-rebar audit --json --fail-on info >"$tmp/r.json" 2>/dev/null; rc=$?
[ $rc = 1 ] || fail "audit-defects-rebar --fail-on info: exit $rc, want 1"
"$memmap" --root fixtures/qemu-q35-iommu audit --json >"$tmp/c.json" 2>/dev/null; rc=$?
[ $rc = 0 ] || fail "clean q35 capture: exit $rc, want 0"
"$memmap" --root fixtures/sysroot-alderlake-offset audit --json >"$tmp/c2.json" 2>/dev/null; rc=$?
[ $rc = 0 ] || fail "clean alderlake fixture: exit $rc, want 0"
python3 - "$tmp" <<'PY' || exit 1
import json, sys
t = sys.argv[1]
d = json.load(open(f"{t}/d.json"))["findings"] + json.load(open(f"{t}/r.json"))["findings"]
want = [
    ("bar-outside-window", "0000:04:00.0", 0, "error"),
    ("bar-overlap", "0000:09:02.0", 0, "error"),
    ("bar-overlaps-ram", "0000:00:1f.2", 5, "error"),
    ("bar-misaligned", "0000:00:02.0", 0, "error"),
    ("bar-unassigned", "0000:00:03.0", 0, "warning"),
    ("bar-not-claimed", "0000:04:00.0", 0, "warning"),
    ("rom-overlap", "0000:07:00.0", 6, "warning"),
    ("window-unassigned", "0000:03:01.0", None, "warning"),
    ("bar-below-4g", "0000:06:00.0", 2, "warning"),
    ("reserved-region-overlap", "0000:05:00.0", 0, "warning"),
    ("dma-mask-below-ram", "0000:01:00.0", None, "warning"),
    ("iommu-no-group", "0000:00:1f.3", None, "warning"),
    # Not planted: group 3 of the q35 capture itself (two endpoints below a root port
    # without ACS). Group 8 (04:00.0 and its own downstream port) is not shared.
    ("iommu-group-shared", "0000:06:00.0", None, "warning"),
    ("rebar-not-max", "0000:01:00.0", 1, "info"),
]
have = {(f["id"], f["subject"]["bdf"], f["subject"]["bar"], f["severity"]) for f in d}
missing = [w for w in want if w not in have]
# Root causes: the moved BAR's other findings name it; a root cause names nothing.
fp = {(f["id"], f["subject"]["bdf"], f["subject"]["bar"]): f for f in d}
moved = fp[("bar-outside-window", "0000:04:00.0", 0)]
assert moved["caused_by"] is None, moved
assert fp[("bar-not-claimed", "0000:04:00.0", 0)]["caused_by"] == moved["fingerprint"], "bar-not-claimed not linked to its cause"
assert fp[("bar-not-claimed", "0000:09:02.0", 0)]["caused_by"] == fp[("bar-overlap", "0000:09:02.0", 0)]["fingerprint"]
assert all(f["caused_by"] in {g["fingerprint"] for g in d} for f in d if f["caused_by"]), "caused_by names no finding"
noise = [f for f in d if f["id"] == "iommu-group-shared" and f["subject"]["bdf"] in ("0000:04:00.0", "0000:05:00.0", "0000:07:00.0")]
if noise:
    print("FAIL: iommu-group-shared for an endpoint alone with its ports, or twice for one group:", noise)
    sys.exit(1)
if missing:
    print("FAIL: planted defects not found:", missing)
    sys.exit(1)
for name in ("c.json", "c2.json"):
    clean = json.load(open(f"{t}/{name}"))
    planted = {w[0] for w in want} - {"iommu-group-shared"}
    bad = [f for f in clean["findings"] if f["id"] in planted]
    if bad:
        print(f"FAIL: clean fixture ({name}) raises", [(f["id"], f["subject"]["bdf"]) for f in bad])
        sys.exit(1)
    if clean["summary"]["error"]:
        print(f"FAIL: clean fixture ({name}) has errors")
        sys.exit(1)
print(f"{len(want)} planted defects found; the clean captures raise none of them")
PY
# Hidden addresses: view-truncated, from a zeroed listing.
"$memmap" --iomem fixtures/malformed/hidden.iomem audit --json 2>/dev/null \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [f["id"] for f in d["findings"]]==["view-truncated"], d["findings"]' \
  || fail "view-truncated on a zeroed listing"
echo PASS
