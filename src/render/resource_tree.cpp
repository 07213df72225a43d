#include <memmap/render/resource_tree.hpp>
#include <memmap/render/json.hpp>

#include <fmt/format.h>

namespace memmap::render {

using model::AddressSpace;
using model::Region;
using model::RegionKind;

const char*
space_json_name(model::SpaceKind kind)
{
  return kind == model::SpaceKind::io_port ? "ioports" : "iomem";
}

Color
kind_color(RegionKind kind)
{
  switch (kind) {
  case RegionKind::system_ram:
    return Color::green;
  case RegionKind::reserved:
  case RegionKind::acpi_tables:
  case RegionKind::acpi_nvs:
  case RegionKind::rom:
  case RegionKind::unusable:
    return Color::yellow;
  case RegionKind::persistent_memory:
  case RegionKind::soft_reserved:
  case RegionKind::cxl:
    return Color::magenta;
  case RegionKind::kernel_image:
  case RegionKind::crash_kernel:
    return Color::magenta;
  case RegionKind::pci_host_bridge:
  case RegionKind::pci_bridge_window:
  case RegionKind::pci_ecam:
    return Color::blue;
  case RegionKind::pci_device:
    return Color::cyan;
  case RegionKind::driver:
    return Color::dim;
  default:
    return Color::none;
  }
}

namespace {

// Which regions a filter keeps: a region matches by name, kind or device label; it is kept
// if it matches, an ancestor matches (its whole subtree), or a descendant matches.
bool
region_matches(const Region& r, const TreeOptions& opts, const DeviceLookup& lookup)
{
  if (contains_ci(r.name, opts.filter) || contains_ci(model::to_string(r.kind), opts.filter)) {
    return true;
  }
  if (r.kind == RegionKind::pci_device && lookup) {
    if (auto label = lookup(r.owner.bdf)) {
      return contains_ci(label->name, opts.filter) || contains_ci(label->driver, opts.filter);
    }
  }
  return false;
}

bool
subtree_matches(const Region& r, const TreeOptions& opts, const DeviceLookup& lookup)
{
  if (region_matches(r, opts, lookup)) {
    return true;
  }
  for (const auto& c : r.children) {
    if (subtree_matches(c, opts, lookup)) {
      return true;
    }
  }
  return false;
}

// Calls fn(region, depth, path) for every region the options keep, in file order.
template <typename Fn>
void
visit_kept(const std::vector<Region>& rs, const TreeOptions& opts, const DeviceLookup& lookup,
           int depth, bool ancestor_matched, std::vector<const Region*>& path, Fn& fn)
{
  for (const auto& r : rs) {
    if (opts.max_depth > 0 && depth >= opts.max_depth) {
      return;
    }
    bool self_in = true;
    bool matched = ancestor_matched;
    if (!opts.filter.empty() && !ancestor_matched) {
      matched = region_matches(r, opts, lookup);
      self_in = matched || subtree_matches(r, opts, lookup);
    }
    if (!self_in) {
      continue;
    }
    fn(r, depth, path);
    path.push_back(&r);
    visit_kept(r.children, opts, lookup, depth + 1, matched, path, fn);
    path.pop_back();
  }
}

int
address_width(const AddressSpace& space)
{
  int w = space.kind == model::SpaceKind::io_port ? 4 : 8;
  space.walk([&](const Region& r, const auto&) { w = std::max(w, hex_digits(r.end)); });
  return w;
}

// The BAR (ROM, VF aperture) of the device whose range is exactly this region's.
const BarSpan*
matching_span(const Region& r, const DeviceLabel& label)
{
  for (const auto& b : label.bars) {
    if (b.start == r.start && b.end == r.end) {
      return &b;
    }
  }
  return nullptr;
}

std::string
label_text(const Region& r, const DeviceLookup& lookup)
{
  if (r.kind != RegionKind::pci_device || !lookup) {
    return {};
  }
  auto label = lookup(r.owner.bdf);
  if (!label) {
    return {};
  }
  std::string s;
  if (!label->name.empty()) {
    s += label->name;
  }
  if (!label->driver.empty()) {
    s += fmt::format("{}[{}]", s.empty() ? "" : " ", label->driver);
  }
  if (const BarSpan* span = matching_span(r, *label)) {
    s = s.empty() ? span->label : span->label + "  " + s;
  }
  return s;
}

} // namespace

const Table&
resource_table()
{
  using A = Align;
  using T = FieldType;
  static const Table t = {
    "iomem",
    "regions",
    {
      {"START", "START", "start", T::address, A::left, "first address (hex); ? when hidden"},
      {"END", "END", "end", T::address, A::left, "last address, inclusive; ? when hidden"},
      {"RANGE", "RANGE", "", T::range, A::left, "START-END ((hidden) for a non-root reader)"},
      {"SIZE", "SIZE", "size", T::size, A::right, "size with binary units; ? when unknown"},
      {"NAME", "NAME", "name", T::string, A::left,
       "the kernel's name, indented by depth (with --flat: the full path)"},
      {"KIND", "KIND", "kind", T::enumeration, A::left, "what the region is (ram, pci-device, ...)"},
      {"LINE", "LINE", "line", T::count, A::right, "line of the listing"},
      {"BDF", "BDF", "device.bdf", T::bdf, A::left, "the PCI function of a device line or claim"},
      {"DEVICE", "DEVICE", "device", T::string, A::left,
       "BAR, pci.ids name and [driver] of a PCI device line"},
      {"DRIVER", "DRIVER", "device.driver", T::string, A::left,
       "the device's driver; (none) when unbound"},
      {"BAR", "BAR", "device.bar.label", T::string, A::left,
       "the BAR, ROM or VF BAR whose range this line is"},
    },
    {"RANGE", "SIZE", "NAME", "DEVICE"},
    "children",
  };
  return t;
}

namespace {

// One region as the text of one column; "-" where the column does not apply to it.
struct RegionCells {
  const AddressSpace& space;
  const TreeOptions& opts;
  const DeviceLookup& lookup;
  const Style& style;
  int width;

