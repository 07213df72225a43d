#!/usr/bin/env bash
# Boot the memmap q35 test machine once and unpack what it captured.
# Usage: run-vm.sh MEMMAP WORK_DIR [CACHE_DIR]
#
# WORK_DIR (a build directory) receives: cache/kernel/ (the Debian kernel, fetched once by
# fetch-kernel.sh; CACHE_DIR, or MEMMAP_VM_CACHE=DIR above it, puts the cache elsewhere),
# initramfs.cpio, nvme.img,
# console.log (ttyS0: kernel log and /init's progress), serial1.log (ttyS1: the capture),
# qemu.log (QEMU's stderr), timings.txt and capture/ (sysroot/, out/, meta/: see guest-init.sh).
#
# Exit status: 0 captured; 1 something failed (the reason and the console's tail are printed);
# 125 qemu-system-x86_64 cannot run at all here (ctest counts that as skipped).
# MEMMAP_VM_TIMEOUT (seconds, default 100) bounds the guest's run; MEMMAP_VM_QEMU names another
# QEMU binary. MEMMAP_VM_VARIANT picks the topology (README.md): `iommu` (the default) or
# `barfail` (a BAR the guest kernel cannot assign); the rest of the run is the same for both.
set -uo pipefail
memmap=${1:?usage: run-vm.sh MEMMAP WORK_DIR}
work=${2:?usage: run-vm.sh MEMMAP WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
timeout_s=${MEMMAP_VM_TIMEOUT:-100}
variant=${MEMMAP_VM_VARIANT:-iommu}
case $variant in
  iommu|barfail) ;;
  *) echo "run-vm.sh: unknown MEMMAP_VM_VARIANT '$variant' (iommu or barfail)"; exit 1 ;;
esac

# A capture from an earlier run must never pass for this one's.
rm -rf "$work/capture"
qemu=$(command -v "${MEMMAP_VM_QEMU:-qemu-system-x86_64}") || {
  echo "SKIP: qemu-system-x86_64 is not installed, so the q35 test machine cannot run" \
       "(install it with: packaging/install-deps.sh --vm)"
  exit 125
}
if ! qver=$("$qemu" --version 2>&1 | head -n 1); then
  echo "SKIP: $qemu does not run here: $qver"
  exit 125
fi

mkdir -p "$work"
work=$(cd "$work" && pwd)
cache=${MEMMAP_VM_CACHE:-${3:-$work/cache}}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
fail() {
  echo "run-vm.sh: $*"
  if [ -s "$work/qemu.log" ]; then echo "--- qemu.log"; tail -n 20 "$work/qemu.log"; fi
  if [ -s "$work/console.log" ]; then echo "--- console.log (tail)"; tail -n 40 "$work/console.log"; fi
  exit 1
}

t0=$(now)
release=$("$here/fetch-kernel.sh" "$cache") || fail "could not fetch the kernel"
kroot=$cache/kernel/root
t1=$(now)
"$here/build-initramfs.sh" "$kroot" "$memmap" "$here/guest-init.sh" "$work/initramfs.cpio" \
  || fail "could not build the initramfs"
truncate -s 16M "$work/nvme.img"
t2=$(now)

# TCG runs single-threaded: with multi-threaded TCG a vCPU can execute a jump label while the
# other vCPU's text_poke rewrites it, and the guest oopses in early boot (seen in CI: RIP in the
# middle of a 2-byte NOP in sched_clock_cpu). One thread costs nothing measurable here (19 s).
# shellcheck disable=SC2054 # commas separate QEMU sub-options
qemu_args=(
  -accel tcg,thread=single -M q35,kernel-irqchip=split -m 512M -smp 2
  -nodefaults -display none -vga none -no-reboot
  -kernel "$kroot/boot/vmlinuz-$release" -initrd "$work/initramfs.cpio"
  -append "console=ttyS0 intel_iommu=on iommu=nopt panic=-1"
  -serial "file:$work/console.log" -serial "file:$work/serial1.log"
  -device intel-iommu,intremap=on,caching-mode=on
  -device pcie-root-port,id=rp_nvme,bus=pcie.0,addr=02.0,chassis=1,slot=1
  -drive "file=$work/nvme.img,if=none,id=nvme_disk,format=raw"
  -device nvme,drive=nvme_disk,serial=memmap-vm,bus=rp_nvme
)
case $variant in
iommu)
  # The topology (see README.md for the IOMMU groups it yields):
  #   00:02.0  pcie-root-port (ACS)                 -> NVMe
  #   00:03.0  pcie-root-port (ACS)                 -> x3130-upstream -> 2 xio3130-downstream
  #                                                    (no ACS) -> an e1000e behind each
  #   00:04.0  pcie-root-port, multifunction, disable-acs=on -> e1000e
  #   00:04.1  pcie-root-port, disable-acs=on                -> e1000e
  #   00:05.0  pcie-root-port (ACS)                 -> pcie-pci-bridge -> e1000 (slot 1),
  #                                                    pci-testdev (slot 2)
  #   00:00.0 and 00:1f.0/.2/.3 are the q35 host bridge and ICH9 (LPC, AHCI, SMBus).
  qemu_args+=(
    -device pcie-root-port,id=rp_sw,bus=pcie.0,addr=03.0,chassis=2,slot=2
    -device x3130-upstream,id=sw_up,bus=rp_sw
    -device xio3130-downstream,id=sw_dn1,bus=sw_up,addr=00.0,chassis=3,slot=3
    -device xio3130-downstream,id=sw_dn2,bus=sw_up,addr=01.0,chassis=4,slot=4
    -device e1000e,bus=sw_dn1
    -device e1000e,bus=sw_dn2
    -device pcie-root-port,id=rp_mf0,bus=pcie.0,addr=04.0,multifunction=on,chassis=5,slot=5,disable-acs=on
    -device pcie-root-port,id=rp_mf1,bus=pcie.0,addr=04.1,chassis=6,slot=6,disable-acs=on
    -device e1000e,bus=rp_mf0
    -device e1000e,bus=rp_mf1
    -device pcie-root-port,id=rp_br,bus=pcie.0,addr=05.0,chassis=7,slot=7
    -device pcie-pci-bridge,id=pcibr,bus=rp_br
    -device e1000,bus=pcibr,addr=01.0
    -device pci-testdev,bus=pcibr,addr=02.0
  )
  ;;
