// Linking the functions of a PCI model to each other (bridges, buses, windows) and to the
// CPU address maps (/proc/iomem, /proc/ioports).
#include <memmap/pci/loader.hpp>
#include <memmap/pci/registers.hpp>

#include "libpci_access.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace memmap::pci {

namespace {

// The per-VF size of a PF's VF BAR: the sysfs aperture / TotalVFs, else the current size
// of the VF Resizable BAR capability for that BAR.
std::optional<std::uint64_t>
per_vf_size(const Device& pf, const Bar& vb)
{
  if (vb.size) {
    return vb.size;
  }
  for (const auto& rb : pf.rebars) {
    if (!rb.vf) {
      continue;
    }
    for (const auto& e : rb.entries) {
      if (e.bar == vb.index && e.current_size) {
        return e.current_size;
      }
    }
  }
  return std::nullopt;
}

// slice `i` of an aperture starting at `start`: start + i * size, if that fits in 64 bits.
std::optional<std::uint64_t>
slice(std::optional<std::uint64_t> start, std::optional<std::uint64_t> size, std::uint64_t i)
{
  if (!start) {
    return std::nullopt;
  }
  if (i == 0) {
    return start;
  }
  if (!size || *size == 0 || i > (~std::uint64_t{0} - *start) / *size) {
    return std::nullopt;
  }
  return *start + i * *size;
}

// A VF with no BARs of its own (a dump: its registers read 0 and nothing else says) gets
// slice vf.vf_index of each of its PF's VF BARs, as the kernel fills a VF's resources
// (pci_iov_add_virtfn) and lspci shows them for sysfs: virtual.
void
add_pf_bars(Device& vf, const Device& pf)
{
  if (!pf.sriov || vf.vf_index < 0) {
    return;
  }
  const auto i = static_cast<std::uint64_t>(vf.vf_index);
  if (!vf.bars.empty()) {
    // Its own BARs (the kernel's rows, virtual: the registers read 0). A VF decodes when its
    // PF's VF Memory Space Enable is set (its own command bit is read-only 0); its bus address
    // is the PF's slice where that agrees with the row's CPU address.
    for (auto& b : vf.bars) {
      if (!b.is_virtual) {
        continue;
      }
      b.decode_enabled = pf.sriov->vf_memory_enable;
      for (const auto& vb : pf.sriov->vf_bars) {
        if (vb.index != b.index || b.bus_address || !b.cpu_address) {
          continue;
        }
        const auto size = per_vf_size(pf, vb);
        if (slice(vb.cpu_address, size, i) == b.cpu_address) {
          b.bus_address = slice(vb.bus_address, size, i);
        }
      }
    }
    return;
  }
  for (const auto& vb : pf.sriov->vf_bars) {
    Bar b;
    b.index = vb.index;
    b.kind = vb.kind;
    b.bits = vb.bits;
    b.prefetchable = vb.prefetchable;
    b.mem_type = vb.mem_type;
    b.broken_64 = vb.broken_64;
    b.raw_low = vf.config.u32(k_cfg_bar0 + 4 * static_cast<std::size_t>(vb.index));
    if (vb.bits == 64 && vb.index + 1 < k_bars_normal) {
      b.raw_high = vf.config.u32(k_cfg_bar0 + 4 + 4 * static_cast<std::size_t>(vb.index));
    }
    b.size = per_vf_size(pf, vb);
    b.bus_address = slice(vb.bus_address, b.size, i);
    b.cpu_address = slice(vb.cpu_address, b.size, i);
    b.is_virtual = true;
    b.from_pf = true;
    b.unassigned = vb.unassigned;  // the PF's aperture has no address at all
    b.decode_enabled = pf.sriov->vf_memory_enable;
    vf.bars.push_back(b);
  }
}

} // namespace

