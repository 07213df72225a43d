#!/usr/bin/env bash
# Round trip: `memmap --root SNAPSHOT CMD` prints exactly what `memmap CMD` prints on the
# machine the snapshot was taken of, for every command --help lists (except snapshot, diff
# and trace, which do not read a sysroot's state), with and without --json, stdout, stderr
# and exit status alike. Paths name their sysroot, so SNAPSHOT's prefix is removed from its
# output first; and the summary names its source in its header line ("memmap V: this
# machine (live)" vs "memmap V: sysroot DIR") and in the top-level JSON "source" key: that
# line and that key alone are left out of the comparison, for the summary only. Also: every fixture sysroot, re-snapshots,
# tarballs, `diff live SNAPSHOT`, and (as root) an unprivileged snapshot.
# Usage: snapshot-roundtrip.sh MEMMAP SOURCE_DIR. Exit 125 = skipped.
set -u
# Wide enough that no command shortens a path to fit (map titles name their source).
export COLUMNS=1000
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
[ -r /proc/iomem ] || { echo "SKIP: no /proc/iomem"; exit 125; }
tmp=$(mktemp -d); chmod 755 "$tmp"; trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C NO_COLOR=1

cmds=$("$memmap" --help | awk '/^Subcommands:/{f=1;next} f&&/^  [a-z]/{print $1}' \
       | grep -vxE 'snapshot|diff|trace')
[ -n "$cmds" ] || fail "no subcommands found in memmap --help"
ncmds=$(echo "$cmds" | wc -w)

# run OUT ROOT ARGS...: stdout+stderr+exit of memmap [--root ROOT] ARGS, ROOT's prefix removed.
run() {
  local out=$1 root=$2; shift 2
  if [ -z "$root" ]; then
    # The live kernel log is /dev/kmsg; a snapshot keeps its records as var/log/memmap-kmsg.
    "$memmap" "$@" 2>&1 | sed 's#/dev/kmsg#/var/log/memmap-kmsg#g' >"$out"
    echo "[exit ${PIPESTATUS[0]}]" >>"$out"
  else
    "$memmap" --root "$root" "$@" >"$out.raw" 2>&1; echo "[exit $?]" >>"$out.raw"
    sed "s#$root##g" "$out.raw" >"$out"
  fi
}
# same A_ROOT B_ROOT LABEL: every command's output from A equals B's ("" = live).
same() {
  local a=$1 b=$2 label=$3 n=0
  for c in "" $cmds; do
    for j in "" --json; do
      # shellcheck disable=SC2086
      run "$tmp/a.out" "$a" $c $j
      # shellcheck disable=SC2086
      run "$tmp/b.out" "$b" $c $j
      if [ -z "$c" ]; then  # the summary's source line / "source" key only
        sed -i -E -e '/^memmap [0-9.]+: (this machine \(live\)|sysroot .*)$/d' -e '/^  "source": /d' "$tmp/a.out" "$tmp/b.out"
      fi
      diff -u "$tmp/a.out" "$tmp/b.out" >"$tmp/d" || {
        cat "$tmp/d" | head -40; fail "$label: 'memmap ${c:-(summary)} $j' differs"; }
      n=$((n + 1))
    done
  done
  echo "$label: $n invocations identical"
}

# 1. Live vs a snapshot of it.
"$memmap" snapshot "$tmp/live" >"$tmp/snap.out" 2>&1 || fail "snapshot exited $?: $(cat "$tmp/snap.out")"
[ -f "$tmp/live/memmap-snapshot.json" ] || fail "no manifest"
same "" "$tmp/live" "live vs snapshot ($ncmds commands + summary)"

# 2. A re-snapshot of the snapshot is the same tree (links included), manifest aside.
"$memmap" --root "$tmp/live" snapshot "$tmp/again" >/dev/null 2>&1 || fail "re-snapshot exited $?"
diff -r --no-dereference -x memmap-snapshot.json "$tmp/live" "$tmp/again" \
  || fail "re-snapshot differs from the snapshot"
python3 - "$tmp/again/memmap-snapshot.json" <<'PY' || fail "re-snapshot manifest"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["source_manifest"]["source"] == "live", m.get("source_manifest")
assert m["kernel"]["release"] == m["source_manifest"]["kernel"]["release"]
PY
same "$tmp/live" "$tmp/again" "snapshot vs re-snapshot"

