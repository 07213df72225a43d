#include <memmap/render/map_layout.hpp>

#include <memmap/render/format.hpp>
#include <memmap/util/hex.hpp>
#include <memmap/util/size.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace memmap::render {

using model::Region;
using model::RegionKind;

namespace {

constexpr std::uint64_t k_max = ~std::uint64_t{0};

int
log2_floor(std::uint64_t v)
{
  int n = -1;
  while (v != 0) {
    v >>= 1;
    ++n;
  }
  return n;
}

// SIZE for START+SIZE: hex, or decimal with a binary suffix (4K, 256M, 1G, 2T).
std::optional<std::uint64_t>
parse_size(std::string_view s)
{
  if (!s.empty() && util::size_suffix_shift(s.back()) >= 0) {
    return util::parse_binary_size(s);
  }
  return util::parse_hex_u64(s);
}

bool
matches(const Region& r, const std::string& filter, const MapSources& sources)
{
  if (contains_ci(r.name, filter) || contains_ci(model::to_string(r.kind), filter)) {
    return true;
  }
  if (r.kind == RegionKind::pci_device && sources.device) {
    if (auto info = sources.device(r.owner.bdf)) {
      return contains_ci(info->name, filter) || contains_ci(info->driver, filter);
    }
  }
  return false;
}

bool
subtree_matches(const Region& r, const std::string& filter, const MapSources& sources)
{
  if (matches(r, filter, sources)) {
    return true;
  }
  return std::any_of(r.children.begin(), r.children.end(), [&](const Region& c) {
    return subtree_matches(c, filter, sources);
  });
}

const char*
owner_text(model::Owner::Type t)
{
  switch (t) {
  case model::Owner::Type::memory:
    return "memory";
  case model::Owner::Type::firmware:
    return "firmware";
  case model::Owner::Type::kernel:
    return "kernel";
  case model::Owner::Type::pci_device:
    return "PCI device";
  case model::Owner::Type::pci_window:
    return "PCI window";
  case model::Owner::Type::platform:
    return "platform";
  case model::Owner::Type::none:
    break;
  }
  return "";
}

class Builder {
public:
  Builder(const model::AddressSpace& space, const MapOptions& opts, const MapSources& sources,
          MapLayout& out)
    : m_space(space), m_opts(opts), m_sources(sources), m_out(out)
  {
  }

  void
  run()
  {
    AddressRange span{0, k_max};
    if (m_opts.range) {
      span = *m_opts.range;
    }
    const int last = lay_siblings(m_space.regions, 0, -1, 0, span, false, !m_opts.range, 0);
    m_out.lines = m_out.items.empty() ? 0 : last + 1;
  }

private:
  struct Entry {
    const Region* region = nullptr;  // null: hole or elided span
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    std::size_t hidden = 0;
    bool matched = false;
  };

  bool
  in_range(const Region& r) const
  {
    return !m_opts.range || (r.start <= m_opts.range->end && r.end >= m_opts.range->start);
  }

  // The entries of one sibling list: kept regions, and holes or elided spans between them.
  std::vector<Entry>
  entries(const std::vector<Region>& rs, const AddressRange& span, bool ancestor_matched,
          bool skip_edges) const
  {
    std::vector<Entry> kept;
    for (const auto& r : rs) {
      // Outside --range, or a child outside its parent (bad input, reported as a warning):
      // not drawn inside a box it does not belong in.
      if (!in_range(r) || r.start > span.end || r.end < span.start) {
        continue;
      }
      Entry e;
      e.region = &r;
      e.lo = std::max(r.start, span.start);
      e.hi = std::min(r.end, span.end);
      e.matched = ancestor_matched || m_opts.filter.empty() || matches(r, m_opts.filter, m_sources);
      if (!e.matched && !subtree_matches(r, m_opts.filter, m_sources)) {
        continue;
      }
      kept.push_back(e);
    }
    if (m_space.addresses_hidden) {
      return kept;  // every address reads 0: there is nothing between regions to show
    }
    auto between = [&](std::uint64_t lo, std::uint64_t hi) {
      Entry e;
      e.lo = lo;
      e.hi = hi;
      for (const auto& r : rs) {
        if (in_range(r) && r.start <= hi && r.end >= lo
            && std::none_of(kept.begin(), kept.end(),
                            [&](const Entry& k) { return k.region == &r; })) {
          ++e.hidden;
        }
      }
      return e;
    };
    std::vector<Entry> out;
    std::uint64_t next = span.start;  // first address not yet covered
    bool exhausted = false;           // covered up to 2^64-1
    bool first = true;
    for (const auto& k : kept) {
      if (!exhausted && k.lo > next && !(first && skip_edges)) {
        out.push_back(between(next, k.lo - 1));
      }
      out.push_back(k);
      first = false;
      if (!exhausted && k.hi >= next) {
        if (k.hi == k_max) {
          exhausted = true;
        } else {
          next = k.hi + 1;
        }
      }
    }
    if (!kept.empty() && !skip_edges && !exhausted && next <= span.end) {
      out.push_back(between(next, span.end));
    }
    return out;
  }

