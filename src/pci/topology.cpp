// Linking the functions of a PCI model to each other (bridges, buses, windows) and to the
// CPU address maps (/proc/iomem, /proc/ioports).
#include <memmap/pci/loader.hpp>

#include <map>

#include <fmt/format.h>

namespace memmap::pci {

void
link_topology(PciModel& model)
{
  std::map<std::pair<std::uint32_t, int>, std::string> bridge_for_bus;
  for (const auto& d : model.devices) {
    if (d.is_bridge() && d.buses && d.buses->secondary != 0 && !d.absent) {
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
          continue;
        }
        const bool kind_ok = b.kind == BarKind::io ? w.kind == WindowKind::io
                             : b.prefetchable ? w.kind != WindowKind::io
                                              : w.kind == WindowKind::mem;
        if (w.upper_unknown && !(use_cpu && w.cpu_start)) {
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
