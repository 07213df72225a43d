#!/bin/sh
# /init of the memmap q35 test machine (busybox sh, PID 1). Built into the initramfs by
# build-initramfs.sh; run-vm.sh boots it.
#
# 1. mounts proc, sysfs, devtmpfs, tracefs; loads the modules in /lib/modules/load-order;
#    waits for the NVMe namespace;
# 2. captures the kernel's own files as a sysroot (/capture/sysroot: proc/iomem, proc/ioports,
#    proc/cmdline, every PCI device's sysfs attributes incl. config and resource, links kept as
#    the kernel's relative symlinks, iommu_groups, class/iommu, slots, trace event formats,
#    and the kernel log as /dev/kmsg records in var/log/memmap-kmsg);
# 3. runs every memmap command the binary has (a command exists when `memmap CMD --help` prints
#    its own usage line), keeping stdout, stderr and exit status in /capture/out/NAME.{out,err,rc}
#    and the invocations in /capture/out/commands (NAME<TAB>ARGS);
# 4. streams /capture as tar | gzip | base64 over ttyS1 between MEMMAP-CAPTURE-BEGIN and
#    MEMMAP-CAPTURE-END md5=... lines, and powers off.
# Never exits: PID 1 exiting panics the kernel (panic=-1 and -no-reboot then stop QEMU).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export LC_ALL=C TZ=UTC NO_COLOR=1 COLUMNS=100 HOME=/tmp

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

C=/capture
S=$C/sysroot
O=$C/out
M=$C/meta
mkdir -p $S $O $M

say() { echo "memmap-vm: $*"; }
mark() { read -r up _ </proc/uptime; echo "$1 $up" >>$M/timings; say "$1 at ${up}s"; }
mark init

# --- 1. modules and devices ------------------------------------------------------------
while read -r m; do
  insmod "/lib/modules/$m.ko" || say "insmod $m failed"
done </lib/modules/load-order
i=0
while [ ! -e /sys/block/nvme0n1 ] && [ $i -lt 300 ]; do usleep 100000; i=$((i + 1)); done
[ -e /sys/block/nvme0n1 ] || say "no nvme0n1 after 30 s"
mark devices-ready

# --- 2. the kernel's own files ---------------------------------------------------------
# Under TCG every fork costs tens of milliseconds, so files are copied by one busybox cp per
# directory. cp reads with read(2) until EOF (sysfs sizes lie) and keeps symlinks verbatim (sysfs
# links are relative). copy_dir SRC: SRC's regular files and symlinks into $S/SRC, no
# subdirectories; write-only files fail to open and are skipped; reads that fail leave empty
# files, removed for the BAR/ROM files that always fail (mmap-only, or EINVAL until enabled).
copy_dir() {
  mkdir -p "$S$1"
  cp -P "$1"/* "$S$1/" 2>/dev/null
  rm -f "$S$1"/resource[0-9]* "$S$1"/rom
}

capture_sysroot() {
  mkdir -p $S/proc $S/sys/bus/pci/devices $S/sys/kernel $S/sys/class $S/sys/devices/virtual
  for f in iomem ioports cmdline version; do cat /proc/$f >$S/proc/$f; done
  cp -P /sys/bus/pci/devices/* $S/sys/bus/pci/devices/
  for real in $(realpath /sys/bus/pci/devices/*); do
    copy_dir "$real"
    [ -d "$real/msi_irqs" ] && copy_dir "$real/msi_irqs"
  done
  if [ -d /sys/bus/pci/slots ]; then
    cp -a /sys/bus/pci/slots $S/sys/bus/pci/ 2>/dev/null
    find $S/sys/bus/pci/slots -type f -size 0 -exec rm -f {} +   # attention: EINVAL on read
  fi
  [ -d /sys/kernel/iommu_groups ] && cp -a /sys/kernel/iommu_groups $S/sys/kernel/
  [ -d /sys/class/iommu ] && cp -a /sys/class/iommu $S/sys/class/
  [ -d /sys/devices/virtual/iommu ] && cp -a /sys/devices/virtual/iommu $S/sys/devices/virtual/ 2>/dev/null
  rm -rf $S/sys/devices/virtual/iommu/*/power   # runtime-PM counters: noise
  # Trace event formats (the dma:*, iommu:* and swiotlb:* records of this kernel)
  T=/sys/kernel/tracing
  if [ -d $T/events/dma ]; then
    mkdir -p $S$T/events
    cp $T/events/header_page $T/events/header_event $S$T/events/
    for sys in dma iommu swiotlb; do
      [ -d $T/events/$sys ] && cp -r $T/events/$sys $S$T/events/
    done
    find $S$T/events -mindepth 2 -type f ! -name format ! -name id -exec rm -f {} +
  fi
}
# The kernel log, the /dev/kmsg records as read ("prio,seq,ts_usec,flags;text" lines and their
# " KEY=VALUE" lines), where a snapshot keeps it: var/log/memmap-kmsg (source/kernel_log.hpp).
# Every read(2) of /dev/kmsg returns one whole record and blocks at the end of the log, so cat
# runs in the background until the file stops growing, and is then stopped.
capture_kmsg() {
  mkdir -p $S/var/log
  cat /dev/kmsg >$S/var/log/memmap-kmsg &
  pid=$!
  last=-1
  n=0
  while [ $n -lt 100 ]; do
    usleep 200000
    size=$(wc -c <$S/var/log/memmap-kmsg)
    [ "$size" = "$last" ] && break
    last=$size
    n=$((n + 1))
  done
  kill $pid
  wait $pid 2>/dev/null
  say "kernel log: $(grep -c '^[0-9]' $S/var/log/memmap-kmsg) records"
}
capture_sysroot
capture_kmsg
mark sysroot-captured