# 3. lspci reads the snapshot's sysfs like the live one (libpci's sysfs method).
if command -v lspci >/dev/null && [ -d /sys/bus/pci/devices ]; then
  diff <(lspci -vvv -xxxx 2>/dev/null) \
       <(lspci -A linux-sysfs -O sysfs.path="$tmp/live/sys/bus/pci" -vvv -xxxx 2>/dev/null) \
    || fail "lspci -vvv -xxxx differs between live and the snapshot's sysfs"
  diff <(lspci -tv) <(lspci -A linux-sysfs -O sysfs.path="$tmp/live/sys/bus/pci" -tv) \
    || fail "lspci -tv differs"
  echo "lspci -vvv -xxxx and -tv identical on the snapshot's sysfs"
fi

# 4. Topology from paths: every sys/bus/pci/devices entry is a relative link that resolves
#    inside the snapshot, like live sysfs.
for l in "$tmp/live"/sys/bus/pci/devices/*; do
  [ -L "$l" ] || fail "$l is not a symbolic link"
  case $(readlink "$l") in /*) fail "$l: absolute link" ;; esac
  r=$(realpath "$l"); case $r in "$tmp/live/sys/devices/"*) ;; *) fail "$l resolves to $r" ;; esac
  [ "$(basename "$r")" = "$(basename "$l")" ] || fail "$l: wrong target"
done

# 5. Tarball: same content, diffable against the directory and live.
"$memmap" snapshot "$tmp/live.tar.gz" >/dev/null 2>&1 || fail "tarball snapshot exited $?"
tar tzf "$tmp/live.tar.gz" | grep -qx 'live/proc/iomem' || fail "tarball lacks live/proc/iomem"
mkdir "$tmp/untar" && tar xzf "$tmp/live.tar.gz" -C "$tmp/untar"
same "$tmp/live" "$tmp/untar/live" "directory vs unpacked tarball"
echo "--root TARBALL: identical to the directory"
# --root reads the tarball directly (unpacked into a temporary directory, removed after).
for c in "" $cmds; do
  for j in "" --json; do
    # shellcheck disable=SC2086
    "$memmap" --root "$tmp/live.tar.gz" $c $j 2>&1 | sed -E 's#/[^ "]*/memmap-snapshot-[A-Za-z0-9]{6}/live##g' >"$tmp/a.out"
    # shellcheck disable=SC2086
    run "$tmp/b.out" "$tmp/live" $c $j
    sed -i '$d' "$tmp/b.out"  # the exit line
    diff -u "$tmp/a.out" "$tmp/b.out" >"$tmp/d" || { head -20 "$tmp/d"; fail "--root tarball: memmap $c $j"; }
  done
done
ls -d "${TMPDIR:-/tmp}"/memmap-snapshot-* 2>/dev/null | while read -r d; do
  [ "$d" -nt "$tmp/live.tar.gz" ] && fail "temporary unpack directory left behind: $d"
done
"$memmap" diff "$tmp/live.tar.gz" "$tmp/live" >"$tmp/d.out" 2>&1 || fail "diff tarball dir: exit $?: $(cat "$tmp/d.out")"
"$memmap" diff live "$tmp/live.tar.gz" >"$tmp/d.out" 2>&1 || fail "diff live tarball: exit $?: $(cat "$tmp/d.out")"
grep -q 'No differences' "$tmp/d.out" || fail "diff live tarball: $(cat "$tmp/d.out")"

# 6. A changed snapshot differs: exit 1 and the change named.
cp -a "$tmp/live" "$tmp/changed"
python3 - "$tmp/live/proc/iomem" "$tmp/changed/proc/iomem" <<'PY' || fail "cannot edit iomem"
import sys
lines = open(sys.argv[1]).read().split("\n")
for i, l in enumerate(lines):
    if l.startswith("0") and l.endswith(" : System RAM"):  # the first top-level RAM range
        rng, name = l.split(" : ", 1)
        s, e = rng.split("-")
        lines[i] = f"{s}-{int(e, 16) - 4096:0{len(e)}x} : {name}"
        break
else:
    sys.exit("no top-level System RAM")
open(sys.argv[2], "w").write("\n".join(lines))
PY
"$memmap" diff live "$tmp/changed" >"$tmp/d.out" 2>&1; rc=$?
[ $rc = 1 ] || fail "diff live changed: exit $rc, want 1: $(cat "$tmp/d.out")"
grep -q '~ resized  System RAM' "$tmp/d.out" || fail "diff does not name the resized RAM: $(cat "$tmp/d.out")"
"$memmap" diff live "$tmp/changed" --json | python3 -c '
import json,sys; d=json.load(sys.stdin)
assert d["same"] is False and d["differences"] == 1, d
c = d["sections"][0]["changes"][0]
assert c["change"] == "resized" and c["path"] == ["System RAM"], c
assert c["before"]["size"] - c["after"]["size"] == 4096, c' || fail "diff --json"
echo "diff: live = snapshot = tarball; an edited snapshot differs by one resized region"

