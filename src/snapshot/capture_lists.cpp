// The sysfs attributes and links a snapshot copies for each PCI function.
#include <memmap/snapshot/capture.hpp>

namespace memmap::snapshot {

const std::vector<std::string>&
pci_attributes()
{
  static const std::vector<std::string> attrs = {
    "config", "resource", "vendor", "device", "class", "subsystem_vendor",
    "subsystem_device", "revision", "irq", "numa_node", "local_cpus", "local_cpulist",
    "power_state", "reset_method", "boot_vga", "dma_mask_bits", "consistent_dma_mask_bits",
    "current_link_speed", "current_link_width", "max_link_speed", "max_link_width",
    "secondary_bus_number", "subordinate_bus_number", "enable", "driver_override", "modalias",
    "label", "index", "acpi_index", "msi_bus", "ari_enabled", "d3cold_allowed",
    "sriov_totalvfs", "sriov_numvfs", "sriov_offset", "sriov_stride", "sriov_vf_device",
    "sriov_drivers_autoprobe", "sriov_vf_total_msix", "resource0_resize", "resource1_resize",
    "resource2_resize", "resource3_resize", "resource4_resize", "resource5_resize",
  };
  return attrs;
}

const std::vector<std::string>&
pci_links()
{
  static const std::vector<std::string> links = {"driver", "iommu_group", "iommu", "physfn",
                                                 "virtfn"};
  return links;
}

} // namespace memmap::snapshot