# --- 3. memmap, every command the binary has -------------------------------------------
# run NAME ARGS...: one invocation, its output kept as $O/NAME.{out,err,rc}; one that hangs is
# stopped after 60 s (exit 143) so that the rest still runs and the capture still comes out.
run() {
  name=$1
  shift
  printf '%s\t%s\n' "$name" "$*" >>$O/commands
  timeout 60 memmap "$@" </dev/null >"$O/$name.out" 2>"$O/$name.err"
  echo $? >"$O/$name.rc"
  say "memmap $* -> exit $(cat "$O/$name.rc")"
}
# has CMD: the binary knows CMD (an unknown command's --help prints the main help, exit 0)
has() {
  memmap "$1" --help 2>/dev/null | grep -qE "^Usage: ([^ ]*/)?memmap $1( |\$)"
}
# NVMe traffic with direct I/O (reads and writes) for the trace command
disk_io() {
  i=0
  while [ $i -lt 8 ]; do
    dd if=/dev/nvme0n1 of=/dev/null bs=64k count=4 iflag=direct 2>/dev/null
    dd if=/dev/zero of=/dev/nvme0n1 bs=64k count=4 seek=16 oflag=direct 2>/dev/null
    i=$((i + 1))
  done
}

memmap --version >$M/memmap-version 2>&1
run summary
run iomem iomem
run iomem-json iomem --json
run ioports ioports
run ioports-json ioports --json
if has bar; then run bar bar; run bar-json bar --json; fi
if has tree; then run tree tree; run tree-json tree --json; fi
if has iommu-groups; then run iommu-groups iommu-groups; run iommu-groups-json iommu-groups --json; fi
if has audit; then run audit audit; run audit-json audit --json; fi
if has trace; then
  # Disk traffic once memmap's tracing instance exists (setting it up takes a moment under
  # TCG, and traffic before it is lost), then idle until the trace ends: the host checks that
  # every streaming mapping made during the burst was unmapped.
  (n=0
   while ! ls -d /sys/kernel/tracing/instances/memmap-* >/dev/null 2>&1 && [ $n -lt 100 ]; do
     usleep 50000; n=$((n + 1))
   done
   usleep 300000
   disk_io
   echo "finished (waited $n x 50 ms for the instance)" >$M/disk-io) &
  run trace-json trace --duration 8 --json
  wait
fi
if has snapshot; then run snapshot snapshot $C/snapshot; fi
mark commands-done

# Did the kernel's files change while memmap ran? (The checks compare against the capture.)
for f in iomem ioports; do
  cmp -s /proc/$f $S/proc/$f || echo "proc/$f" >>$M/changed-during-run
done
uname -r >$M/kernel-release
dmesg >$M/dmesg
mark capture-done

# --- 4. out over ttyS1, power off ------------------------------------------------------
stty -F /dev/ttyS1 raw -echo 2>/dev/null
tar -C $C -cf - . | gzip -9 >/tmp/capture.tgz
sum=$(md5sum </tmp/capture.tgz | cut -d' ' -f1)
{
  echo "MEMMAP-CAPTURE-BEGIN"
  base64 </tmp/capture.tgz
  echo "MEMMAP-CAPTURE-END md5=$sum"
} >/dev/ttyS1
mark streamed
sync
poweroff -f
sleep 30