void
identify_vfs(PciModel& model, const source::PciNames* names)
{
  // (domain, routing ID = bus << 8 | devfn) -> device: each PF's VF range is one range query,
  // so a hostile NumVFs/stride costs the functions really there, not 65536 lookups a PF.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> at;
  for (std::size_t k = 0; k < model.devices.size(); ++k) {
    const auto& d = model.devices[k];
    at.emplace(std::make_pair(d.domain, static_cast<std::uint32_t>(d.bus) << 8 | d.dev << 3 | d.func), k);
  }
  auto problem = [&](const char* id, std::string msg) {
    for (const auto& p : model.problems) {
      if (p.id == id && p.message == msg) {
        return;  // link_topology() may run again on the same model
      }
    }
    model.problems.push_back(model::Diagnostic{model::Severity::warning, id, model.source, 0, std::move(msg)});
  };
  for (std::size_t p = 0; p < model.devices.size(); ++p) {
    const Device& pf = model.devices[p];
    if (!pf.sriov || pf.absent || !pf.sriov->vf_enable || pf.sriov->num_vfs == 0) {
      continue;
    }
    const Sriov& s = *pf.sriov;
    // The kernel refuses these (sriov_init, sriov_enable): no VF is where they point.
    if (s.first_vf_offset == 0 || (s.num_vfs > 1 && s.vf_stride == 0)
        || (s.total_vfs != 0 && s.num_vfs > s.total_vfs)) {
      problem("pci-sriov-malformed",
              fmt::format("{}: SR-IOV NumVFs {}, TotalVFs {}, First VF Offset {}, VF Stride {}: no "
                          "VF can be placed",
                          pf.bdf, s.num_vfs, s.total_vfs, s.first_vf_offset, s.vf_stride));
      continue;
    }
    const std::uint32_t first = (static_cast<std::uint32_t>(pf.bus) << 8 | pf.dev << 3 | pf.func)
                                + s.first_vf_offset;
    const std::uint32_t stride = s.num_vfs > 1 ? s.vf_stride : 1;
    const std::uint32_t last = std::min<std::uint32_t>(first + (s.num_vfs - 1U) * stride, 0xffff);
    for (auto it = at.lower_bound({pf.domain, first}); it != at.end() && it->first.first == pf.domain
                                                        && it->first.second <= last;
         ++it) {
      const std::uint32_t rid = it->first.second;
      if ((rid - first) % stride != 0 || it->second == p) {
        continue;
      }
      const int i = static_cast<int>((rid - first) / stride);
      Device& vf = model.devices[it->second];
      if (vf.absent) {
        continue;
      }
      if (!vf.physfn.empty()) {
        if (vf.physfn == pf.bdf) {
          vf.vf_index = i;
          add_pf_bars(vf, pf);
        } else if (vf.physfn_from == Device::PhysfnFrom::pf_capability) {
          problem("pci-sriov-conflict",
                  fmt::format("{}: placed as a VF by the SR-IOV capabilities of both {} and {}; "
                              "{} kept",
                              vf.bdf, vf.physfn, pf.bdf, vf.physfn));
        }
        continue;
      }
      // A VF's Vendor ID register reads ffff (SR-IOV spec); anything else is not one.
      const auto vendor_reg = vf.config.u16(k_cfg_vendor_id);
      if (!vendor_reg || *vendor_reg != 0xffff) {
        continue;
      }
      vf.physfn = pf.bdf;
      vf.physfn_from = Device::PhysfnFrom::pf_capability;
      vf.vf_index = i;
      const bool ids_known = vf.vendor_id && *vf.vendor_id != 0xffff && vf.device_id
                             && *vf.device_id != 0xffff;
      if (!ids_known && pf.vendor_id) {
        vf.vendor_id = pf.vendor_id;
        vf.device_id = s.vf_device_id;
        vf.ids_from_pf = true;
        if (names) {
          detail::name_device(vf, *names);
        }
      }
      add_pf_bars(vf, pf);
    }
  }
}

void
link_topology(PciModel& model, const source::PciNames* names)
{
  identify_vfs(model, names);
  std::map<std::pair<std::uint32_t, int>, std::string> bridge_for_bus;
  for (const auto& d : model.devices) {
    // buses: a bridge's registers, or the kernel's secondary_bus_number where they were not read.
    if (d.buses && d.buses->secondary != 0 && !d.absent) {
      bridge_for_bus.emplace(std::make_pair(d.domain, static_cast<int>(d.buses->secondary)), d.bdf);
    }
  }
  for (auto& d : model.devices) {
    d.children.clear();
  }
  for (auto& d : model.devices) {
    const auto it = bridge_for_bus.find({d.domain, d.bus});
    d.parent_bdf = (it != bridge_for_bus.end() && it->second != d.bdf) ? it->second : "";
  }
  // Break cycles (hostile bus numbers): a device whose upstream walk meets itself loses its
  // parent link.
  for (auto& d : model.devices) {
    const Device* cur = &d;
    for (std::size_t steps = 0; cur && !cur->parent_bdf.empty(); ++steps) {
      cur = model.find(cur->parent_bdf);
      if (cur == &d || steps > model.devices.size()) {
        model.problems.push_back(model::Diagnostic{
          model::Severity::warning, "pci-topology-cycle", model.source, 0,
          d.bdf + ": bridge bus numbers form a cycle; parent link dropped"});
        d.parent_bdf.clear();
        break;
      }
    }
  }
  for (auto& d : model.devices) {
    if (d.parent_bdf.empty()) {
      continue;
    }
    if (const Device* p = model.find(d.parent_bdf)) {
      model.devices[static_cast<std::size_t>(p - model.devices.data())].children.push_back(d.bdf);
    }
  }

  // Does each BAR lie inside one of its parent bridge's windows?
  for (auto& d : model.devices) {
    const Device* parent = d.parent_bdf.empty() ? nullptr : model.find(d.parent_bdf);
    if (!parent) {
      continue;
    }
    for (auto& b : d.bars) {
      const bool use_cpu = b.cpu_address.has_value();
      const auto addr = use_cpu ? b.cpu_address : b.bus_address;
      if (!addr) {
        continue;
      }
      const std::uint64_t last = *addr + (b.size.value_or(1) - 1);
      bool inside = false;
      bool unknown = false;  // a window that could hold it has an unread upper half
      for (const auto& w : parent->windows) {
        if (!w.enabled) {
          continue;  // the kernel has no such window, or the registers disable it
        }
        const bool kind_ok = b.kind == BarKind::io ? w.kind == WindowKind::io
                             : b.prefetchable ? w.kind != WindowKind::io
                                              : w.kind == WindowKind::mem;
        if ((w.upper_unknown && !(use_cpu && w.cpu_start)) || w.uncertain()) {
          // Half read, or registers of 0 that may mean "no such decoder": inside it
          // proves nothing.
          unknown = unknown || kind_ok;
          continue;
        }
        const std::uint64_t ws = use_cpu && w.cpu_start ? *w.cpu_start : w.bus_start;
        const std::uint64_t we = use_cpu && w.cpu_end ? *w.cpu_end : w.bus_end;
        if (kind_ok && *addr >= ws && last <= we && last >= *addr) {
          inside = true;
        }
      }
      if (inside || !unknown) {
        b.inside_parent_window = inside;
      }
    }
  }
}

