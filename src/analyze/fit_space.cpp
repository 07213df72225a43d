// memmap fit: the placement arithmetic on a resource tree (fit_detail.hpp).
#include "fit_detail.hpp"

#include <memmap/pci/device.hpp>

#include <algorithm>
#include <cstdio>

namespace memmap::analyze {

namespace fit_detail {

bool
is_pow2(std::uint64_t v)
{
  return v != 0 && (v & (v - 1)) == 0;
}

std::uint64_t
pow2_floor(std::uint64_t v)
{
  std::uint64_t p = 1;
  while (v / 2 >= p) {
    p *= 2;
  }
  return p;
}

// Round up to a multiple of `align` (a power of two); nullopt on overflow.
std::optional<std::uint64_t>
align_up(std::uint64_t v, std::uint64_t align)
{
  const std::uint64_t mask = align - 1;
  if (v > UINT64_MAX - mask) {
    return std::nullopt;
  }
  return (v + mask) & ~mask;
}

std::string
bus_name(std::uint32_t domain, unsigned bus)
{
  char buf[32];
  std::snprintf(buf, sizeof buf, "PCI Bus %04x:%02x", static_cast<unsigned>(domain), bus & 0xffU);
  return buf;
}

const Region*
find_region(const model::AddressSpace& space, std::uint64_t start, std::uint64_t end,
            const std::string& name)
{
  const Region* any = nullptr;
  const Region* named = nullptr;
  space.walk([&](const Region& r, const auto&) {
    if (r.start == start && r.end == end
        && (r.kind == RegionKind::pci_bridge_window || r.kind == RegionKind::pci_host_bridge)) {
      if (!named && r.name == name) {
        named = &r;
      }
      if (!any) {
        any = &r;
      }
    }
  });
  return named ? named : any;
}

// The resource-tree node of the BAR now, and its ancestors (outermost first).
std::vector<const Region*>
bar_path(const model::AddressSpace& space, const std::string& bdf, std::uint64_t start,
         std::uint64_t end)
{
  auto path = space.lookup(start);
  while (!path.empty()) {
    const Region* r = path.back();
    if (r->start == start && r->end == end && model::parse_bdf(r->name) == bdf) {
      return path;
    }
    path.pop_back();
  }
  return path;
}

bool
inside(const Region& outer, const Region* inner)
{
  if (!inner) {
    return false;
  }
  if (&outer == inner) {
    return true;
  }
  for (const auto& c : outer.children) {
    if (inside(c, inner)) {
      return true;
    }
  }
  return false;
}

// What is taken in [lo, hi] of a level: the resource tree's regions below its node (or, with
// no node, every region overlapping it that does not hold all of it), without `skip` (the BAR
// or the window below, which would be replaced).
void
collect_used(const Region& node, const Region* skip, std::uint64_t lo, std::uint64_t hi,
             std::vector<Range>& used)
{
  for (const auto& c : node.children) {
    if (&c == skip) {
      continue;
    }
    if (inside(c, skip)) {
      collect_used(c, skip, lo, hi, used);
      continue;
    }
    if (c.start <= hi && c.end >= lo) {
      used.emplace_back(std::max(c.start, lo), std::min(c.end, hi));
    }
  }
}

std::uint64_t
region_align(const Region& r, std::uint64_t granule)
{
  if (r.kind == RegionKind::pci_device) {
    return std::max<std::uint64_t>(pow2_floor(r.size() ? r.size() : 1), 1);
  }
  std::uint64_t a = granule;
  if (r.kind == RegionKind::pci_bridge_window) {
    for (const auto& c : r.children) {
      a = std::max(a, region_align(c, granule));
    }
  }
  return a;
}


// Free gaps of one level for (size, align), the skipped node/range counting as free.
void
evaluate(const Eval& ev, Win& w, const Region* skip, std::optional<Range> skip_range)
{
  FitLevel& lv = w.level;
  lv.gaps.clear();
  lv.largest_aligned.reset();
  std::vector<std::pair<Range, const Region*>> targets;
  if (!w.apertures.empty()) {
    for (const Region* a : w.apertures) {
      targets.push_back({{a->start, a->end}, a});
    }
  } else if (const auto r = w.range()) {
    targets.push_back({*r, w.region});
  } else {
    return;
  }
  const std::uint64_t limit = lv.need_below_4g ? ev.below_4g_limit : UINT64_MAX;
  for (const auto& target : targets) {
    // Named, not a structured binding: clang 14 (the asan build) cannot capture a binding.
    const Range& rg = target.first;
    const auto* node = target.second;
    std::vector<Range> used;
    if (node) {
      collect_used(*node, skip, rg.first, rg.second, used);
    } else {
      ev.space->walk([&](const Region& r, const auto&) {
        const bool holds_all = r.start <= rg.first && r.end >= rg.second;
        const bool skipped = skip_range && r.start >= skip_range->first && r.end <= skip_range->second;
        if (!holds_all && !skipped && r.start <= rg.second && r.end >= rg.first) {
          used.emplace_back(std::max(r.start, rg.first), std::min(r.end, rg.second));
        }
      });
    }
    // The kernel's rows of the devices on the bridge's secondary bus (a BAR or window the
    // kernel assigned but nobody claimed in the tree still decodes its range).
    if (ev.pci && !lv.bridge.empty()) {
      const bool mem = ev.space->kind == model::SpaceKind::cpu_physical;
      for (const auto& d : ev.pci->devices) {
        if (d.parent_bdf != lv.bridge) {
          continue;
        }
        std::vector<Range> rows;
        for (const auto& b : d.bars) {
          if ((b.kind == pci::BarKind::mem) == mem && b.cpu_address && b.size && *b.size
              && !(d.bdf == ev.bdf && b.index == ev.bar)) {
            rows.emplace_back(*b.cpu_address, *b.cpu_address + *b.size - 1);
          }
        }
        for (const auto& bw : d.windows) {
          if ((bw.kind != pci::WindowKind::io) == mem && bw.kernel == pci::KernelWindow::assigned) {
            rows.emplace_back(bw.start(), bw.end());
          }
        }
        for (const auto& r : rows) {
          const bool skipped = skip_range && r.first >= skip_range->first && r.second <= skip_range->second;
          if (!skipped && r.first <= rg.second && r.second >= rg.first) {
            used.emplace_back(std::max(r.first, rg.first), std::min(r.second, rg.second));
          }
        }
      }
    }
    for (const auto& [fs, fe] : free_ranges(rg.first, rg.second, used)) {
      if (const auto slot = aligned_slot(fs, fe, lv.need_size, lv.need_align, limit)) {
        lv.gaps.push_back({fs, fe, *slot});
      }
      // The largest naturally aligned block in this free range.
      for (std::uint64_t b = pow2_floor(fe - fs + 1); b >= 1; b /= 2) {
        if (aligned_slot(fs, fe, b, b, limit)) {
          if (!lv.largest_aligned || b > *lv.largest_aligned) {
            lv.largest_aligned = b;
          }
          break;
        }
      }
    }
  }
  lv.room = !lv.gaps.empty();
}

// The window this level must grow to: its children and the new need packed in alignment
// order (largest first, as pdev_sort_resources() orders them), rounded to the granule.
std::optional<std::pair<std::uint64_t, std::uint64_t>>
grown_size(const Win& w, const Region* skip, std::uint64_t granule)
{
  if (!w.region) {
    return std::nullopt;
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> items;  // (align, size)
  std::vector<const Region*> todo{w.region};
  while (!todo.empty()) {
    const Region* n = todo.back();
    todo.pop_back();
    for (const auto& c : n->children) {
      if (&c == skip) {
        continue;
      }
      if (inside(c, skip)) {
        todo.push_back(&c);
        continue;
      }
      items.emplace_back(region_align(c, granule), c.size());
    }
  }
  items.emplace_back(w.level.need_align, w.level.need_size);
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second > b.second;
  });
  std::uint64_t cursor = 0;
  std::uint64_t align = granule;
  for (const auto& [a, s] : items) {
    const auto at = align_up(cursor, a);
    if (!at || *at > UINT64_MAX - s) {
      return std::nullopt;
    }
    cursor = *at + s;
    align = std::max(align, a);
  }
  const auto size = align_up(cursor, granule);
  if (!size) {
    return std::nullopt;
  }
  return std::make_pair(*size, align);
}

} // namespace fit_detail

using fit_detail::align_up;
using fit_detail::Range;

std::vector<Range>
free_ranges(std::uint64_t start, std::uint64_t end, std::vector<Range> used)
{
  std::sort(used.begin(), used.end());
  std::vector<Range> out;
  std::uint64_t cur = start;
  bool done = false;
  for (const auto& [s, e] : used) {
    if (done || e < cur) {
      continue;
    }
    if (s > cur) {
      out.emplace_back(cur, std::min(s - 1, end));
    }
    if (e >= end) {
      done = true;
    } else {
      cur = std::max(cur, e + 1);
    }
  }
  if (!done && cur <= end) {
    out.emplace_back(cur, end);
  }
  return out;
}

std::optional<std::uint64_t>
aligned_slot(std::uint64_t start, std::uint64_t end, std::uint64_t size, std::uint64_t align,
             std::uint64_t limit)
{
  const auto slot = align_up(start, align);
  if (!slot || size == 0 || *slot > end || end - *slot < size - 1 || *slot > limit
      || limit - *slot < size - 1) {
    return std::nullopt;
  }
  return slot;
}

} // namespace memmap::analyze
