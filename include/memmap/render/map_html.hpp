// memmap map --html: one self-contained HTML page (inline CSS and script, no network) that
// draws the map from its JSON layout: zoom into a box by clicking it, details on hover
// (range, size, owner, driver, BAR, NUMA node, IOMMU group), a legend, and the PCI bus view
// beside the CPU view where they differ. The SVG drawing is inside <noscript> as a fallback.
#pragma once

#include <ostream>

#include <memmap/render/map_layout.hpp>

namespace memmap::render {

void render_map_html(const MapLayout& layout, std::ostream& out);

} // namespace memmap::render