namespace {

struct Found {
  const model::Region* region = nullptr;
  std::vector<const model::Region*> parents;
};

Placement
make_placement(const Found& f, bool exact, bool by_bus)
{
  Placement p;
  for (const auto* r : f.parents) {
    p.push_path(r->name);
  }
  p.push_path(f.region->name);
  p.exact = exact;
  p.by_bus_address = by_bus;
  if (exact) {
    for (const auto& c : f.region->children) {
      if (c.start == f.region->start && c.end == f.region->end) {
        p.claimed_by = c.name;
        break;
      }
    }
  }
  return p;
}

// Where BARs sit in a resource tree. The device lines are indexed by BDF in one walk, and the
// deepest containing region comes from the tree lookup, so cross-referencing every BAR of a
// large machine stays linear instead of walking the whole tree once per BAR.
class PlacementIndex {
public:
  explicit PlacementIndex(const model::AddressSpace& space)
    : m_space(space)
  {
    if (space.addresses_hidden) {
      return;
    }
    space.walk([&](const model::Region& r, const std::vector<const model::Region*>& parents) {
      if (r.kind == model::RegionKind::pci_device) {
        m_by_bdf[r.owner.bdf].push_back(Found{&r, parents});
      }
    });
  }

  std::optional<Placement> place(const std::string& bdf, std::uint64_t addr,
                                 std::optional<std::uint64_t> size, bool by_bus) const
  {
    if (m_space.addresses_hidden) {
      return std::nullopt;
    }
    if (auto it = m_by_bdf.find(bdf); it != m_by_bdf.end()) {
      for (const auto& f : it->second) {
        if (f.region->start == addr && (!size || f.region->end == addr + *size - 1)) {
          return make_placement(f, true, by_bus);
        }
      }
    }
    auto path = m_space.lookup(addr);
    if (path.empty()) {
      return std::nullopt;
    }
    Found deepest{path.back(), {}};
    path.pop_back();
    deepest.parents = std::move(path);
    return make_placement(deepest, false, by_bus);
  }

private:
  const model::AddressSpace& m_space;
  std::map<std::string, std::vector<Found>> m_by_bdf;
};

} // namespace

void
cross_reference(PciModel& model, const model::AddressSpace* iomem, const model::AddressSpace* ioports)
{
  std::optional<PlacementIndex> mem_index;
  std::optional<PlacementIndex> io_index;
  if (iomem) {
    mem_index.emplace(*iomem);
  }
  if (ioports) {
    io_index.emplace(*ioports);
  }
  auto index_for = [&](BarKind kind) -> const PlacementIndex* {
    const auto& ix = kind == BarKind::io ? io_index : mem_index;
    return ix ? &*ix : nullptr;
  };
  for (auto& d : model.devices) {
    for (auto& b : d.bars) {
      const auto* ix = index_for(b.kind);
      const auto addr = b.cpu_address ? b.cpu_address : b.bus_address;
      if (!ix || !addr) {
        continue;
      }
      b.placement = ix->place(d.bdf, *addr, b.size, !b.cpu_address);
    }
    if (d.rom && mem_index) {
      const auto addr = d.rom->cpu_address ? d.rom->cpu_address : d.rom->bus_address;
      if (addr) {
        d.rom->placement = mem_index->place(d.bdf, *addr, d.rom->size, !d.rom->cpu_address);
      }
    }
    if (d.sriov) {
      for (std::size_t i = 0; i < d.sriov->vf_bars.size(); ++i) {
        auto& b = d.sriov->vf_bars[i];
        const auto* ix = index_for(b.kind);
        const auto addr = b.cpu_address ? b.cpu_address : b.bus_address;
        if (ix && addr) {
          b.placement = ix->place(d.bdf, *addr, d.sriov->vf_apertures[i], !b.cpu_address);
        }
      }
    }
  }
}

} // namespace memmap::pci