  // Lays out one sibling list whose first top border is on line `top`; returns the line of the
  // last bottom border (`top` when the list is empty).
  int
  lay_siblings(const std::vector<Region>& rs, int depth, int parent, int top,
               const AddressRange& span, bool ancestor_matched, bool skip_edges,
               std::int64_t bus_offset)
  {
    const auto list = entries(rs, span, ancestor_matched, skip_edges);
    int line = top;
    std::uint64_t prev_end = 0;
    bool have_prev = false;
    for (const auto& e : list) {
      const auto idx = static_cast<int>(m_out.items.size());
      m_out.items.emplace_back();
      {
        MapItem& it = m_out.items.back();
        it.depth = depth;
        it.parent = parent;
        it.top = line;
        it.shown_start = e.lo;
        it.shown_end = e.hi;
      }
      m_out.max_depth = std::max(m_out.max_depth, depth);
      int content = 1;
      if (e.region == nullptr) {
        MapItem& it = m_out.items.back();
        it.type = e.hidden > 0 ? MapItemType::elided : MapItemType::hole;
        it.start = e.lo;
        it.end = e.hi;
        it.full_span = e.lo == 0 && e.hi == k_max;
        it.hidden = e.hidden;
        if (it.type == MapItemType::elided) {
          it.name = "not shown";
        } else if (parent < 0) {
          it.name = "unclaimed";
        } else {
          const MapItem& up = m_out.items[static_cast<std::size_t>(parent)];
          it.name = up.kind == RegionKind::pci_host_bridge
                        || up.kind == RegionKind::pci_bridge_window
                      ? std::string("free")
                      : "rest of " + up.name;
        }
        set_bus(it, bus_offset);
      } else {
        content = lay_box(*e.region, idx, e, span, bus_offset);
        MapItem& it = m_out.items[static_cast<std::size_t>(idx)];
        it.overlaps_previous = have_prev && !m_space.addresses_hidden && it.start <= prev_end;
        prev_end = it.end;
        have_prev = true;
      }
      MapItem& it = m_out.items[static_cast<std::size_t>(idx)];
      it.bottom = it.top + content + 1;
      line = it.bottom;
    }
    return line;
  }

  void
  set_bus(MapItem& it, std::int64_t offset)
  {
    if (offset == 0) {
      return;
    }
    it.bus_start = it.start - static_cast<std::uint64_t>(offset);
    it.bus_end = it.end - static_cast<std::uint64_t>(offset);
    m_out.bus_differs = true;
  }

  // Fills the box at `idx` for region `r`, lays out its children; returns its content lines.
  int
  lay_box(const Region& r, int idx, const Entry& e, const AddressRange& span,
          std::int64_t bus_offset)
  {
    const int depth = m_out.items[static_cast<std::size_t>(idx)].depth;
    // Fold a chain of single children with the same range into the label.
    const Region* inner = &r;
    std::vector<std::string> claims;
    while (inner->children.size() == 1 && inner->children[0].start == r.start
           && inner->children[0].end == r.end
           && (m_opts.max_depth == 0 || inner->children[0].depth < m_opts.max_depth)) {
      inner = &inner->children[0];
      claims.push_back(inner->name);
    }
    if (depth == 0 && r.kind == RegionKind::pci_host_bridge && m_sources.bus_offset) {
      bus_offset = m_sources.bus_offset(r).value_or(0);
    }
    {
      MapItem& it = m_out.items[static_cast<std::size_t>(idx)];
      it.type = MapItemType::box;
      it.start = r.start;
      it.end = r.end;
      it.full_span = r.start == 0 && r.end == k_max;
      it.clipped_above = r.start < e.lo;
      it.clipped_below = r.end > e.hi;
      it.name = r.name;
      it.claims = std::move(claims);
      it.kind = r.kind;
      it.source_line = r.line;
      it.owner = owner_text(r.owner.type);
      if (r.kind == RegionKind::pci_device) {
        it.bdf = r.owner.bdf;
        if (r.owner.bar >= 0) {
          it.bar = r.owner.bar;
        } else if (m_sources.bar) {
          it.bar = m_sources.bar(r.owner.bdf, r.start, r.end);
        }
        if (m_sources.device) {
          it.device = m_sources.device(r.owner.bdf);
        }
      }
      set_bus(it, bus_offset);
      if (std::find(m_out.kinds.begin(), m_out.kinds.end(), r.kind) == m_out.kinds.end()) {
        m_out.kinds.push_back(r.kind);
      }
    }
    const MapItem& it = m_out.items[static_cast<std::size_t>(idx)];
    const int rule = map_rows_for_size(it.shown_end - it.shown_start + 1,
                                       it.shown_start == 0 && it.shown_end == k_max);
    const bool descend = m_opts.max_depth == 0 || inner->depth + 1 < m_opts.max_depth;
    if (!descend || inner->children.empty()) {
      return rule;
    }
    const int top = it.top;
    const auto before = m_out.items.size();
    const AddressRange child_span{std::max(span.start, r.start), std::min(span.end, r.end)};
    const int last = lay_siblings(inner->children, depth + 1, idx, top + 2, child_span,
                                  e.matched, false, bus_offset);
    if (m_out.items.size() == before) {
      return rule;
    }
    m_out.items[static_cast<std::size_t>(idx)].has_children = true;
    return std::max(rule, last - top);
  }

