#!/usr/bin/env bash
# Shell completion (packaging/completions): bash drives _memmap through COMP_WORDS and
# COMP_CWORD as readline would; zsh runs _memmap with compadd/_describe/_files replaced by
# functions that print what they are given. Commands and options come from the binary's
# --help, BDFs from sysfs (or --root DIR/sys). Usage: completion.sh MEMMAP SOURCE_DIR.
# Exit 125 = skipped (no zsh: the zsh half did not run).
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bindir=$(cd "$(dirname "$memmap")" && pwd)

# A sysroot with two PCI functions for BDF completion.
mkdir -p "$tmp/root/sys/bus/pci/devices" "$tmp/root/proc" "$tmp/work/snapdir"
cp "$src/fixtures/seed-quadro-p1000/proc/iomem" "$tmp/root/proc/iomem"
ln -s ../../../devices/pci0000:00/0000:00:02.0 "$tmp/root/sys/bus/pci/devices/0000:00:02.0"
ln -s ../../../devices/pci0000:00/0000:04:00.0 "$tmp/root/sys/bus/pci/devices/0000:04:00.0"
touch "$tmp/work/a.tar.gz" "$tmp/work/notes.txt"

# complete_bash WORDS...: the last word is the one being completed (EMPTY for an empty one).
complete_bash() {
  PATH="$bindir:$PATH" bash --norc --noprofile -c '
    source "$1"; shift
    args=(); for a in "$@"; do [ "$a" = EMPTY ] && a=""; args+=("$a"); done; set -- "${args[@]}"
    complete -p memmap >/dev/null || { echo "no completion registered"; exit 1; }
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _memmap
    printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$src/packaging/completions/memmap.bash" "$@"
}
expect() {  # expect "WORDS" WANTED...: every WANTED word is offered
  local words=$1; shift
  # shellcheck disable=SC2086
  got=$(cd "$tmp/work" && complete_bash $words)
  for w in "$@"; do
    grep -qx -- "$w" <<<"$got" || fail "bash: '$words<TAB>' lacks '$w'; got: $(echo $got)"
  done
}
reject() {  # reject "WORDS" UNWANTED...
  local words=$1; shift
  # shellcheck disable=SC2086
  got=$(cd "$tmp/work" && complete_bash $words)
  for w in "$@"; do
    grep -qx -- "$w" <<<"$got" && fail "bash: '$words<TAB>' offers '$w'"
  done
  return 0
}

cmds=$("$memmap" --help | awk '/^Subcommands:/{f=1;next} f&&/^  [a-z]/{print $1}')
# shellcheck disable=SC2086
expect "memmap EMPTY" $cmds
expect "memmap io" iomem ioports
reject "memmap io" snapshot diff
expect "memmap --" --root --json --color --help --version
expect "memmap iomem --" --depth --flat --filter --json --root
expect "memmap --color EMPTY" auto always never
expect "memmap diff --only EMPTY" iomem ioports
expect "memmap diff EMPTY" live snapdir a.tar.gz
reject "memmap diff EMPTY" notes.txt
expect "memmap snapshot EMPTY" snapdir a.tar.gz
expect "memmap --root EMPTY" snapdir a.tar.gz
expect "memmap --root $tmp/root iomem --filter EMPTY" 0000:00:02.0 0000:04:00.0
expect "memmap iomem --root $tmp/root --filter 0000:04" 0000:04:00.0
reject "memmap iomem --root $tmp/root --filter 0000:04" 0000:00:02.0
expect "memmap --root $tmp/root --json i" iomem
if [ -d /sys/bus/pci/devices ] && [ -n "$(ls /sys/bus/pci/devices)" ]; then
  # shellcheck disable=SC2046
  expect "memmap iomem --filter EMPTY" $(ls /sys/bus/pci/devices)
fi
# Every command with a BDF argument (its --help says BDF) completes BDFs.
for c in $cmds; do
  if "$memmap" "$c" --help | grep -q BDF; then
    expect "memmap --root $tmp/root $c EMPTY" 0000:00:02.0 0000:04:00.0
  fi
done
echo "bash: $(echo $cmds | wc -w) commands, options, sections, files and BDFs complete"

if command -v zsh >/dev/null; then
  zsh -n "$src/packaging/completions/_memmap" || fail "zsh: syntax"
  zcomplete() {
    PATH="$bindir:$PATH" zsh -f -c '
      compadd() {  # candidates: everything after "--", else the arguments not starting with -
        if (( ${@[(Ie)--]} )); then print -rl -- "${@[${@[(ie)--]}+1,-1]}"; return; fi
        local a; for a in "$@"; do [[ $a == -* ]] || print -r -- "$a"; done
      }
      _describe() { print -rl -- ${(P)2} }
      _alternative() { print -rl -- ALT "$@" }
      _files() { print -r -- FILES "$@" }
      file=$1; shift
      words=("$@"); CURRENT=$#; PREFIX=${words[CURRENT]}
      source $file' _ "$src/packaging/completions/_memmap" "$@"
  }
  out=$(zcomplete memmap '')
  for c in $cmds; do grep -q "^$c:" <<<"$out" || fail "zsh: command $c not offered: $out"; done
  out=$(zcomplete memmap iomem --)
  for o in --depth --flat --filter --root --json; do grep -qx -- "$o" <<<"$out" || fail "zsh: iomem -- lacks $o"; done
  out=$(zcomplete memmap --root "$tmp/root" iomem --filter '')
  grep -qx 0000:04:00.0 <<<"$out" || fail "zsh: BDFs from --root: $out"
  out=$(zcomplete memmap --color '')
  [ "$(echo $out)" = "auto always never" ] || fail "zsh: --color: $out"
  out=$(zcomplete memmap diff '')
  grep -q 'live:source:(live)' <<<"$out" || fail "zsh: diff does not offer live: $out"
  echo "zsh: commands, options, BDFs, --color, diff sources complete"
else
  # The bash part passed; the zsh part did not run: Skipped (125), not a pass.
  echo "SKIP: zsh not installed (the bash part passed; the zsh part did not run)"
  exit 125
fi
echo PASS
