#include <memmap/iommu/pci_topology.hpp>

namespace memmap::iommu {

Topology
topology_from_pci(const pci::PciModel& model)
{
  Topology topo;
  for (const auto& d : model.devices) {
    TopoDevice t;
    t.bdf = d.bdf;
    t.parent_bdf = d.parent_bdf;
    t.is_bridge = d.is_bridge();
    t.is_pcie = d.pcie.has_value();
    t.pcie_type = d.pcie ? d.pcie->port_type : -1;
    t.multifunction = d.multifunction;
    // Capabilities live past the 64-byte header; PCIe extended ones (ACS) past 256.
    t.config_known = !d.absent && d.config.contiguous() >= 256
                     && (!t.is_pcie || d.config.contiguous() >= 4096 || d.acs.has_value());
    if (d.acs) {
      t.acs_cap = d.acs->capability;
      t.acs_ctrl = d.acs->control;
    }
    topo[t.bdf] = t;
  }
  return topo;
}

} // namespace memmap::iommu
