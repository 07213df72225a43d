// `memmap tree`: the hierarchy of root buses, bridges with their windows, devices with their BARs.
#include "pci_internal.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <memmap/render/json.hpp>

namespace memmap::render {

using json = nlohmann::ordered_json;
using pci::BarKind;
using pci::Device;
using pci::PciModel;
using pci::WindowKind;
using namespace pci_detail;

namespace {

std::string
short_bdf(const Device& d)
{
  // lspci style: the domain only when it is not 0.
  return d.domain == 0 ? d.bdf.substr(5) : d.bdf;
}

struct TreeWriter {
  const PciModel& model;
  const Style& style;
  std::ostream& out;

  void resources(const Device& d, const std::string& prefix)
  {
    for (const auto& w : d.windows) {
      const int ww = w.kind == WindowKind::io ? 4 : 8;
      const auto v = window_view(w, ww);
      if (!v.in_tree) {
        continue;  // the kernel has no such window, and the registers agree (or read 0)
      }
      if (w.enabled && w.upper_unknown && !w.cpu_start) {
        out << style.paint(fmt::format("{}window {:<4} ?  (upper half of the address not read)",
                                       prefix, window_kind_text(w)),
                           Color::blue)
            << '\n';
        continue;
      }
      std::string line = fmt::format("{}window {:<4} {} {:>5}", prefix, window_kind_text(w),
                                     v.live ? v.range : v.state, v.size);
      if (v.bus_differs) {
        line += fmt::format("  bus {}-{}", hex(w.bus_start, ww), hex(w.bus_end, ww));
      }
      std::vector<std::string> notes = v.extra;
      if (!v.says.empty()) {
        notes.insert(notes.begin(), v.says);
      }
      for (std::size_t i = 0; i < notes.size(); ++i) {
        line += (i ? ", " : "  (") + notes[i] + (i + 1 == notes.size() ? ")" : "");
      }
      out << style.paint(line, Color::blue) << '\n';
    }
    for (const auto& b : d.bars) {
      const auto addr = b.cpu_address ? b.cpu_address : b.bus_address;
      const int w = b.kind == BarKind::io ? 4 : 8;
      const bool unknown_slice = b.from_pf && !addr && !b.unassigned;
      std::string line = fmt::format("{}BAR{}   {:<10} {} {:>5}", prefix, b.index, bar_kind_text(b),
                                     unknown_slice ? std::string("?") : range_text(addr, b.size, w),
                                     size_text(b.size));
      if (auto off = b.translation_offset()) {
        line += "  bus " + hex(*b.bus_address, w);
      }
      if (b.register_address) {
        line += "  (register says " + hex(*b.register_address, w) + ")";
      }
      if (b.inside_parent_window && !*b.inside_parent_window) {
        line += "  OUTSIDE parent windows";
      }
      const auto st = b.state();
      if (!st.empty()) {
        line += "  " + st;
      }
      if (b.from_text) {
        line += "  (lspci text)";
      }
      out << line << '\n';
    }
    if (d.rom) {
      const auto addr = d.rom->cpu_address ? d.rom->cpu_address : d.rom->bus_address;
      out << fmt::format("{}ROM    {:<10} {} {:>5}{}{}\n", prefix, "mem32", range_text(addr, d.rom->size, 8),
                         size_text(d.rom->size), d.rom->enabled ? "" : "  disabled",
                         std::string(d.rom->register_address
                                       ? "  (register says " + hex(*d.rom->register_address, 8) + ")"
                                       : std::string())
                           + (d.rom->from_text ? "  (lspci text)" : ""));
    }
  }

