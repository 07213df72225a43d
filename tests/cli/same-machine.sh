#!/usr/bin/env bash
# The same-machine rule (memmap(8), SOURCES): files given without --root are a machine of
# their own and are never cross-referenced with this machine's /proc or /sys; files given
# with --root replace that root's copy. Every combination of --root and the three single-file
# options, for every command that reads them, plus the facts each combination must show.
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 2
seed=fixtures/seed-quadro-p1000
dump=$seed/lspci-v-x.txt
q35=fixtures/qemu-q35-iommu
json_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1"; }
py() { python3 -c "$1" "$tmp/out" || fail "$2"; }

# 1. Every combination, every command: no crash, a documented exit code, valid JSON, and in
#    files-only mode no value read from this machine's /proc or /sys.
n=0
for root in "" "--root $q35"; do
  for mask in 0 1 2 3 4 5 6 7; do
    files=""
    [ $((mask & 1)) = 0 ] || files="$files --iomem $seed/proc/iomem"
    [ $((mask & 2)) = 0 ] || files="$files --ioports $q35/proc/ioports"
    [ $((mask & 4)) = 0 ] || files="$files --lspci $dump"
    for cmd in "" iomem ioports bar tree iommu-groups audit "resolve 0xfb000000" "resolve --bus 0xfb000000" "map"; do
      n=$((n + 1))
      # shellcheck disable=SC2086
      "$memmap" $root $files --json $cmd >"$tmp/run.$n.out" 2>"$tmp/run.$n.err" </dev/null
      rc=$?
      foreign=0
      [ -n "$root" ] || [ $mask = 0 ] || foreign=1
      printf '%s\t%s\t%s\n' "$rc" "$foreign" "$root$files --json $cmd" >>"$tmp/runs"
    done
  done
done
# One pass over every run: exit code, JSON, and in files-only mode no string naming this
# machine's /proc or /sys (except the notices that say it was not read).
python3 - "$tmp" <<'PY' || fail "combination matrix"
import json, sys
tmp = sys.argv[1]
def walk(v, bad):
    if isinstance(v, dict):
        for x in v.values(): walk(x, bad)
    elif isinstance(v, list):
        for x in v: walk(x, bad)
    elif isinstance(v, str) and v.startswith(("/proc/", "/sys/")) and "not read" not in v:
        bad.append(v)
errors = []
for n, line in enumerate(open(f"{tmp}/runs"), 1):
    rc, foreign, args = line.rstrip("\n").split("\t")
    if rc not in ("0", "1", "3"):
        errors.append(f"'{args}': exit {rc}: {open(f'{tmp}/run.{n}.err').read()[:300]}")
        continue
    if rc == "3":
        if not open(f"{tmp}/run.{n}.err").read().strip():
            errors.append(f"'{args}': exit 3 without a message")
        continue
    try:
        doc = json.load(open(f"{tmp}/run.{n}.out"))
    except ValueError as e:
        errors.append(f"'{args}': stdout is not JSON: {e}")
        continue
    if foreign == "1":
        bad = []
        walk(doc, bad)
        if bad:
            errors.append(f"'{args}': shows this machine's {bad[:2]} beside another machine's files")
for e in errors[:10]:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY

# 2. The facts. A dump alone: no cross-reference with this machine's maps, and it says so.
"$memmap" --lspci $dump --json bar >"$tmp/out" 2>"$tmp/err" || fail "dump bar: exit $?"
py 'import json,sys; d=json.load(open(sys.argv[1]))
assert all(b["placement"] is None for dev in d["devices"] for b in dev["bars"]), d' "dump alone: a BAR was placed in this machine's /proc/iomem"
grep -q "/proc/iomem: not read: the given files (--lspci $dump) are another machine's" "$tmp/err" || fail "dump alone: no notice: $(cat "$tmp/err")"
"$memmap" --lspci $dump --json audit >"$tmp/out" 2>/dev/null
py 'import json,sys; d=json.load(open(sys.argv[1]))
bad=[f["id"] for f in d["findings"] if f["id"] in ("bar-not-claimed","bar-overlaps-ram","iommu-absent")]
assert not bad, bad' "dump alone: audit checked it against this machine"
"$memmap" --lspci $dump iommu-groups >/dev/null 2>"$tmp/err"; [ $? = 3 ] || fail "dump alone: iommu-groups should exit 3"
grep -q "another machine" "$tmp/err" || fail "dump alone: iommu-groups did not say why"
"$memmap" --lspci $dump --json >"$tmp/out" 2>/dev/null
py 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["source"]=="files" and d["pci_devices"]==1 and "iomem" not in d, d' "dump alone: summary"

# The dump with the root it came from, or with its listing: cross-referenced.
for srcs in "--root $seed --lspci $dump" "--lspci $dump --iomem $seed/proc/iomem"; do
  # shellcheck disable=SC2086
  "$memmap" $srcs --json bar >"$tmp/out" 2>/dev/null || fail "'$srcs bar': exit $?"
  py 'import json,sys; d=json.load(open(sys.argv[1]))
bars={b["index"]:b for b in d["devices"][0]["bars"]}
for i in (0,1,3):
    assert bars[i]["placement"] and bars[i]["placement"]["path"][-1]=="0000:04:00.0", (i,bars[i])' "'$srcs': BARs not matched to the listing"
  # shellcheck disable=SC2086
  "$memmap" $srcs --json audit >"$tmp/out" 2>/dev/null
  py 'import json,sys; d=json.load(open(sys.argv[1]))
bad=[f["subject"] for f in d["findings"] if f["id"]=="bar-not-claimed" and f["subject"]["bar"] in (0,1,3)]
assert not bad, bad' "'$srcs': false bar-not-claimed"
done

# A listing alone: no PCI, no NUMA node from this machine.
"$memmap" --iomem $seed/proc/iomem --json resolve 0xfb000000 >"$tmp/out" 2>/dev/null
py 'import json,sys; d=json.load(open(sys.argv[1])); assert d["bars"]==[] and d["iomem"], d' "listing alone: resolve searched this machine's PCI devices"
"$memmap" --iomem $seed/proc/iomem --json resolve 0x100000 >"$tmp/out" 2>/dev/null
py 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ram"]=={"numa_node":None}, d' "listing alone: NUMA node from this machine"
"$memmap" --iomem $seed/proc/iomem --json >"$tmp/out" 2>/dev/null
py 'import json,sys; d=json.load(open(sys.argv[1])); assert d["pci_devices"] is None and "ioports" not in d, d' "listing alone: summary invented PCI devices or ports"

# A file beside --root replaces that root's copy.
"$memmap" --root $q35 --iomem $seed/proc/iomem --json iomem >"$tmp/out" 2>/dev/null
py 'import json,sys; d=json.load(open(sys.argv[1])); assert d["source"].endswith("seed-quadro-p1000/proc/iomem"), d["source"]' "--root + --iomem: the file did not replace the root's"
# Live tracing refuses another machine's files.
"$memmap" --lspci $dump trace >/dev/null 2>"$tmp/err"; [ $? = 2 ] || fail "live trace with --lspci: want exit 2"
echo "PASS ($n combinations x commands)"
