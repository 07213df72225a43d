// The address-map picture as data: which boxes to draw, nested how, on which lines. Pure (no
// I/O); the text, SVG and HTML renderers (map_text.hpp, map_svg.hpp, map_html.hpp) draw it.
//
// The vertical axis is segmented: every box gets a height from its size by one readable rule
// (map_rows_for_size), not in proportion to it, because one map holds a 4 KiB BAR next to
// 512 GiB of RAM. Unclaimed holes are drawn one line high whatever their size: scale breaks.
// Lines are shared grid units: a box has a top border line, content lines and a bottom border
// line; adjacent siblings share the border line between them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <memmap/model/address_space.hpp>
#include <memmap/render/resource_tree.hpp>

namespace memmap::render {

// What the map knows about a PCI device, for labels and hover details. Each optional fact is
// filled when a source knows it (the PCI model fills NUMA node and IOMMU group).
struct MapDeviceInfo {
  std::string name;    // pci.ids name
  std::string driver;  // bound driver, empty when none
  std::optional<int> numa_node;
  std::optional<int> iommu_group;
};

// Where the map's PCI facts come from. Every hook may be empty.
struct MapSources {
  std::function<std::optional<MapDeviceInfo>(const std::string& bdf)> device;
  // BAR index of a device region (`bdf`, CPU `start`, `end`) when the PCI model knows it
  // (0-5, 6 = ROM, 7 + n = the aperture of VF BAR n). Region::owner.bar is used first when
  // it is set.
  std::function<std::optional<int>(const std::string& bdf, std::uint64_t start,
                                   std::uint64_t end)>
    bar;
  // CPU address minus PCI bus address for everything inside this top-level window (a host
  // bridge), when known. Unknown or 0: the bus view equals the CPU view.
  std::function<std::optional<std::int64_t>(const model::Region& window)> bus_offset;
};

// Device names and drivers from the tree renderer's lookup (sysfs + pci.ids).
MapSources map_sources_from(const DeviceLookup& lookup);

struct AddressRange {
  std::uint64_t start = 0;
  std::uint64_t end = 0;  // inclusive
};

// "START-END" (hex, "0x" optional, END inclusive) or "START+SIZE" (SIZE hex or with a K/M/G/T
// suffix); nullopt when malformed or END < START.
std::optional<AddressRange> parse_map_range(std::string_view text);

struct MapOptions {
  std::optional<AddressRange> range;  // --range: only this span, boxes clipped to it
  int max_depth = 0;                  // 0: every level; 1: top level only
  std::string filter;                 // as iomem --filter
};

enum class MapItemType {
  box,     // a region
  hole,    // addresses no region claims (a scale break: one line, whatever its size)
  elided,  // regions left out by --filter (one line)
};

struct MapItem {
  MapItemType type = MapItemType::box;
  std::uint64_t start = 0;        // the region's (or span's) real range
  std::uint64_t end = 0;          // inclusive
  std::uint64_t shown_start = 0;  // the part drawn (inside --range)
  std::uint64_t shown_end = 0;
  bool clipped_above = false;     // the region goes on before shown_start
  bool clipped_below = false;     // ... after shown_end
  bool full_span = false;         // 0-ffffffffffffffff: size 2^64
  bool overlaps_previous = false; // starts before its previous sibling ends (bad input)
  std::string name;
  std::vector<std::string> claims;  // same-range children folded into this box ("nvidia")
  model::RegionKind kind = model::RegionKind::other;
  int source_line = 0;            // line in the source file (boxes)
  std::string owner;              // "memory", "firmware", "kernel", "PCI window", "PCI device"
  std::string bdf;                // PCI device boxes
  std::optional<int> bar;
  std::optional<MapDeviceInfo> device;
  std::optional<std::uint64_t> bus_start;  // set where the bus view differs from the CPU view
  std::optional<std::uint64_t> bus_end;
  std::size_t hidden = 0;         // elided: how many regions
  int depth = 0;                  // nesting level, 0 = top level
  int parent = -1;                // index in MapLayout::items, -1 at top level
  int top = 0;                    // line of the top border (shared with the previous sibling)
  int bottom = 0;                 // line of the bottom border
  bool has_children = false;