  void device(const Device& d, const std::string& prefix, bool last)
  {
    std::string line = prefix + (last ? "\\- " : "+- ") + short_bdf(d) + " ";
    line += style.paint(d.name, Color::bold);
    if (!d.driver.empty()) {
      line += " [" + d.driver + "]";
    }
    if (d.pcie && d.is_bridge()) {
      line += fmt::format(" ({})", pci::pcie_port_type_name(d.pcie->port_type));
    }
    if (d.buses) {
      line += fmt::format("  -> bus {:02x}", d.buses->secondary);
      if (d.buses->subordinate != d.buses->secondary) {
        line += fmt::format("-{:02x}", d.buses->subordinate);
      }
    }
    out << line << '\n';
    const std::string child_prefix = prefix + (last ? "   " : "|  ");
    const bool has_children = !d.children.empty();
    resources(d, child_prefix + (has_children ? "|     " : "      "));
    for (std::size_t i = 0; i < d.children.size(); ++i) {
      if (const Device* c = model.find(d.children[i])) {
        device(*c, child_prefix, i + 1 == d.children.size());
      }
    }
  }
};

// Root buses: (domain, bus) of the devices with no parent bridge, in order.
std::vector<std::pair<std::uint32_t, int>>
root_buses(const PciModel& model)
{
  std::vector<std::pair<std::uint32_t, int>> roots;
  for (const auto& d : model.devices) {
    if (d.parent_bdf.empty()) {
      const auto key = std::make_pair(d.domain, static_cast<int>(d.bus));
      if (std::find(roots.begin(), roots.end(), key) == roots.end()) {
        roots.push_back(key);
      }
    }
  }
  return roots;
}

json
tree_node(const PciModel& model, const Device& d, int depth)
{
  json j;
  j["bdf"] = d.bdf;
  j["name"] = d.name.empty() ? json(nullptr) : json(d.name);
  j["driver"] = d.driver.empty() ? json(nullptr) : json(d.driver);
  j["header_type"] = d.header_type ? json(*d.header_type) : json(nullptr);
  j["pcie_port_type"] = d.pcie ? json(pci::pcie_port_type_name(d.pcie->port_type)) : json(nullptr);
  if (d.buses) {
    j["secondary_bus"] = d.buses->secondary;
    j["subordinate_bus"] = d.buses->subordinate;
  }
  const json full = device_to_json(d, {});
  j["bridge_windows"] = full["bridge_windows"];
  j["bars"] = full["bars"];
  j["rom"] = full["rom"];
  json children = json::array();
  if (depth < 64) {
    for (const auto& c : d.children) {
      if (const Device* cd = model.find(c)) {
        children.push_back(tree_node(model, *cd, depth + 1));
      }
    }
  }
  j["children"] = std::move(children);
  return j;
}

} // namespace

void
render_tree_text(const PciModel& model, const Style& style, std::ostream& out)
{
  TreeWriter w{model, style, out};
  bool first = true;
  for (const auto& [domain, bus] : root_buses(model)) {
    if (!first) {
      out << '\n';
    }
    first = false;
    out << style.paint(fmt::format("[{:04x}:{:02x}] root bus", domain, bus), Color::blue) << '\n';
    std::vector<const Device*> devs;
    for (const auto& d : model.devices) {
      if (d.parent_bdf.empty() && d.domain == domain && d.bus == bus) {
        devs.push_back(&d);
      }
    }
    for (std::size_t i = 0; i < devs.size(); ++i) {
      w.device(*devs[i], "", i + 1 == devs.size());
    }
  }
  for (const auto& p : model.problems) {
    out << style.paint("warning", Color::yellow) << ": " << p.located() << " [" << p.id << "]\n";
  }
}

json
tree_to_json(const PciModel& model)
{
  json root = json_document();
  json buses = json::array();
  for (const auto& [domain, bus] : root_buses(model)) {
    json b;
    b["domain"] = fmt::format("{:04x}", domain);
    b["bus"] = fmt::format("{:02x}", bus);
    json devs = json::array();
    for (const auto& d : model.devices) {
      if (d.parent_bdf.empty() && d.domain == domain && d.bus == bus) {
        devs.push_back(tree_node(model, d, 0));
      }
    }
    b["devices"] = std::move(devs);
    buses.push_back(std::move(b));
  }
  root["root_buses"] = std::move(buses);
  root["source"] = model.source;
  return root;
}

} // namespace memmap::render
