// Joins of the PCI model with the CPU address map: which BAR a device region is, the
// host-bridge translation of a window, and the cross-reference `memmap bar` shows.
#pragma once

#include <cstdint>
#include <optional>

#include <memmap/model/address_space.hpp>
#include <memmap/pci/device.hpp>

namespace memmap::machine {

class Machine;

// The BAR index of `d` whose CPU range is exactly start-end (the bus address when the CPU
// one is unknown): 0-5, 6 for the ROM, 7 + n for the aperture of VF BAR n (the kernel's
// resource numbering, as Region::owner.bar); nullopt when none is.
std::optional<int> bar_index(const pci::Device& d, std::uint64_t start, std::uint64_t end);

// The host-bridge translation (CPU - bus) of the memory BARs and non-I/O bridge windows
// inside `window`, when the model knows both addresses, they differ, and all agree.
std::optional<std::int64_t> window_offset(const pci::PciModel& pcim, const model::Region& window);

// What `memmap bar` cross-referenced the model with.
struct BarCrossReference {
  bool iomem_known = false;                  // a /proc/iomem with real addresses was used
  bool ioports_known = false;
  std::optional<std::uint64_t> highest_ram;  // the last System RAM byte in it
};

// Annotate `pcim` with the address maps the plan gives for the same machine. A map that
// cannot be read, or that the plan has none of, is said once (through m.notice) and left
// out, as is one whose addresses are hidden.
BarCrossReference cross_reference_maps(Machine& m, pci::PciModel& pcim);

} // namespace memmap::machine
