// Where a function stands (slot, bus, devfn from its address) and whether its ACS
// controls isolate it, as the kernel's pci_acs_enabled() decides. Why a group holds what it
// holds (explain_group) is in isolation_explain.cpp.
#include <memmap/iommu/isolation.hpp>


namespace memmap::iommu {

std::string
slot_of(const std::string& bdf)
{
  const auto dot = bdf.rfind('.');
  return dot == std::string::npos ? bdf : bdf.substr(0, dot);
}

std::string
bus_of(const std::string& bdf)
{
  const auto colon = bdf.rfind(':');
  return colon == std::string::npos ? bdf : bdf.substr(0, colon);
}

int
devfn_of(const std::string& bdf)
{
  const auto colon = bdf.rfind(':');
  const auto dot = bdf.rfind('.');
  if (colon == std::string::npos || dot == std::string::npos || dot != colon + 3
      || dot + 2 != bdf.size()) {
    return -1;
  }
  auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  const int hi = hex(bdf[colon + 1]);
  const int lo = hex(bdf[colon + 2]);
  const int fn = bdf[dot + 1] - '0';
  if (hi < 0 || lo < 0 || fn < 0 || fn > 7 || hi * 16 + lo > 31) {
    return -1;
  }
  return ((hi * 16 + lo) << 3) | fn;
}

namespace {

// pci_acs_flags_enabled(): capabilities missing from the ACS Capability register are
// hard-wired on, except Egress Control.
bool
acs_flags_enabled(const TopoDevice& d, std::uint16_t flags, const std::set<std::string>& off)
{
  if (!d.acs_cap) {
    return false;
  }
  std::uint16_t ctrl = d.acs_ctrl.value_or(0);
  if (off.count(d.bdf)) {
    ctrl &= static_cast<std::uint16_t>(~(k_acs_rr | k_acs_cr | k_acs_ec));
  }
  flags &= static_cast<std::uint16_t>(*d.acs_cap | k_acs_ec);
  return (ctrl & flags) == flags;
}

} // namespace

bool
acs_isolates(const TopoDevice& d, const std::set<std::string>& off)
{
  // pci_acs_enabled(): conventional PCI/PCI-X never isolates; PCIe bridges to or from PCI and
  // RC event collectors never implement ACS; ports need it; other functions need it only
  // when they are part of a multifunction device.
  if (!d.is_pcie) {
    return false;
  }
  switch (d.pcie_type) {
  case k_pcie_pcie_bridge:
  case k_pcie_pci_bridge:
  case k_pcie_rc_ec:
    return false;
  case k_pcie_downstream:
  case k_pcie_root_port:
    return acs_flags_enabled(d, k_req_acs_flags, off);
  case k_pcie_endpoint:
  case k_pcie_upstream:
  case k_pcie_leg_end:
  case k_pcie_rc_end:
    if (!d.multifunction) {
      return true;
    }
    return acs_flags_enabled(d, k_req_acs_flags, off);
  default:
    return true;
  }
}

std::string
missing_acs_controls(const TopoDevice& d, const std::set<std::string>& off)
{
  if (!d.is_pcie) {
    return "is conventional PCI (no ACS possible)";
  }
  if (d.pcie_type == k_pcie_pci_bridge || d.pcie_type == k_pcie_pcie_bridge) {
    return "is a PCIe/PCI bridge (ACS never applies)";
  }
  if (d.pcie_type == k_pcie_rc_ec) {
    return "is a root-complex event collector (ACS never applies)";
  }
  if (!d.acs_cap) {
    return "has no ACS capability";
  }
  std::uint16_t ctrl = d.acs_ctrl.value_or(0);
  const bool redir_off = off.count(d.bdf) > 0;
  if (redir_off) {
    ctrl &= static_cast<std::uint16_t>(~(k_acs_rr | k_acs_cr | k_acs_ec));
  }
  const std::uint16_t need = k_req_acs_flags & (*d.acs_cap | k_acs_ec);
  std::vector<std::string> miss;
  const std::pair<std::uint16_t, const char*> names[] = {
    {k_acs_sv, "SrcValid"}, {k_acs_rr, "ReqRedir"}, {k_acs_cr, "CmpltRedir"},
    {k_acs_uf, "UpstreamFwd"}};
  for (auto [bit, name] : names) {
    if ((need & bit) && !(ctrl & bit)) {
      miss.emplace_back(name);
    }
  }
  if (miss.empty()) {
    return "enables every ACS control it has";
  }
  std::string s = "does not enable ACS ";
  for (std::size_t i = 0; i < miss.size(); ++i) {
    s += (i ? (i + 1 == miss.size() ? " and " : ", ") : "") + miss[i];
  }
  if (redir_off) {
    s += " (pci=disable_acs_redir= on the kernel command line)";
  }
  return s;
}

} // namespace memmap::iommu
