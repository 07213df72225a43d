#!/usr/bin/env bash
# memmap(8) renders without warnings and documents every command and long option that
# --help lists.
set -u
memmap=$1 src=$2
page="$src/man/memmap.8"
command -v man >/dev/null || { echo "SKIP: man not installed"; exit 125; }
warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
[ -z "$warn" ] || { echo "FAIL: man warnings:"; echo "$warn"; exit 1; }
missing=0
cmds=$("$memmap" --help | awk '/^Subcommands:/{f=1;next} f&&/^  [a-z]/{print $1}')
for c in $cmds; do
  grep -q "^\.SS \"memmap $c" "$page" || { echo "FAIL: command '$c' has no section in memmap.8"; missing=1; }
  for o in $("$memmap" "$c" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
    grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$page" \
      || { echo "FAIL: option $o of '$c' is not in memmap.8"; missing=1; }
  done
done
for o in $("$memmap" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
  grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$page" \
    || { echo "FAIL: global option $o is not in memmap.8"; missing=1; }
done
[ $missing = 0 ] || exit 1
echo "PASS: $(echo "$cmds" | wc -w) commands documented"
