#include <memmap/render/resolve.hpp>

#include <fmt/format.h>

namespace memmap::render {

using machine::BarHit;
using machine::RegionHit;
using machine::ResolveReport;
using machine::Space;

namespace {

std::string
bar_kind_text(const BarHit& b)
{
  if (b.kind == "io") {
    return "io";
  }
  return fmt::format("mem{}{}", b.bits, b.prefetchable ? " pref" : "");
}

std::string
driver_text(const BarHit& b)
{
  if (!b.driver.empty()) {
    return " [" + b.driver + "]";
  }
  return b.driver_known ? " [no driver]" : "";
}

std::string
path_text(const std::vector<RegionHit>& path)
{
  std::string s;
  for (const auto& h : path) {
    s += (s.empty() ? "" : " > ") + h.name;
  }
  return s;
}

// The regions on the way down to `addr`, outermost first, with the offset into each.
Json
path_json(const std::vector<RegionHit>& path, std::uint64_t addr)
{
  Json a = Json::array();
  for (const auto& h : path) {
    a.push_back({{"start", hex0x(h.start)},
                 {"end", hex0x(h.end)},
                 {"name", h.name},
                 {"kind", h.kind},
                 {"line", h.line},
                 {"offset", hex0x(addr - h.start)}});
  }
  return a;
}

} // namespace

void
render_resolve_text(const ResolveReport& r, const Style& style, std::ostream& out)
{
  out << style.paint(fmt::format("{:#x}", r.address), Color::bold) << " ("
      << machine::to_string(r.space) << (r.group ? fmt::format(", group {}", *r.group) : "")
      << ")\n";
  if (r.tree && r.tree->searched && !r.tree->path.empty()) {
    // Each region on the way down with its range and the offset into it, so a listing
    // alone (--iomem FILE) still says where inside each region the address lies.
    out << "  " << r.tree->source << ":\n";
    int depth = 0;
    for (const auto& h : r.tree->path) {
      out << fmt::format("  {:{}}{:x}-{:x}  {}  +{:#x}\n", "", 2 * (depth + 1), h.start, h.end,
                         h.name, r.address - h.start);
      ++depth;
    }
  }
  if (r.in_ram) {
    out << (r.numa_node ? fmt::format("  RAM on NUMA node {}\n", *r.numa_node)
                        : fmt::format("  RAM (NUMA node unknown: {})\n", r.numa_why));
  }
  for (const auto& w : r.windows) {
    out << fmt::format("  window of bridge {}: {} {}{:#x}-{:#x}", w.bdf, w.kind,
                       r.space == Space::pci_bus ? "bus " : "", w.start, w.end);
    if (w.cpu_address) {
      out << fmt::format(" (CPU {:#x})", *w.cpu_address);
    }
    out << '\n';
  }
  for (const auto& b : r.bars) {
    out << fmt::format("  {} {} {} {}{:#x}-{:#x}, offset {:#x}", b.bdf, b.what, bar_kind_text(b),
                       r.space == Space::pci_bus ? "bus " : "", b.start, b.end, b.offset);
    if (b.vf) {
      out << fmt::format(" (VF {})", *b.vf);
    }
    out << ": " << b.name << driver_text(b) << '\n';
    if (r.space == Space::pci_bus) {
      if (b.cpu_address) {
        out << fmt::format("    CPU physical {:#x}", *b.cpu_address);
        out << (b.cpu_path.empty() ? std::string(" (not in /proc/iomem, or it was not read)")
                                   : ": " + path_text(b.cpu_path))
            << '\n';
      } else {
        out << "    CPU physical address unknown (no sysfs resource row or lspci -v text)\n";
      }
    }
  }
  for (const auto& rr : r.reserved) {
    out << fmt::format("  group {} reserved region {:#x}-{:#x} {}\n", rr.group, rr.start, rr.end,
                       rr.type);
  }
  if (r.space == Space::iova && r.reserved.empty() && r.group) {
    out << fmt::format("  group {}: not a reserved region; which buffer it maps is visible live "
                       "only (memmap trace shows outstanding mappings)\n",
                       *r.group);
  }
  if (r.tree && !r.tree->searched) {
    out << "  " << r.tree->why_not << '\n';
  }
  if (!r.pci_searched && r.space != Space::iova) {
    out << "  PCI devices not searched: " << r.pci_why << '\n';
  }
  if (!r.hint.empty()) {
    out << "  " << style.paint("hint: " + r.hint, Color::yellow) << '\n';
  }
  if (!r.found) {
    out << (r.inconclusive ? "  not found, but the sources above were not searched\n"
                           : "  nothing in this source contains it\n");
  }
}

Json
resolve_to_json(const ResolveReport& r)
{
  Json j = json_document();
  j["address"] = hex0x(r.address);
  j["space"] = machine::to_string(r.space);
  if (r.group) {
    j["group"] = *r.group;
  }
  // The resource tree of the address's space (iomem, or ioports for --io); null when it was
  // not searched (not read, or hidden), with the reason in not_searched.
  if (r.tree) {
    if (r.tree->searched) {
      j[r.tree->name] = path_json(r.tree->path, r.address);
    } else {
      j[r.tree->name] = nullptr;
    }
  }
  j["ram"] = r.in_ram ? Json{{"numa_node", r.numa_node ? Json(*r.numa_node) : Json(nullptr)}}
                      : Json(nullptr);
  Json bars = Json::array();
  for (const auto& b : r.bars) {
    Json e = {{"bdf", b.bdf},
              {"bar", b.bar},
              {"what", b.what},
              {"space", machine::to_string(r.space)},
              {"kind", b.kind},
              {"bits", b.bits},
              {"prefetchable", b.prefetchable},
              {"start", hex0x(b.start)},
              {"end", hex0x(b.end)},
              {"offset", hex0x(b.offset)},
              {"vf", b.vf ? Json(*b.vf) : Json(nullptr)},
              {"name", b.name},
              {"driver", !b.driver.empty() ? Json(b.driver) : Json(nullptr)}};
    if (r.space == Space::pci_bus) {
      e["cpu_address"] = b.cpu_address ? Json(hex0x(*b.cpu_address)) : Json(nullptr);
      e["iomem"] = b.cpu_address ? path_json(b.cpu_path, *b.cpu_address) : Json(nullptr);
    }
    bars.push_back(std::move(e));
  }
  j["bars"] = std::move(bars);
  Json windows = Json::array();
  for (const auto& w : r.windows) {
    Json e = {{"bdf", w.bdf},
              {"kind", w.kind},
              {"space", machine::to_string(r.space)},
              {"start", hex0x(w.start)},
              {"end", hex0x(w.end)}};
    if (r.space == Space::pci_bus) {
      e["cpu_address"] = w.cpu_address ? Json(hex0x(*w.cpu_address)) : Json(nullptr);
    }
    windows.push_back(std::move(e));
  }
  j["windows"] = std::move(windows);
  Json reserved = Json::array();
  for (const auto& rr : r.reserved) {
    reserved.push_back({{"group", rr.group},
                        {"start", hex0x(rr.start)},
                        {"end", hex0x(rr.end)},
                        {"type", rr.type}});
  }
  j["reserved"] = std::move(reserved);
  Json not_searched = Json::array();
  if (r.tree && !r.tree->searched) {
    not_searched.push_back({{"source", r.tree->name}, {"why", r.tree->why_not}});
  }
  if (!r.pci_searched && r.space != Space::iova) {
    not_searched.push_back({{"source", "pci"}, {"why", r.pci_why}});
  }
  j["not_searched"] = std::move(not_searched);
  j["hint"] = r.hint.empty() ? Json(nullptr) : Json(r.hint);
  j["found"] = r.found;
  j["inconclusive"] = r.inconclusive;
  return j;
}

} // namespace memmap::render
