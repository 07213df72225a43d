// The labels listings put on PCI device lines, from what the machine layer loaded: names
// and drivers from sysfs, BAR spans, NUMA node, IOMMU group, BAR indexes and host-bridge
// offsets from the PCI model.
#pragma once

#include <map>
#include <string>

#include <memmap/pci/device.hpp>
#include <memmap/render/map_layout.hpp>
#include <memmap/render/resource_tree.hpp>
#include <memmap/source/pci_names.hpp>

namespace memmap::render {

// Sysfs names first, the model's for devices sysfs does not list; BAR spans from the model.
// Both arguments must outlive the lookup; `model` may be null.
DeviceLookup device_lookup(const std::map<std::string, source::DeviceBrief>& briefs,
                           const pci::PciModel* model);

// The map's PCI facts: `lookup`'s names, and with `model` (may be null, then left out) also
// NUMA node, IOMMU group, BAR indexes and host-bridge offsets.
MapSources map_sources(const DeviceLookup& lookup, const pci::PciModel* model);

} // namespace memmap::render
