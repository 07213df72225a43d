// How to bind the group: which endpoints go to vfio-pci, which bridges to unbind, the ids
// for vfio-pci.ids and whether they take functions outside the group, and what the kernel
// command line already says.
#include "passthrough_internal.hpp"

#include <memmap/pci/device.hpp>
#include <memmap/util/text.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <fmt/format.h>

namespace memmap::machine::detail {

namespace {

using util::join;

// Drivers that do no DMA of their own (driver_managed_dma): VFIO opens a group whose other
// members are bound to them or to nothing.
bool
dma_free_driver(const std::string& drv)
{
  return drv.empty() || drv == "pcieport" || drv == "pci-stub" || drv == "vfio-pci";
}

} // namespace

void
Builder::bind_suggestion()
{
  auto& b = m_r.bind;
  std::set<std::string> ids;
  for (const auto& m : m_r.members) {
    if (m.role == Role::kept) {
      continue;  // unbound, and it stays so
    }
    if (m.role == Role::bridge) {
      if (m.driver && !dma_free_driver(*m.driver)) {
        b.bridges_to_unbind.push_back(fmt::format("{} (bound to {})", m.bdf, *m.driver));
      }
      continue;
    }
    if (m.role == Role::endpoint) {
      b.endpoints.push_back(m.bdf);
    }
    if (auto id = m.id(); id && m.role == Role::endpoint) {
      ids.insert(*id);
    } else {
      b.ids_unknown_for.push_back(m.bdf);
    }
    if (m.role == Role::endpoint && (!m.driver || *m.driver != "vfio-pci")) {
      b.to_bind.push_back(!m.driver        ? m.bdf + " (driver ?)"
                          : m.driver->empty() ? m.bdf + " (no driver)"
                                              : fmt::format("{} (bound to {})", m.bdf, *m.driver));
    }
  }
  b.ids.assign(ids.begin(), ids.end());
}

void
Builder::check_vfio_ids()
{
  auto& b = m_r.bind;
  auto& c = add("vfio-ids", m_in.pci ? m_in.pci->source : std::string("the PCI devices"),
                false);
  if (!m_in.pci) {
    c.result = "the PCI devices were not loaded: which functions an id takes is unknown";
    return;
  }
  std::set<std::string> members(m_g.devices.begin(), m_g.devices.end());
  for (const auto& d : m_in.pci->devices) {
    if (members.count(d.bdf) || !d.vendor_id || !d.device_id) {
      continue;
    }
    const auto id = fmt::format("{:04x}:{:04x}", *d.vendor_id, *d.device_id);
    if (std::find(b.ids.begin(), b.ids.end(), id) != b.ids.end()) {
      b.shared[id].push_back(d.bdf);
    }
  }
  b.shared_checked = true;
  for (const auto& [id, devs] : b.shared) {
    warn("vfio-ids", std::nullopt,
         fmt::format("vfio-pci.ids={} would also take {}, outside this group (same id): bind "
                     "this group's devices one by one instead (driver_override)",
                     id, join(devs)));
  }
  if (!b.ids_unknown_for.empty()) {
    c.result = fmt::format("the id or role of {} is unknown: the list is incomplete",
                           join(b.ids_unknown_for));
    return;
  }
  c.ran = true;
  c.result = b.shared.empty() ? "no other function has an id of this group's endpoints"
                              : plural(b.shared.size(), "id is", "ids are")
                                  + " shared with functions outside the group";
}

void
Builder::check_cmdline()
{
  auto& c = add("kernel-cmdline", m_in.host->cmdline_source, false);
  const auto& st = *m_in.iommu;
  if (!st.cmdline_read) {
    c.result = "the kernel command line could not be read";
    return;
  }
  c.ran = true;
  std::vector<std::string> seen;
  for (const auto& t : st.passthrough_options) {
    seen.push_back(t);
    for (const std::string key : {"vfio-pci.ids=", "vfio_pci.ids="}) {
      if (t.rfind(key, 0) != 0) {
        continue;
      }
      std::string list = t.substr(key.size());
      std::size_t pos = 0;
      while (pos <= list.size()) {
        const auto comma = list.find(',', pos);
        auto id = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        // vfio-pci.ids entries are vendor:device[:subvendor:subdevice[:class:mask]]
        if (const auto c2 = id.find(':', id.find(':') + 1); c2 != std::string::npos) {
          id = id.substr(0, c2);
        }
        for (auto& ch : id) {
          ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        if (std::find(m_r.bind.ids.begin(), m_r.bind.ids.end(), id) != m_r.bind.ids.end()) {
          m_r.bind.ids_on_cmdline.push_back(id);
        }
        if (comma == std::string::npos) {
          break;
        }
        pos = comma + 1;
      }
    }
    if (t.rfind("pcie_acs_override=", 0) == 0) {
      warn("kernel-cmdline", std::nullopt,
           t + " is on the command line: the groups are what the override makes of ACS, not "
               "what the hardware isolates; members of other groups can still reach each "
               "other by peer-to-peer DMA");
    }
  }
  c.result = seen.empty() ? "no passthrough option (vfio-pci.*, pcie_acs_override=)"
                          : join(seen, " ");
}

} // namespace memmap::machine::detail
