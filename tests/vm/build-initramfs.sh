#!/usr/bin/env bash
# Build the test machine's initramfs (an uncompressed newc cpio: TCG unpacks it faster than a
# compressed one).
# Usage: build-initramfs.sh KERNEL_ROOT MEMMAP GUEST_INIT OUT.cpio
#
# KERNEL_ROOT is the unpacked kernel package (fetch-kernel.sh's CACHE_DIR/kernel/root). The image
# holds: busybox (static, every applet linked in /bin), GUEST_INIT as /init, the modules nvme and
# e1000e and e1000 with their dependencies (decompressed from .ko.xz, load order in
# /lib/modules/load-order), the memmap binary (debug info stripped) with every shared library
# `ldd` lists, and pci.ids so device names resolve as on the host.
set -euo pipefail
kroot=${1:?usage: build-initramfs.sh KERNEL_ROOT MEMMAP GUEST_INIT OUT.cpio}
memmap=${2:?}
guest_init=${3:?}
out=${4:?}
modules=(nvme e1000e e1000)

die() { echo "build-initramfs.sh: $*" >&2; exit 1; }
for tool in busybox cpio xz modinfo ldd; do
  command -v "$tool" >/dev/null || die "'$tool' is missing: run packaging/install-deps.sh --vm"
done
busybox=$(command -v busybox)
if ldd "$busybox" >/dev/null 2>&1; then
  die "$busybox is dynamically linked: install busybox-static (packaging/install-deps.sh --vm)"
fi
release=$(ls "$kroot/lib/modules")
moddir=$kroot/lib/modules/$release

stage=$(mktemp -d "${out%/*}/initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,capture,lib/modules,usr/share/misc}

# busybox and its applets
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$stage/bin/$applet"
done

# memmap and the libraries the dynamic loader will look for (same paths as on the host)
if command -v objcopy >/dev/null; then
  objcopy --strip-debug "$memmap" "$stage/bin/memmap"
else
  cp "$memmap" "$stage/bin/memmap"
fi
ldd "$memmap" | awk '/=> \// {print $3} /^[ \t]*\/[^ ]*ld-linux/ {print $1}' | while read -r lib; do
  mkdir -p "$stage$(dirname "$lib")"
  cp -L "$lib" "$stage$lib"
done
ids=$(pkg-config --variable=idsdir libpci 2>/dev/null || echo /usr/share/misc)/pci.ids
if [ -f "$ids" ]; then
  mkdir -p "$stage$(dirname "$ids")"
  cp -L "$ids" "$stage$ids"
fi

# Kernel modules, dependencies first. modinfo reads .ko.xz directly; names in `depends` may use
# '-' or '_', so both are normalised to '_' for the lookup.
declare -A path_of=()
while read -r f; do
  n=${f##*/}; n=${n%%.ko*}
  path_of[${n//-/_}]=$f
done < <(find "$moddir/kernel" -name '*.ko*')
declare -A loaded=()
order=()
add_module() {
  local key=${1//-/_}
  [ -n "${loaded[$key]:-}" ] && return 0
  local file=${path_of[$key]:-}
  [ -n "$file" ] || die "module $1 not found in $moddir (built in?)"
  loaded[$key]=1
  local dep
  for dep in $(modinfo -F depends "$file" | tr ',' ' '); do
    add_module "$dep"
  done
  order+=("$key")
  case "$file" in
    *.ko.xz) xz -dc "$file" >"$stage/lib/modules/$key.ko" ;;
    *.ko.zst) zstd -dcq "$file" >"$stage/lib/modules/$key.ko" ;;
    *.ko) cp "$file" "$stage/lib/modules/$key.ko" ;;
    *) die "unknown module compression: $file" ;;
  esac
}
for m in "${modules[@]}"; do add_module "$m"; done
printf '%s\n' "${order[@]}" >"$stage/lib/modules/load-order"
echo "$release" >"$stage/lib/modules/release"

cp "$guest_init" "$stage/init"
chmod 755 "$stage/init"

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
echo "build-initramfs.sh: $out ($(du -h "$out" | cut -f1), modules: ${order[*]})"
