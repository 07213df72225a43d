#include <memmap/render/summary.hpp>

#include <memmap/render/json.hpp>
#include <memmap/render/resource_tree.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <ostream>

namespace memmap::render {

namespace {

using Json = nlohmann::ordered_json;

Json
iomem_json(const model::AddressSpace& sp)
{
  // Hidden: the ranges exist (their names are real), their addresses are unknown.
  const bool hidden = sp.addresses_hidden;
  Json m;
  m["addresses_hidden"] = hidden;
  m["ram_bytes"] = hidden ? Json(nullptr) : Json(model::total_ram(sp));
  auto ranges = Json::array();
  for (const auto* r : model::outermost_ram(sp)) {
    ranges.push_back({{"start", hidden ? Json(nullptr) : Json(hex0x(r->start))},
                      {"end", hidden ? Json(nullptr) : Json(hex0x(r->end))}});
  }
  m["ram_ranges"] = ranges;
  m["regions"] = sp.line_count;
  m["warnings"] = sp.warnings.size();
  return m;
}

void
iomem_text(const model::AddressSpace& sp, const Style& st, std::ostream& out)
{
  const auto ram = model::outermost_ram(sp);
  out << '\n' << st.paint("CPU physical", Color::bold) << " (" << sp.source << ", "
      << sp.line_count << " regions)\n";
  if (sp.addresses_hidden) {
    out << "  RAM: " << ram.size() << " ranges; sizes hidden (needs root)\n";
  } else {
    out << "  RAM: " << human_size(model::total_ram(sp)) << " in " << ram.size()
        << (ram.size() == 1 ? " range" : " ranges") << '\n';
    for (const auto* r : ram) {
      out << fmt::format("    {:#014x}-{:#014x} {:>6}\n", r->start, r->end, human_size(r->size()));
    }
  }
  out << "  Top level:\n";
  int w = 8;
  for (const auto& r : sp.regions) {
    w = std::max(w, hex_digits(r.end));
  }
  for (const auto& r : sp.regions) {
    std::string range = sp.addresses_hidden ? fmt::format("{:<{}}", "(hidden)", 2 * w + 1)
                                            : hex(r.start, w) + "-" + hex(r.end, w);
    out << fmt::format("    {} {:>6}  {}\n", range,
                       sp.addresses_hidden ? "?" : human_size(r.size()),
                       st.paint(r.name, kind_color(r.kind)));
  }
  if (!sp.warnings.empty()) {
    out << "  " << sp.warnings.size() << " warning(s): see `memmap iomem`\n";
  }
}

} // namespace

nlohmann::ordered_json
summary_to_json(const machine::SummaryReport& r)
{
  Json j = json_document();
  j["source"] = r.files_only ? "files" : r.live ? "live" : r.prefix;
  if (r.iomem.space) {
    j["iomem"] = iomem_json(*r.iomem.space);
  }
  if (r.ioports.space) {
    j["ioports"] = {{"addresses_hidden", r.ioports.space->addresses_hidden},
                    {"regions", r.ioports.space->line_count}};
  }
  j["pci_devices"] = r.pci.functions ? Json(*r.pci.functions) : Json(nullptr);
  j["unavailable"] = r.unavailable;
  return j;
}

void
render_summary_text(const machine::SummaryReport& r, const Style& st, std::ostream& out)
{
  out << st.paint(fmt::format("memmap {}", MEMMAP_VERSION), Color::bold) << ": "
      << (r.files_only ? "saved files (" + r.plan + ")"
          : r.live     ? std::string("this machine (live)")
                       : "sysroot " + r.prefix)
      << '\n';
  if (r.iomem.space) {
    iomem_text(*r.iomem.space, st, out);
  }
  if (const auto* io = r.ioports.space) {
    out << '\n' << st.paint("I/O ports", Color::bold) << " (" << io->source
        << "): " << io->line_count << " regions, " << io->regions.size() << " at top level\n";
  }
  out << '\n' << st.paint("PCI", Color::bold) << ": ";
  if (r.pci.functions) {
    out << *r.pci.functions << " functions in " << r.pci.source << '\n';
  } else {
    out << "not read (see below)\n";
  }
  if (!r.unavailable.empty()) {
    out << '\n' << st.paint("Not read", Color::yellow) << ":\n";
    for (const auto& u : r.unavailable) {
      out << "  " << u << '\n';
    }
  }
}

} // namespace memmap::render
