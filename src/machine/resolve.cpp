#include <memmap/machine/resolve.hpp>

#include <memmap/iommu/groups.hpp>
#include <memmap/pci/device.hpp>

#include <fmt/format.h>

namespace memmap::machine {

const char*
to_string(Space s)
{
  switch (s) {
  case Space::cpu_physical:
    return "cpu-physical";
  case Space::io_port:
    return "io-port";
  case Space::pci_bus:
    return "pci-bus";
  case Space::iova:
    return "iova";
  }
  return "?";
}

namespace {

std::vector<RegionHit>
path_of(const model::AddressSpace& sp, std::uint64_t addr)
{
  std::vector<RegionHit> out;
  for (const auto* r : sp.lookup(addr)) {
    out.push_back({r->start, r->end, r->name, model::to_string(r->kind), r->line});
  }
  return out;
}

TreeHits
search_tree(const char* name, const model::AddressSpace* sp, const std::string& why,
            std::uint64_t addr)
{
  TreeHits t;
  t.name = name;
  if (!sp) {
    t.why_not = why;
    return t;
  }
  t.source = sp->source;
  if (sp->addresses_hidden) {
    t.why_not = sp->source + ": every address reads as zero (not root): not searched";
    return t;
  }
  t.searched = true;
  t.path = path_of(*sp, addr);
  return t;
}

bool
contains(std::uint64_t start, std::uint64_t size, std::uint64_t addr)
{
  return size != 0 && addr >= start && addr - start < size;
}

// Every BAR, ROM, VF BAR and window of `model` that decodes `addr` in `space` (cpu_physical,
// io_port or pci_bus). Addresses that were not read are never assumed: a BAR without a CPU
// address is not matched as CPU, one without a register value not as bus.
void
search_pci(const pci::PciModel& model, std::uint64_t addr, Space space,
           std::vector<BarHit>& bars, std::vector<WindowHit>& windows)
{
  const bool io = space == Space::io_port;
  const bool bus = space == Space::pci_bus;
  for (const auto& d : model.devices) {
    auto hit = [&](int index, std::string what, const pci::Bar* b, std::uint64_t start,
                   std::uint64_t span, std::optional<std::uint64_t> per_vf,
                   std::optional<std::uint64_t> cpu_start) {
      BarHit h;
      h.bdf = d.bdf;
      h.bar = index;
      h.what = std::move(what);
      h.kind = b && b->kind == pci::BarKind::io ? "io" : "mem";
      h.bits = b ? b->bits : 32;
      h.prefetchable = b && b->prefetchable;
      h.start = start;
      h.end = start + span - 1;
      h.offset = addr - start;
      if (per_vf && *per_vf != 0) {
        h.vf = static_cast<int>(h.offset / *per_vf);
      }
      h.name = d.name;
      h.driver = d.driver;
      h.driver_known = model.origin == pci::Origin::sysfs || !d.driver.empty();
      if (bus && cpu_start) {
        h.cpu_address = *cpu_start + h.offset;
      }
      bars.push_back(std::move(h));
    };
    auto want = [&](pci::BarKind k) { return (k == pci::BarKind::io) == io; };
    for (const auto& b : d.bars) {
      const auto start = bus ? b.bus_address : b.cpu_address;
      if (want(b.kind) && start && b.size && contains(*start, *b.size, addr)) {
        hit(b.index, fmt::format("BAR{}", b.index), &b, *start, *b.size, std::nullopt,
            b.cpu_address);
      }
    }
    if (d.rom && !io) {
      const auto start = bus ? d.rom->bus_address : d.rom->cpu_address;
      if (start && d.rom->size && contains(*start, *d.rom->size, addr)) {
        hit(6, "ROM", nullptr, *start, *d.rom->size, std::nullopt, d.rom->cpu_address);
      }
    }
    if (d.sriov) {
      for (std::size_t i = 0; i < d.sriov->vf_bars.size(); ++i) {
        const auto& b = d.sriov->vf_bars[i];
        const auto aperture = d.sriov->vf_apertures[i];
        const auto start = bus ? b.bus_address : b.cpu_address;
        if (want(b.kind) && start && aperture && contains(*start, *aperture, addr)) {
          hit(b.index, fmt::format("VF BAR{}", b.index), &b, *start, *aperture, b.size,
              b.cpu_address);
        }
      }
    }
    for (const auto& w : d.windows) {
      if (!w.enabled || (w.kind == pci::WindowKind::io) != io) {
        continue;
      }
      std::optional<std::uint64_t> ws;
      std::optional<std::uint64_t> we;
      if (bus) {
        if (const auto r = w.bus_range()) {
          ws = r->first;
          we = r->second;
        }
      } else if (w.cpu_start && w.cpu_end) {
        ws = w.cpu_start;
        we = w.cpu_end;
      }
      if (ws && addr >= *ws && addr <= *we) {
        WindowHit h{d.bdf, pci::to_string(w.kind), *ws, *we, std::nullopt};
        if (bus && w.cpu_start) {
          h.cpu_address = *w.cpu_start + (addr - *ws);
        }
        windows.push_back(std::move(h));
      }
    }
  }
}

std::string
first_hit_text(const std::vector<BarHit>& bars, const std::vector<WindowHit>& windows)
{
  if (!bars.empty()) {
    return fmt::format("{} of {}", bars.front().what, bars.front().bdf);
  }
  return fmt::format("the {} window of bridge {}", windows.front().kind, windows.front().bdf);
}

} // namespace

ResolveReport
resolve(std::uint64_t address, Space space, const ResolveInputs& in)
{
  ResolveReport r;
  r.address = address;
  r.space = space;
  if (space == Space::iova) {
    if (in.group) {
      r.group = in.group->id;
      for (const auto& rr : in.group->reserved) {
        if (address >= rr.start && address <= rr.end) {
          r.reserved.push_back({in.group->id, rr.start, rr.end, rr.type});
        }
      }
    }
    r.found = !r.reserved.empty();
    return r;
  }

  if (space == Space::cpu_physical) {
    r.tree = search_tree("iomem", in.iomem, in.iomem_why, address);
  } else if (space == Space::io_port) {
    r.tree = search_tree("ioports", in.ioports, in.ioports_why, address);
  }
  if (r.tree) {
    for (const auto& h : r.tree->path) {
      r.in_ram = r.in_ram || h.kind == model::to_string(model::RegionKind::system_ram);
    }
  }
  if (r.in_ram) {
    r.numa_node = in.numa_node ? in.numa_node(address) : std::nullopt;
    if (!r.numa_node) {
      r.numa_why = in.numa_node ? std::string("no memory-block sysfs") : in.numa_why;
    }
  }

  r.pci_searched = in.pci != nullptr;
  r.pci_why = in.pci_why;
  if (in.pci) {
    search_pci(*in.pci, address, space, r.bars, r.windows);
    if (space == Space::pci_bus && in.iomem && !in.iomem->addresses_hidden) {
      for (auto& b : r.bars) {
        if (b.cpu_address) {
          b.cpu_path = path_of(*in.iomem, *b.cpu_address);
        }
      }
    }
  }

  const bool tree_hit = r.tree && !r.tree->path.empty();
  r.found = tree_hit || !r.bars.empty() || !r.windows.empty();

  // Did the user mean the other memory space? Only when the PCI model knows both sides.
  if (in.pci && r.bars.empty() && r.windows.empty()
      && (space == Space::cpu_physical || space == Space::pci_bus)) {
    const Space other = space == Space::cpu_physical ? Space::pci_bus : Space::cpu_physical;
    std::vector<BarHit> ob;
    std::vector<WindowHit> ow;
    search_pci(*in.pci, address, other, ob, ow);
    if (!ob.empty() || !ow.empty()) {
      r.hint = other == Space::pci_bus
                 ? fmt::format("as a PCI bus address, {:#x} is in {}: did you mean --bus?",
                               address, first_hit_text(ob, ow))
                 : fmt::format("as a CPU physical address, {:#x} is in {}: did you mean "
                               "resolve without --bus?",
                               address, first_hit_text(ob, ow));
    }
  }
  const bool main_searched = space == Space::pci_bus ? r.pci_searched
                                                     : (r.tree && r.tree->searched);
  r.inconclusive = !r.found && !main_searched;
  return r;
}

} // namespace memmap::machine
