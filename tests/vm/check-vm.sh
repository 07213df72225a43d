#!/usr/bin/env bash
# Host-side checks of the q35 test machine: memmap's outputs in the guest against the kernel's
# own files captured in the same run, and the kernel's IOMMU grouping against what the QEMU
# topology dictates (README.md explains the expected groups).
#
# Usage: check-vm.sh CHECK MEMMAP SYSROOT [OUT]
#   SYSROOT  the kernel's files: capture/sysroot of a run, or fixtures/qemu-q35-iommu
#   OUT      memmap's outputs in the guest (capture/out: NAME.out, NAME.err, NAME.rc and
#            `commands`, one "NAME<TAB>ARGS" line per invocation); checks of guest output need it
# CHECK is one of the check_* functions below, with '-' for '_' (e.g. iommu-groups).
# Exit status: 0 pass; 1 fail (every difference is printed); 125 skip, with the reason: there
# is no capture (vm.boot was skipped), or the guest's memmap has no such command yet.
#
# One function per memmap command. Checks of commands that are not merged yet (bar, tree,
# iommu-groups, audit, trace, snapshot) are written against the JSON contracts of their issues
# and run as soon as the guest's binary has the command (guest-init.sh runs every command the
# binary has); until then they skip.
# shellcheck disable=SC2012 # sysfs names are BDFs and numbers
set -uo pipefail
export LC_ALL=C TZ=UTC NO_COLOR=1 COLUMNS=100
check=${1:?usage: check-vm.sh CHECK MEMMAP SYSROOT [OUT]}
memmap=${2:?usage: check-vm.sh CHECK MEMMAP SYSROOT [OUT]}
root=${3:?usage: check-vm.sh CHECK MEMMAP SYSROOT [OUT]}
out=${4:-}

