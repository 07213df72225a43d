// The address-map model: an address space holds a tree of regions, each classified and
// linked to what owns it. The model never reads files and never prints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <memmap/model/diagnostic.hpp>

namespace memmap::model {

enum class SpaceKind { cpu_physical, io_port, pci_bus, iova };

// What a region is, from the kernel's name for it and its place in the tree.
enum class RegionKind {
  system_ram,
  reserved,
  acpi_tables,
  acpi_nvs,
  persistent_memory,
  soft_reserved,
  unusable,
  kernel_image,   // Kernel code/rodata/data/bss
  crash_kernel,
  rom,            // System ROM, Video ROM, Adapter ROM
  pci_host_bridge,    // top-level "PCI Bus DDDD:BB": a host bridge window
  pci_bridge_window,  // nested "PCI Bus DDDD:BB": a P2P bridge window
  pci_device,     // "DDDD:BB:DD.F": a BAR, ROM or VF BAR claimed by a device
  pci_ecam,       // PCI ECAM / PCI MMCONFIG
  ioapic,
  local_apic,
  hpet,
  cxl,
  pnp,
  driver,         // a driver's claim inside a device or platform region
  other,
};

// Stable kind names used in JSON ("ram", "pci-device", ...).
const char* to_string(RegionKind k);
const char* to_string(SpaceKind k);

// The typed link to what owns a region.
struct Owner {
  enum class Type { none, memory, firmware, kernel, pci_device, pci_window, platform };
  Type type = Type::none;
  std::string bdf;        // canonical "dddd:bb:dd.f" for PCI owners
  int bar = -1;           // BAR index when known (0-5, 6 = ROM, 7+ = VF/bridge rows)
};

struct Region {
  std::uint64_t start = 0;
  std::uint64_t end = 0;  // inclusive
  std::string name;
  RegionKind kind = RegionKind::other;
  Owner owner;
  int line = 0;           // 1-based line in the source file
  int depth = 0;          // nesting depth in the model (0 = top level)
  std::vector<Region> children;

  std::uint64_t size() const { return end - start + 1; }  // 0 for the full 64-bit span
  bool contains(std::uint64_t a) const { return a >= start && a <= end; }
  bool contains(const Region& r) const { return r.start >= start && r.end <= end; }
  bool overlaps(const Region& r) const { return r.start <= end && start <= r.end; }
};

struct AddressSpace {
  SpaceKind kind = SpaceKind::cpu_physical;
  std::string source;                 // the file as named to the user
  std::vector<Region> regions;        // top-level regions in file order
  std::vector<Diagnostic> warnings;   // structural problems (overlaps, outside parent...)
  bool addresses_hidden = false;      // every line read 0-0: a non-root reader's view
  std::size_t line_count = 0;         // regions parsed

  // Visit every region, pre-order (file order). `fn(region, parents)`.
  template <typename Fn> void walk(Fn&& fn) const;
  // The deepest region containing `addr`, with its ancestors (outermost first); empty if none.
  std::vector<const Region*> lookup(std::uint64_t addr) const;
};

// Canonical "dddd:bb:dd.f" if `name` is a PCI device name (with or without domain).
std::optional<std::string> parse_bdf(std::string_view name);

// Classify a region from its name and its parent's kind (nullptr at top level).
RegionKind classify(std::string_view name, const Region* parent, SpaceKind space);

// Fill kind and owner for every region of a space (idempotent).
void classify_all(AddressSpace& space);

// Sum of the sizes of top-level "System RAM" regions (and RAM nested under other top-level
// regions such as Soft Reserved hotplugged as kmem).
std::uint64_t total_ram(const AddressSpace& space);

// The outermost System RAM regions, in address order: a "System RAM (kmem)" below a dax
// region that is itself below System RAM is not listed again.
std::vector<const Region*> outermost_ram(const AddressSpace& space);

// --- Inline implementations ---

namespace detail {
template <typename Fn>
void walk_regions(const std::vector<Region>& rs, std::vector<const Region*>& parents, Fn& fn)
{
  for (const auto& r : rs) {
    fn(r, static_cast<const std::vector<const Region*>&>(parents));
    parents.push_back(&r);
    walk_regions(r.children, parents, fn);
    parents.pop_back();
  }
}
} // namespace detail

template <typename Fn>
void
AddressSpace::walk(Fn&& fn) const
{
  std::vector<const Region*> parents;
  detail::walk_regions(regions, parents, fn);
}

} // namespace memmap::model