barfail)
  # A 64 GiB BAR on a CPU that addresses 64 GiB (README.md, "The barfail variant"):
  #   00:02.0  pcie-root-port -> NVMe (as above: the trace command's disk)
  #   00:03.0  pcie-root-port -> ivshmem-plain, BAR 2 = its 64 GiB memory backend
  #            (64-bit prefetchable)
  # phys-bits=36 makes every address from 64 GiB up not CPU addressable. SeaBIOS puts the
  # 64-bit BARs above 4 GiB, the 64 GiB one aligned at 64 GiB (0x1000000000), and QEMU's ACPI
  # _CRS offers that window; the kernel drops the window ("not CPU addressable"), cannot claim
  # the BAR or the root port's window, and finds no space for them below 64 GiB: "can't assign;
  # no space", "failed to assign". The backend is a sparse file that nothing touches.
  truncate -s 64G "$work/ivshmem.img"
  qemu_args+=(
    -cpu qemu64,phys-bits=36
    -object "memory-backend-file,id=shm64g,size=64G,mem-path=$work/ivshmem.img,share=on"
    -device pcie-root-port,id=rp_big,bus=pcie.0,addr=03.0,chassis=2,slot=2
    -device ivshmem-plain,memdev=shm64g,bus=rp_big
  )
  ;;
esac
rm -f "$work/console.log" "$work/serial1.log" "$work/qemu.log"
echo "run-vm.sh: booting Linux $release on q35 (TCG, topology $variant), at most ${timeout_s}s"
timeout --kill-after=5 "$timeout_s" "$qemu" "${qemu_args[@]}" </dev/null >"$work/qemu.log" 2>&1
qrc=$?
t3=$(now)
case $qrc in
  0) ;;
  124|137) fail "the guest did not power off within ${timeout_s}s" ;;
  *) fail "qemu-system-x86_64 exited with status $qrc" ;;
esac

# Unpack the capture: the base64 lines between the markers, checked against the guest's md5.
if grep -q 'Kernel panic - not syncing' "$work/console.log" 2>/dev/null; then
  # Show where the oops starts, not only its tail.
  first=$(grep -n -m1 -E 'BUG:|Oops:|general protection|invalid opcode|Kernel panic' "$work/console.log" | cut -d: -f1)
  echo "--- console.log from line $first (the first oops)"
  sed -n "${first},$((first + 25))p" "$work/console.log"
  fail "the guest kernel panicked ($(grep -m1 'Kernel panic' "$work/console.log" | sed 's/^\[[^]]*\] //'))"
fi
[ -s "$work/serial1.log" ] || fail "nothing arrived on ttyS1 (did /init run?)"
tr -d '\r' <"$work/serial1.log" >"$work/serial1.txt"
grep -q '^MEMMAP-CAPTURE-END md5=' "$work/serial1.txt" || fail "the capture on ttyS1 is incomplete"
want=$(sed -n 's/^MEMMAP-CAPTURE-END md5=//p' "$work/serial1.txt")
sed -n '/^MEMMAP-CAPTURE-BEGIN$/,/^MEMMAP-CAPTURE-END/{/^MEMMAP-CAPTURE/d;p}' "$work/serial1.txt" \
  | base64 -d >"$work/capture.tgz" || fail "the capture on ttyS1 is not valid base64"
got=$(md5sum <"$work/capture.tgz" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "capture checksum mismatch (guest $want, host $got)"
mkdir -p "$work/capture"
tar -C "$work/capture" -xzf "$work/capture.tgz" || fail "could not unpack the capture"
t4=$(now)

{
  echo "kernel: $release ($(tr '\n' ' ' <"$cache/kernel/package"))"
  echo "qemu: $qver"
  echo "topology: $variant"
  echo "fetch kernel (cached after the first run): $(elapsed "$t0" "$t1") s"
  echo "build initramfs: $(elapsed "$t1" "$t2") s ($(du -h "$work/initramfs.cpio" | cut -f1))"
  echo "qemu wall time, start to power-off: $(elapsed "$t2" "$t3") s"
  echo "guest uptime at each step (s):"
  sed 's/^/  /' "$work/capture/meta/timings"
  echo "unpack capture: $(elapsed "$t3" "$t4") s ($(du -h "$work/capture.tgz" | cut -f1) gzip)"
  echo "total: $(elapsed "$t0" "$t4") s"
} >"$work/timings.txt"
cat "$work/timings.txt"
echo "run-vm.sh: memmap commands run in the guest:"
while IFS=$'\t' read -r name args; do
  echo "  memmap $args -> exit $(cat "$work/capture/out/$name.rc")"
done <"$work/capture/out/commands"
if [ -s "$work/capture/meta/changed-during-run" ]; then
  echo "run-vm.sh: note: changed while memmap ran: $(tr '\n' ' ' <"$work/capture/meta/changed-during-run")"
fi
exit 0
