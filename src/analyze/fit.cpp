// memmap fit: the placement what-if (include/memmap/analyze/fit.hpp): the chain of windows
// the kernel would use and the change that makes a BAR fit. The arithmetic on the resource
// tree is in fit_space.cpp.
#include <memmap/analyze/fit.hpp>

#include "fit_detail.hpp"

#include <memmap/error.hpp>
#include <memmap/pci/device.hpp>

#include <algorithm>

namespace memmap::analyze {

using namespace fit_detail;

namespace {

// The window of `bridge` the kernel selects for a resource of type `t`:
// pbus_select_window_for_type() (drivers/pci/setup-bus.c, Linux 6.18): non-prefetchable ->
// the memory window; prefetchable with no prefetchable window -> the memory window; 64-bit
// prefetchable -> the prefetchable window (whatever its width); 32-bit prefetchable -> the
// prefetchable window only when it is 32-bit, else the memory window.
Win
select_window(const pci::Device& bridge, const ResType& t, const model::AddressSpace& space)
{
  Win w;
  w.level.bridge = bridge.bdf;
  const auto find = [&](pci::WindowKind k) -> const pci::BridgeWindow* {
    for (const auto& bw : bridge.windows) {
      if (bw.kind == k && bw.cardbus_index < 0) {
        return &bw;
      }
    }
    return nullptr;
  };
  if (bridge.is_cardbus()) {
    w.level.why_unknown = "a CardBus bridge: its windows are not modelled";
    return w;
  }
  const pci::BridgeWindow* bw = nullptr;
  if (t.io) {
    bw = find(pci::WindowKind::io);
  } else {
    bw = find(pci::WindowKind::mem);
    const pci::BridgeWindow* pref = find(pci::WindowKind::prefetchable);
    // An all-zero row with registers that decode a prefetchable base (its type nibble, a
    // disabled base > limit): the bridge has the decoder, but the kernel released the window
    // (reset after a failed assignment). The kernel's resource has no flags then, so its rule
    // takes the memory window; said in the notes.
    if (t.pref && pref && pref->kernel == pci::KernelWindow::none && pref->registers_read
        && !pref->registers_zero && pref->bits != 0) {
      w.released_pref = true;
    }
    if (t.pref && pref && pref->kernel != pci::KernelWindow::none) {
      const bool exists_unknown = pref->kernel == pci::KernelWindow::unknown
                                  && (!pref->registers_read || pref->uncertain());
      const bool absent = pref->kernel == pci::KernelWindow::unknown && pref->registers_read
                          && !pref->registers_enabled && !pref->registers_zero;
      if (exists_unknown) {
        w.level.why_unknown = "whether " + bridge.bdf + " has a prefetchable window is unknown "
                              "(registers only, and they read 0)";
        return w;
      }
      if (!absent) {
        if (t.is64) {
          bw = pref;
        } else if (pref->bits == 0) {
          w.level.why_unknown = bridge.bdf + "'s prefetchable window width is unknown";
          return w;
        } else if (pref->bits == 32) {
          bw = pref;
        }
      }
    }
  }
  if (!bw) {
    w.level.why_unknown = bridge.bdf + " has no " + std::string(t.io ? "I/O" : "memory")
                          + " window in the model";
    return w;
  }
  w.level.window = pci::to_string(bw->kind);
  w.level.bits = bw->bits;
  const std::string name = bridge.buses ? bus_name(bridge.domain, bridge.buses->secondary) : "";
  switch (bw->kernel) {
  case pci::KernelWindow::assigned:
    w.level.start = bw->start();
    w.level.end = bw->end();
    w.level.from = "sysfs";
    break;
  case pci::KernelWindow::unset:
  case pci::KernelWindow::disabled:
    w.level.unplaced = true;
    w.level.from = "sysfs";
    w.level.name = name;
    return w;
  case pci::KernelWindow::none:
    w.level.why_unknown = bridge.bdf + " has no " + w.level.window + " window (kernel: none)";
    return w;
  case pci::KernelWindow::unknown:
    if (const auto br = bw->bus_range()) {
      // Registers give bus addresses; the resource tree confirms them as CPU addresses.
      if (const Region* r = find_region(space, br->first, br->second, name)) {
        w.level.start = br->first;
        w.level.end = br->second;
        w.level.from = "registers+" + space.source;
        w.region = r;
        w.level.name = r->name;
        return w;
      }
      w.level.why_unknown = bridge.bdf + "'s " + w.level.window + " window is known only from its "
                            "registers (bus addresses) and is not in " + space.source;
    } else {
      w.level.why_unknown = bridge.bdf + "'s " + w.level.window + " window range is unknown";
    }
    return w;
  }
  w.region = find_region(space, *w.level.start, *w.level.end, name);
  if (w.region) {
    w.level.name = w.region->name;
  }
  return w;
}

} // namespace

namespace {

// The chain above the device, nearest first, ending with the host bridge level. A level that
// cannot be known ends it, with why_unknown set.
std::vector<Win>
build_chain(const pci::PciModel& pci, const pci::Device& d, const pci::Bar& bar,
            const model::AddressSpace& space, std::vector<std::string>& notes)
{
  std::vector<Win> chain;
  ResType t{bar.kind == pci::BarKind::io, bar.prefetchable, bar.bits == 64};
  std::string host_name = bus_name(d.domain, d.bus);
  const auto bridges = pci.upstream_path(d.bdf);
  if (!bridges.empty()) {
    for (const pci::Device* b : bridges) {
      Win w = select_window(*b, t, space);
      if (w.released_pref) {
        notes.push_back(b->bdf + " has a prefetchable decoder whose window the kernel released "
                        "(its row is all zero while the registers decode a prefetchable base): "
                        "prefetchable BARs below it go to the memory window until the kernel "
                        "assigns that window again (pci=realloc at boot)");
      }
      const bool unknown = !w.level.why_unknown.empty();
      t = ResType{w.level.window == "io", w.level.window == "prefetchable", w.level.bits == 64};
      chain.push_back(std::move(w));
      if (unknown) {
        return chain;
      }
    }
    host_name = bus_name(bridges.back()->domain, bridges.back()->bus);
  } else if (bar.cpu_address && bar.size && *bar.size) {
    // No bridge above it in the PCI model: the resource tree's nesting says where the kernel
    // put the BAR (a window of unknown type, but the one that holds it).
    const auto path = bar_path(space, d.bdf, *bar.cpu_address, *bar.cpu_address + *bar.size - 1);
    if (!path.empty() && model::parse_bdf(path.back()->name) == d.bdf) {
      for (std::size_t i = path.size() - 1; i-- > 0;) {
        const Region* r = path[i];
        if (r->kind == RegionKind::pci_host_bridge) {
          host_name = r->name;
          break;
        }
        if (r->kind == RegionKind::pci_bridge_window) {
          Win w;
          w.region = r;
          w.level.name = r->name;
          w.level.start = r->start;
          w.level.end = r->end;
          w.level.from = space.source;
          chain.push_back(std::move(w));
        }
      }
    }
  }
  if (bridges.empty() && !chain.empty()) {
    notes.push_back("the bridge above " + d.bdf + " is not in the PCI model: its window is the "
                    + space.source + " region that holds the BAR now, type unknown (a width "
                    "unknown below 4G is taken as 32-bit)");
  }
  Win h;
  h.level.host = true;
  h.level.window = "aperture";
  h.level.name = host_name;
  h.level.from = space.source;
  for (const auto& r : space.regions) {
    if (r.kind == RegionKind::pci_host_bridge && r.name == host_name) {
      h.apertures.push_back(&r);
      h.level.apertures.emplace_back(r.start, r.end);
    }
  }
  if (h.apertures.empty()) {
    h.level.why_unknown = chain.empty() && !bar.cpu_address
                            ? "the bridge above " + d.bdf + " is not in the PCI model and BAR "
                                + std::to_string(bar.index) + " has no address to find its window by"
                            : "no top-level `" + host_name + "` aperture in " + space.source;
  } else {
    h.level.start = h.apertures.front()->start;
    h.level.end = h.apertures.front()->end;
  }
  chain.push_back(std::move(h));
  return chain;
}

std::string
level_text(const FitLevel& lv)
{
  if (lv.host) {
    return "host bridge aperture (" + lv.name + ")";
  }
  std::string who = lv.bridge.empty() ? lv.name : lv.bridge;
  return who + " " + (lv.window.empty() ? "window" : lv.window + " window");
}

} // namespace

bool
fit_needs_ioports(const FitRequest& req, const pci::PciModel& pci)
{
  const pci::Device* d = pci.find(req.bdf);
  if (!d) {
    return false;
  }
  return std::any_of(d->bars.begin(), d->bars.end(), [&](const pci::Bar& b) {
    return b.index == req.bar && b.kind == pci::BarKind::io;
  });
}

FitReport
fit(const FitRequest& req, const FitInputs& in)
{
  FitReport rep;
  rep.bdf = req.bdf;
  rep.bar = req.bar;
  rep.size = req.size;
  if (!is_pow2(req.size)) {
    throw UsageError("SIZE " + std::to_string(req.size) + " is not a power of two (a BAR's size always is)");
  }
  if (!in.pci) {
    rep.why = "no PCI model: " + in.pci_why;
    rep.source_missing = true;
    return rep;
  }
  const pci::Device* d = in.pci->find(req.bdf);
  if (!d) {
    throw UsageError("no PCI device " + req.bdf + " in " + in.pci->source);
  }
  const auto it = std::find_if(d->bars.begin(), d->bars.end(),
                               [&](const pci::Bar& b) { return b.index == req.bar; });
  if (it == d->bars.end()) {
    throw UsageError(req.bdf + " has no BAR " + std::to_string(req.bar)
                     + " (not implemented, or the upper half of a 64-bit BAR)");
  }
  const pci::Bar& bar = *it;
  const bool io = bar.kind == pci::BarKind::io;
  rep.kind = pci::to_string(bar.kind);
  rep.bits = bar.bits;
  rep.prefetchable = bar.prefetchable;
  rep.current_start = bar.cpu_address;
  rep.current_size = bar.size;
  if (req.size < (io ? 4U : 16U)) {
    throw UsageError("SIZE below the smallest " + rep.kind + " BAR (" + (io ? "4" : "16") + " bytes)");
  }
  if (!io && bar.bits == 32 && req.size > (1ULL << 31)) {
    rep.fits = false;
    rep.why = "a 32-bit BAR decodes at most 2 GiB";
    return rep;
  }
  const model::AddressSpace* space = io ? in.ioports : in.iomem;
  if (!space) {
    rep.why = std::string(io ? "no I/O port map: " : "no CPU address map: ")
              + (io ? in.ioports_why : in.iomem_why);
    rep.source_missing = true;
    return rep;
  }
  if (space->addresses_hidden) {
    rep.why = space->source + ": every address reads as zero (read without root)";
    rep.source_missing = true;
    return rep;
  }

  std::vector<Win> chain = build_chain(*in.pci, *d, bar, *space, rep.notes);
  Eval ev{space, in.pci, d->bdf, bar.index};
  // 32-bit resources stay below 4G in bus addresses; the tree holds CPU addresses.
  std::optional<std::int64_t> offset;
  if (bar.cpu_address && bar.bus_address) {
    offset = static_cast<std::int64_t>(*bar.cpu_address - *bar.bus_address);
  }
  for (const pci::Device* b : in.pci->upstream_path(d->bdf)) {
    for (const auto& w : b->windows) {
      if (!offset && w.kernel == pci::KernelWindow::assigned && w.cpu_start && w.bus_range()) {
        offset = static_cast<std::int64_t>(*w.cpu_start - w.bus_range()->first);
      }
    }
  }
  if (offset && *offset > 0) {
    ev.below_4g_limit = k_4g_limit + static_cast<std::uint64_t>(*offset);
  } else if (offset && *offset < 0) {
    const auto down = static_cast<std::uint64_t>(-*offset);
    ev.below_4g_limit = down > k_4g_limit ? 0 : k_4g_limit - down;
  } else if (!offset && !io) {
    rep.notes.push_back("no bus address known: the 4G limit of 32-bit windows is taken on CPU "
                        "addresses (no host bridge offset)");
  }
  const Region* skip = nullptr;
  std::optional<Range> skip_range;
  if (bar.cpu_address && bar.size && *bar.size) {
    skip_range = Range{*bar.cpu_address, *bar.cpu_address + *bar.size - 1};
    const auto path = bar_path(*space, d->bdf, skip_range->first, skip_range->second);
    if (!path.empty() && model::parse_bdf(path.back()->name) == d->bdf) {
      skip = path.back();
    }
  }
  const Region* const bar_skip = skip;
  const std::optional<Range> bar_range = skip_range;
  std::uint64_t need = req.size;
  std::uint64_t need_align = req.size;
  bool below_4g = !io && bar.bits == 32;
  const std::uint64_t granule = io ? k_io_granule : k_mem_granule;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    FitLevel& lv = chain[i].level;
    lv.need_size = need;
    lv.need_align = need_align;
    lv.need_below_4g = below_4g;
    if (!lv.why_unknown.empty()) {
      if (i == 0) {
        rep.why = lv.why_unknown;
      } else {
        rep.notes.push_back("the change above " + level_text(chain[i - 1].level)
                            + " is unknown: " + lv.why_unknown);
      }
      break;
    }
    if (lv.unplaced) {
      // No address to look in: the window itself must be placed above, as big as the BAR at
      // least (what else it holds, its other devices' resources, adds to that).
      lv.room = false;
      if (i == 0) {
        rep.fits = false;
        rep.why = level_text(lv) + " has no address: the kernel could not place it";
      }
      FitChange c;
      c.bridge = lv.bridge;
      c.window = lv.window;
      c.size = std::max(need, granule);
      c.align = std::max(need_align, granule);
      c.advice = "the window has no address now: it must be placed, at least this big";
      rep.changes.push_back(c);
      need = c.size;
      need_align = c.align;
      below_4g = !io && lv.bits == 32;
      skip = nullptr;
      skip_range.reset();
      continue;
    }
    evaluate(ev, chain[i], skip, skip_range);
    if (i == 0) {
      rep.fits = lv.room;
      if (!*lv.room) {
        rep.why = "no free naturally aligned range for it in " + level_text(lv);
      }
    }
    if (*lv.room) {
      break;
    }
    if (lv.host) {
      FitChange c;
      c.window = "aperture";
      c.size = need;
      c.align = need_align;
      c.advice = below_4g ? "the host bridge's 32-bit MMIO aperture is full: firmware settings "
                            "(a larger MMIO below 4G) or moving devices; the kernel cannot grow it"
                          : "firmware: enable Above 4G decoding / a larger 64-bit MMIO aperture "
                            "(ACPI _CRS); the kernel cannot grow a host bridge aperture";
      rep.changes.push_back(c);
      break;
    }
    FitChange c;
    c.bridge = lv.bridge.empty() ? lv.name : lv.bridge;
    c.window = lv.window.empty() ? "window" : lv.window;
    if (lv.start && lv.end) {
      c.current_size = *lv.end - *lv.start + 1;
    }
    const auto grown = grown_size(chain[i], skip, granule);
    if (!grown) {
      rep.notes.push_back(level_text(lv) + " is not in " + space->source
                          + ": what it holds, and so the size it must grow to, is unknown");
      break;
    }
    c.size = grown->first;
    c.align = grown->second;
    if (c.current_size && *c.current_size >= c.size && lv.start && *lv.start % c.align == 0) {
      c.parent_has_room = true;
      c.parent = "(stays where it is)";
      c.advice = "big enough: re-assigning what it holds (pci=realloc) makes room";
      rep.changes.push_back(c);
      break;
    }
    rep.changes.push_back(c);
    need = c.size;
    need_align = c.align;
    below_4g = !io && (lv.bits == 32 || (lv.bits == 0 && lv.end && *lv.end <= ev.below_4g_limit));
    skip = chain[i].region;
    skip_range = chain[i].range();
  }
  for (std::size_t i = 0; i < rep.changes.size() && i + 1 < chain.size(); ++i) {
    auto& c = rep.changes[i];
    if (!c.parent.empty() || chain[i].level.host) {
      continue;
    }
    c.parent = level_text(chain[i + 1].level);
    c.parent_has_room = chain[i + 1].level.room;
  }

  // Resizable BAR: each supported size in the window it sits in today.
  for (const auto& rb : d->rebars) {
    for (const auto& e : rb.entries) {
      if (rb.vf || e.bar != req.bar) {
        continue;
      }
      rep.rebar = true;
      rep.rebar_sizes = e.supported_sizes;
      if (chain.empty() || !chain[0].level.room) {
        break;
      }
      rep.rebar_known = true;
      for (const auto s : e.supported_sizes) {
        Win w = chain[0];
        w.level.need_size = s;
        w.level.need_align = s;
        evaluate(ev, w, bar_skip, bar_range);
        if (w.level.room.value_or(false)) {
          rep.rebar_sizes_that_fit.push_back(s);
        }
      }
    }
  }
  for (auto& w : chain) {
    rep.chain.push_back(std::move(w.level));
  }
  return rep;
}

} // namespace memmap::analyze
