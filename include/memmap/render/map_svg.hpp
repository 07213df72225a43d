// memmap map --svg: the map layout as one standalone SVG document (no scripts, no external
// references), with an address axis, the PCI bus view beside it when it differs, a legend,
// and a <title> tooltip on every box.
#pragma once

#include <ostream>
#include <string>

#include <memmap/render/map_layout.hpp>

namespace memmap::render {

// Colours of a region kind in the SVG and HTML maps: "#rrggbb" fill and stroke.
struct MapPaint {
  const char* fill;
  const char* stroke;
};
MapPaint map_paint(model::RegionKind kind);
// Holes and spans not shown.
MapPaint map_hole_paint();

// Geometry shared by the SVG and HTML renderers, in CSS pixels.
struct MapGeometry {
  int line_px = 18;     // one layout line
  int indent_px = 14;   // per nesting level, each side
  int axis_px = 0;      // address axis (computed from the digits)
  int column_px = 620;  // the CPU column
  int gap_px = 60;      // between the CPU and the bus column
  int top_px = 56;      // heading
};
MapGeometry map_geometry(const MapLayout& layout);

// `text` escaped for XML text and attribute values, made valid UTF-8 without controls.
std::string xml_escape(std::string_view text);

// Hover text of an item: title, range and size, kind, owner, device, driver, BAR, NUMA node,
// IOMMU group and bus range where known; one fact a line.
std::string map_tooltip(const MapItem& item, const MapLayout& layout);

// Writes the SVG document for `layout` to `out`.
void render_map_svg(const MapLayout& layout, std::ostream& out);

} // namespace memmap::render
