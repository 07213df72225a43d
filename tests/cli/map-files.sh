#!/usr/bin/env bash
# memmap map outside the golden transcripts: the SVG is well-formed (xmllint) and renders
# (rsvg-convert, PNG of the declared size), the HTML page is self-contained, the terminal
# drawing follows the locale (UTF-8 or ASCII) and the width, and the live map draws.
# Skips (125) without xmllint or rsvg-convert (packaging/install-deps.sh installs them).
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
command -v xmllint >/dev/null && command -v rsvg-convert >/dev/null || {
  echo "SKIP: xmllint or rsvg-convert missing (bash packaging/install-deps.sh)"; exit 125; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# PNG width and height from the IHDR chunk.
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}'; }

for m in seed-quadro-p1000 arm64-rockchip-rk3588-multi-pcie pc-x86-64bit-ram-above-4g; do
  svg="$tmp/$m.svg"
  "$memmap" --root "$src/fixtures/$m" map --svg "$svg" >"$tmp/out" 2>"$tmp/err" || fail "$m: --svg exit $?"
  [ -s "$tmp/out" ] && fail "$m: --svg FILE also wrote to stdout"
  xmllint --noout "$svg" || fail "$m: SVG not well-formed"
  grep -q '<g class="box" data-kind="ram"' "$svg" || fail "$m: no RAM box in the SVG"
  rsvg-convert "$svg" -o "$tmp/$m.png" || fail "$m: rsvg-convert failed"
  [ "$(head -c 8 "$tmp/$m.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$m: not a PNG"
  want=$(sed -n 's/^<svg [^>]*width="\([0-9]*\)" height="\([0-9]*\)".*/\1x\2/p' "$svg")
  [ "$(png_size "$tmp/$m.png")" = "$want" ] || fail "$m: PNG $(png_size "$tmp/$m.png"), SVG says $want"
  # The page: everything inline, nothing fetched.
  html="$tmp/$m.html"
  "$memmap" --root "$src/fixtures/$m" map --html "$html" || fail "$m: --html exit $?"
  grep -q '<script id="layout" type="application/json">' "$html" || fail "$m: no layout data"
  grep -Eiq '<(link|img|iframe)|src=|@import|url\(' "$html" && fail "$m: the page references something outside itself"
  grep -Eo 'https?://[^" )]*' "$html" | grep -v '^http://www.w3.org/2000/svg$' | grep -q . \
    && fail "$m: the page names a URL: $(grep -Eo 'https?://[^" )]*' "$html" | sort -u | head -3)"
  if command -v jq >/dev/null; then
    sed -n 's/.*<script id="layout" type="application\/json">\(.*\)<\/script>.*/\1/p' "$html" \
      | jq -e '.items | length > 0' >/dev/null || fail "$m: layout JSON in the page does not parse"
  fi
done
grep -q 'data-kind="pci-device" data-start="0xfb000000"' "$tmp/seed-quadro-p1000.svg" \
  || fail "seed: the Quadro's BAR0 at fb000000 is not in the SVG"

seed="$src/fixtures/seed-quadro-p1000"
"$memmap" map --help >"$tmp/out" 2>"$tmp/err" || fail "map --help: exit $?"
[ -s "$tmp/err" ] && fail "map --help wrote to stderr"
grep -q 'Examples' "$tmp/out" || fail "map --help has no examples"
"$memmap" --root "$seed" map --svg - | xmllint --noout - || fail "--svg -: not an SVG on stdout"
"$memmap" --root "$seed" map --svg "$tmp/no/such/dir/x.svg" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "unwritable --svg: exit $rc, want 2"
grep -q 'cannot write' "$tmp/err" || fail "unwritable --svg: no reason given"

# Locale: box drawing under UTF-8, plain ASCII otherwise.
LC_ALL=C.UTF-8 "$memmap" --root "$seed" map --width 80 | grep -q '┌' || fail "UTF-8 locale: no box drawing"
env -u LC_ALL -u LC_CTYPE LANG=C.UTF-8 "$memmap" --root "$seed" map --width 80 | grep -q '┌' \
  || fail "LANG=C.UTF-8: no box drawing"
LC_ALL=C "$memmap" --root "$seed" map --width 80 | LC_ALL=C grep -q '[^ -~]' \
  && fail "C locale: non-ASCII output"
# Width: --width, then COLUMNS (no terminal here).
for w in 40 60 132; do
  got=$(LC_ALL=C "$memmap" --root "$seed" map --width $w | awk '{ if (length > m) m = length } END { print m }')
  [ "$got" -le $w ] || fail "--width $w: a line of $got columns"
  [ "$got" -ge $((w - 2)) ] || fail "--width $w: drawing only $got columns wide"
done
got=$(COLUMNS=70 LC_ALL=C "$memmap" --root "$seed" map | awk '{ if (length > m) m = length } END { print m }')
[ "$got" -le 70 ] && [ "$got" -ge 68 ] || fail "COLUMNS=70: widest line $got"
"$memmap" --root "$seed" map --color always | grep -q $'\033\[32m' || fail "--color always: RAM not green"
"$memmap" --root "$seed" map | grep -q $'\033\[' && fail "not a terminal: colour used"

# Live, as root: this machine's map, with its PCI devices named from sysfs.
if [ "$(id -u)" = 0 ] && [ -r /proc/iomem ]; then
  "$memmap" map --width 100 >"$tmp/live" 2>"$tmp/err" || fail "live map: exit $?"
  grep -q 'System RAM' "$tmp/live" || fail "live map: no System RAM"
  "$memmap" map --svg "$tmp/live.svg" && xmllint --noout "$tmp/live.svg" || fail "live SVG"
fi
echo "map files: SVG, PNG, HTML, locale, width and live checks pass"
