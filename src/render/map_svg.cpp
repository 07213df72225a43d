#include <memmap/render/map_svg.hpp>
#include <memmap/render/xml.hpp>

#include <memmap/render/format.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace memmap::render {

using model::RegionKind;

namespace {

constexpr double k_char_px = 6.6;  // 11px monospace advance

} // namespace

std::string
map_tooltip(const MapItem& it, const MapLayout& layout)
{
  std::string s = map_title(it);
  s += "\n" + map_range_text(it, layout) + "  " + map_size_text(it, layout);
  if (it.type == MapItemType::box) {
    s += std::string("\nkind: ") + map_kind_label(it.kind);
    if (!it.owner.empty()) {
      s += "\nowner: " + it.owner;
    }
  }
  if (!it.bdf.empty()) {
    s += "\ndevice: " + it.bdf;
    if (it.device && !it.device->name.empty()) {
      s += " " + it.device->name;
    }
    if (it.device && !it.device->driver.empty()) {
      s += "\ndriver: " + it.device->driver;
    }
    if (it.bar) {
      s += "\nBAR: " + (*it.bar <= 5 ? std::to_string(*it.bar) : map_bar_text(*it.bar));
    }
    if (it.device && it.device->numa_node) {
      s += fmt::format("\nNUMA node: {}", *it.device->numa_node);
    }
    if (it.device && it.device->iommu_group) {
      s += fmt::format("\nIOMMU group: {}", *it.device->iommu_group);
    }
  }
  if (it.bus_start && it.bus_end) {
    s += fmt::format("\nPCI bus: {}-{}", hex(*it.bus_start), hex(*it.bus_end));
  }
  return s;
}

namespace {

struct Column {
  int x = 0;
  int width = 0;
};

// Horizontal extent of `it` in a column.
Column
item_extent(const MapItem& it, const MapGeometry& geo, int column_x)
{
  const int max_indent = std::max(0, (geo.column_px - 160) / 2);
  const int indent = std::min(it.depth * geo.indent_px, max_indent);
  return {column_x + indent, geo.column_px - 2 * indent};
}

double
line_y(const MapGeometry& geo, double line)
{
  return geo.top_px + (line + 0.5) * geo.line_px;
}

void
draw_item(const MapItem& it, const MapLayout& layout, const MapGeometry& geo, int column_x,
          bool bus_view, std::ostream& out)
{
  // Not a structured binding: the lambdas below capture x and w (clang 14 cannot).
  const auto extent = item_extent(it, geo, column_x);
  const int x = extent.x;
  const int w = extent.width;
  const double y0 = line_y(geo, it.top);
  const double y1 = line_y(geo, it.bottom);
  const bool is_box = it.type == MapItemType::box;
  const MapPaint paint = is_box ? map_paint(it.kind) : map_hole_paint();
  out << fmt::format("<g class=\"{}\" data-kind=\"{}\" data-start=\"{}\" data-end=\"{}\">",
                     is_box ? "box" : "hole", is_box ? model::to_string(it.kind) : "hole",
                     hex0x(it.start), hex0x(it.end));
  out << "<title>" << xml_escape(map_tooltip(it, layout)) << "</title>";
  out << fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{:.1f}\" fill=\"{}\" "
                     "stroke=\"{}\"{}/>",
                     x, y0, w, y1 - y0, paint.fill, paint.stroke,
                     is_box ? "" : " stroke-dasharray=\"4 3\"");
  // Range cuts (--range): a wavy edge.
  auto wave = [&](double y) {
    std::string d = fmt::format("M{} {:.1f}", x, y);
    for (int px = x; px + 8 <= x + w; px += 8) {
      d += " q2 -3 4 0 t4 0";
    }
    out << fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>", d,
                       paint.stroke);
  };
  if (it.clipped_above) {
    wave(y0);
  }
  if (it.clipped_below) {
    wave(y1);
  }
  const int label_lines = it.has_children ? 1 : it.content_lines();
  const auto chars = static_cast<std::size_t>(std::max(4.0, (w - 14) / k_char_px));
  auto labels = map_label_lines(it, layout, label_lines, chars, false);
  if (bus_view && it.bus_start && it.bus_end) {
    // The bus column: title and bus range.
    labels = {{map_clean_text(map_title(it), false),
               fmt::format("{}-{}", hex(*it.bus_start), hex(*it.bus_end)),
               MapLabelLine::Role::title}};
  }
  for (std::size_t k = 0; k < labels.size() && static_cast<int>(k) < label_lines; ++k) {
    const double y = line_y(geo, it.top + 1 + static_cast<double>(k)) + 4;
    const auto& lab = labels[k];
    std::string right = map_truncate(lab.right, chars, "…");
    const std::size_t rw = map_text_width(right);
    const std::size_t room = right.empty() ? chars : (chars > rw + 2 ? chars - rw - 2 : 0);
    const std::string left = map_truncate(lab.left, room, "…");
    const char* cls = lab.role == MapLabelLine::Role::title    ? "t"
                      : lab.role == MapLabelLine::Role::detail ? "d"
                                                               : "p";
    out << fmt::format("<text class=\"{}\" x=\"{}\" y=\"{:.1f}\">{}</text>", cls, x + 7, y,
                       xml_escape(left));
    if (!right.empty()) {
      out << fmt::format("<text class=\"p\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>",
                         x + w - 7, y, xml_escape(right));
    }
  }
  out << "</g>\n";
}

