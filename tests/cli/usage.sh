#!/usr/bin/env bash
# The CLI contract: --help/--version on stdout with empty stderr and exit 0; a usage error
# writes nothing to stdout and exits 2; colour only when asked or on a terminal.
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for args in "--help" "iomem --help" "ioports --help" "--version"; do
  # shellcheck disable=SC2086
  "$memmap" $args >"$tmp/out" 2>"$tmp/err"; rc=$?
  [ $rc = 0 ] || fail "memmap $args: exit $rc"
  [ -s "$tmp/out" ] || fail "memmap $args: empty stdout"
  [ -s "$tmp/err" ] && fail "memmap $args: stderr not empty"
done
grep -q 'Exit status' <("$memmap" --help) || fail "--help does not document exit codes"
grep -q 'Examples' <("$memmap" iomem --help) || fail "iomem --help has no examples"
for args in "--no-such-option" "no-such-command" "iomem --depth 0" "iomem --depth x" "--color sometimes"; do
  # shellcheck disable=SC2086
  "$memmap" $args >"$tmp/out" 2>"$tmp/err"; rc=$?
  [ $rc = 2 ] || fail "memmap $args: exit $rc, want 2"
  [ -s "$tmp/out" ] && fail "memmap $args: wrote to stdout on a usage error"
  grep -q "memmap --help" "$tmp/err" || fail "memmap $args: no hint to --help"
done
root="$src/fixtures/seed-quadro-p1000"
"$memmap" --root "$root" iomem --color always | grep -q $'\033\[' || fail "--color always: no colour"
"$memmap" --root "$root" iomem | grep -q $'\033\[' && fail "not a terminal: colour used"
NO_COLOR=1 "$memmap" --root "$root" iomem --color auto | grep -q $'\033\[' && fail "NO_COLOR: colour used"
# Global options after the command work too.
"$memmap" iomem --root "$root" --depth 1 | grep -q 'PCI MMCONFIG' || fail "--root after the command"
# --root must be a directory.
"$memmap" --root /nonexistent iomem >/dev/null 2>&1; [ $? = 2 ] || fail "--root /nonexistent: want exit 2"
echo PASS
