#!/usr/bin/env bash
# Golden test runner. Usage: run-golden.sh MEMMAP CASES_FILE SOURCE_DIR
#
# CASES_FILE lists one memmap invocation per line (arguments only, paths relative to the
# source tree; '#' starts a comment). Every invocation runs from SOURCE_DIR with LC_ALL=C,
# TZ=UTC, NO_COLOR=1 and no terminal; its stdout, stderr and exit status are written to one
# transcript, headed by the command line (util-linux lsmem style). The transcript must equal
# tests/golden/expected/NAME.out byte for byte.
#
# MEMMAP_GOLDEN_UPDATE=1 rewrites the expected file instead: read the git diff before you
# commit it; an unexplained change is a regression.
set -u
memmap=$1 cases=$2 src=$3
name=$(basename "$cases" .cases)
expected="$src/tests/golden/expected/$name.out"
actual=$(mktemp)
trap 'rm -f "$actual" "$actual.err"' EXIT
cd "$src" || exit 2
export LC_ALL=C TZ=UTC NO_COLOR=1 COLUMNS=100
unset MEMMAP_COLOR
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in ''|'#'*) continue ;; esac
  printf '$ memmap %s\n' "$line" >>"$actual"
  # Word splitting is intended: case lines hold shell-free argument lists.
  # shellcheck disable=SC2086
  eval "set -- $line"
  "$memmap" "$@" </dev/null >>"$actual" 2>"$actual.err"
  rc=$?
  if [ -s "$actual.err" ]; then
    printf '[stderr]\n' >>"$actual"
    cat "$actual.err" >>"$actual"
  fi
  printf '[exit %d]\n\n' "$rc" >>"$actual"
done <"$cases"

if [ "${MEMMAP_GOLDEN_UPDATE:-0}" = 1 ]; then
  cp "$actual" "$expected"
  echo "updated $expected"
  exit 0
fi
if [ ! -f "$expected" ]; then
  echo "missing $expected (run with MEMMAP_GOLDEN_UPDATE=1, then read it)"
  exit 1
fi
if ! diff -u "$expected" "$actual"; then
  echo "golden.$name: output differs from $expected"
  exit 1
fi
echo "golden.$name: $(grep -c '^\$ memmap' "$actual") invocations match"