// A scale-break sign on the axis: two short slanted strokes across it.
void
draw_break(double y, int axis_x, std::ostream& out)
{
  out << fmt::format("<path class=\"brk\" d=\"M{} {:.1f} l10 -4 M{} {:.1f} l10 -4\"/>\n",
                     axis_x - 5, y + 1, axis_x - 5, y + 5);
}

} // namespace

MapPaint
map_paint(RegionKind kind)
{
  switch (kind) {
  case RegionKind::system_ram:
    return {"#c8e6c9", "#2e7d32"};
  case RegionKind::reserved:
  case RegionKind::unusable:
    return {"#fff3c4", "#9a7b00"};
  case RegionKind::acpi_tables:
  case RegionKind::acpi_nvs:
    return {"#ffe0b2", "#d84315"};
  case RegionKind::rom:
    return {"#efe4d6", "#795548"};
  case RegionKind::persistent_memory:
  case RegionKind::soft_reserved:
  case RegionKind::cxl:
    return {"#e1bee7", "#6a1b9a"};
  case RegionKind::kernel_image:
  case RegionKind::crash_kernel:
    return {"#f8bbd0", "#ad1457"};
  case RegionKind::pci_host_bridge:
    return {"#e3f2fd", "#1565c0"};
  case RegionKind::pci_bridge_window:
    return {"#cfe5fb", "#1e88e5"};
  case RegionKind::pci_ecam:
    return {"#d1c4e9", "#4527a0"};
  case RegionKind::pci_device:
    return {"#b2ebf2", "#00838f"};
  case RegionKind::ioapic:
  case RegionKind::local_apic:
  case RegionKind::hpet:
    return {"#dcedc8", "#558b2f"};
  case RegionKind::driver:
    return {"#f5f5f5", "#8d8d8d"};
  case RegionKind::pnp:
  case RegionKind::other:
    return {"#eceff1", "#546e7a"};
  }
  return {"#eceff1", "#546e7a"};
}

MapPaint
map_hole_paint()
{
  return {"#ffffff", "#a0a0a0"};
}

MapGeometry
map_geometry(const MapLayout& layout)
{
  MapGeometry geo;
  geo.axis_px = static_cast<int>((layout.address_digits + 1) * k_char_px) + 14;
  return geo;
}

std::string
xml_escape(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  std::size_t from = 0;
  while (from <= text.size()) {
    const auto nl = std::min(text.find('\n', from), text.size());
    if (from > 0) {
      out += '\n';  // tooltips keep their line breaks
    }
    for (char c : map_clean_text(text.substr(from, nl - from), false)) {
      append_xml_char(out, c);
    }
    from = nl + 1;
  }
  return out;
}

