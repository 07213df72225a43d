#include <memmap/model/address_space.hpp>

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

namespace memmap::model {

const char*
to_string(RegionKind k)
{
  switch (k) {
  case RegionKind::system_ram:
    return "ram";
  case RegionKind::reserved:
    return "reserved";
  case RegionKind::acpi_tables:
    return "acpi";
  case RegionKind::acpi_nvs:
    return "acpi-nvs";
  case RegionKind::persistent_memory:
    return "pmem";
  case RegionKind::soft_reserved:
    return "soft-reserved";
  case RegionKind::unusable:
    return "unusable";
  case RegionKind::kernel_image:
    return "kernel";
  case RegionKind::crash_kernel:
    return "crash-kernel";
  case RegionKind::rom:
    return "rom";
  case RegionKind::pci_host_bridge:
    return "pci-host-bridge";
  case RegionKind::pci_bridge_window:
    return "pci-bridge-window";
  case RegionKind::pci_device:
    return "pci-device";
  case RegionKind::pci_ecam:
    return "pci-ecam";
  case RegionKind::ioapic:
    return "ioapic";
  case RegionKind::local_apic:
    return "local-apic";
  case RegionKind::hpet:
    return "hpet";
  case RegionKind::cxl:
    return "cxl";
  case RegionKind::pnp:
    return "pnp";
  case RegionKind::driver:
    return "driver";
  case RegionKind::other:
    return "other";
  }
  return "other";
}

const char*
to_string(SpaceKind k)
{
  switch (k) {
  case SpaceKind::cpu_physical:
    return "cpu-physical";
  case SpaceKind::io_port:
    return "io-port";
  case SpaceKind::pci_bus:
    return "pci-bus";
  case SpaceKind::iova:
    return "iova";
  }
  return "unknown";
}

namespace {

bool
is_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// ASCII only: region names are compared with the kernel's fixed English words, and the C
// locale's tolower() call per byte was a tenth of the parse time.
char
lower_ascii(char c)
{
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool
all_hex(std::string_view s)
{
  return !s.empty() && std::all_of(s.begin(), s.end(), is_hex);
}

bool
starts_with_ci(std::string_view s, std::string_view prefix)
{
  if (s.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower_ascii(s[i]) != lower_ascii(prefix[i])) {
      return false;
    }
  }
  return true;
}

bool
equals_ci(std::string_view a, std::string_view b)
{
  return a.size() == b.size() && starts_with_ci(a, b);
}

std::string
lower(std::string_view s)
{
  std::string out(s);
  for (auto& c : out) {
    c = lower_ascii(c);
  }
  return out;
}

} // namespace

std::optional<std::string>
parse_bdf(std::string_view name)
{
  // dddd:bb:dd.f or bb:dd.f (older kernels and some platforms print no domain).
  std::string_view domain = "0000";
  std::string_view rest = name;
  if (name.size() == 12 && name[4] == ':') {
    domain = name.substr(0, 4);
    rest = name.substr(5);
  } else if (name.size() != 7) {
    return std::nullopt;
  }
  if (!all_hex(domain) || rest.size() != 7 || rest[2] != ':' || rest[5] != '.') {
    return std::nullopt;
  }
  const auto bus = rest.substr(0, 2);
  const auto dev = rest.substr(3, 2);
  const char fn = rest[6];
  if (!all_hex(bus) || !all_hex(dev) || fn < '0' || fn > '7') {
    return std::nullopt;
  }
  // Device numbers run 00-1f: the first digit is 0 or 1.
  if (dev[0] != '0' && dev[0] != '1') {
    return std::nullopt;
  }
  std::string out;
  out.reserve(12);
  out.append(domain).append(1, ':').append(bus).append(1, ':').append(dev).append(1, '.');
  out.push_back(fn);
  return lower(out);
}

RegionKind
classify(std::string_view name, const Region* parent, SpaceKind space)
{
  const RegionKind parent_kind = parent ? parent->kind : RegionKind::other;
  if (parse_bdf(name)) {
    return RegionKind::pci_device;
  }
  if (starts_with_ci(name, "PCI Bus ") || starts_with_ci(name, "PCI CardBus ")) {
    const bool nested = parent && (parent_kind == RegionKind::pci_host_bridge
                                   || parent_kind == RegionKind::pci_bridge_window
                                   || parent_kind == RegionKind::pci_device);
    return nested ? RegionKind::pci_bridge_window : RegionKind::pci_host_bridge;
  }
  if (starts_with_ci(name, "PCI ECAM") || starts_with_ci(name, "PCI MMCONFIG")) {
    return RegionKind::pci_ecam;
  }
  if (starts_with_ci(name, "System RAM")) {
    return RegionKind::system_ram;
  }
  if (equals_ci(name, "Reserved") || equals_ci(name, "reserved")) {
    return RegionKind::reserved;
  }
  if (equals_ci(name, "ACPI Tables")) {
    return RegionKind::acpi_tables;
  }
  if (equals_ci(name, "ACPI Non-volatile Storage")) {
    return RegionKind::acpi_nvs;
  }
  if (starts_with_ci(name, "Persistent Memory")) {
    return RegionKind::persistent_memory;
  }
  if (equals_ci(name, "Soft Reserved")) {
    return RegionKind::soft_reserved;
  }
  if (equals_ci(name, "Unusable memory") || equals_ci(name, "Unknown E820 type")) {
    return RegionKind::unusable;
  }
  if (starts_with_ci(name, "Kernel ")) {
    return RegionKind::kernel_image;
  }
  if (equals_ci(name, "Crash kernel")) {
    return RegionKind::crash_kernel;
  }
  if (equals_ci(name, "System ROM") || equals_ci(name, "Video ROM")
      || equals_ci(name, "Adapter ROM") || equals_ci(name, "Extension ROM")) {
    return RegionKind::rom;
  }
  if (starts_with_ci(name, "IOAPIC")) {
    return RegionKind::ioapic;
  }
  if (equals_ci(name, "Local APIC")) {
    return RegionKind::local_apic;
  }
  if (starts_with_ci(name, "HPET")) {
    return RegionKind::hpet;
  }
  if (starts_with_ci(name, "CXL ")) {
    return RegionKind::cxl;
  }
  if (starts_with_ci(name, "pnp ")) {
    return RegionKind::pnp;
  }
  if (space == SpaceKind::cpu_physical && parent
      && (parent_kind == RegionKind::system_ram || parent_kind == RegionKind::soft_reserved
          || parent_kind == RegionKind::cxl || parent_kind == RegionKind::persistent_memory)) {
    // dax0.0, namespace0.0, regionN... under memory: memory-side devices.
    return RegionKind::driver;
  }
  if (parent && parent_kind != RegionKind::pci_host_bridge
      && parent_kind != RegionKind::pci_bridge_window) {
    return RegionKind::driver;
  }
  return RegionKind::other;
}

namespace {

void
classify_children(std::vector<Region>& rs, const Region* parent, SpaceKind space, int depth)
{
  for (auto& r : rs) {
    r.depth = depth;
    r.kind = classify(r.name, parent, space);
    r.owner = {};
    switch (r.kind) {
    case RegionKind::pci_device:
      r.owner.type = Owner::Type::pci_device;
      r.owner.bdf = *parse_bdf(r.name);
      break;
    case RegionKind::pci_host_bridge:
    case RegionKind::pci_bridge_window:
      r.owner.type = Owner::Type::pci_window;
      break;
    case RegionKind::system_ram:
    case RegionKind::persistent_memory:
    case RegionKind::soft_reserved:
      r.owner.type = Owner::Type::memory;
      break;
    case RegionKind::reserved:
    case RegionKind::acpi_tables:
    case RegionKind::acpi_nvs:
    case RegionKind::rom:
    case RegionKind::unusable:
      r.owner.type = Owner::Type::firmware;
      break;
    case RegionKind::kernel_image:
    case RegionKind::crash_kernel:
      r.owner.type = Owner::Type::kernel;
      break;
    case RegionKind::driver:
      if (parent && parent->owner.type == Owner::Type::pci_device) {
        r.owner = parent->owner;  // a driver's claim on the device's BAR
      } else {
        r.owner.type = Owner::Type::platform;
      }
      break;
    default:
      r.owner.type = Owner::Type::platform;
      break;
    }
    classify_children(r.children, &r, space, depth + 1);
  }
}

void
lookup_in(const std::vector<Region>& rs, std::uint64_t addr, std::vector<const Region*>& path)
{
  // The kernel keeps siblings sorted and disjoint: binary search for the last sibling starting
  // at or below addr. Hand-edited lists may be unsorted or overlap, so a miss falls back to a
  // scan in file order.
  auto it = std::upper_bound(rs.begin(), rs.end(), addr,
                             [](std::uint64_t a, const Region& r) { return a < r.start; });
  const Region* hit = nullptr;
  if (it != rs.begin() && std::prev(it)->contains(addr)) {
    hit = &*std::prev(it);
    // Among equal starts the first in file order wins, as in a scan.
    for (auto j = std::prev(it); j != rs.begin() && std::prev(j)->start == hit->start; --j) {
      if (std::prev(j)->contains(addr)) {
        hit = &*std::prev(j);
      }
    }
  } else {
    for (const auto& r : rs) {
      if (r.contains(addr)) {
        hit = &r;
        break;
      }
    }
  }
  if (hit) {
    path.push_back(hit);
    lookup_in(hit->children, addr, path);
  }
}

} // namespace

void
classify_all(AddressSpace& space)
{
  classify_children(space.regions, nullptr, space.kind, 0);
}

std::vector<const Region*>
AddressSpace::lookup(std::uint64_t addr) const
{
  std::vector<const Region*> path;
  lookup_in(regions, addr, path);
  return path;
}

std::vector<const Region*>
outermost_ram(const AddressSpace& space)
{
  std::vector<const Region*> out;
  space.walk([&](const Region& r, const std::vector<const Region*>& parents) {
    if (r.kind != RegionKind::system_ram) {
      return;
    }
    for (const auto* p : parents) {
      if (p->kind == RegionKind::system_ram) {
        return;
      }
    }
    out.push_back(&r);
  });
  return out;
}

std::uint64_t
total_ram(const AddressSpace& space)
{
  std::uint64_t total = 0;
  for (const Region* r : outermost_ram(space)) {
    total += r->size();
  }
  return total;
}

} // namespace memmap::model
