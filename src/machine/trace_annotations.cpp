// What memmap trace knows about the traced machine: drivers and IOMMU groups of devices,
// /proc/iomem regions and NUMA nodes of physical addresses, group reserved regions; and
// which devices --device / --driver name.
#include <memmap/machine/trace_session.hpp>

#include <algorithm>

#include <fmt/format.h>

#include <memmap/error.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/pci/selector.hpp>

namespace memmap::machine {

using trace::DeviceInfo;
using trace::PhysInfo;
using trace::ReservedRegion;

TraceAnnotations::TraceAnnotations(const TraceSources& src, bool live) : m_src(src)
{
  m_annotate = live || src.root_given || src.iomem_given;
  const bool sysfs = live || src.root_given;
  m_sysfs = sysfs && src.plan->available(Part::sysfs) ? src.root : nullptr;
}

DeviceInfo
TraceAnnotations::device(const std::string& dev)
{
  auto it = m_devices.find(dev);
  if (it != m_devices.end()) {
    return it->second;
  }
  DeviceInfo info;
  if (m_annotate && m_sysfs != nullptr) {
    const auto& root = *m_sysfs;
    for (const auto& bus : root.list("sys/bus")) {
      const std::string base = "sys/bus/" + bus + "/devices/" + dev;
      if (!root.exists(base)) {
        continue;
      }
      info.known = true;  // its sysfs directory: no driver link means none is bound
      if (auto d = root.link_name(base + "/driver")) {
        info.driver = *d;
      }
      if (auto g = root.link_name(base + "/iommu_group")) {
        try {
          info.iommu_group = std::stoi(*g);
        } catch (const std::exception&) {
        }
      }
      break;
    }
  }
  m_devices.emplace(dev, info);
  return info;
}

void
TraceAnnotations::load_numa()
{
  m_numa_loaded = true;
  if (m_sysfs == nullptr) {
    return;
  }
  const auto& root = *m_sysfs;
  const auto bs = root.read_line("sys/devices/system/memory/block_size_bytes");
  if (!bs) {
    return;
  }
  try {
    m_block_size = std::stoull(*bs, nullptr, 16);
  } catch (const std::exception&) {
    return;
  }
  for (const auto& node : root.list("sys/devices/system/node")) {
    if (node.rfind("node", 0) != 0 || node.size() < 5) {
      continue;
    }
    int n = 0;
    try {
      n = std::stoi(node.substr(4));
    } catch (const std::exception&) {
      continue;
    }
    for (const auto& mem : root.list("sys/devices/system/node/" + node)) {
      if (mem.rfind("memory", 0) == 0 && mem.size() > 6 &&
          std::all_of(mem.begin() + 6, mem.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        m_block_node[std::stoull(mem.substr(6))] = n;
      }
    }
  }
}

std::optional<PhysInfo>
TraceAnnotations::phys(std::uint64_t addr)
{
  if (!m_annotate) {
    return std::nullopt;
  }
  if (!m_iomem_tried) {
    m_iomem_tried = true;
    try {
      const auto& space = m_src.iomem();
      m_iomem = space.addresses_hidden ? nullptr : &space;
    } catch (const std::exception&) {
      m_iomem = nullptr;
    }
  }
  if (m_iomem == nullptr) {
    return std::nullopt;
  }
  const auto chain = m_iomem->lookup(addr);
  if (chain.empty()) {
    return PhysInfo{"(not in /proc/iomem)", "none", -1};
  }
  PhysInfo p;
  for (const auto* r : chain) {
    if (!p.region.empty()) {
      p.region += " > ";
    }
    p.region += r->name;
  }
  p.kind = model::to_string(chain.back()->kind);
  if (chain.front()->kind == model::RegionKind::system_ram) {
    if (!m_numa_loaded) {
      load_numa();
    }
    if (m_block_size != 0) {
      auto it = m_block_node.find(addr / m_block_size);
      if (it != m_block_node.end()) {
        p.numa_node = it->second;
      }
    }
  }
  return p;
}

std::optional<std::vector<ReservedRegion>>
TraceAnnotations::reserved(int group)
{
  if (!m_annotate || m_sysfs == nullptr) {
    return std::nullopt;
  }
  auto it = m_reserved.find(group);
  if (it != m_reserved.end()) {
    return it->second;
  }
  std::optional<std::vector<ReservedRegion>> out;
  const std::string rel = fmt::format("sys/kernel/iommu_groups/{}/reserved_regions", group);
  if (auto r = m_sysfs->read(rel)) {
    try {
      out = iommu::parse_reserved_regions(r.data, m_sysfs->display(rel));
    } catch (const InputError& e) {
      if (m_src.notice) {
        m_src.notice(fmt::format("{}: IOMMU fault regions unknown", e.what()));
      }
    }
  }
  m_reserved.emplace(group, out);
  return out;
}

trace::Annotator
TraceAnnotations::annotator(std::uint64_t now_ns)
{
  trace::Annotator a;
  a.device = [this](const std::string& d) { return device(d); };
  a.phys = [this](std::uint64_t p) { return phys(p); };
  a.reserved = [this](int g) { return reserved(g); };
  a.now_ns = now_ns;
  a.untraced = untraced;
  return a;
}

namespace {

std::vector<std::string>
split_list(const std::vector<std::string>& in)
{
  std::vector<std::string> out;
  for (const auto& s : in) {
    std::size_t pos = 0;
    while (pos <= s.size()) {
      const auto comma = s.find(',', pos);
      std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (!item.empty()) {
        out.push_back(item);
      }
      if (comma == std::string::npos) {
        break;
      }
      pos = comma + 1;
    }
  }
  return out;
}

// A short lspci -s selector ("4:0.0", "04:00") resolved to the one PCI function of the root
// it names, as every command's selector is; nullopt when `sel` is not one (a dev_name such as
// "nvme0" or "fe000000.dma").
std::optional<std::string>
short_pci_selector(const source::SysRoot& root, const std::string& sel)
{
  if (sel.find_first_of(":.") == std::string::npos) {
    return std::nullopt;
  }
  pci::Selector probe;
  try {
    pci::parse_slot_selector(sel, probe, "--device");
  } catch (const UsageError&) {
    return std::nullopt;
  }
  return pci::select_one(sel, root.list("sys/bus/pci/devices"), "--device");
}

} // namespace

std::vector<std::string>
select_trace_devices(const source::SysRoot& root, const std::vector<std::string>& devices,
                     const std::vector<std::string>& drivers)
{
  std::set<std::string> out;
  for (const auto& sel : split_list(devices)) {
    if (auto bdf = model::parse_bdf(sel)) {
      out.insert(*bdf);
    } else if (auto one = short_pci_selector(root, sel)) {
      out.insert(*one);
    } else {
      out.insert(sel);
    }
  }
  for (const auto& drv : split_list(drivers)) {
    bool bound = false;
    bool known = false;
    for (const auto& bus : root.list("sys/bus")) {
      const std::string dir = "sys/bus/" + bus + "/drivers/" + drv;
      if (!root.exists(dir)) {
        continue;
      }
      known = true;
      for (const auto& entry : root.list(dir)) {
        if (root.exists("sys/bus/" + bus + "/devices/" + entry)) {
          out.insert(entry);
          bound = true;
        }
      }
    }
    if (!known) {
      throw UsageError(fmt::format("trace --driver {}: no such driver in {}", drv,
                                   root.display("sys/bus/*/drivers")));
    }
    if (!bound) {
      throw UsageError(fmt::format("trace --driver {}: no device is bound to it", drv));
    }
  }
  return {out.begin(), out.end()};
}

} // namespace memmap::machine