# 7. Every fixture sysroot snapshots and reads back the same.
nf=0
for f in "$src"/fixtures/*/; do
  [ -d "$f/proc" ] || continue
  f=${f%/}; name=$(basename "$f")
  # Fixtures broken on purpose (dangling links, bad files) are not machines to copy.
  case "$name" in *hostile*) continue ;; esac
  "$memmap" --root "$f" snapshot "$tmp/fx-$name" >/dev/null 2>&1 || fail "snapshot of $name: exit $?"
  # Everything the snapshot holds is a copy of the fixture (a capture may hold more than
  # memmap reads: "Only in FIXTURE" lines are allowed, any other difference is not).
  diff -r --no-dereference -x memmap-snapshot.json -x README.md "$f" "$tmp/fx-$name" \
    | grep -v "^Only in $f" >"$tmp/fxdiff"
  [ -s "$tmp/fxdiff" ] && { head -5 "$tmp/fxdiff"; fail "snapshot of fixture $name is not a copy of it"; }
  for c in "" $cmds; do
    for j in "" --json; do
      # shellcheck disable=SC2086
      run "$tmp/a.out" "$f" $c $j
      # shellcheck disable=SC2086
      run "$tmp/b.out" "$tmp/fx-$name" $c $j
      diff -u "$tmp/a.out" "$tmp/b.out" >"$tmp/d" || { head -20 "$tmp/d"; fail "fixture $name: memmap $c $j"; }
    done
  done
  nf=$((nf + 1))
done
echo "fixtures: $nf sysroots snapshotted and read back identically"

# 8. Unprivileged: the snapshot says what it lacks, and reads back like the live view.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
  cp "$memmap" "$tmp/memmap"; chmod 755 "$tmp/memmap"; mkdir -m 777 "$tmp/nb"
  su -s /bin/sh nobody -c "$tmp/memmap snapshot $tmp/nb/s" >"$tmp/nb.out" 2>&1 || fail "nobody: snapshot exit $?: $(cat "$tmp/nb.out")"
  python3 - "$tmp/nb/s/memmap-snapshot.json" <<'PY' || fail "nobody: manifest"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["complete"] is False and m["euid"] != 0, m
paths = {n["path"]: n["reason"] for n in m["incomplete"]}
assert "proc/iomem" in paths and "zero" in paths["proc/iomem"], paths
cfg = [p for p in paths if p.endswith("/config")]
assert cfg and all("of" in paths[p] and "CAP_SYS_ADMIN" in paths[p] for p in cfg), paths
print(f"nobody: manifest lists {len(paths)} incomplete files ({len(cfg)} truncated config)")
PY
  grep -q 'Incomplete' "$tmp/nb.out" || fail "nobody: text does not list what is incomplete"
  for c in "" $cmds; do
    for j in "" --json; do
      su -s /bin/sh nobody -c "$tmp/memmap $c $j" 2>&1 | sed 's#/dev/kmsg#/var/log/memmap-kmsg#g' >"$tmp/a.out"
      echo "[exit ${PIPESTATUS[0]}]" >>"$tmp/a.out"
      su -s /bin/sh nobody -c "$tmp/memmap --root $tmp/nb/s $c $j" 2>&1 | sed "s#$tmp/nb/s##g" >"$tmp/b.out"
      echo "[exit ${PIPESTATUS[0]}]" >>"$tmp/b.out"
      # A log nobody may not read (dmesg_restrict=1) is unreadable live and absent from the
      # snapshot: the two say so in their own words.
      sed -i -E '/memmap-kmsg: not read: /d' "$tmp/a.out" "$tmp/b.out"
      if [ -z "$c" ]; then
        sed -i -E -e '/^memmap [0-9.]+: (this machine \(live\)|sysroot .*)$/d' -e '/^  "source": /d' "$tmp/a.out" "$tmp/b.out"
      fi
      diff -u "$tmp/a.out" "$tmp/b.out" >"$tmp/d" || { head -20 "$tmp/d"; fail "nobody: memmap $c $j"; }
    done
  done
  "$memmap" diff "$tmp/live" "$tmp/nb/s" >"$tmp/d.out" 2>&1; rc=$?
  [ $rc = 0 ] || fail "diff root vs nobody snapshot: exit $rc: $(cat "$tmp/d.out")"
  grep -q 'addresses hidden in B' "$tmp/d.out" || fail "diff does not say B's addresses are hidden"
  echo "nobody: incomplete snapshot reads back like the unprivileged live view"
fi
echo PASS
