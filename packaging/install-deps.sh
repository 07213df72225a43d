#!/usr/bin/env bash
# Install every build and test dependency of memmap from Debian's packages.
# Idempotent; run as root. Options:
#   --vm       also what the q35 test machine needs (tests/vm/)
#   --browser  accepted for older scripts: Chromium (the HTML map test) is always installed
#   --bench    also what bench/run needs (Google Benchmark, strace, GNU time)
#   --fuzz     also clang and libFuzzer (the asan and fuzz presets, tests/fuzz/run)
set -euo pipefail

pkgs=(
  g++ cmake make pkg-config
  libpci-dev pciutils          # PCI access (sysfs and dump methods), pci.ids; lspci as reference
  libcli11-dev libfmt-dev nlohmann-json3-dev catch2
  libtracefs-dev libtraceevent-dev libtracecmd-dev  # memmap trace: tracefs, records, trace.dat
  libarchive-dev               # snapshot tarballs (memmap snapshot OUT.tar.gz, diff, --root)
  util-linux                   # setpriv/su for unprivileged tests
  libxml2-utils librsvg2-bin jq  # map tests: xmllint (well-formed SVG), rsvg-convert (renders), jq
  zsh                          # the zsh completion test (bash is always there)
  dpkg-dev file                # packaging/build-deb.sh: CPack DEB with dpkg-shlibdeps
  ansible-core                 # the docs/fleet playbook test
  strace                       # the read-only guarantee test (tests/cli/readonly-strace.sh)
  chromium                     # the HTML map in a real browser (tests/cli/map-browser.sh)
)
for arg in "$@"; do
  case "$arg" in
    --vm) pkgs+=(qemu-system-x86 busybox-static cpio xz-utils zstd kmod jq) ;;  # + kernel: tests/vm/fetch-kernel.sh
    --browser) ;;
    --bench) pkgs+=(libbenchmark-dev strace time python3) ;;
    --fuzz) pkgs+=(clang libclang-rt-14-dev) ;;  # clang 14: -fsanitize=fuzzer,address,undefined
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (apt-get install needs it)" >&2
  exit 3
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all ${#pkgs[@]} packages already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