  const model::AddressSpace& m_space;
  const MapOptions& m_opts;
  const MapSources& m_sources;
  MapLayout& m_out;
};

} // namespace

MapSources
map_sources_from(const DeviceLookup& lookup)
{
  MapSources s;
  if (lookup) {
    s.device = [lookup](const std::string& bdf) -> std::optional<MapDeviceInfo> {
      auto label = lookup(bdf);
      if (!label) {
        return std::nullopt;
      }
      return MapDeviceInfo{label->name, label->driver, std::nullopt, std::nullopt};
    };
  }
  return s;
}

std::optional<AddressRange>
parse_map_range(std::string_view text)
{
  const auto plus = text.find('+');
  const auto dash = text.find('-');
  if (plus != std::string_view::npos && dash == std::string_view::npos) {
    auto start = util::parse_hex_u64(text.substr(0, plus));
    auto size = parse_size(text.substr(plus + 1));
    if (!start || !size || *size - 1 > k_max - *start) {
      return std::nullopt;
    }
    return AddressRange{*start, *start + (*size - 1)};
  }
  if (dash == std::string_view::npos || plus != std::string_view::npos) {
    return std::nullopt;
  }
  auto start = util::parse_hex_u64(text.substr(0, dash));
  auto end = util::parse_hex_u64(text.substr(dash + 1));
  if (!start || !end || *end < *start) {
    return std::nullopt;
  }
  return AddressRange{*start, *end};
}

int
map_rows_for_size(std::uint64_t size, bool full_span)
{
  const int bits = full_span ? 64 : log2_floor(size);
  if (bits < 24) {
    return 1;
  }
  return 1 + (bits - 20) / 4;
}

const char*
map_scale_rule()
{
  return "box height: 1 line below 16M, +1 line per 16x (16M 2, 256M 3, 4G 4, 64G 5, 1T 6); "
         "holes and hidden spans: 1 line whatever their size (scale break)";
}

MapLayout
layout_map(const model::AddressSpace& space, const MapOptions& opts, const MapSources& sources)
{
  MapLayout out;
  out.source = space.source;
  out.addresses_hidden = space.addresses_hidden;
  out.range = opts.range;
  Builder(space, opts, sources, out).run();
  std::sort(out.kinds.begin(), out.kinds.end());
  int digits = 8;
  for (const auto& it : out.items) {
    digits = std::max(digits, hex_digits(it.shown_end == k_max ? it.shown_end : it.shown_end + 1));
    if (it.bus_end) {
      digits = std::max(digits, hex_digits(*it.bus_end));
    }
  }
  out.address_digits = digits;
  return out;
}

std::vector<MapAxisMark>
map_axis(const MapLayout& layout)
{
  std::vector<MapAxisMark> marks(static_cast<std::size_t>(layout.lines));
  auto after = [](std::uint64_t end) { return end == k_max ? end : end + 1; };
  for (const auto& it : layout.items) {
    for (int line = it.top + 1; line < it.bottom; ++line) {
      if (it.type != MapItemType::box) {
        marks[static_cast<std::size_t>(line)].scale_break = true;
      }
    }
    if (layout.addresses_hidden) {
      continue;
    }
    auto& top = marks[static_cast<std::size_t>(it.top)];
    auto& bottom = marks[static_cast<std::size_t>(it.bottom)];
    // A top border wins over the bottom border of the box before it (they are the same
    // address unless the input overlaps).
    top.cpu = it.shown_start;
    if (!bottom.cpu) {
      bottom.cpu = after(it.shown_end);
    }
    if (it.bus_start) {
      const std::uint64_t off = it.start - *it.bus_start;
      top.bus = it.shown_start - off;
      if (!bottom.bus) {
        bottom.bus = after(it.shown_end) - off;
      }
    }
  }
  // The same address on two lines in a row (an inner box ends where its window ends and the
  // next box starts): keep the lower one, the top of the box that starts there.
  for (std::size_t line = 0; line + 1 < marks.size(); ++line) {
    if (marks[line].cpu && marks[line].cpu == marks[line + 1].cpu
        && marks[line].bus == marks[line + 1].bus) {
      marks[line].cpu.reset();
      marks[line].bus.reset();
    }
  }
  return marks;
}

} // namespace memmap::render