skip() { echo "SKIP: $*"; exit 125; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
note() { echo "  $*"; }

[ -d "$root" ] || skip "no capture at $root (vm.boot was skipped or did not run)"
root=$(cd "$root" && pwd)
if [ -n "$out" ]; then
  [ -f "$out/commands" ] || skip "no guest output at $out (vm.boot was skipped or did not run)"
  out=$(cd "$out" && pwd)
fi
command -v jq >/dev/null || { echo "FAIL: jq is missing (packaging/install-deps.sh --vm)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- helpers ---------------------------------------------------------------------------

# The guest ran `memmap ARGS` as NAME? Otherwise skip: the binary had no such command.
need_output() {
  [ -n "$out" ] || { echo "FAIL: check $check needs the guest output directory"; exit 1; }
  [ -f "$out/$1.rc" ] || skip "the guest's memmap did not run '$2' (no such command in the binary yet)"
}
args_of() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$out/commands"; }
rc_of() { cat "$out/$1.rc"; }

# A resource file (/proc/iomem or /proc/ioports) as "DEPTH START END NAME" lines, with
# addresses as lowercase hex without leading zeros; the kernel caps the indent at depth 5.
flatten_resource_file() {
  awk '{
    match($0, /^ */); depth = RLENGTH / 2
    rest = substr($0, RLENGTH + 1)
    sep = index(rest, " : ")
    range = substr(rest, 1, sep - 1); name = substr(rest, sep + 3)
    split(range, r, "-")
    s = r[1]; sub(/^0+/, "", s); if (s == "") s = "0"
    e = r[2]; sub(/^0+/, "", e); if (e == "") e = "0"
    printf "%d %d %s %s %s\n", NR, depth, tolower(s), tolower(e), name
  }' "$1"
}
# memmap's resource-tree JSON in the same form (depth capped at 5 as the file prints it).
flatten_resource_json() {
  jq -r 'def hex: ltrimstr("0x") | ascii_downcase | sub("^0+(?=.)"; "");
         def walk(d): .[] | "\(.line) \([d, 5] | min) \(.start | hex) \(.end | hex) \(.name)",
                            (.children | walk(d + 1));
         .regions | walk(0)' "$1"
}
# Compare memmap's JSON for a resource file with the file itself.
compare_resource_tree() { # LABEL JSON FILE
  local label=$1 json=$2 file=$3
  if ! jq -e '.regions' "$json" >/dev/null 2>&1; then
    fail "$label: not resource-tree JSON"; head -n 5 "$json"; return
  fi
  flatten_resource_file "$file" >"$tmp/file.txt"
  flatten_resource_json "$json" >"$tmp/json.txt"
  if diff -u "$tmp/file.txt" "$tmp/json.txt" >"$tmp/diff.txt"; then
    note "$label: $(wc -l <"$tmp/file.txt") regions, each with the kernel's line, depth, range and name"
  else
    fail "$label differs from $file (- kernel, + memmap; LINE DEPTH START END NAME):"
    head -n 40 "$tmp/diff.txt"
  fi
  local n
  n=$(jq '(.warnings // []) | length' "$json")
  [ "$n" = 0 ] || fail "$label: $n warnings on a kernel-written file: $(jq -c '.warnings' "$json")"
}

# `memmap --root SYSROOT ARGS` on the host, made comparable with the guest's live output: the
# prefix disappears from file names ("SYSROOT/proc/iomem" -> "/proc/iomem"), and the summary's
# "sysroot SYSROOT" reads "this machine (live)".
memmap_root() { # SYSROOT ARGS...
  local sysroot=$1 text
  shift
  text=$("$memmap" --root "$sysroot" "$@" 2>"$tmp/root.err"; echo "rc=$?")
  text=${text//"sysroot $sysroot"/this machine (live)}
  text=${text//"$sysroot/"//}
  printf '%s\n' "$text"
}
# Every invocation in the guest (except the live-only ones) reproduced from SYSROOT.
compare_root_outputs() { # SYSROOT LABEL
  local sysroot=$1 label=$2 name args n=0
  while IFS=$'\t' read -r name args; do
    case "$name" in trace*|snapshot*) continue ;; esac
    # shellcheck disable=SC2086 # ARGS are plain words
    memmap_root "$sysroot" $args >"$tmp/host.out"
    # The guest read its kernel log live (/dev/kmsg); the capture holds the same records as
    # var/log/memmap-kmsg.
    { sed 's#/dev/kmsg#/var/log/memmap-kmsg#g' "$out/$name.out"; echo "rc=$(rc_of "$name")"; } >"$tmp/guest.out"
    if diff -u "$tmp/guest.out" "$tmp/host.out" >"$tmp/diff.txt"; then
      n=$((n + 1))
    else
      fail "memmap $args: --root $label differs from the guest's live output (- guest, + host):"
      head -n 30 "$tmp/diff.txt"
    fi
  done <"$out/commands"
  note "$n invocations reproduced exactly from $label"
}

# PCI topology of the capture: BDF -> parent BDF ("-" on the root bus), from the sysfs links.
declare -A parent=()
load_topology() {
  local link target dir
  for link in "$root"/sys/bus/pci/devices/*; do
    target=$(readlink "$link")
    dir=${target%/*}
    dir=${dir##*/}
    if [[ $dir =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]]; then
      parent[${link##*/}]=$dir
    else
      parent[${link##*/}]=-
    fi
  done
}
children() { # BDF: its child functions, sorted
  local d
  for d in "${!parent[@]}"; do [ "${parent[$d]}" = "$1" ] && echo "$d"; done | sort
}
attr() { tr -d '\n' <"$root/sys/bus/pci/devices/$1/$2"; }
ids() { echo "$(attr "$1" vendor):$(attr "$1" device)"; }

# The devices the QEMU command line in run-vm.sh creates, found by position and identified by
# vendor:device (bus numbers are the firmware's choice, so they are not hard-coded).
declare -A role=()
find_roles() {
  load_topology
  local want
  role[host]=0000:00:00.0
  role[rp_nvme]=0000:00:02.0 role[rp_sw]=0000:00:03.0 role[rp_mf0]=0000:00:04.0
  role[rp_mf1]=0000:00:04.1 role[rp_br]=0000:00:05.0
  role[lpc]=0000:00:1f.0 role[sata]=0000:00:1f.2 role[smbus]=0000:00:1f.3
  role[nvme]=$(children "${role[rp_nvme]}")
  role[sw_up]=$(children "${role[rp_sw]}")
  read -r 'role[sw_dn1]' 'role[sw_dn2]' <<<"$(children "${role[sw_up]}" | tr '\n' ' ')"
  role[e1000e_dn1]=$(children "${role[sw_dn1]}")
  role[e1000e_dn2]=$(children "${role[sw_dn2]}")
  role[e1000e_mf0]=$(children "${role[rp_mf0]}")
  role[e1000e_mf1]=$(children "${role[rp_mf1]}")
  role[pcibr]=$(children "${role[rp_br]}")
  read -r 'role[br_e1000]' 'role[br_testdev]' <<<"$(children "${role[pcibr]}" | tr '\n' ' ')"
  # role = expected vendor:device (QEMU's device models)
  local -A model=(
    [host]=0x8086:0x29c0 [lpc]=0x8086:0x2918 [sata]=0x8086:0x2922 [smbus]=0x8086:0x2930
    [rp_nvme]=0x1b36:0x000c [rp_sw]=0x1b36:0x000c [rp_mf0]=0x1b36:0x000c [rp_mf1]=0x1b36:0x000c
    [rp_br]=0x1b36:0x000c [nvme]=0x1b36:0x0010 [sw_up]=0x104c:0x8232 [sw_dn1]=0x104c:0x8233
    [sw_dn2]=0x104c:0x8233 [e1000e_dn1]=0x8086:0x10d3 [e1000e_dn2]=0x8086:0x10d3
    [e1000e_mf0]=0x8086:0x10d3 [e1000e_mf1]=0x8086:0x10d3 [pcibr]=0x1b36:0x000e
    [br_e1000]=0x8086:0x100e [br_testdev]=0x1b36:0x0005)
  local r ok=1
  for r in "${!model[@]}"; do
    want=${model[$r]}
    if [ -z "${role[$r]:-}" ] || [ ! -e "$root/sys/bus/pci/devices/${role[$r]}" ]; then
      fail "topology: no device for $r ($want)"; ok=0
    elif [ "$(ids "${role[$r]}")" != "$want" ]; then
      fail "topology: $r is ${role[$r]} $(ids "${role[$r]}"), expected $want"; ok=0
    fi
  done
  local count
  count=$(ls "$root/sys/bus/pci/devices" | wc -l)
  [ "$count" = "${#model[@]}" ] || { fail "topology: $count PCI functions, expected ${#model[@]}"; ok=0; }
  [ $ok = 1 ] || { echo "(the checks below assume run-vm.sh's topology)"; exit 1; }
}

# The IOMMU groups this topology must give, with the cause as the kernel's pci_device_group()
# (drivers/iommu/iommu.c) derives it, one line each: CAUSE CAUSE_DEVICE MEMBERS...
# (CAUSE_DEVICE "-" for none; "A|B" when either port explains the group.)
#  - every pcie-root-port has an ACS capability (QEMU pcie_acs_init) unless disable-acs=on;
#    the kernel enables SV/RR/CR/UF on it, so whatever is below a root port is isolated from
#    everything outside it;
#  - xio3130-downstream has no ACS: the device below each one joins its port's group (and the
#    x3130-upstream port counts as ACS-capable: pci_acs_enabled() is true for upstream ports);
#  - 00:04.0/00:04.1 are two functions of one slot without ACS: one group with both ports
#    (get_pci_function_alias_group) and, since they lack ACS, the e1000e below each;
#  - pcie-pci-bridge is a PCIe-to-PCI bridge: conventional devices behind it use the bridge's
#    requester ID (pci_for_each_dma_alias), so the e1000 and pci-testdev share its group;
#  - ICH9 (00:1f.0/.2/.3) is one multifunction slot without ACS: one group, and the LPC (ISA)
#    bridge gives it the 0-16 MiB direct-relaxable region (CONFIG_INTEL_IOMMU_FLOPPY_WA).
expected_groups() {
  local r
  for r in host rp_nvme nvme rp_sw sw_up rp_br; do echo "alone - ${role[$r]}"; done
  echo "same-slot - ${role[lpc]} ${role[sata]} ${role[smbus]}"
  echo "no-acs ${role[sw_dn1]} ${role[sw_dn1]} ${role[e1000e_dn1]}"
  echo "no-acs ${role[sw_dn2]} ${role[sw_dn2]} ${role[e1000e_dn2]}"
  echo "no-acs ${role[rp_mf0]}|${role[rp_mf1]} ${role[rp_mf0]} ${role[rp_mf1]} ${role[e1000e_mf0]} ${role[e1000e_mf1]}"
  echo "pcie-to-pci-bridge ${role[pcibr]} ${role[pcibr]} ${role[br_e1000]} ${role[br_testdev]}"
}
sorted_members() { tr ' ' '\n' | grep . | sort | tr '\n' ' ' | sed 's/ $//'; }

# Config space bytes of a device, as an array of decimal values.
declare -a cfg=()
load_config() { mapfile -t cfg < <(od -An -v -tu1 -w1 "$root/sys/bus/pci/devices/$1/config" | tr -d ' '); }
cfg16() { echo $(( cfg[$1] | cfg[$1 + 1] << 8 )); }
cfg32() { echo $(( cfg[$1] | cfg[$1 + 1] << 8 | cfg[$1 + 2] << 16 | cfg[$1 + 3] << 24 )); }
# Offset of standard capability ID (0 if absent); the list is bounded against loops.
find_cap() {
  local id=$1 pos n=0
  (( cfg[6] & 0x10 )) || { echo 0; return; }
  pos=$(( cfg[0x34] & 0xfc ))
  while (( pos >= 0x40 && n < 48 )); do
    (( cfg[pos] == id )) && { echo "$pos"; return; }
    pos=$(( cfg[pos + 1] & 0xfc )); n=$((n + 1))
  done
  echo 0
}
find_ext_cap() {
  local id=$1 pos=256 hdr n=0
  (( ${#cfg[@]} > 256 )) || { echo 0; return; }
  while (( pos >= 256 && pos < 4096 && n < 512 )); do
    hdr=$(cfg32 "$pos")
    (( hdr == 0 || hdr == 0xffffffff )) && break
    (( (hdr & 0xffff) == id )) && { echo "$pos"; return; }
    pos=$(( (hdr >> 20) & 0xffc )); n=$((n + 1))
  done
  echo 0
}
# PCIe device/port type (PCI_EXP_FLAGS_TYPE), or "none" without a PCI Express capability.
pcie_type() {
  local p
  p=$(find_cap 0x10)
  if (( p == 0 )); then echo none; else echo $(( ($(cfg16 $((p + 2))) >> 4) & 0xf )); fi
}

# --- checks on the kernel's own files (a run's capture, or the committed fixture) --------

# The IOMMU groups in /sys/kernel/iommu_groups are exactly the topology's (see expected_groups),
# all translated (type DMA: QEMU's caching mode makes the kernel use strict invalidation), with
# the MSI window reserved in each and the ICH9 group's direct-relaxable ISA range.
check_iommu_groups() {
  find_roles
  local g line members
  [ -d "$root/sys/kernel/iommu_groups" ] || { fail "no sys/kernel/iommu_groups"; return; }
  for g in "$root"/sys/kernel/iommu_groups/*; do
    ls "$g/devices" | sorted_members
    echo
  done | sort >"$tmp/kernel.txt"
  expected_groups | while read -r _ _ members; do
    echo "$members" | sorted_members; echo
  done | sort >"$tmp/expected.txt"
  if diff -u "$tmp/expected.txt" "$tmp/kernel.txt" >"$tmp/diff.txt"; then
    note "$(wc -l <"$tmp/kernel.txt") groups, exactly as the topology dictates"
  else
    fail "IOMMU groups differ from the topology's (- expected, + kernel):"
    cat "$tmp/diff.txt"
  fi
  local ich9_group msi='0x00000000fee00000 0x00000000feefffff msi'
  ich9_group=$(readlink "$root/sys/bus/pci/devices/${role[lpc]}/iommu_group"); ich9_group=${ich9_group##*/}
  for g in "$root"/sys/kernel/iommu_groups/*; do
    line=$(cat "$g/type" 2>/dev/null)
    [ "$line" = DMA ] || fail "group ${g##*/}: type '$line', expected DMA"
    if [ "${g##*/}" = "$ich9_group" ]; then
      printf '0x0000000000000000 0x0000000000ffffff direct-relaxable\n%s\n' "$msi" >"$tmp/want"
    else
      printf '%s\n' "$msi" >"$tmp/want"
    fi
    diff -u "$tmp/want" "$g/reserved_regions" >"$tmp/diff.txt" \
      || { fail "group ${g##*/} reserved_regions (- expected, + kernel):"; cat "$tmp/diff.txt"; }
  done
  note "types DMA; MSI window in every group; 0-16M direct-relaxable in ICH9's group $ich9_group"
  # Every function's iommu_group link names a group that lists it.
  local d grp
  for d in "${!parent[@]}"; do
    grp=$(readlink "$root/sys/bus/pci/devices/$d/iommu_group") || { fail "$d: no iommu_group link"; continue; }
    [ -e "$root/sys/kernel/iommu_groups/${grp##*/}/devices/$d" ] \
      || fail "$d: iommu_group -> ${grp##*/}, which does not list it"
  done
  [ "$(ls "$root/sys/class/iommu" 2>/dev/null)" = dmar0 ] || fail "sys/class/iommu: expected dmar0"
  grep -qw intel_iommu=on "$root/proc/cmdline" || fail "proc/cmdline lacks intel_iommu=on"
}

# What the expected groups rest on, decoded from the captured config spaces: which ports have
# ACS (and the controls the kernel enabled), port types, multifunction slots. A different QEMU
# (e.g. one giving xio3130-downstream ACS) shows up here first.
check_acs() {
  find_roles
  local r bdf acs type ctl capbits req
  # role: PCIe type (4 root port, 5 upstream, 6 downstream, 7 PCIe-to-PCI bridge, 0 endpoint,
  # none: conventional) and whether an ACS capability must exist
  local -A want_type=([rp_nvme]=4 [rp_sw]=4 [rp_br]=4 [rp_mf0]=4 [rp_mf1]=4 [sw_up]=5
    [sw_dn1]=6 [sw_dn2]=6 [pcibr]=7 [nvme]=0 [br_e1000]=none [br_testdev]=none)
  local -A want_acs=([rp_nvme]=yes [rp_sw]=yes [rp_br]=yes [rp_mf0]=no [rp_mf1]=no
    [sw_dn1]=no [sw_dn2]=no [lpc]=no [sata]=no [smbus]=no)
  for r in "${!want_type[@]}"; do
    load_config "${role[$r]}"
    type=$(pcie_type)
    [ "$type" = "${want_type[$r]}" ] || fail "$r ${role[$r]}: PCIe type $type, expected ${want_type[$r]}"
  done
  for r in "${!want_acs[@]}"; do
    bdf=${role[$r]}
    load_config "$bdf"
    (( ${#cfg[@]} >= 4096 )) || [ "${want_acs[$r]}" = no ] \
      || { fail "$r $bdf: config space has ${#cfg[@]} bytes, need 4096"; continue; }
    acs=$(find_ext_cap 0x000d)
    if [ "${want_acs[$r]}" = yes ]; then
      if (( acs == 0 )); then fail "$r $bdf: no ACS capability"; continue; fi
      capbits=$(cfg16 $((acs + 4))); ctl=$(cfg16 $((acs + 6)))
      req=$(( 0x1d & capbits ))   # SV|RR|CR|UF, as far as the port has them
      (( (ctl & req) == req )) \
        || fail "$r $bdf: ACS control $(printf 0x%x "$ctl") lacks $(printf 0x%x "$req") (cap $(printf 0x%x "$capbits"))"
      note "$r $bdf: ACS at $(printf 0x%x "$acs"), cap $(printf 0x%x "$capbits"), control $(printf 0x%x "$ctl")"
    else
      (( acs == 0 )) || fail "$r $bdf: has an ACS capability at $(printf 0x%x "$acs"), expected none"
    fi
  done
  for r in rp_mf0 lpc; do
    load_config "${role[$r]}"
    (( cfg[0x0e] & 0x80 )) || fail "$r ${role[$r]}: header type lacks the multifunction bit"
  done
  note "port types, ACS presence and multifunction bits as the expected groups assume"
}

# memmap --root SYSROOT iomem/ioports --json equal the captured /proc/iomem and /proc/ioports
# (the committed fixture has no guest output: this is its resource-tree check).
check_resource_trees_root() {
  local f
  for f in iomem ioports; do
    "$memmap" --root "$root" "$f" --json >"$tmp/$f.json" 2>"$tmp/$f.err" \
      || { fail "memmap --root $root $f --json failed: $(cat "$tmp/$f.err")"; continue; }
    [ -s "$tmp/$f.err" ] && fail "memmap --root $f --json wrote to stderr: $(cat "$tmp/$f.err")"
    compare_resource_tree "memmap --root SYSROOT $f --json" "$tmp/$f.json" "$root/proc/$f"
  done
}

# The kernel log as guest-init.sh captured it (var/log/memmap-kmsg, the /dev/kmsg records as
# read): every line is a record header ("prio,seq,ts_usec,flags;text") or a " KEY=VALUE" line
# of the record above, the sequence numbers run from 0 without a gap (the whole boot, nothing
# overwritten), and the PCI enumeration is in it.
check_kernel_log() {
  local log=$root/var/log/memmap-kmsg
  [ -s "$log" ] || { fail "no kernel log at $log"; return; }
  local bad
  bad=$(grep -vnE '^([0-9]+,[0-9]+,[0-9]+,[-c][^;]*;.*| [^=]+=.*)$' "$log" | head -n 3)
  [ -z "$bad" ] || fail "lines of $log that are no kmsg record: $bad"
  grep -E '^[0-9]' "$log" | cut -d, -f2 >"$tmp/seq"
  awk 'NR - 1 != $1 { print "record " NR " has seq " $1; exit 1 }' "$tmp/seq" \
    || fail "the kernel log's sequence numbers are not 0, 1, 2, ...: $(awk 'NR - 1 != $1 { print "record " NR " has seq " $1; exit }' "$tmp/seq")"
  grep -qE ';pci 0000:00:00\.0: \[8086:29c0\] type 00 class 0x060000' "$log" \
    || fail "the kernel log has no enumeration of the q35 host bridge 00:00.0"
  note "$(wc -l <"$tmp/seq") records, seq 0-$(($(wc -l <"$tmp/seq") - 1))"
}

# The barfail topology (README.md): the ivshmem's 64 GiB BAR 2 failed to get an address, as the
# kernel's files say it (no memmap involved): sysfs has no address for it, and the log has the
# 6.12 messages for the function, its root port and the dropped host bridge window.
check_bar_fail() {
  local log=$root/var/log/memmap-kmsg d dev=() port rows s0 e0
  [ -s "$log" ] || { fail "no kernel log at $log"; return; }
  for d in $(ls "$root/sys/bus/pci/devices"); do
    [ "$(ids "$d")" = 0x1af4:0x1110 ] && dev+=("$d")
  done
  [ ${#dev[@]} = 1 ] || { fail "want one ivshmem (1af4:1110), sysfs has ${#dev[@]}: ${dev[*]}"; return; }
  d=${dev[0]}
  load_topology
  port=${parent[$d]}
  note "ivshmem $d behind $port"
  # resource rows "START END FLAGS": BAR 0 assigned, BAR 2 (the 64 GiB one) all zero
  mapfile -t rows <"$root/sys/bus/pci/devices/$d/resource"
  read -r s0 e0 _ <<<"${rows[0]}"
  (( e0 != 0 && s0 != 0 )) || fail "$d BAR 0 has no address in sysfs: ${rows[0]}"
  [ "${rows[2]}" = "0x0000000000000000 0x0000000000000000 0x0000000000000000" ] \
    || fail "$d BAR 2 has a sysfs resource row: '${rows[2]}' (want all zero: unassigned)"
  # The messages (the record's text after ';'), in the 6.12 wording.
  sed -n 's/^[0-9][^;]*;//p' "$log" >"$tmp/text"
  local want=(
    "acpi PNP0A08:00: host bridge window \[mem 0x[0-9a-f]+-0x[0-9a-f]+ window\] \(ignored, not CPU addressable\)"
    "pci $d: BAR 2 \[mem 0x[0-9a-f]+-0x[0-9a-f]+ 64bit pref\]: can't claim; no compatible bridge window"
    "pci $port: bridge window \[mem size 0x1000000000 64bit pref\]: can't assign; no space"
    "pci $port: bridge window \[mem size 0x1000000000 64bit pref\]: failed to assign"
    "pci $d: BAR 2 \[mem size 0x1000000000 64bit pref\]: can't assign; no space"
    "pci $d: BAR 2 \[mem 0x[0-9a-f]+-0x[0-9a-f]+ 64bit pref\]: failed to assign"
    "pci_bus 0000:00: Some PCI device resources are unassigned, try booting with pci=realloc"
  )
  local w
  for w in "${want[@]}"; do
    grep -qE "^$w\$" "$tmp/text" || fail "the kernel log has no line matching: $w"
  done
  # The records carry the device in their dictionary (DEVICE=+pci:BDF).
  grep -A2 -E "BAR 2 \[mem size 0x1000000000 64bit pref\]: can't assign; no space" "$log" \
    | grep -qx " DEVICE=+pci:$d" || fail "the can't-assign record of $d has no DEVICE=+pci:$d"
  note "$(grep -cE "^pci $d: BAR 2 " "$tmp/text") messages about $d BAR 2; sysfs row 2 unset"
  # memmap audit, run live in the guest (root, /dev/kmsg), explains it (issue 19).
  if [ -n "$out" ] && [ -s "$out/audit-json.out" ]; then
    python3 - "$out/audit-json.out" "$d" "$port" <<'PY' || fail "memmap audit in the guest does not explain the failed BAR"
import json, sys
doc = json.load(open(sys.argv[1])); dev, port = sys.argv[2], sys.argv[3]
src = {s["name"]: s for s in doc["sources"]}
assert src["klog"]["read"] and src["klog"]["from"] == "/dev/kmsg", src["klog"]
f = [x for x in doc["findings"] if x["id"] == "bar-assign-failed"]
assert [(x["subject"]["bdf"], x["subject"]["bar"]) for x in f] == [(dev, 2)], f
assert any("can't assign; no space" in e for e in f[0]["evidence"]), f[0]["evidence"]
assert "not CPU addressable" in f[0]["hint"], f[0]["hint"]
w = [x for x in doc["findings"] if x["id"] == "bridge-window-short"]
assert [x["subject"]["bdf"] for x in w] == [port], w
PY
    note "memmap audit (live in the guest) names $d BAR 2: bar-assign-failed, caused by $port's window"
  fi
}

# --- checks of memmap's output in the guest ------------------------------------------------

# memmap iomem --json in the guest equals the guest's /proc/iomem (every range, name, depth,
# line), and the text form ran too.
check_iomem() {
  need_output iomem-json "iomem --json"
  [ "$(rc_of iomem-json)" = 0 ] || fail "memmap iomem --json exited $(rc_of iomem-json)"
  compare_resource_tree "memmap iomem --json (guest, live)" "$out/iomem-json.out" "$root/proc/iomem"
  grep -q 'dmar0' "$out/iomem.out" || fail "memmap iomem (text) does not show the dmar0 region"
  grep -q '\[nvme\]' "$out/iomem.out" || fail "memmap iomem (text) does not label the NVMe BAR [nvme]"
}
check_ioports() {
  need_output ioports-json "ioports --json"
  [ "$(rc_of ioports-json)" = 0 ] || fail "memmap ioports --json exited $(rc_of ioports-json)"
  compare_resource_tree "memmap ioports --json (guest, live)" "$out/ioports-json.out" "$root/proc/ioports"
}

# Every invocation in the guest succeeded (audit: 0 or 1) and, run as root on a complete
# machine, had nothing to say on stderr.
check_commands() {
  [ -n "$out" ] || { echo "FAIL: check commands needs the guest output"; exit 1; }
  local name args rc n=0
  while IFS=$'\t' read -r name args; do
    rc=$(rc_of "$name"); n=$((n + 1))
    case "$name:$rc" in
      *:0|audit*:1) ;;
      *:143) fail "memmap $args hung: stopped after 60 s in the guest" ;;
      *) fail "memmap $args exited $rc" ;;
    esac
    [ -s "$out/$name.out" ] || [ "$name" = snapshot ] || fail "memmap $args wrote nothing"
    [ -s "$out/$name.err" ] && fail "memmap $args wrote to stderr: $(head -c 600 "$out/$name.err")"
  done <"$out/commands"
  note "$n invocations in the guest: $(cut -f2 "$out/commands" | sed 's/^$/(summary)/' | paste -sd, -)"
}

# The capture is a complete sysroot for memmap: `memmap --root SYSROOT ARGS` on the host prints
# what memmap printed live in the guest, for every invocation (trace and snapshot excepted).
check_root_roundtrip() {
  need_output iomem "iomem"
  compare_root_outputs "$root" "the capture"
}

# ---- hooks for the commands being built (each skips until the guest binary has it) ----

# memmap bar --json (issue 3): one entry per sysfs function with the kernel's ids and class, and
# each BAR's CPU address and size equal to the sysfs resource rows.
check_bar() {
  need_output bar-json "bar --json"
  [ "$(rc_of bar-json)" = 0 ] || fail "memmap bar --json exited $(rc_of bar-json)"
  local json=$out/bar-json.out d want got
  jq -r '.devices[].bdf' "$json" | sort >"$tmp/bar.bdfs"
  ls "$root/sys/bus/pci/devices" | sort >"$tmp/sysfs.bdfs"
  diff -u "$tmp/sysfs.bdfs" "$tmp/bar.bdfs" || fail "bar --json devices differ from sysfs (- sysfs, + bar)"
  while read -r d; do
    want="$(attr "$d" vendor) $(attr "$d" device) $(attr "$d" class)"
    got=$(jq -r --arg d "$d" '.devices[] | select(.bdf == $d) | "\(.vendor_id) \(.device_id) \(.class)"' "$json")
    [ "$want" = "$got" ] || fail "bar --json $d: ids/class '$got', sysfs says '$want'"
    # BARs: sysfs resource rows 0-5 with a non-zero end, as "INDEX START SIZE"
    local i=0 start end
    : >"$tmp/want.bars"
    while read -r start end _ && [ $i -lt 6 ]; do
      (( end != 0 )) && printf '%d 0x%x %d\n' $i $((start)) $((end - start + 1)) >>"$tmp/want.bars"
      i=$((i + 1))
    done <"$root/sys/bus/pci/devices/$d/resource"
    jq -r --arg d "$d" '.devices[] | select(.bdf == $d) | .bars[] | select(.cpu_address != null)
      | "\(.index) \(.cpu_address) \(.size)"' "$json" >"$tmp/got.bars"
    diff -u "$tmp/want.bars" "$tmp/got.bars" >"$tmp/diff.txt" \
      || { fail "bar --json $d: BARs differ from sysfs resource (- sysfs, + bar)"; cat "$tmp/diff.txt"; }
    # A BAR listed without an address (the barfail machine's 64 GiB one) is one the kernel left
    # unassigned: its sysfs row is all zero.
    local idx row
    for idx in $(jq -r --arg d "$d" '.devices[] | select(.bdf == $d) | .bars[]
                   | select(.cpu_address == null) | .index' "$json"); do
      row=$(sed -n "$((idx + 1))p" "$root/sys/bus/pci/devices/$d/resource")
      [ "$row" = "0x0000000000000000 0x0000000000000000 0x0000000000000000" ] \
        || fail "bar --json $d: BAR $idx has no address, but sysfs has '$row'"
    done
  done <"$tmp/sysfs.bdfs"
  note "$(wc -l <"$tmp/sysfs.bdfs") devices: ids, class and BAR addresses as sysfs has them"
}

# memmap tree --json (issue 3): every function appears once in the hierarchy.
check_tree() {
  need_output tree-json "tree --json"
  [ "$(rc_of tree-json)" = 0 ] || fail "memmap tree --json exited $(rc_of tree-json)"
  jq -r '[.. | objects | select(has("bdf")) | .bdf] | sort | unique | .[]' "$out/tree-json.out" >"$tmp/tree.bdfs"
  ls "$root/sys/bus/pci/devices" | sort >"$tmp/sysfs.bdfs"
  diff -u "$tmp/sysfs.bdfs" "$tmp/tree.bdfs" || fail "tree --json functions differ from sysfs (- sysfs, + tree)"
  # TODO(lead): once the tree JSON nests children, check each device's parent against
  # load_topology's parent[] (e.g. the NVMe under 00:02.0, the e1000 under the pcie-pci-bridge).
}

# memmap iommu-groups --json (issue 5): the kernel's groups, types and reserved regions exactly,
# and each group's isolation and cause as expected_groups() derives them from the topology.
check_iommu_groups_cmd() {
  need_output iommu-groups-json "iommu-groups --json"
  [ "$(rc_of iommu-groups-json)" = 0 ] || fail "memmap iommu-groups --json exited $(rc_of iommu-groups-json)"
  find_roles
  local json=$out/iommu-groups-json.out g id
  jq -e '.iommu.present == true and .iommu.units == ["dmar0"]' "$json" >/dev/null \
    || fail "iommu-groups --json: .iommu is $(jq -c .iommu "$json"), expected present, units [\"dmar0\"]"
  jq -e '.iommu.cmdline == ["intel_iommu=on", "iommu=nopt"]' "$json" >/dev/null \
    || fail "iommu-groups --json: .iommu.cmdline is $(jq -c .iommu.cmdline "$json")"
  # groups: "ID TYPE MEMBERS" from the kernel and from memmap
  for g in "$root"/sys/kernel/iommu_groups/*; do
    echo "${g##*/} $(cat "$g/type") $(ls "$g/devices" | sorted_members)"
  done | sort -n >"$tmp/kernel.txt"
  jq -r '.groups[] | "\(.id) \(.type) \([.devices[].bdf] | sort | join(" "))"' "$json" | sort -n >"$tmp/memmap.txt"
  diff -u "$tmp/kernel.txt" "$tmp/memmap.txt" >"$tmp/diff.txt" \
    || { fail "iommu-groups --json groups differ from sys/kernel/iommu_groups (- kernel, + memmap)"; cat "$tmp/diff.txt"; }
  # reserved regions: "ID START END TYPE"
  local start end type
  for g in "$root"/sys/kernel/iommu_groups/*; do
    while read -r start end type; do
      printf '%s 0x%x 0x%x %s\n' "${g##*/}" $((start)) $((end)) "$type"
    done <"$g/reserved_regions"
  done | sort >"$tmp/kernel.txt"
  jq -r '.groups[] | .id as $id | .reserved_regions[] | "\($id) \(.start) \(.end) \(.type)"' "$json" \
    | sort >"$tmp/memmap.txt"
  diff -u "$tmp/kernel.txt" "$tmp/memmap.txt" >"$tmp/diff.txt" \
    || { fail "iommu-groups --json reserved regions differ (- kernel, + memmap)"; cat "$tmp/diff.txt"; }
  # causes and isolation
  local kind dev members first isolated got_kind got_dev got_isolated
  while read -r kind dev members; do
    first=${members%% *}
    isolated=false
    case $kind in alone|same-slot) isolated=true ;; esac
    read -r got_kind got_dev got_isolated < <(jq -r --arg d "$first" '.groups[]
        | select(any(.devices[]; .bdf == $d))
        | "\(.cause.kind) \(.cause.device // "-") \(.isolated)"' "$json")
    # dev may name either of two ports ("A|B")
    if [ "$got_kind" != "$kind" ] || [[ "|$dev|" != *"|$got_dev|"* ]] || [ "$got_isolated" != "$isolated" ]; then
      fail "group of $first: memmap says cause '$got_kind' device '$got_dev' isolated '$got_isolated';" \
           "expected '$kind' '$dev' '$isolated'"
    fi
  done < <(expected_groups)
  note "groups, reserved regions and causes as the kernel and the topology say"
}

# memmap audit --json (issue 6, 17): a healthy machine has no error; each group where endpoints
# share is reported once as iommu-group-shared; the IOMMU is not reported absent.
check_audit() {
  need_output audit-json "audit --json"
  find_roles
  local json=$out/audit-json.out r
  [ "$(rc_of audit-json)" = 0 ] || fail "memmap audit --json exited $(rc_of audit-json) on a healthy machine"
  jq -e '.summary.error == 0' "$json" >/dev/null || fail "audit: errors: $(jq -c '[.findings[] | select(.severity == "error")]' "$json")"
  jq -e 'all(.findings[]; .id != "iommu-absent")' "$json" >/dev/null || fail "audit reports iommu-absent"
  # One finding per shared group (issue 17), naming every endpoint in its message.
  for r in e1000e_mf0 e1000e_mf1 br_e1000 br_testdev; do
    jq -e --arg d "${role[$r]}" 'any(.findings[]; .id == "iommu-group-shared" and (.message | contains($d)))' \
      "$json" >/dev/null || fail "audit: no iommu-group-shared finding names $r ${role[$r]}"
  done
  [ "$(jq '[.findings[] | select(.id == "iommu-group-shared")] | length' "$json")" = 2 ] \
    || fail "audit: expected 2 iommu-group-shared findings (groups of 04.0/04.1 and of the PCIe-to-PCI bridge)"
  # An endpoint grouped only with its own port (the switch's downstream ports) or alone (NVMe)
  # is not shared for passthrough.
  for r in nvme e1000e_dn1 e1000e_dn2; do
    jq -e --arg d "${role[$r]}" 'all(.findings[]; .id != "iommu-group-shared" or (.message | contains($d) | not))' \
      "$json" >/dev/null || fail "audit: $r ${role[$r]} is reported shared, yet its group holds no other endpoint"
  done
}

# memmap trace --duration 8 --json (issue 7) while dd read and wrote the NVMe with O_DIRECT:
# the NVMe mapped and unmapped buffers, and nothing streaming was left outstanding once idle.
check_trace() {
  need_output trace-json "trace --duration 8 --json"
  find_roles
  [ "$(rc_of trace-json)" = 0 ] || fail "memmap trace exited $(rc_of trace-json)"
  tail -n 1 "$out/trace-json.out" >"$tmp/summary.json"
  local nvme=${role[nvme]}
  jq -e --arg d "$nvme" 'any(.devices[]; .device == $d and .maps > 0 and .unmaps > 0)' "$tmp/summary.json" \
    >/dev/null || fail "trace: no maps and unmaps for the NVMe $nvme: $(jq -c .devices "$tmp/summary.json")"
  jq -e --arg d "$nvme" 'all(.outstanding[]; .device != $d or .kind != "streaming")' "$tmp/summary.json" \
    >/dev/null || fail "trace: streaming mappings of $nvme left outstanding after the disk went idle"
  # Behind the IOMMU (group type DMA) every mapping's DMA address differs from its physical
  # address: the tracker counts those as translated.
  jq -e --arg d "$nvme" 'any(.devices[]; .device == $d and .translated == .maps and .untranslated == 0)' \
    "$tmp/summary.json" >/dev/null \
    || fail "trace: the NVMe's mappings are not all translated (IOVA != physical): $(jq -c --arg d "$nvme" '.devices[] | select(.device == $d) | {maps, translated, untranslated}' "$tmp/summary.json")"
}

# memmap snapshot (issue 8): `memmap --root SNAPSHOT ARGS` on the host reproduces every
# invocation's live output in the guest.
check_snapshot() {
  need_output snapshot "snapshot"
  [ "$(rc_of snapshot)" = 0 ] || fail "memmap snapshot exited $(rc_of snapshot)"
  local snap=${out%/*}/snapshot
  [ -d "$snap" ] || { fail "memmap snapshot left no directory $snap"; return; }
  compare_root_outputs "$snap" "the guest's snapshot"
}

fn=check_${check//-/_}
declare -F "$fn" >/dev/null || { echo "check-vm.sh: unknown check '$check'"; exit 2; }
echo "check $check: SYSROOT=$root${out:+ OUT=$out}"
"$fn"
if [ "$failures" -gt 0 ]; then
  echo "check $check: $failures failure(s)"
  exit 1
fi
echo "check $check: ok"
