// The isolation analysis' view of the PCI model (decoded ACS, PCIe port types, topology).
#pragma once

#include <memmap/iommu/isolation.hpp>
#include <memmap/pci/device.hpp>

namespace memmap::iommu {

Topology topology_from_pci(const pci::PciModel& model);

} // namespace memmap::iommu
