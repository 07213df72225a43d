#include <memmap/iommu/isolation.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace memmap::iommu {

std::string
slot_of(const std::string& bdf)
{
  const auto dot = bdf.rfind('.');
  return dot == std::string::npos ? bdf : bdf.substr(0, dot);
}

namespace {

const TopoDevice*
find(const Topology& topo, const std::string& bdf)
{
  auto it = topo.find(bdf);
  return it == topo.end() ? nullptr : &it->second;
}

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

const char*
type_name(const TopoDevice& d)
{
  if (!d.is_pcie) {
    return d.is_bridge ? "conventional PCI bridge" : "conventional PCI device";
  }
  switch (d.pcie_type) {
  case k_pcie_endpoint:
    return "endpoint";
  case k_pcie_leg_end:
    return "legacy endpoint";
  case k_pcie_root_port:
    return "root port";
  case k_pcie_upstream:
    return "switch upstream port";
  case k_pcie_downstream:
    return "switch downstream port";
  case k_pcie_pci_bridge:
    return "PCIe-to-PCI bridge";
  case k_pcie_pcie_bridge:
    return "PCI-to-PCIe bridge";
  case k_pcie_rc_end:
    return "root-complex integrated endpoint";
  case k_pcie_rc_ec:
    return "root-complex event collector";
  default:
    return "PCIe function";
  }
}

// pci_acs_path_enabled(start, NULL, REQ_ACS_FLAGS): the first device from `start` up to the
// root bus that fails ACS, or nullptr when the whole path isolates.
const TopoDevice*
first_acs_failure(const Topology& topo, const TopoDevice* start,
                  const std::set<std::string>& off)
{
  std::set<std::string> seen;  // guard against a cyclic topology in hostile input
  for (const TopoDevice* d = start; d; d = d->parent_bdf.empty() ? nullptr : find(topo, d->parent_bdf)) {
    if (!seen.insert(d->bdf).second) {
      return nullptr;
    }
    if (!acs_isolates(*d, off)) {
      return d;
    }
  }
  return nullptr;
}

// The topmost bridge above `dev` that aliases its requester ID (pci_for_each_dma_alias():
// PCIe-to-PCI/PCI-X bridges and conventional bridges), or nullptr.
const TopoDevice*
dma_alias_bridge(const Topology& topo, const TopoDevice& dev)
{
  const TopoDevice* alias = nullptr;
  std::set<std::string> seen;
  for (const TopoDevice* b = find(topo, dev.parent_bdf); b; b = find(topo, b->parent_bdf)) {
    if (!seen.insert(b->bdf).second) {
      break;
    }
    const bool aliases = !b->is_pcie || b->pcie_type == k_pcie_pci_bridge
                         || b->pcie_type == k_pcie_pcie_bridge;
    if (aliases) {
      alias = b;
    }
  }
  return alias;
}

struct MemberCause {
  std::string kind;  // pcie-to-pci-bridge, no-acs
  const TopoDevice* device = nullptr;
};

// Why the kernel puts `dev` in the group of some other member, following
// pci_device_group(): the DMA alias first, then the walk up to the first ACS-isolated path.
std::optional<MemberCause>
member_cause(const Topology& topo, const TopoDevice& dev, const std::set<std::string>& group,
             const std::set<std::string>& off)
{
  if (const auto* alias = dma_alias_bridge(topo, dev); alias && group.count(alias->bdf)) {
    return MemberCause{"pcie-to-pci-bridge", alias};
  }
  const TopoDevice* anchor = &dev;
  if (const auto* alias = dma_alias_bridge(topo, dev)) {
    anchor = alias;
  }
  const TopoDevice* parent = find(topo, anchor->parent_bdf);
  if (!parent) {
    return std::nullopt;
  }
  if (const auto* fail = first_acs_failure(topo, parent, off); fail && group.count(fail->bdf)) {
    return MemberCause{"no-acs", fail};
  }
  return std::nullopt;
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

Cause
explain_group(const std::vector<std::string>& members, const Topology& topo,
              const std::set<std::string>& off)
{
  Cause c;
  std::set<std::string> slots;
  for (const auto& m : members) {
    slots.insert(slot_of(m));
  }
  c.isolated = slots.size() == 1;
  if (members.empty()) {
    c.kind = "unknown";
    c.reason = "The group lists no member devices.";
    return c;
  }
  if (members.size() == 1) {
    c.kind = "alone";
    c.reason = fmt::format("{} is alone in its group: it can be assigned by itself.", members[0]);
    return c;
  }
  if (slots.size() == 1) {
    c.kind = "same-slot";
    c.reason = fmt::format(
      "The {} functions of {} are one multifunction device without ACS between its "
      "functions: they are assigned together, and nothing else comes with them.",
      members.size(), *slots.begin());
    return c;
  }

  const std::set<std::string> group(members.begin(), members.end());
  // Without the capabilities of a member or of a bridge above one, no verdict is honest.
  std::vector<std::string> unknown_config;
  for (const auto& m : members) {
    std::set<std::string> seen;
    for (const auto* d = find(topo, m); d && seen.insert(d->bdf).second;
         d = find(topo, d->parent_bdf)) {
      if (!d->config_known
          && std::find(unknown_config.begin(), unknown_config.end(), d->bdf)
               == unknown_config.end()) {
        unknown_config.push_back(d->bdf);
      }
    }
    if (!find(topo, m)) {
      unknown_config.push_back(m);
    }
  }
  if (!unknown_config.empty()) {
    c.kind = "unknown";
    std::string list;
    for (std::size_t i = 0; i < unknown_config.size() && i < 4; ++i) {
      list += (i ? ", " : "") + unknown_config[i];
    }
    if (unknown_config.size() > 4) {
      list += fmt::format(" and {} more", unknown_config.size() - 4);
    }
    c.reason = fmt::format(
      "Cannot tell why: the capabilities of {} could not be read (config space beyond 64 "
      "bytes needs root, or the device is missing from the PCI source).",
      list);
    return c;
  }
  // Bridges first: the alias explanation names the bridge; then the nearest ACS failure.
  std::optional<MemberCause> best;
  for (const auto& m : members) {
    const auto* d = find(topo, m);
    if (!d) {
      continue;
    }
    auto mc = member_cause(topo, *d, group, off);
    if (!mc) {
      continue;
    }
    if (!best || (mc->kind == "pcie-to-pci-bridge" && best->kind != "pcie-to-pci-bridge")) {
      best = mc;
    }
  }
  if (best && best->kind == "pcie-to-pci-bridge") {
    c.kind = best->kind;
    c.device = best->device->bdf;
    c.reason = fmt::format(
      "{} is a {}: the devices behind it reach the IOMMU with the bridge's requester ID, so "
      "they cannot be told apart and are assigned only together.",
      best->device->bdf, type_name(*best->device));
    // A port above the bridge that lacks ACS pulls itself into the group as well.
    const auto* above = find(topo, best->device->parent_bdf);
    if (const auto* fail = above ? first_acs_failure(topo, above, off) : nullptr;
        fail && group.count(fail->bdf)) {
      c.reason += fmt::format(" {} ({}) above it {}, so it is in the group too.", fail->bdf,
                              type_name(*fail), missing_acs_controls(*fail, off));
    }
    return c;
  }
  if (best) {
    c.kind = best->kind;
    c.device = best->device->bdf;
    // Name the other functions of a multifunction port that lacks ACS too.
    std::vector<std::string> slot_mates;
    for (const auto& m : members) {
      const auto* d = find(topo, m);
      if (d && m != best->device->bdf && slot_of(m) == slot_of(best->device->bdf)
          && d->is_bridge && !acs_isolates(*d, off)) {
        slot_mates.push_back(m);
      }
    }
    std::string mates;
    if (!slot_mates.empty()) {
      mates = " It is a multifunction device whose other function";
      mates += slot_mates.size() > 1 ? "s " : " ";
      for (std::size_t i = 0; i < slot_mates.size(); ++i) {
        mates += (i ? ", " : "") + slot_mates[i];
      }
      mates += slot_mates.size() > 1 ? " also lack" : " also lacks";
      mates += " ACS, so everything below them shares one group.";
    }
    c.reason = fmt::format(
      "{} ({}) {}, so the devices below it are not isolated from each other: assign them "
      "together, or move the device to a slot behind a port with ACS.{}",
      best->device->bdf, type_name(*best->device), missing_acs_controls(*best->device, off),
      mates);
    return c;
  }
  c.kind = "unknown";
  c.reason =
    "Nothing in the topology explains this group (every port on the way has ACS): a kernel "
    "quirk (pci_dev_acs_enabled) or the platform's IOMMU grouping; see dmesg for 'iommu'.";
  return c;
}

} // namespace memmap::iommu
