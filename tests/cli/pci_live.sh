#!/usr/bin/env bash
# Live PCI checks on this machine: memmap bar/tree run, list every function lspci lists,
# place every assigned memory BAR on its own /proc/iomem line, and degrade visibly (a
# notice, exit 0) for a non-root reader that gets 64 bytes of config space.
# Args: MEMMAP SOURCE_DIR. Exit 125 = skip.
set -u
memmap=$1
[ -d /sys/bus/pci/devices ] || { echo "SKIP: no /sys/bus/pci/devices"; exit 125; }
command -v lspci >/dev/null || { echo "SKIP: lspci (pciutils) not installed"; exit 125; }
command -v python3 >/dev/null || { echo "SKIP: python3 needed"; exit 125; }
fail() { echo "FAIL: $*"; exit 1; }

"$memmap" bar >/dev/null || fail "memmap bar exited $?"
"$memmap" tree >/dev/null || fail "memmap tree exited $?"
json=$("$memmap" bar --json) || fail "memmap bar --json exited $?"
want=$(lspci -D | wc -l)
python3 - "$want" "$(id -u)" <<PY || fail "JSON checks"
import json, sys
doc = json.loads('''$json''')
want, uid = int(sys.argv[1]), int(sys.argv[2])
devs = doc["devices"]
assert len(devs) == want, (len(devs), want)
placed = 0
for d in devs:
    for b in d["bars"]:
        if uid == 0 and b["kind"] == "mem" and b["cpu_address"] and b["size"]:
            p = b["placement"]
            assert p and p["exact"] and p["path"][-1] == d["bdf"], (d["bdf"], b)
            placed += 1
assert uid != 0 or placed > 0
print("live: %d functions, %d BARs placed on their /proc/iomem line" % (len(devs), placed))
PY
"$memmap" bar 00:00.0 >/dev/null || fail "selector 00:00.0"
"$memmap" bar ff:1f.7 >/dev/null 2>&1; [ $? -eq 1 ] || fail "no match should exit 1"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$memmap" bar 2>&1 >/dev/null)
  rc=$?
  [ $rc -eq 0 ] || fail "non-root memmap bar exited $rc"
  case "$err" in *"first 64 bytes"*) ;; *) fail "non-root: no notice about 64-byte config: $err" ;; esac
  echo "non-root: degrades with a notice"
fi
echo ok