void
render_map_svg(const MapLayout& layout, std::ostream& out)
{
  const MapGeometry geo = map_geometry(layout);
  const int cpu_x = geo.axis_px;
  const int bus_axis_x = cpu_x + geo.column_px + geo.gap_px;
  const int bus_x = bus_axis_x + geo.axis_px;
  const int legend_x = (layout.bus_differs ? bus_x : cpu_x) + geo.column_px + 30;
  const int legend_w = 300;
  const int width = legend_x + legend_w;
  const int map_h = geo.top_px + layout.lines * geo.line_px + 24;
  const int legend_h = geo.top_px + 24 * static_cast<int>(layout.kinds.size() + 6) + 24;
  const int height = std::max(map_h, legend_h);

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                     "viewBox=\"0 0 {0} {1}\" font-family=\"DejaVu Sans Mono, monospace\" "
                     "font-size=\"11\">\n",
                     width, height);
  out << "<style>text{fill:#212121}.t{font-weight:bold}.d{fill:#555}.ax{fill:#333}"
         ".h{font-size:14px;font-weight:bold}.brk{stroke:#777;fill:none}"
         ".tick{stroke:#999}</style>\n";
  out << fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", width, height);
  out << fmt::format("<text class=\"h\" x=\"10\" y=\"22\">CPU physical address map: {}{}</text>\n",
                     xml_escape(layout.source),
                     layout.range ? xml_escape(fmt::format(", {}-{}", hex(layout.range->start),
                                                           hex(layout.range->end)))
                                  : std::string());
  out << fmt::format("<text class=\"ax\" x=\"{}\" y=\"44\">CPU physical (addresses grow "
                     "downward)</text>\n",
                     cpu_x);
  if (layout.bus_differs) {
    out << fmt::format("<text class=\"ax\" x=\"{}\" y=\"44\">PCI bus view</text>\n", bus_x);
  }
  if (layout.items.empty()) {
    out << fmt::format("<text x=\"{}\" y=\"{}\">nothing to draw: no region matches</text>\n",
                       cpu_x, geo.top_px + 14);
  }

  // The axis: boundaries, then scale breaks.
  const auto marks = map_axis(layout);
  for (std::size_t line = 0; line < marks.size(); ++line) {
    const double y = line_y(geo, static_cast<double>(line));
    if (marks[line].cpu) {
      out << fmt::format("<text class=\"ax\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>"
                         "<line class=\"tick\" x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\"/>\n",
                         cpu_x - 8, y + 4, hex(*marks[line].cpu, layout.address_digits),
                         cpu_x - 5, y, cpu_x, y);
    } else if (marks[line].scale_break) {
      draw_break(y - 3, cpu_x - 10, out);
    }
    if (layout.bus_differs && marks[line].bus) {
      out << fmt::format("<text class=\"ax\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                         bus_x - 8, y + 4, hex(*marks[line].bus, layout.address_digits));
    }
  }
  if (!marks.empty()) {
    out << fmt::format("<line class=\"tick\" x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{0}\" y2=\"{2:.1f}\"/>\n",
                       cpu_x - 2, line_y(geo, 0), line_y(geo, layout.lines - 1.0));
  }

  for (const auto& it : layout.items) {
    draw_item(it, layout, geo, cpu_x, false, out);
  }
  if (layout.bus_differs) {
    for (const auto& it : layout.items) {
      if (!it.bus_start) {
        continue;
      }
      draw_item(it, layout, geo, bus_x, true, out);
      if (it.depth == 0) {
        const double y = line_y(geo, it.top + 1.0);
        out << fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" "
                           "stroke=\"#1565c0\" stroke-dasharray=\"3 3\"/>\n",
                           cpu_x + geo.column_px, y, bus_x, y);
      }
    }
  }

  // Legend.
  int y = geo.top_px + 4;
  out << fmt::format("<text class=\"h\" x=\"{}\" y=\"{}\">Legend</text>\n", legend_x, y);
  y += 12;
  std::vector<std::string> seen;
  auto swatch = [&](const MapPaint& p, const std::string& label, bool dashed) {
    out << fmt::format("<rect x=\"{}\" y=\"{}\" width=\"22\" height=\"14\" fill=\"{}\" "
                       "stroke=\"{}\"{}/><text x=\"{}\" y=\"{}\">{}</text>\n",
                       legend_x, y, p.fill, p.stroke, dashed ? " stroke-dasharray=\"4 3\"" : "",
                       legend_x + 30, y + 11, xml_escape(label));
    y += 22;
  };
  for (auto k : layout.kinds) {
    const std::string label = map_kind_label(k);
    if (std::find(seen.begin(), seen.end(), label) != seen.end()) {
      continue;
    }
    seen.push_back(label);
    swatch(map_paint(k), label, false);
  }
  swatch(map_hole_paint(), "unclaimed / not shown", true);
  draw_break(y + 6, legend_x + 10, out);
  out << fmt::format("<text x=\"{}\" y=\"{}\">scale break: not to scale</text>\n", legend_x + 30,
                     y + 8);
  y += 26;
  for (const char* line : {"Box height grows with log16(size):", "  below 16M: 1 line",
                           "  16M 2, 256M 3, 4G 4, 64G 5, 1T 6", "Holes: 1 line whatever size"}) {
    out << fmt::format("<text class=\"d\" x=\"{}\" y=\"{}\">{}</text>\n", legend_x, y, line);
    y += 16;
  }
  out << "</svg>\n";
}

} // namespace memmap::render
