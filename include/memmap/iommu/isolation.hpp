// Why devices share an IOMMU group, derived from the PCI topology and decoded ACS the way
// the kernel groups devices (pci_device_group(), get_pci_alias_group(),
// get_pci_function_alias_group() in drivers/iommu/iommu.c; pci_for_each_dma_alias() in
// drivers/pci/search.c; pci_acs_enabled(), pci_acs_path_enabled() in drivers/pci/pci.c; the
// DMA alias quirks of drivers/pci/quirks.c).
//
// The kernel puts a device D in the group of its "anchor": the topmost bridge whose requester
// ID D's DMA carries (a PCIe-to-PCI, conventional or PCI-to-PCIe bridge above it), else D;
// then the topmost device above that on the way to the root bus that fails ACS, if any.
// Anchors that are functions of one slot without ACS, or DMA aliases of each other (a quirk),
// share one group.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <memmap/pci/registers.hpp>

namespace memmap::iommu {

// ACS control bits and PCIe Device/Port Types: the register definitions (pci/registers.hpp).
using pci::k_acs_cr;
using pci::k_acs_ec;
using pci::k_acs_rr;
using pci::k_acs_sv;
using pci::k_acs_tb;
using pci::k_acs_uf;
using pci::k_pcie_downstream;
using pci::k_pcie_endpoint;
using pci::k_pcie_leg_end;
using pci::k_pcie_pci_bridge;
using pci::k_pcie_pcie_bridge;
using pci::k_pcie_rc_ec;
using pci::k_pcie_rc_end;
using pci::k_pcie_root_port;
using pci::k_pcie_upstream;
// What the kernel requires for isolation (REQ_ACS_FLAGS).
inline constexpr std::uint16_t k_req_acs_flags = k_acs_sv | k_acs_rr | k_acs_cr | k_acs_uf;

// What the analysis needs to know of one PCI function (filled from the PCI model).
struct TopoDevice {
  std::string bdf;
  std::string parent_bdf;           // the bridge whose secondary bus holds it; "" on a root bus
  bool is_bridge = false;
  bool is_pcie = false;             // has a PCI Express capability
  int pcie_type = -1;               // PCI_EXP_TYPE_*; -1 when not PCIe
  bool multifunction = false;
  bool config_known = true;         // false: config space too short to see the capabilities
  std::optional<std::uint16_t> acs_cap;   // ACS Capability register, if the cap exists
  std::optional<std::uint16_t> acs_ctrl;  // ACS Control register
  // Quirks of drivers/pci/quirks.c that change grouping (apply_dma_alias_quirks()).
  std::vector<int> dma_alias_devfns;  // other devfns on its bus it also uses for DMA
  std::string dma_alias_quirk;        // which quirk set them, for the reason
  bool bridge_no_alias = false;       // a PCIe-to-PCI bridge that forwards requester IDs
  bool xlate_root = false;            // the IOMMU translates at this bridge: aliasing stops
};
using Topology = std::map<std::string, TopoDevice>;

// The verdict on one group.
struct Cause {
  std::string kind;  // alone, same-slot, no-acs, pcie-to-pci-bridge, dma-alias, unknown
  // The device whose missing isolation merged the group (no-acs: the port or multifunction
  // device without ACS where the kernel's walk stopped; pcie-to-pci-bridge: the bridge whose
  // requester ID the devices behind it use; dma-alias: the device with the alias quirk).
  std::optional<std::string> device;
  bool isolated = false;            // every member is a function of one slot
  std::string reason;               // one sentence a person can act on
};

// The kernel's pci_acs_enabled(dev, REQ_ACS_FLAGS), with pci=disable_acs_redir= devices
// treated as having Request/Completion Redirect off.
bool acs_isolates(const TopoDevice& dev, const std::set<std::string>& acs_redir_off);

// The ACS controls a port lacks: "SV RR" etc. ("no ACS capability" when it has none).
std::string missing_acs_controls(const TopoDevice& dev, const std::set<std::string>& acs_redir_off);

// Explain why `members` (canonical BDFs, one group as the kernel formed it) share a group.
// The group itself says where the kernel's walk stopped for each member (the highest device
// on its path that is in the group); the topology says why it went that far. "unknown" names
// the device whose config the explanation needs and could not be read, or says where the
// topology as read contradicts the kernel's grouping.
Cause explain_group(const std::vector<std::string>& members, const Topology& topo,
                    const std::set<std::string>& acs_redir_off);

// "dddd:bb:dd" of a BDF.
std::string slot_of(const std::string& bdf);

// "dddd:bb" of a BDF.
std::string bus_of(const std::string& bdf);

// devfn (device << 3 | function) of a canonical BDF, or -1 when it does not parse.
int devfn_of(const std::string& bdf);

} // namespace memmap::iommu
