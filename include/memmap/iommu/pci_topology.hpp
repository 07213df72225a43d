// The isolation analysis' view of the PCI model (decoded ACS, PCIe port types, topology).
#pragma once

#include <memmap/iommu/isolation.hpp>
#include <memmap/pci/device.hpp>

#include <cstdint>
#include <optional>

namespace memmap::iommu {

Topology topology_from_pci(const pci::PciModel& model);

// The quirks of drivers/pci/quirks.c that change IOMMU grouping and depend only on the
// function's IDs and its own devfn: DMA aliases to other functions or devices of its bus
// (quirk_dma_func0_alias, quirk_dma_func1_alias, quirk_fixed_dma_alias, MIC x200, VCA, PLX
// NTB), a PCIe-to-PCI bridge that does not alias (ASPEED AST1150) and bridges where the IOMMU
// translates (Cavium ThunderX2). Switchtec NTB aliases depend on the device's registers and
// are not representable. `t.bdf` must be set.
void apply_dma_alias_quirks(TopoDevice& t, std::uint16_t vendor, std::uint16_t device,
                            std::optional<std::uint16_t> subsys_vendor,
                            std::optional<std::uint16_t> subsys_device);

} // namespace memmap::iommu
