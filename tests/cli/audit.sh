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
echo PASS
