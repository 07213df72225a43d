#include <memmap/iommu/pci_topology.hpp>

#include <algorithm>
#include <initializer_list>

namespace memmap::iommu {

namespace {

bool
is_one_of(std::uint16_t device, std::initializer_list<std::uint16_t> ids)
{
  return std::find(ids.begin(), ids.end(), device) != ids.end();
}

void
add_alias(TopoDevice& t, int devfn, const char* quirk)
{
  if (devfn < 0 || devfn > 255) {
    return;
  }
  if (std::find(t.dma_alias_devfns.begin(), t.dma_alias_devfns.end(), devfn)
      == t.dma_alias_devfns.end()) {
    t.dma_alias_devfns.push_back(devfn);
  }
  t.dma_alias_quirk = quirk;
}

} // namespace

void
apply_dma_alias_quirks(TopoDevice& t, std::uint16_t vendor, std::uint16_t device,
                       std::optional<std::uint16_t> subsys_vendor,
                       std::optional<std::uint16_t> subsys_device)
{
  const int devfn = devfn_of(t.bdf);
  if (devfn < 0) {
    return;
  }
  const int slot = devfn >> 3;
  const int fn = devfn & 7;
  // Function 0 of the slot is the requester ID for DMA (Ricoh card readers, Glenfly audio).
  const bool func0 = (vendor == 0x1180 && is_one_of(device, {0xe832, 0xe476}))
                     || (vendor == 0x6766 && is_one_of(device, {0x3d40, 0x3d41}));
  if (func0 && fn != 0) {
    add_alias(t, slot << 3, "uses function 0 as its requester ID (quirk_dma_func0_alias)");
  }
  // Function 1 is the requester ID (Marvell 88SE9xxx SATA, HighPoint, JMicron JMB388,
  // Plextor M6E); on many of them function 1 does not exist.
  const bool func1 =
    (vendor == 0x1b4b
     && is_one_of(device, {0x9120, 0x9123, 0x9125, 0x9128, 0x9130, 0x9170, 0x9172, 0x917a,
                           0x9182, 0x9183, 0x91a0, 0x9215, 0x9220, 0x9230, 0x9235}))
    || (vendor == 0x1103 && is_one_of(device, {0x0642, 0x0645}))
    || (vendor == 0x197b && device == 0x2392) || (vendor == 0x1c28 && device == 0x0122);
  if (func1 && fn != 1) {
    add_alias(t, (slot << 3) | 1, "uses function 1 as its requester ID (quirk_dma_func1_alias)");
  }
  // Adaptec 3405/3805: a hidden DMA engine at 01.0 of the bus.
  if (vendor == 0x9005 && device == 0x0285 && subsys_vendor == 0x9005
      && (subsys_device == 0x02bb || subsys_device == 0x02bc)) {
    add_alias(t, 1 << 3, "DMAs as 01.0 of its bus (quirk_fixed_dma_alias)");
  }
  if (vendor == 0x8086 && is_one_of(device, {0x2260, 0x2264})) {  // MIC x200 NTB
    for (int a : {0x10 << 3, 0x11 << 3, (0x12 << 3) | 3}) {
      add_alias(t, a, "forwards DMA with other requester IDs of its bus (quirk_mic_x200_dma_alias)");
    }
  }
  if (vendor == 0x8086 && is_one_of(device, {0x2954, 0x2955, 0x2956, 0x2958, 0x2959, 0x295a})) {
    for (int s = 0; s < 32; ++s) {  // Visual Compute Accelerator: functions 0-4 of every slot
      for (int f = 0; f < 5; ++f) {
        add_alias(t, (s << 3) | f,
                  "forwards DMA with every requester ID of its bus (quirk_pex_vca_alias)");
      }
    }
  }
  if (vendor == 0x10b5 && is_one_of(device, {0x87b0, 0x87b1})) {  // PLX NTB: all 256 devfns
    for (int a = 0; a < 256; ++a) {
      add_alias(t, a, "forwards DMA with every requester ID of its bus (quirk_plx_ntb_dma_alias)");
    }
  }
  if (vendor == 0x1a03 && device == 0x1150) {
    t.bridge_no_alias = true;  // ASPEED AST1150 forwards the requester IDs behind it
  }
  if (vendor == 0x14e4 && is_one_of(device, {0x9000, 0x9084})) {
    t.xlate_root = true;  // Broadcom Vulcan / Cavium ThunderX2: the IOMMU sits at this bridge
  }
}

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
    if (!d.absent && d.vendor_id && d.device_id) {
      apply_dma_alias_quirks(t, *d.vendor_id, *d.device_id, d.subsys_vendor_id, d.subsys_id);
    }
    topo[t.bdf] = t;
  }
  return topo;
}

} // namespace memmap::iommu