  int content_lines() const { return bottom - top - 1; }
};

struct MapLayout {
  std::string source;
  bool addresses_hidden = false;
  std::optional<AddressRange> range;
  std::vector<MapItem> items;  // pre-order: a box, then its children
  int lines = 0;               // total lines, borders included
  int max_depth = 0;           // deepest item's depth
  int address_digits = 8;      // hex digits for axis labels
  bool bus_differs = false;
  std::vector<model::RegionKind> kinds;  // box kinds present, in first-seen order (legend)
};

// Content lines of a box holding `size` bytes (`full_span`: 2^64): 1 below 16 MiB, then one
// more per factor of 16 (16M: 2, 256M: 3, 4G: 4, 64G: 5, 1T: 6, ...).
int map_rows_for_size(std::uint64_t size, bool full_span = false);

// The rule as one sentence, for legends.
const char* map_scale_rule();

// Lay out `space` as a map. Regions whose range equals their only child's fold that child
// into their label (claims); PCI device boxes get device facts from `sources`.
MapLayout layout_map(const model::AddressSpace& space, const MapOptions& opts,
                     const MapSources& sources);

// The layout as JSON (memmap map --json; the data the HTML page draws from).
nlohmann::ordered_json map_to_json(const MapLayout& layout);

// --- Axis and labels shared by the renderers ---

// What the axis shows on one line: the address of the border drawn there (a box's start on its
// top border, the address after its end on a bottom border not shared with a next box), the
// bus address where it differs, or a scale break beside a hole or a span not shown.
struct MapAxisMark {
  std::optional<std::uint64_t> cpu;
  std::optional<std::uint64_t> bus;
  bool scale_break = false;
};
// One mark per layout line (no addresses when the source hides them).
std::vector<MapAxisMark> map_axis(const MapLayout& layout);

// A box's label, line by line: `left` (the title on the first line) and `right` (size, range).
struct MapLabelLine {
  enum class Role { title, plain, detail };
  std::string left;
  std::string right;
  Role role = Role::plain;
};
// The label of `item` on `lines` lines of `width` characters: 1 line: title, device, range
// and size (range dropped when it does not fit); 2+: title and size, then range (and BAR),
// then device name and driver. Text is cleaned (map_clean_text with `ascii`), not truncated.
std::vector<MapLabelLine> map_label_lines(const MapItem& item, const MapLayout& layout, int lines,
                                          std::size_t width, bool ascii);

// "BAR0" .. "BAR5", "ROM" (6), "VF BAR0" .. "VF BAR5" (7-12: the kernel's resource rows).
std::string map_bar_text(int bar);
// "0000:04:00.0 [nvidia]", "Reserved > System ROM", "hole", "3 regions not shown".
std::string map_title(const MapItem& item);
// "d0000000-dfffffff" ("?" when addresses are hidden), with the real range of clipped boxes.
std::string map_range_text(const MapItem& item, const MapLayout& layout);
// "256M" ("?" when hidden).
std::string map_size_text(const MapItem& item, const MapLayout& layout);
// "NVIDIA Corporation GP107GL [Quadro P1000] [nvidia]" (empty when nothing is known).
std::string map_device_text(const MapItem& item);
// `text` made safe to draw: control characters and invalid UTF-8 become '?', and with
// `ascii` every non-ASCII character too.
std::string map_clean_text(std::string_view text, bool ascii);
// Characters `text` takes on a terminal (UTF-8 code points; every one counts 1).
std::size_t map_text_width(std::string_view text);
// `text` cut to `width` characters, ending in `ellipsis` when cut.
std::string map_truncate(std::string_view text, std::size_t width, std::string_view ellipsis);
// Short kind name for legends: "RAM", "PCI window", "PCI BAR", ...
const char* map_kind_label(model::RegionKind kind);

} // namespace memmap::render
