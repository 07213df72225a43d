#!/usr/bin/env bash
# memmap audit as CI uses it: exit codes and --fail-on, baseline round trip, JUnit, --check.
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 2
bad=fixtures/malformed/overlaps.iomem
"$memmap" --iomem $bad audit >/dev/null 2>&1; [ $? = 0 ] || fail "warnings only, --fail-on error: want exit 0"
"$memmap" --iomem $bad audit --fail-on warning >/dev/null 2>&1; [ $? = 1 ] || fail "--fail-on warning: want exit 1"
"$memmap" --iomem $bad audit --fail-on info --check iomem-outside-parent >"$tmp/one" 2>/dev/null; [ $? = 1 ] || fail "--check: want exit 1"
grep -q 'iomem-overlap' "$tmp/one" && fail "--check iomem-outside-parent also ran iomem-overlap"
"$memmap" --iomem $bad audit --check no-such-check >/dev/null 2>"$tmp/err"; [ $? = 2 ] || fail "unknown check: want exit 2"
grep -q 'no such check' "$tmp/err" || fail "unknown check: no message"
"$memmap" --iomem $bad audit --fail-on sometimes >/dev/null 2>&1; [ $? = 2 ] || fail "bad --fail-on: want exit 2"
# Baseline round trip: write, then the same findings are ignored.
"$memmap" --iomem $bad audit --write-baseline "$tmp/base" --fail-on warning >/dev/null 2>&1
[ "$(grep -vc '^#' "$tmp/base")" = 3 ] || fail "baseline should hold 3 fingerprints: $(cat "$tmp/base")"
"$memmap" --iomem $bad audit --baseline "$tmp/base" --fail-on warning >/dev/null 2>"$tmp/err"; [ $? = 0 ] || fail "baseline: want exit 0"
grep -q '3 known finding' "$tmp/err" || fail "baseline: no note of ignored findings"
echo "zz bad" >"$tmp/badbase"
"$memmap" --iomem $bad audit --baseline "$tmp/badbase" >/dev/null 2>"$tmp/err"; [ $? = 2 ] || fail "malformed baseline: want exit 2"
grep -q "badbase:1: expected a 16-digit fingerprint" "$tmp/err" || fail "malformed baseline message: $(cat "$tmp/err")"
# JUnit.
"$memmap" --iomem $bad audit --junit "$tmp/j.xml" --fail-on warning >/dev/null 2>&1
grep -q '<testsuite name="memmap audit"' "$tmp/j.xml" || fail "junit: no testsuite"
grep -q '<failure' "$tmp/j.xml" || fail "junit: no failure element"
if command -v xmllint >/dev/null; then xmllint --noout "$tmp/j.xml" || fail "junit: not well-formed"; fi
# JSON on stdout parses and counts.
"$memmap" --iomem $bad audit --json 2>/dev/null | python3 -c '
import json,sys; d=json.load(sys.stdin); assert d["summary"]["warning"]==3, d["summary"]' || fail "json summary"
# Prometheus textfile format.
"$memmap" --iomem $bad audit --format prometheus 2>/dev/null | grep -q '^memmap_findings{check="iomem-overlap",severity="warning"} 2$' || fail "prometheus"
# Exit 3 when nothing could be checked, or a --require source was not read; 2 for a
# selection that leaves nothing to run.
mkdir "$tmp/empty"
"$memmap" --root "$tmp/empty" audit >"$tmp/out" 2>"$tmp/err"; [ $? = 3 ] || fail "empty root: want exit 3"
grep -q "audit checked nothing" "$tmp/err" || fail "empty root: no message"
grep -q "source pci unavailable: " "$tmp/out" || fail "empty root: sources not read not listed"
"$memmap" --root "$tmp/empty" --json audit 2>/dev/null | python3 -c '
import json,sys; d=json.load(sys.stdin)
assert d["nothing_checked"] is True, d
assert [s["name"] for s in d["sources"]]==["iomem","ioports","pci","klog","iommu"], d["sources"]
assert all(not s["read"] and s["why"] for s in d["sources"]), d["sources"]' || fail "empty root: json sources"
"$memmap" --iomem $bad audit --check bar-overlap >/dev/null 2>&1; [ $? = 3 ] || fail "--check of a check whose source is missing: want exit 3"
"$memmap" --iomem $bad audit --check iomem-overlap --skip iomem-overlap >/dev/null 2>"$tmp/err"; [ $? = 2 ] || fail "--check X --skip X: want exit 2"
q35=fixtures/qemu-q35-iommu
"$memmap" --root $q35 audit --require pci,iommu >/dev/null 2>&1; [ $? = 0 ] || fail "--require pci,iommu on q35: want exit 0"
"$memmap" --root fixtures/seed-quadro-p1000 audit --require iomem --require pci >/dev/null 2>"$tmp/err"; [ $? = 3 ] || fail "--require pci without PCI: want exit 3"
grep -q -- "--require pci: not read" "$tmp/err" || fail "--require: no message: $(cat "$tmp/err")"
"$memmap" --root $q35 audit --require disk >/dev/null 2>&1; [ $? = 2 ] || fail "--require disk: want exit 2"
"$memmap" --root $q35 --json audit 2>/dev/null | python3 -c '
import json,sys; d=json.load(sys.stdin)
assert d["nothing_checked"] is False
assert all(s["read"] and s["from"] for s in d["sources"] if s["name"] != "klog"), d["sources"]
klog = [s for s in d["sources"] if s["name"] == "klog"]
assert klog and not klog[0]["read"] and "memmap-kmsg" in klog[0]["why"], klog' || fail "q35: json sources"
echo PASS
