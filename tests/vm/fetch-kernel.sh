#!/usr/bin/env bash
# Fetch the test machine's kernel into a cache directory, once.
# Usage: fetch-kernel.sh CACHE_DIR
#
# Downloads Debian's linux-image-6.12.*-amd64-unsigned (6.12 has the dma:* trace events; 6.1
# only iommu:*) with `apt-get download` and unpacks it with `dpkg-deb -x` into
# CACHE_DIR/kernel/. Nothing is installed on the host. The newest 6.12 build that apt knows is
# taken; once unpacked, the cache is reused as is (delete CACHE_DIR/kernel to refresh).
# On success prints the kernel release (e.g. 6.12.117+deb12-amd64); CACHE_DIR/kernel/release
# holds it too.
set -euo pipefail
cache=${1:?usage: fetch-kernel.sh CACHE_DIR}
kdir=$cache/kernel

# Two boots (vm.boot, vm.barfail.boot) may share the cache and run at once: the first fetches,
# the other waits for it and then finds the kernel there.
mkdir -p "$cache"
if command -v flock >/dev/null; then
  exec 9>"$cache/.fetch.lock"
  flock 9
fi

if [ -f "$kdir/release" ] && [ -f "$kdir/root/boot/vmlinuz-$(cat "$kdir/release")" ]; then
  cat "$kdir/release"
  exit 0
fi

pkg=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-unsigned$' \
        | awk '{print $1}' | sort -V | tail -n 1)
if [ -z "$pkg" ]; then
  echo "fetch-kernel.sh: apt knows no linux-image-6.12.*-amd64-unsigned package" \
       "(Debian 12 needs bookworm-security or bookworm-updates in its sources; run apt-get update)" >&2
  exit 1
fi

rm -rf "$kdir"
mkdir -p "$kdir/download"
(cd "$kdir/download" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) || {
  echo "fetch-kernel.sh: apt-get download $pkg failed (no network or no package index?)" >&2
  exit 1
}
deb=$(ls "$kdir"/download/*.deb)
dpkg-deb -x "$deb" "$kdir/root"
release=$(ls "$kdir/root/lib/modules")
if [ ! -f "$kdir/root/boot/vmlinuz-$release" ]; then
  echo "fetch-kernel.sh: $deb has no boot/vmlinuz-$release" >&2
  exit 1
fi
dpkg-deb -f "$deb" Package Version >"$kdir/package"
rm -rf "$kdir/download"
echo "$release" >"$kdir/release"
echo "$release"