  std::string
  operator()(ResourceCol c, const Region& r, int depth,
             const std::vector<const Region*>& parents) const
  {
    const bool hidden = space.addresses_hidden;
    const bool device = r.kind == RegionKind::pci_device;
    switch (c) {
    case ResourceCol::start: return hidden ? "?" : hex(r.start, width);
    case ResourceCol::end: return hidden ? "?" : hex(r.end, width);
    case ResourceCol::range:
      return hidden ? fmt::format("{:<{}}", "(hidden)", 2 * width + 1)
                    : fmt::format("{}-{}", hex(r.start, width), hex(r.end, width));
    case ResourceCol::size:
      return hidden ? "?" : human_size(r.size(), r.start == 0 && r.end == ~std::uint64_t{0});
    case ResourceCol::name: {
      std::string name;
      if (opts.flat) {
        for (const auto* p : parents) {
          name += p->name + " > ";
        }
        name += r.name;
      } else {
        name = std::string(static_cast<std::size_t>(depth) * 2, ' ') + r.name;
      }
      return style.paint(name, kind_color(r.kind));
    }
    case ResourceCol::kind: return model::to_string(r.kind);
    case ResourceCol::line: return std::to_string(r.line);
    case ResourceCol::bdf:
      return device || (r.kind == RegionKind::driver && !r.owner.bdf.empty()) ? r.owner.bdf
                                                                              : "-";
    case ResourceCol::device: {
      const auto label = label_text(r, lookup);
      return !label.empty() ? style.paint(label, Color::dim) : device ? "?" : "-";
    }
    case ResourceCol::driver:
    case ResourceCol::bar: {
      const auto label = device && lookup ? lookup(r.owner.bdf) : std::nullopt;
      if (!label) {
        return device ? "?" : "-";
      }
      if (c == ResourceCol::driver) {
        return label->driver.empty() ? "(none)" : label->driver;
      }
      const BarSpan* span = matching_span(r, *label);
      return span ? span->label : "-";
    }
    }
    return "?";
  }
};

} // namespace

void
render_tree_text(const AddressSpace& space, const TreeOptions& opts, const DeviceLookup& lookup,
                 const Style& style, std::ostream& out)
{
  const RegionCells cell{space, opts, lookup, style, address_width(space)};
  std::vector<const Region*> path;
  std::vector<TableRow> rows;
  auto add_row = [&](const Region& r, int depth, const std::vector<const Region*>& parents) {
    rows.push_back(table_row<ResourceCol>(
      opts.columns, [&](ResourceCol c) { return cell(c, r, depth, parents); }));
  };
  // The default view: RANGE SIZE  NAME  DEVICE, the device only where there is one.
  auto line = [&](const Region& r, int depth, const std::vector<const Region*>& parents) {
    std::string text = fmt::format("{} {:>6}  {}", cell(ResourceCol::range, r, depth, parents),
                                   cell(ResourceCol::size, r, depth, parents),
                                   cell(ResourceCol::name, r, depth, parents));
    const auto label = label_text(r, lookup);
    if (!label.empty()) {
      text += "  " + style.paint(label, Color::dim);
    }
    out << text << '\n';
  };
  if (opts.columns.is_default) {
    visit_kept(space.regions, opts, lookup, 0, false, path, line);
  } else {
    visit_kept(space.regions, opts, lookup, 0, false, path, add_row);
    render_table(resource_table(), opts.columns, rows, out);
  }

  if (!space.warnings.empty()) {
    out << '\n';
    for (const auto& wdiag : space.warnings) {
      out << style.paint("warning", Color::yellow) << ": " << wdiag.located() << " ["
          << wdiag.id << "]\n";
    }
  }
}

nlohmann::ordered_json
diagnostic_to_json(const model::Diagnostic& d)
{
  nlohmann::ordered_json j;
  j["id"] = d.id;
  j["severity"] = model::to_string(d.severity);
  j["file"] = d.file;
  j["line"] = d.line;
  j["message"] = d.message;
  return j;
}

nlohmann::ordered_json
tree_to_json(const AddressSpace& space, const TreeOptions& opts, const DeviceLookup& lookup)
{
  using json = nlohmann::ordered_json;
  json root = render::json_document();
  root["space"] = space_json_name(space.kind);
  root["source"] = space.source;
  root["addresses_hidden"] = space.addresses_hidden;

  // Build nested arrays following the kept regions; a stack of arrays by depth.
  json regions = json::array();
  std::vector<json*> stack{&regions};
  std::vector<const Region*> path;
  auto add = [&](const Region& r, int depth, const std::vector<const Region*>&) {
    stack.resize(static_cast<std::size_t>(depth) + 1);
    json node;
    // Hidden addresses (a non-root reader's 0-0 lines) are unknown, not 0; a region that
    // spans all 2^64 addresses has a size no JSON integer of 64 bits holds.
    const bool hidden = space.addresses_hidden;
    const bool full_span = r.start == 0 && r.end == ~std::uint64_t{0};
    node["start"] = hidden ? json(nullptr) : json(hex0x(r.start));
    node["end"] = hidden ? json(nullptr) : json(hex0x(r.end));
    node["size"] = hidden || full_span ? json(nullptr) : json(r.size());
    node["name"] = r.name;
    node["kind"] = model::to_string(r.kind);
    node["line"] = r.line;
    if (r.kind == RegionKind::pci_device) {
      json dev;
      dev["bdf"] = r.owner.bdf;
      if (lookup) {
        if (auto label = lookup(r.owner.bdf)) {
          dev["name"] = label->name;
          dev["driver"] = label->driver.empty() ? json(nullptr) : json(label->driver);
          if (const BarSpan* span = matching_span(r, *label)) {
            json bar;
            bar["index"] = span->index;
            bar["kind"] = span->kind;
            bar["bits"] = span->bits == 0 ? json(nullptr) : json(span->bits);
            bar["prefetchable"] = span->prefetchable;
            bar["vf"] = span->vf;
            bar["label"] = span->label;
            dev["bar"] = std::move(bar);
          }
        }
      }
      node["device"] = dev;
    } else if (r.kind == RegionKind::driver && !r.owner.bdf.empty()) {
      node["device"] = json{{"bdf", r.owner.bdf}};
    }
    node["children"] = json::array();
    json& arr = *stack.back();
    arr.push_back(std::move(node));
    stack.push_back(&arr.back()["children"]);
  };
  visit_kept(space.regions, opts, lookup, 0, false, path, add);
  root["regions"] = std::move(regions);
  json warnings = json::array();
  for (const auto& d : space.warnings) {
    warnings.push_back(diagnostic_to_json(d));
  }
  root["warnings"] = std::move(warnings);
  return root;
}

} // namespace memmap::render
