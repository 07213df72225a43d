#!/usr/bin/env bash
# docs/fleet/memmap-fleet.yml runs as documented: ansible-playbook on a two-host inventory
# that is this machine twice (connection local), snapshots fetched, diffed against a golden
# snapshot (this machine: no differences; another machine's capture: differences, exit 1
# tolerated). The audit step runs when this memmap has an audit command.
# Needs root and ansible-playbook (ansible-core); skipped (125) otherwise.
# Usage: fleet-playbook.sh MEMMAP SOURCE_DIR.
set -u
memmap=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
command -v ansible-playbook >/dev/null || { echo "SKIP: ansible-playbook not installed"; exit 125; }
[ "$(id -u)" = 0 ] || { echo "SKIP: the playbook snapshots as root"; exit 125; }
[ -r /proc/iomem ] || { echo "SKIP: no /proc/iomem"; exit 125; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bin=$(cd "$(dirname "$memmap")" && pwd)/$(basename "$memmap")
audit=false
"$memmap" --help | awk '/^Subcommands:/{f=1;next} f&&/^  [a-z]/{print $1}' | grep -qx audit && audit=true
printf '[fleet]\nhost1 ansible_connection=local\nhost2 ansible_connection=local\n' >"$tmp/inventory"
export ANSIBLE_LOCAL_TEMP=$tmp/ansible ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
       ANSIBLE_PYTHON_INTERPRETER=auto_silent
play() {
  ansible-playbook -i "$tmp/inventory" "$src/docs/fleet/memmap-fleet.yml" \
    -e "memmap=$bin memmap_local=$bin results=$tmp/results memmap_workdir=$tmp/work" \
    -e "memmap_audit=$audit ansible_become=false" "$@" >"$tmp/play.log" 2>&1
}
play || { tail -40 "$tmp/play.log"; fail "playbook without golden: exit $?"; }
for h in host1 host2; do
  [ -s "$tmp/results/$h/$h.tar.gz" ] || fail "$h: snapshot not fetched"
  "$memmap" diff live "$tmp/results/$h/$h.tar.gz" >/dev/null || fail "$h: fetched snapshot differs from live"
  if [ $audit = true ]; then python3 -m json.tool "$tmp/results/$h/audit.json" >/dev/null || fail "$h: audit.json"; fi
done
play -e "golden=$tmp/results/host1/host1.tar.gz" || { tail -40 "$tmp/play.log"; fail "playbook with golden = host1: exit $?"; }
python3 - "$tmp/results" <<'PY' || fail "diff against host1"
import json, sys
for h in ("host1", "host2"):
    d = json.load(open(f"{sys.argv[1]}/{h}/diff.json"))
    assert d["same"] is True, (h, d["differences"])
PY
"$memmap" --root "$src/fixtures/desktop-amd-a4-3400-a55" snapshot "$tmp/other.tar.gz" >/dev/null || fail "fixture snapshot"
play -e "golden=$tmp/other.tar.gz" || { tail -40 "$tmp/play.log"; fail "playbook with another golden: exit $?"; }
grep -q 'differences from' "$tmp/play.log" || fail "the playbook does not report differing hosts"
python3 - "$tmp/results" <<'PY' || fail "diff against another machine"
import json, sys
for h in ("host1", "host2"):
    d = json.load(open(f"{sys.argv[1]}/{h}/diff.json"))
    assert d["same"] is False and d["differences"] > 0, (h, d)
print("fleet: 2 hosts snapshotted, fetched, diffed (same as host1; %d differences from another machine)" % d["differences"])
PY
echo PASS
