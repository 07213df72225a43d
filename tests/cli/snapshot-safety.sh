#!/usr/bin/env bash
# memmap snapshot never writes outside OUT, never follows a link out of the tree it copies,
# and refuses to overwrite what is not a previous snapshot. Runs on a hostile sysroot built
# here (links to /etc, to /, climbing with ..), so it needs neither root nor sysfs.
# Usage: snapshot-safety.sh MEMMAP SOURCE_DIR.
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C NO_COLOR=1

# A sysroot with a real iomem and hostile links.
h=$tmp/hostile
mkdir -p "$h/proc" "$h/sys/bus/pci/devices" "$h/sys/devices/pci0000:00/0000:00:03.0" \
         "$h/sys/kernel/iommu_groups/1/devices" "$tmp/outside"
cp "$src/fixtures/desktop-amd-a4-3400-a55/proc/iomem" "$h/proc/iomem"
echo "secret" >"$tmp/outside/secret"
echo 0x8086 >"$h/sys/devices/pci0000:00/0000:00:03.0/vendor"
ln -s /etc/passwd "$h/sys/devices/pci0000:00/0000:00:03.0/config"        # absolute
ln -s ../../../../outside/secret "$h/sys/devices/pci0000:00/0000:00:03.0/resource"  # climbs out
ln -s ../../../devices/pci0000:00/0000:00:03.0 "$h/sys/bus/pci/devices/0000:00:03.0"
ln -s /etc "$h/sys/bus/pci/devices/0000:00:01.0"
ln -s ../../../../../../../../../etc "$h/sys/bus/pci/devices/0000:00:02.0"
ln -s / "$h/sys/kernel/iommu_groups/1/devices/0000:00:03.0"
ln -s "$tmp/outside" "$h/sys/bus/pci/drivers"

before=$(cd "$tmp" && find . -path ./out -prune -o -path ./log -prune -o -print | sort)
"$memmap" --root "$h" snapshot "$tmp/out" >"$tmp/log" 2>&1; rc=$?
[ $rc = 0 ] || fail "snapshot of the hostile sysroot: exit $rc: $(cat "$tmp/log")"
after=$(cd "$tmp" && find . -path ./out -prune -o -path ./log -prune -o -print | sort)
[ "$before" = "$after" ] || fail "something was written outside OUT: $(diff <(echo "$before") <(echo "$after"))"
grep -rqs -e 'root:' -e secret "$tmp/out" && fail "content from outside the sysroot was copied"
while IFS= read -r l; do
  t=$(readlink "$l"); case $t in /*) fail "absolute link copied: $l -> $t" ;; esac
  r=$(realpath -m "$l"); case $r in "$tmp/out/"*) ;; *) fail "link leads out of OUT: $l -> $r" ;; esac
done < <(find "$tmp/out" -type l)
python3 - "$tmp/out/memmap-snapshot.json" <<'PY' || fail "manifest does not list what was refused"
import json, sys
m = json.load(open(sys.argv[1]))
skipped = {n["path"] for n in m["skipped"]}
want = {"sys/bus/pci/devices/0000:00:01.0", "sys/bus/pci/devices/0000:00:02.0",
        "sys/kernel/iommu_groups/1/devices/0000:00:03.0", "sys/bus/pci/drivers",
        "sys/devices/pci0000:00/0000:00:03.0/config",
        "sys/devices/pci0000:00/0000:00:03.0/resource"}
assert want <= skipped, skipped
assert m["counts"]["pci_devices"] == 1, m["counts"]
print(f"hostile sysroot: {len(skipped)} links refused")
PY
[ "$(cat "$tmp/out/sys/bus/pci/devices/0000:00:03.0/vendor")" = 0x8086 ] || fail "the good device was not copied"

# OUT rules.
echo keep >"$tmp/out/notes.txt"
"$memmap" --root "$h" snapshot "$tmp/out" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "non-empty OUT without --force: exit $rc, want 2"
grep -q 'not empty' "$tmp/err" || fail "no reason given: $(cat "$tmp/err")"
"$memmap" --root "$h" snapshot --force "$tmp/out" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "--force on a directory holding other files: exit $rc, want 2"
[ -f "$tmp/out/notes.txt" ] && [ -f "$tmp/out/proc/iomem" ] || fail "--force refused, yet OUT changed"
rm "$tmp/out/notes.txt"
"$memmap" --root "$src/fixtures/seed-quadro-p1000" snapshot --force "$tmp/out" >/dev/null 2>&1 \
  || fail "--force on a previous snapshot: exit $?"
cmp -s "$tmp/out/proc/iomem" "$src/fixtures/seed-quadro-p1000/proc/iomem" || fail "--force did not replace"
[ -e "$tmp/out/sys" ] && fail "--force left the previous snapshot's sys/ behind"
"$memmap" --root "$h" snapshot "$h/sys/copy" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "OUT inside the copied sysroot: exit $rc, want 2"
[ -e "$h/sys/copy" ] && fail "OUT inside the sysroot was created"
"$memmap" --root "$h" snapshot "$tmp/t.tar.gz" >/dev/null 2>&1 || fail "tarball: exit $?"
"$memmap" --root "$h" snapshot "$tmp/t.tar.gz" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "existing tarball without --force: exit $rc, want 2"
"$memmap" --iomem "$h/proc/iomem" snapshot "$tmp/x" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "snapshot with --iomem: exit $rc, want 2"
"$memmap" snapshot >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "snapshot without OUT: exit $rc, want 2"
ln -s "$tmp/outside" "$tmp/linkout"
"$memmap" --root "$h" snapshot --force "$tmp/linkout" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "OUT is a symbolic link: exit $rc, want 2"

# A tarball whose entries climb out is refused by diff, and nothing lands outside.
python3 - "$tmp/evil.tar.gz" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    data = b"00000000-00000fff : Reserved\n"
    for name in ("snap/proc/iomem", "snap/../../evil-escape"):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
PY
"$memmap" diff "$tmp/evil.tar.gz" "$tmp/out" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "diff on a climbing tarball: exit $rc, want 2"
grep -q 'evil-escape' "$tmp/err" || fail "the refused entry is not named: $(cat "$tmp/err")"
[ -e "$tmp/../evil-escape" ] || [ -e /tmp/evil-escape ] && fail "an entry was written outside"
echo PASS
