// Differences between two PCI models (memmap diff, section "pci"). Pure: no files, no printing.
#pragma once

#include <vector>

#include <memmap/model/diff.hpp>
#include <memmap/pci/device.hpp>

namespace memmap::pci {

// Changes from `a` to `b`. Functions are matched by BDF. Per function, in this order:
//   [bdf]                      added / removed (value: "vvvv:dddd Name [driver]")
//   [bdf, "ids"]               changed: another device at this address (vendor, device or
//                              class differ); nothing else is compared for it
//   [bdf, "driver"]            changed: "nvme" -> "vfio-pci" ("none" when unbound)
//   [bdf, "BAR0".."BAR5"]      added / removed / moved / resized / changed: CPU range (the
//   [bdf, "ROM"]               bus address when no CPU address is known); the bus address in
//   [bdf, "VF BAR0"..]         `detail` where it differs from the CPU one; a BAR without an
//   [bdf, "window io|mem|prefetchable"]   address has the value "unassigned"; type changes
//                              ("mem 32-bit" -> "mem 64-bit prefetchable") are values
//   [bdf, "Resizable BAR1"]    changed: current size ("256M" -> "8G"), "VF Resizable BARn"
// Sorted by BDF, then in the order above.
std::vector<model::Change> diff_models(const PciModel& a, const PciModel& b);

} // namespace memmap::pci
