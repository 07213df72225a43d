#!/usr/bin/env bash
# memmap map --html in a real browser: headless Chromium loads the page (scripts on, no
# network), its DOM holds the RAM box and the Quadro P1000's BAR0 at the positions the layout
# gives (memmap map --json), a click-zoom link (#zoom=N) draws only that window, and a
# screenshot is taken (kept in MEMMAP_SCREENSHOT_DIR when set, to look at).
# Runs wherever chromium is installed (packaging/install-deps.sh installs it, so CI runs it);
# skips (125) only on a machine without it, or with MEMMAP_BROWSER_TESTS=0.
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
[ "${MEMMAP_BROWSER_TESTS:-1}" = 0 ] && { echo "SKIP: MEMMAP_BROWSER_TESTS=0"; exit 125; }
command -v chromium >/dev/null || { echo "SKIP: chromium not installed (bash packaging/install-deps.sh)"; exit 125; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 125; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
browse() {  # browse URL ARGS...: one fresh headless Chromium run
  local url=$1; shift
  rm -rf "$tmp/profile"
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/profile" \
    --window-size=1200,1600 "$@" "$url" 2>>"$tmp/chromium.log"
}
seed="$src/fixtures/seed-quadro-p1000"
"$memmap" --root "$seed" map --html "$tmp/map.html" || fail "--html exit $?"
"$memmap" --root "$seed" map --json >"$tmp/layout.json" || fail "--json exit $?"

browse "file://$tmp/map.html" --dump-dom >"$tmp/dom.html" || fail "chromium --dump-dom failed: $(tail -3 "$tmp/chromium.log")"
# Where the layout puts a box: line L is drawn at (L + 0.5) * 18 px.
top_px() { jq -r --arg n "$1" --arg s "$2" \
  '.items[] | select(.name == $n and .start == $s) | "\((.top + 0.5) * 18 | floor)px"' "$tmp/layout.json"; }
box_div() { grep -o "<div class=\"box [^\"]*\" data-idx=\"[0-9]*\" data-name=\"$1\" data-kind=\"$2\" data-start=\"$3\"[^>]*>" "$tmp/dom.html"; }

ram=$(box_div "System RAM" ram 0x100000000) || fail "no box for System RAM 100000000 in the DOM"
want=$(top_px "System RAM" 0x100000000)
[ -n "$want" ] || fail "layout JSON has no System RAM at 0x100000000"
grep -q "top: $want;" <<<"$ram" || fail "RAM box at the wrong place: $ram (want top: $want)"
bar=$(box_div "0000:04:00.0" pci-device 0xfb000000) || fail "no box for the BAR 0000:04:00.0 at fb000000"
want=$(top_px "0000:04:00.0" 0xfb000000)
grep -q "top: $want;" <<<"$bar" || fail "BAR box at the wrong place: $bar (want top: $want)"
left() { sed -n 's/.*left: \([0-9]*\)px.*/\1/p' <<<"$1"; }
[ $(( $(left "$bar") - $(left "$ram") )) = 28 ] || fail "BAR not nested two levels inside (left $(left "$bar") vs $(left "$ram"))"
grep -q '>0000:04:00.0 \[nvidia\]<' "$tmp/dom.html" || fail "BAR label not drawn"
grep -q 'class="sw k-ram"' "$tmp/dom.html" || fail "no legend"

# Zoom: the window PCI Bus 0000:04 at fb000000 alone, with the path to it.
idx=$(jq '[.items | to_entries[] | select(.value.name == "PCI Bus 0000:04" and .value.start == "0xfb000000") | .key][0]' "$tmp/layout.json")
[ -n "$idx" ] && [ "$idx" != null ] || fail "no PCI Bus 0000:04 window at fb000000 in the layout"
browse "file://$tmp/map.html#zoom=$idx" --dump-dom >"$tmp/zoom.html" || fail "zoomed dump failed"
grep -q 'data-name="0000:04:00.0" data-kind="pci-device" data-start="0xfb000000"' "$tmp/zoom.html" || fail "zoomed: BAR missing"
grep -q 'data-name="System RAM"' "$tmp/zoom.html" && fail "zoomed: RAM still drawn"
grep -q '<nav id="crumbs"><a>whole map</a> &gt; <a>PCI Bus 0000:00' "$tmp/zoom.html" || fail "zoomed: no path back"

# Details (what hover shows), through the #detail=N link.
bidx=$(jq '[.items | to_entries[] | select(.value.name == "0000:04:00.0" and .value.start == "0xfb000000") | .key][0]' "$tmp/layout.json")
browse "file://$tmp/map.html#detail=$bidx" --dump-dom >"$tmp/detail.html" || fail "detail dump failed"
tip=$(sed -n '/<div id="tip"/,/<\/div>/p' "$tmp/detail.html")
for fact in "0000:04:00.0 \[nvidia\]" "range: fb000000-fbffffff  (16M)" "kind: PCI BAR" "owner: PCI device" \
            "inside: PCI Bus 0000:00 &gt; PCI Bus 0000:04" "device: 0000:04:00.0" "driver: unknown" \
            "BAR: unknown" "NUMA node: unknown" "IOMMU group: unknown" "source: .*proc/iomem:41"; do
  grep -q "$fact" <<<"$tip" || fail "details lack '$fact': $tip"
done
grep -q '<div id="tip" hidden' <<<"$tip" && fail "details not shown"

# Screenshots, to be looked at.
out=${MEMMAP_SCREENSHOT_DIR:-$tmp}
browse "file://$tmp/map.html" --screenshot="$out/map-seed.png" >/dev/null || fail "screenshot failed"
browse "file://$tmp/map.html#zoom=$idx&detail=$bidx" --screenshot="$out/map-seed-zoom.png" >/dev/null || fail "zoomed screenshot failed"
for p in "$out/map-seed.png" "$out/map-seed-zoom.png"; do
  [ "$(head -c 8 "$p" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$p is not a PNG"
done
echo "map browser: RAM and BAR boxes in place, zoom and screenshots ok"
