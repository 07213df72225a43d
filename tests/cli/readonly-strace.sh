#!/usr/bin/env bash
# The read-only guarantee: every command, run live as root under
# `strace -f -y -e trace=openat,open,creat,write,mknod,mknodat,mount`, opens for writing and
# writes only (a) inside its own tracefs instance (tracing/instances/memmap-PID/), (b) the
# outputs the user named (snapshot OUT, map --svg/--html FILE, audit --junit FILE) and
# (c) stdout/stderr and pipes, (d) the private mkdtemp directory $TMPDIR/memmap-snapshot-XXXXXX
# that reading a snapshot .tar.gz unpacks into (diff, --root OUT.tar.gz), which must be gone
# when memmap exits; it never calls mknod, nor mount except `trace` mounting tracefs on
# /sys/kernel/tracing where it is not mounted (documented). Failed attempts count too.
# Commands that `memmap --help` lists but this table does not know run bare (`memmap CMD`),
# so a new command is covered from the day it is merged. The tracing instance is gone after
# `trace`. Needs root, strace and a live /proc/iomem; skipped (125) otherwise.
# Usage: readonly-strace.sh MEMMAP SOURCE_DIR.
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (live sources, tracefs)"; exit 125; }
command -v strace >/dev/null || { echo "SKIP: strace not installed"; exit 125; }
[ -r /proc/iomem ] || { echo "SKIP: no /proc/iomem"; exit 125; }
strace -f -qq -e trace=openat -o /dev/null true 2>/dev/null || { echo "SKIP: strace cannot trace here (ptrace denied)"; exit 125; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C NO_COLOR=1 COLUMNS=100
mkdir "$tmp/tmpdir"; export TMPDIR=$tmp/tmpdir
# A sanitizer build (asan preset): LeakSanitizer cannot run under ptrace.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
cd "$tmp"

# name|expected exit codes|allowed output paths (space-separated; a directory covers below)|args
table=(
  "summary|0||"
  "iomem|0||iomem"
  "iomem-json|0||iomem --json"
  "ioports|0||ioports"
  "bar|0||bar"
  "bar-json|0||--json bar"
  "tree|0||tree"
  "iommu-groups|0||iommu-groups"
  "map|0||map"
  "map-svg|0|$tmp/m.svg|map --svg $tmp/m.svg"
  "map-html|0|$tmp/m.html|map --html $tmp/m.html"
  "trace|0||trace --duration 1"
  "trace-json|0||--json trace --duration 1 --events"
  "trace-dma-debug|0 3||trace --dma-debug"
  "trace-input|0||trace --input $src/fixtures/trace/s2-6.12.trace.txt"
  "snapshot|0|$tmp/snap|snapshot $tmp/snap"
  "snapshot-tgz|0|$tmp/snap.tar.gz|snapshot $tmp/snap.tar.gz"
  "diff|0 1||diff $tmp/snap live"
  "diff-tgz|0 1||diff $tmp/snap.tar.gz live"
  "audit|0 1|$tmp/audit.xml|audit --junit $tmp/audit.xml"
  "resolve|0 1||resolve 0x1000"
)
# fit needs a device with a BAR 0: the first one sysfs lists with a non-zero first resource row.
for d in /sys/bus/pci/devices/*; do
  read -r b0 _ <"$d/resource" 2>/dev/null || continue
  [ "$b0" != 0x0000000000000000 ] && { table+=("fit|0 1 3||fit ${d##*/} 0 1M"); break; }
done
known=" "
for row in "${table[@]}"; do known+="$(echo "$row" | cut -d'|' -f4 | sed 's/^--json //' | cut -d' ' -f1) "; done
# Subcommands memmap has (its --help), so that a command missing from the table runs bare.
cmds=$("$memmap" --help | sed -n '/^Subcommands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || fail "no subcommands found in memmap --help"
have=" $cmds "
have=${have//$'\n'/ }
for c in $cmds; do
  case $known in *" $c "*) ;; *) table+=("$c|0 1 3||$c") ;; esac
done

checked=0
for row in "${table[@]}"; do
  IFS='|' read -r name codes allowed args <<<"$row"
  cmd=$(echo "$args" | sed 's/^--json //' | cut -d' ' -f1)
  if [ -n "$cmd" ]; then
    case $have in *" $cmd "*) ;; *) echo "($name: memmap has no '$cmd' command yet)"; continue ;; esac
  fi
  # shellcheck disable=SC2086
  strace -f -y -qq -s 64 -e trace=openat,open,creat,write,mknod,mknodat,mount \
    -o "$tmp/st.$name" "$memmap" $args >"$tmp/out.$name" 2>"$tmp/err.$name"
  rc=$?
  case " $codes " in *" $rc "*) ;; *) fail "$name: memmap $args: exit $rc (want $codes): $(head -5 "$tmp/err.$name")" ;; esac
  python3 - "$tmp/st.$name" "$tmp/out.$name $tmp/err.$name $allowed" "$TMPDIR" <<'PY' || fail "$name: memmap $args wrote outside what it may write (above)"
import re, sys
log, allowed = sys.argv[1], sys.argv[2].split()
instance = re.compile(r'^/sys/kernel(/debug)?/tracing/instances/memmap-[0-9]+(/|$)')
private = re.compile('^' + re.escape(sys.argv[3]) + r'/memmap-snapshot-[A-Za-z0-9]{6}/')
def ok(path):
    if instance.match(path) or private.match(path):
        return True
    for a in allowed:
        if path == a or path.startswith(a.rstrip('/') + '/'):
            return True
    return False
bad = []
for line in open(log):
    line = line.strip()
    m = re.match(r'^\d+\s+(\w+)\((.*)$', line)
    if not m:
        continue
    call, rest = m.groups()
    if call == 'mount' and re.match(r'"[^"]*", "/sys/kernel/tracing", "tracefs", ', rest):
        continue  # trace mounts tracefs where it is not mounted (memmap(8), trace)
    if call in ('mknod', 'mknodat', 'mount'):
        bad.append(line); continue
    if call in ('open', 'openat', 'creat'):
        am = re.search(r'"([^"]*)"', rest)
        path = am.group(1) if am else '?'
        if call != 'creat' and not re.search(r'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND', rest):
            continue
        res = re.search(r'= \d+<([^>]*)>$', rest)
        if res:
            path = res.group(1)
        elif not path.startswith('/'):
            cwd = re.search(r'AT_FDCWD<([^>]*)>', rest)
            path = (cwd.group(1) if cwd else '.') + '/' + path
        if not ok(path):
            bad.append(line)
    elif call == 'write':
        fm = re.match(r'(\d+)<([^>]*)>', rest)
        if not fm:
            bad.append(line); continue
        target = fm.group(2)
        if re.match(r'^(pipe|socket|anon_inode):', target) or target in ('/dev/null', '/dev/tty') \
           or target.startswith('/dev/pts/'):
            continue
        if not ok(target):
            bad.append(line)
for b in bad[:20]:
    print('  not allowed:', b[:240])
sys.exit(1 if bad else 0)
PY
  [ -z "$(ls -A "$TMPDIR")" ] || fail "$name: left behind in TMPDIR: $(ls -A "$TMPDIR")"
  checked=$((checked + 1))
  echo "ok: $name (memmap $args, exit $rc)"
done
[ $checked -ge 10 ] || fail "only $checked commands checked"
# trace removes its instance again.
for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
  ls -d "$d"/instances/memmap-* 2>/dev/null | while read -r i; do
    pid=${i##*-}; kill -0 "$pid" 2>/dev/null || fail "tracing instance left behind: $i"
  done
done
echo "read-only: $checked command lines checked"
