// memmap map --json: a laid-out map as JSON (the layout itself is map_layout.cpp's).
#include <memmap/render/map_layout.hpp>
#include <memmap/render/json.hpp>

namespace memmap::render {

nlohmann::ordered_json
map_to_json(const MapLayout& layout)
{
  using json = nlohmann::ordered_json;
  json root = render::json_document();
  root["space"] = "iomem";
  root["source"] = layout.source;
  root["addresses_hidden"] = layout.addresses_hidden;
  root["range"] = layout.range ? json{{"start", hex0x(layout.range->start)},
                                      {"end", hex0x(layout.range->end)}}
                               : json(nullptr);
  root["lines"] = layout.lines;
  root["bus_differs"] = layout.bus_differs;
  root["scale"] = map_scale_rule();
  json kinds = json::array();
  for (auto k : layout.kinds) {
    kinds.push_back({{"kind", model::to_string(k)}, {"label", map_kind_label(k)}});
  }
  root["kinds"] = std::move(kinds);
  json items = json::array();
  for (const auto& it : layout.items) {
    json j;
    j["type"] = it.type == MapItemType::box    ? "box"
                : it.type == MapItemType::hole ? "hole"
                                               : "elided";
    j["title"] = map_title(it);
    if (it.type == MapItemType::box) {
      j["name"] = it.name;
      j["kind"] = model::to_string(it.kind);
      j["claims"] = it.claims;
      j["owner"] = it.owner;
      j["line"] = it.source_line;
    }
    // Hidden addresses (a non-root view) are unknown: null, never 0x0.
    const bool hidden = layout.addresses_hidden;
    j["start"] = hidden ? json(nullptr) : json(hex0x(it.start));
    j["end"] = hidden ? json(nullptr) : json(hex0x(it.end));
    j["range"] = map_range_text(it, layout);
    j["size"] = map_size_text(it, layout);
    j["shown_start"] = hidden ? json(nullptr) : json(hex0x(it.shown_start));
    j["shown_end"] = hidden ? json(nullptr) : json(hex0x(it.shown_end));
    j["clipped_above"] = it.clipped_above;
    j["clipped_below"] = it.clipped_below;
    if (it.overlaps_previous) {
      j["overlaps_previous"] = true;
    }
    if (it.type == MapItemType::elided) {
      j["hidden"] = it.hidden;
    }
    j["depth"] = it.depth;
    j["parent"] = it.parent;
    j["top"] = it.top;
    j["bottom"] = it.bottom;
    if (!it.bdf.empty()) {
      json dev;
      dev["bdf"] = it.bdf;
      dev["bar"] = it.bar ? json(*it.bar) : json(nullptr);
      dev["bar_name"] = it.bar ? json(map_bar_text(*it.bar)) : json(nullptr);
      dev["name"] = it.device ? json(it.device->name) : json(nullptr);
      dev["driver"] = it.device && !it.device->driver.empty() ? json(it.device->driver)
                                                              : json(nullptr);
      dev["numa_node"] = it.device && it.device->numa_node ? json(*it.device->numa_node)
                                                           : json(nullptr);
      dev["iommu_group"] = it.device && it.device->iommu_group ? json(*it.device->iommu_group)
                                                               : json(nullptr);
      j["device"] = std::move(dev);
    }
    j["bus_start"] = it.bus_start ? json(hex0x(*it.bus_start)) : json(nullptr);
    j["bus_end"] = it.bus_end ? json(hex0x(*it.bus_end)) : json(nullptr);
    items.push_back(std::move(j));
  }
  root["items"] = std::move(items);
  json axis = json::array();
  const auto marks = map_axis(layout);
  for (std::size_t line = 0; line < marks.size(); ++line) {
    const auto& m = marks[line];
    if (!m.cpu && !m.bus && !m.scale_break) {
      continue;
    }
    json a;
    a["line"] = line;
    a["cpu_label"] = m.cpu ? json(hex(*m.cpu, layout.address_digits)) : json(nullptr);
    a["bus_label"] = m.bus ? json(hex(*m.bus, layout.address_digits)) : json(nullptr);
    a["break"] = m.scale_break;
    axis.push_back(std::move(a));
  }
  root["axis"] = std::move(axis);
  return root;
}

} // namespace memmap::render
