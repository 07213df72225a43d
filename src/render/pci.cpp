#include <memmap/render/pci.hpp>
#include <memmap/render/json.hpp>

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace memmap::render {

using json = nlohmann::ordered_json;
using pci::Bar;
using pci::BarKind;
using pci::BridgeWindow;
using pci::Device;
using pci::PciModel;
using pci::WindowKind;

namespace {

json
hex_or_null(const std::optional<std::uint64_t>& v)
{
  return v ? json(hex0x(*v)) : json(nullptr);
}

json
num_or_null(const std::optional<std::uint64_t>& v)
{
  return v ? json(*v) : json(nullptr);
}

std::string
short_bdf(const Device& d)
{
  // lspci style: the domain only when it is not 0.
  return d.domain == 0 ? d.bdf.substr(5) : d.bdf;
}

std::string
bar_kind_text(const Bar& b)
{
  if (b.kind == BarKind::io) {
    return "io";
  }
  std::string s = b.mem_type == "low-1M" ? "mem1M" : b.mem_type == "type 3" ? "mem?" : b.bits == 64 ? "mem64" : "mem32";
  if (b.prefetchable) {
    s += " pref";
  }
  return s;
}

std::string
range_text(std::optional<std::uint64_t> addr, std::optional<std::uint64_t> size, int width)
{
  if (!addr) {
    return "-";
  }
  if (!size || *size == 0) {
    return hex(*addr, width) + "-?";
  }
  return hex(*addr, width) + "-" + hex(*addr + *size - 1, width);
}

std::string
size_text(std::optional<std::uint64_t> size)
{
  return size ? human_size(*size) : "?";
}

std::string
placement_text(const std::optional<pci::Placement>& p, bool space_known, const char* space_name)
{
  if (!space_known) {
    return "";
  }
  if (!p) {
    return fmt::format("not in {}", space_name);
  }
  std::string s = p->path_text();
  if (!p->claimed_by.empty()) {
    s += " > " + p->claimed_by;
  }
  if (!p->exact) {
    s = "inside " + s + " (no line of its own)";
  }
  if (p->by_bus_address) {
    s += " [by bus address]";
  }
  return s;
}

std::string
offset_text(std::int64_t off)
{
  return fmt::format("{}{:#x}", off < 0 ? "-" : "+",
                     off < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(off)  // |INT64_MIN| too
                             : static_cast<std::uint64_t>(off));
}

// `vf`: the device a VF BAR placed from its PF belongs to (for the slice note).
std::string
bar_notes(const Bar& b, const Device* vf = nullptr)
{
  std::vector<std::string> notes;
  const auto st = b.state();
  if (!st.empty()) {
    notes.push_back(st);
  }
  if (b.from_pf && vf) {
    std::string n = fmt::format("slice {} of {} VF BAR{}", vf->vf_index, vf->physfn, b.index);
    if (!b.cpu_address && !b.bus_address && !b.unassigned) {
      n += ": per-VF size unknown (no sysfs resource), address unknown";
    }
    notes.push_back(n);
  }
  if (b.register_address) {
    notes.push_back("register says " + hex(*b.register_address));
  }
  if (b.enhanced) {
    notes.push_back("enhanced allocation");
  }
  if (b.from_text) {
    notes.push_back("from the lspci text");
  }
  if (auto off = b.translation_offset()) {
    notes.push_back(fmt::format("bus {} (offset {})", hex(*b.bus_address), offset_text(*off)));
  } else if (!b.cpu_address && b.bus_address) {
    notes.push_back("bus address");
  }
  if (auto al = b.naturally_aligned(); al && !*al) {
    notes.push_back("not naturally aligned");
  }
  if (b.inside_parent_window && !*b.inside_parent_window) {
    notes.push_back("OUTSIDE parent bridge windows");
  }
  std::string s;
  for (std::size_t i = 0; i < notes.size(); ++i) {
    s += (i ? ", " : "") + notes[i];
  }
  return s;
}

// Wrap "[off] name" items into lines of at most `width` characters.
void
write_wrapped(std::ostream& out, const std::string& head, const std::vector<std::string>& items,
              std::size_t width = 100)
{
  const std::string indent(head.size(), ' ');
  std::string line = head;
  bool first = true;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string item = items[i] + (i + 1 < items.size() ? "," : "");
    if (!first && line.size() + 1 + item.size() > width) {
      out << line << '\n';
      line = indent;
      first = true;
    }
    line += (first ? "" : " ") + item;
    first = false;
  }
  out << line << '\n';
}

// lspci's words for a capability taken from its text, as far as they name it:
// "MSI: Enable+ Count=1/1" -> "MSI"; "Power Budgeting <?>" -> "Power Budgeting".
std::string
text_cap_words(const std::string& words)
{
  std::string w = words.substr(0, words.find_first_of(":,"));
  if (const auto q = w.find(" <?>"); q != std::string::npos) {
    w.erase(q);
  }
  while (!w.empty() && w.back() == ' ') {
    w.pop_back();
  }
  return w;
}

// A text capability's lspci words ("" for one walked in config space).
const std::string&
cap_text(const pci::Capability& c, const Device& d)
{
  static const std::string none;
  return c.text < d.capability_text.size() ? d.capability_text[c.text] : none;
}

std::string
cap_item(const pci::Capability& c, const Device& d)
{
  if (c.from_text) {
    const std::string& words = cap_text(c, d);
    std::string name = c.id_known ? pci::capability_name(c.id, c.extended) : text_cap_words(words);
    if (c.id_known && !c.extended && c.id == 0x10 && words.rfind("Express ", 0) == 0) {
      // "Express (v2) Legacy Endpoint, MSI 00" -> "PCI Express v2 Legacy Endpoint"
      std::string rest = words.substr(8, words.find(',') == std::string::npos ? std::string::npos : words.find(',') - 8);
      if (rest.rfind("(v", 0) == 0 && rest.find(") ") != std::string::npos) {
        rest = rest.substr(1, rest.find(')') - 1) + rest.substr(rest.find(')') + 1);
      }
      name += " " + rest;
    }
    return fmt::format("[{:x}] {}", c.offset, name);
  }
  std::string name = pci::capability_name(c.id, c.extended);
  if (!c.extended && c.id == 0x10 && d.pcie && d.pcie->offset == c.offset) {
    name += fmt::format(" v{} {}", d.pcie->version, pci::pcie_port_type_name(d.pcie->port_type));
  }
  return fmt::format("[{:x}] {}", c.offset, name);
}

// One capability line: the entries walked in config space, then those taken from the lspci
// text (marked), then why the list is incomplete.
void
write_caps(std::ostream& out, const char* head, const pci::CapabilityList& list, const Device& d)
{
  if (list.entries.empty() && !list.access_denied) {
    return;
  }
  std::vector<std::string> items;
  bool text_seen = false;
  for (const auto& c : list.entries) {
    std::string item = cap_item(c, d);
    if (c.from_text && !text_seen) {
      item = "from the lspci text: " + item;
      text_seen = true;
    }
    items.push_back(std::move(item));
  }
  if (list.access_denied && !text_seen) {
    items.push_back(d.config.empty()
                      ? std::string("(unknown: no hex for this function, and the lspci text says <access denied>)")
                      : fmt::format("(the list goes on past the {} bytes of config space read)", d.config.size()));
  }
  write_wrapped(out, head, items);
}

std::string
acs_bits(std::uint16_t v)
{
  static const std::pair<std::uint16_t, const char*> k_bits[] = {
    {0x1, "SV"}, {0x2, "TB"}, {0x4, "RR"}, {0x8, "CR"}, {0x10, "UF"}, {0x20, "EC"}, {0x40, "DT"}};
  std::string s;
  for (const auto& [bit, name] : k_bits) {
    if (v & bit) {
      s += (s.empty() ? "" : " ") + std::string(name);
    }
  }
  return s.empty() ? "none" : s;
}

std::string
window_kind_text(const BridgeWindow& w)
{
  switch (w.kind) {
  case WindowKind::io:
    return "io";
  case WindowKind::mem:
    return "mem";
  case WindowKind::prefetchable:
    return "pref";
  }
  return "mem";
}

// One bridge window as `bar` and `tree` show it (window_view()).
struct WindowView {
  bool live = false;     // forwards a known range (range/size are addresses)
  bool in_tree = false;  // worth a tree line: live, unassigned, or registers that disagree
  std::string range;     // "start-end", "?" or "-"
  std::string size;
  bool bus_differs = false;  // live, and the registers' bus range differs by an offset only
  std::string state;     // not live: "unassigned", "none", "disabled"
  std::string why;       // not live: what the kernel or the registers say
  std::string says;      // "register says ...", where the registers disagree
  std::vector<std::string> extra;
};

std::string
window_decoder_name(const BridgeWindow& w)
{
  return w.kind == WindowKind::io ? "I/O" : w.kind == WindowKind::prefetchable ? "prefetchable" : "memory";
}

// "register says 1000-1fff", "" where the registers give no range.
std::string
register_says(const BridgeWindow& w, int ww)
{
  if (!w.registers_read || w.upper_unknown || !w.registers_enabled) {
    return "";
  }
  std::string s = "register says " + hex(w.bus_start, ww) + "-" + hex(w.bus_end, ww);
  if (w.registers_zero && w.kind != WindowKind::mem) {
    s += ": all 0, as a bridge without " + window_decoder_name(w) + " decode reads";
  }
  return s;
}

// How one bridge window reads in `bar` and `tree`: the kernel's row decides whether it
// exists; the registers are shown beside it only where the two disagree.
WindowView
window_view(const BridgeWindow& w, int ww)
{
  WindowView v;
  if (w.enabled) {
    v.live = v.in_tree = true;
    if (w.upper_unknown && !w.cpu_start) {
      v.live = false;
      v.range = v.size = "?";
      v.extra.push_back("upper half of the bus address not read");
    } else {
      v.range = hex(w.start(), ww) + "-" + hex(w.end(), ww);
      v.size = human_size(w.end() - w.start() + 1);
      if (w.upper_unknown) {
        v.extra.push_back("upper half of the bus address not read");
      } else if (w.kernel == pci::KernelWindow::assigned && w.registers_read && !w.registers_enabled) {
        v.says = "registers say disabled (base > limit)";
      } else if (w.cpu_start && w.cpu_end && w.registers_read
                 && *w.cpu_end - *w.cpu_start != w.bus_end - w.bus_start) {
        v.says = register_says(w, ww);
      } else if (w.cpu_start && w.registers_read && *w.cpu_start != w.bus_start) {
        v.bus_differs = true;
      }
      if (w.uncertain()) {
        v.extra.push_back("registers all 0: the bridge may have no " + window_decoder_name(w)
                          + " decoder (a dump cannot tell)");
      }
    }
  } else {
    v.range = "-";
    v.size = "-";
    v.says = register_says(w, ww);
    switch (w.kernel) {
    case pci::KernelWindow::unset:
      v.in_tree = true;
      v.size = w.kernel_size ? human_size(*w.kernel_size) : "?";
      v.state = "unassigned";
      v.why = "unassigned: the kernel could not give it an address";
      break;
    case pci::KernelWindow::disabled:
      v.in_tree = !v.says.empty() && !w.registers_zero;
      v.state = "disabled";
      v.why = "disabled by the kernel";
      break;
    case pci::KernelWindow::none:
      v.in_tree = !v.says.empty() && !w.registers_zero;
      v.state = v.says.empty() ? "disabled" : "none";
      v.why = v.says.empty() ? "disabled (base > limit)" : "none: the kernel has no such window";
      break;
    case pci::KernelWindow::assigned:  // always enabled
    case pci::KernelWindow::unknown:
      v.state = "disabled";
      v.why = "disabled (base > limit)";
      break;
    }
  }
  if (w.cardbus_index >= 0) {
    v.extra.push_back(fmt::format("CardBus window {}", w.cardbus_index));
  }
  return v;
}

// The notes column of a `bar` window row.
std::string
window_notes(const BridgeWindow& w, const WindowView& v)
{
  std::vector<std::string> parts;
  if (v.live || v.range == "?" || w.kernel == pci::KernelWindow::unset) {
    parts.push_back(fmt::format("{}-bit", w.bits));
  }
  if (v.bus_differs) {
    parts.push_back("bus " + hex(w.bus_start) + "-" + hex(w.bus_end));
  }
  if (!v.why.empty()) {
    parts.push_back(v.why + (v.says.empty() ? "" : " (" + v.says + ")"));
  } else if (!v.says.empty()) {
    parts.push_back(v.says);
  }
  parts.insert(parts.end(), v.extra.begin(), v.extra.end());
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    s += (i ? ", " : "") + parts[i];
  }
  return s;
}

std::string
device_title(const Device& d)
{
  std::string s = d.bdf + "  ";
  s += !d.class_name.empty() ? d.class_name
       : d.class_code       ? fmt::format("Class {:06x}", *d.class_code)
                            : std::string("Class ? (not read)");
  s += ": " + d.name;
  if (d.revision && *d.revision != 0) {
    s += fmt::format(" (rev {:02x})", *d.revision);
  }
  return s;
}

void
write_device(const Device& d, const BarRenderContext& ctx, const Style& style, std::ostream& out)
{
  out << style.paint(device_title(d), Color::bold) << '\n';

  // Identity.
  // A VF's ID registers read ffff by design: say where the IDs shown come from.
  const auto vendor_reg = d.config.u16(0x00);
  const bool regs_ffff = !d.absent && vendor_reg && *vendor_reg == 0xffff;
  std::string id = fmt::format("  id {}:{}", hex_or_unknown(d.vendor_id, 4), hex_or_unknown(d.device_id, 4));
  if (d.ids_from_pf) {
    id += " (its PF's vendor and VF Device ID)";
  } else if (regs_ffff && d.vendor_id && *d.vendor_id != 0xffff) {
    id += " (sysfs; the ID registers read ffff)";
  }
  id += fmt::format("  class {}", hex_or_unknown(d.class_code, 6));
  if (d.ids_from_text) {
    id += " (from the lspci text: no hex for them)";
  }
  if (d.header_type) {
    id += fmt::format("  header {}", *d.header_type);
  }
  if (d.multifunction) {
    id += " (multifunction)";
  }
  if (d.pcie) {
    id += fmt::format("  PCIe {}", pci::pcie_port_type_name(d.pcie->port_type));
  }
  if (!d.physfn.empty()) {
    id += "  VF of " + d.physfn;
    if (d.vf_index >= 0) {
      id += fmt::format(" (VF {})", d.vf_index);
    }
    if (d.physfn_from == Device::PhysfnFrom::pf_capability) {
      id += " by its SR-IOV capability (no physfn link)";
    }
  }
  id += "  driver " + (d.driver.empty() ? std::string("-") : d.driver);
  if (d.numa_node) {
    id += fmt::format("  NUMA {}", *d.numa_node);
  }
  if (d.iommu_group) {
    id += fmt::format("  IOMMU group {}", *d.iommu_group);
  }
  if (!d.parent_bdf.empty()) {
    id += "  behind " + d.parent_bdf;
  }
  out << id << '\n';

  if (d.dma_mask_bits && !d.driver.empty()) {
    std::string dma = fmt::format("  DMA mask {} bits", *d.dma_mask_bits);
    if (d.consistent_dma_mask_bits) {
      dma += fmt::format(" (coherent {})", *d.consistent_dma_mask_bits);
    }
    if (ctx.highest_ram && *d.dma_mask_bits > 0) {
      const int bits = std::min({*d.dma_mask_bits, d.consistent_dma_mask_bits.value_or(64), 64});
      const std::uint64_t limit = bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
      if (*ctx.highest_ram <= limit) {
        dma += fmt::format(": reaches all RAM (highest byte {})", hex(*ctx.highest_ram));
      } else {
        dma += fmt::format(": RAM above {} (up to {}) needs an IOMMU or bounce buffers",
                           hex(limit), hex(*ctx.highest_ram));
      }
    }
    out << dma << '\n';
  }
  if (d.asleep) {
    out << "  " << style.paint("asleep", Color::yellow) << ": power state " << d.power_state
        << ", config space not read (memmap bar --wake reads it and wakes the device)\n";
  }
  if (d.absent) {
    out << "  " << style.paint("absent", Color::yellow)
        << ": the header reads all ones (powered off or gone)\n";
  } else if (regs_ffff && d.physfn.empty()) {
    out << "  Vendor and Device ID registers read ffff, as an SR-IOV VF's do, but no physfn link "
           "or PF in this view places a VF here: not called a VF\n";
  }

  // Rows: BARs, ROM, windows.
  struct Row {
    std::string label, kind, range, size, notes, where;
  };
  std::vector<Row> rows;
  int width = 8;
  auto addr_of = [](const Bar& b) { return b.cpu_address ? b.cpu_address : b.bus_address; };
  for (const auto& b : d.bars) {
    if (auto a = addr_of(b)) {
      width = std::max(width, hex_digits(*a + b.size.value_or(1) - 1));
    }
  }
  for (const auto& b : d.bars) {
    const int w = b.kind == BarKind::io ? 4 : width;
    const bool unknown_slice = b.from_pf && !addr_of(b) && !b.unassigned;
    rows.push_back({fmt::format("BAR{}", b.index), bar_kind_text(b),
                    unknown_slice ? std::string("?") : range_text(addr_of(b), b.size, w),
                    size_text(b.size), bar_notes(b, &d),
                    placement_text(b.placement, b.kind == BarKind::io ? ctx.ioports_known : ctx.iomem_known,
                                   b.kind == BarKind::io ? "/proc/ioports" : "/proc/iomem")});
  }
  if (d.rom) {
    const auto& r = *d.rom;
    std::vector<std::string> notes;
    notes.push_back(r.enabled ? "enabled" : "disabled");
    if (r.is_virtual) {
      notes.push_back("virtual");
    }
    if (r.unassigned) {
      notes.push_back("unassigned");
    }
    if (r.ignored) {
      notes.push_back("ignored");
    }
    if (r.from_text) {
      notes.push_back("from the lspci text");
    }
    if (r.bus_address && r.cpu_address && *r.bus_address != *r.cpu_address) {
      notes.push_back("bus " + hex(*r.bus_address));
    }
    if (r.register_address) {
      notes.push_back("register says " + hex(*r.register_address));
    }
    std::string n;
    for (std::size_t i = 0; i < notes.size(); ++i) {
      n += (i ? ", " : "") + notes[i];
    }
    const auto addr = r.cpu_address ? r.cpu_address : r.bus_address;
    rows.push_back({"ROM", "mem32", range_text(addr, r.size, width), size_text(r.size), n,
                    placement_text(r.placement, ctx.iomem_known, "/proc/iomem")});
  }
  for (const auto& w : d.windows) {
    const auto v = window_view(w, w.kind == WindowKind::io ? 4 : width);
    rows.push_back({"window", window_kind_text(w), v.range, v.size, window_notes(w, v), ""});
  }
  std::size_t wl = 0, wk = 0, wr = 0, ws = 0, wn = 0;
  for (const auto& r : rows) {
    wl = std::max(wl, r.label.size());
    wk = std::max(wk, r.kind.size());
    wr = std::max(wr, r.range.size());
    ws = std::max(ws, r.size.size());
    wn = std::max(wn, r.notes.size());
  }
  for (const auto& r : rows) {
    std::string line = fmt::format("  {:<{}}  {:<{}}  {:<{}}  {:>{}}", r.label, wl, r.kind, wk, r.range, wr,
                                   r.size, ws);
    if (wn > 0) {
      line += fmt::format("  {:<{}}", r.notes, wn);
    }
    if (!r.where.empty()) {
      line += "  " + r.where;
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out << line << '\n';
  }
  if (d.buses) {
    out << fmt::format("  buses primary {:02x}, secondary {:02x}, subordinate {:02x}\n", d.buses->primary,
                       d.buses->secondary, d.buses->subordinate);
  }

  if (d.msix) {
    const auto& m = *d.msix;
    out << fmt::format("  MSI-X {} vectors, table BAR{}+{:#x}, PBA BAR{}+{:#x}, {}\n", m.table_size, m.table_bar,
                       m.table_offset, m.pba_bar, m.pba_offset, m.enabled ? "enabled" : "disabled");
  }
  for (const auto& rb : d.rebars) {
    for (const auto& e : rb.entries) {
      std::string sizes;
      for (auto s : e.supported_sizes) {
        sizes += (sizes.empty() ? "" : " ") + human_size(s);
      }
      out << fmt::format("  {} BAR{}: current {}, supported {}\n", rb.vf ? "VF ReBAR" : "ReBAR", e.bar,
                         e.current_size ? human_size(*e.current_size) : "?", sizes.empty() ? "-" : sizes);
    }
  }
  if (d.sriov) {
    const auto& s = *d.sriov;
    out << fmt::format("  SR-IOV TotalVFs {}, NumVFs {}, InitialVFs {}, VF offset {}, stride {}, VF device {:04x}, "
                       "VFs {}\n",
                       s.total_vfs, s.num_vfs, s.initial_vfs, s.first_vf_offset, s.vf_stride, s.vf_device_id,
                       s.vf_enable ? "enabled" : "disabled");
    for (std::size_t i = 0; i < s.vf_bars.size(); ++i) {
      const auto& b = s.vf_bars[i];
      const auto addr = b.cpu_address ? b.cpu_address : b.bus_address;
      // The whole aperture, with bus and CPU addresses as for ordinary BARs.
      std::string line = fmt::format("    VF BAR{} {:<10} {}", b.index, bar_kind_text(b),
                                     range_text(addr, s.vf_apertures[i], width));
      line += fmt::format("  {} per VF", size_text(b.size));
      if (s.vf_apertures[i]) {
        line += fmt::format(", aperture {}", human_size(*s.vf_apertures[i]));
      } else {
        line += " (per-VF size from sysfs `resource` only)";
      }
      if (const auto notes = bar_notes(b); !notes.empty()) {
        line += ", " + notes;
      }
      const auto where = placement_text(b.placement, ctx.iomem_known, "/proc/iomem");
      if (!where.empty()) {
        line += "  " + where;
      }
      out << line << '\n';
    }
  }
  if (d.acs) {
    out << fmt::format("  ACS   capable {}; enabled {}\n", acs_bits(d.acs->capability),
                       d.acs->control ? acs_bits(*d.acs->control) : std::string("?"));
  }

  write_caps(out, "  caps  ", d.capabilities, d);
  write_caps(out, "  ecaps ", d.extended_capabilities, d);
  for (const auto& p : d.problems) {
    out << "  " << style.paint("warning", Color::yellow) << ": " << p.located() << " [" << p.id << "]\n";
  }
}

json
bar_json(const Bar& b)
{
  json j;
  j["index"] = b.index;
  j["kind"] = pci::to_string(b.kind);
  j["bits"] = b.bits;
  j["prefetchable"] = b.prefetchable;
  j["bus_address"] = hex_or_null(b.bus_address);
  j["cpu_address"] = hex_or_null(b.cpu_address);
  j["size"] = num_or_null(b.size);
  j["decode_enabled"] = b.decode_enabled;
  // Extras.
  const auto st = b.state();
  j["state"] = st.empty() ? json(nullptr) : json(st);
  if (auto off = b.translation_offset()) {
    j["translation_offset"] = *off;
  }
  if (auto al = b.naturally_aligned()) {
    j["naturally_aligned"] = *al;
  }
  if (b.inside_parent_window) {
    j["inside_parent_window"] = *b.inside_parent_window;
  }
  if (b.register_address) {
    j["register_address"] = hex0x(*b.register_address);
  }
  if (b.from_pf) {
    j["from_pf"] = true;
  }
  if (b.from_text) {
    j["source"] = "lspci-text";
  }
  return j;
}

json
placement_json(const std::optional<pci::Placement>& p, const char* space)
{
  if (!p) {
    return nullptr;
  }
  json j;
  j["space"] = space;
  j["path"] = p->path();
  j["claimed_by"] = p->claimed_by.empty() ? json(nullptr) : json(p->claimed_by);
  j["exact"] = p->exact;
  j["by_bus_address"] = p->by_bus_address;
  return j;
}

json
caps_json(const pci::CapabilityList& list, bool extended, const Device& d)
{
  json arr = json::array();
  for (const auto& c : list.entries) {
    json j;
    const std::string id = extended ? fmt::format("{:#06x}", c.id) : fmt::format("{:#04x}", c.id);
    j["id"] = c.id_known ? json(id) : json(nullptr);
    j["offset"] = fmt::format("{:#x}", c.offset);
    j["name"] = c.id_known ? pci::capability_name(c.id, extended) : text_cap_words(cap_text(c, d));
    if (extended) {
      j["version"] = c.version_known ? json(c.version) : json(nullptr);
    }
    if (c.from_text) {
      j["source"] = "lspci-text";
      j["text"] = cap_text(c, d);
    }
    arr.push_back(std::move(j));
  }
  return arr;
}

} // namespace

void
render_bar_text(const PciModel& model, const std::vector<const Device*>& devices, const BarRenderContext& ctx,
                const Style& style, std::ostream& out)
{
  (void)model;
  bool first = true;
  for (const auto* d : devices) {
    if (!first) {
      out << '\n';
    }
    first = false;
    write_device(*d, ctx, style, out);
  }
}

json
device_to_json(const Device& d, const BarRenderContext& ctx)
{
  (void)ctx;
  json j;
  j["bdf"] = d.bdf;
  j["vendor_id"] = hex_or_null(d.vendor_id, 4);
  j["device_id"] = hex_or_null(d.device_id, 4);
  j["class"] = hex_or_null(d.class_code, 6);
  if (d.ids_from_text) {
    j["id_source"] = "lspci-text";
  }
  j["header_type"] = d.header_type ? json(*d.header_type) : json(nullptr);
  json bars = json::array();
  for (const auto& b : d.bars) {
    json bj = bar_json(b);
    bj["placement"] = placement_json(b.placement, b.kind == BarKind::io ? "ioports" : "iomem");
    bars.push_back(std::move(bj));
  }
  j["bars"] = std::move(bars);
  if (d.rom) {
    json r;
    r["bus_address"] = hex_or_null(d.rom->bus_address);
    r["cpu_address"] = hex_or_null(d.rom->cpu_address);
    r["size"] = num_or_null(d.rom->size);
    r["enabled"] = d.rom->enabled;
    r["virtual"] = d.rom->is_virtual;
    if (d.rom->register_address) {
      r["register_address"] = hex0x(*d.rom->register_address);
    }
    if (d.rom->from_text) {
      r["source"] = "lspci-text";
    }
    r["placement"] = placement_json(d.rom->placement, "iomem");
    j["rom"] = std::move(r);
  } else {
    j["rom"] = nullptr;
  }
  json wins = json::array();
  for (const auto& w : d.windows) {
    if (!w.enabled && w.kernel != pci::KernelWindow::unset && !(w.kernel != pci::KernelWindow::unknown
                                                                && w.registers_enabled)) {
      continue;  // disabled, and nothing disagrees
    }
    json wj;
    wj["kind"] = pci::to_string(w.kind);
    wj["bits"] = w.bits;
    const bool known = w.enabled && !w.upper_unknown;
    wj["start"] = known || (w.enabled && w.cpu_start) ? json(hex0x(w.start())) : json(nullptr);
    wj["end"] = known || (w.enabled && w.cpu_end) ? json(hex0x(w.end())) : json(nullptr);
    const bool bus_known = known && w.registers_read && w.registers_enabled;
    wj["bus_start"] = bus_known ? json(hex0x(w.bus_start)) : json(nullptr);
    wj["bus_end"] = bus_known ? json(hex0x(w.bus_end)) : json(nullptr);
    // Extras: the kernel's word and the registers'.
    wj["state"] = w.enabled                                ? "enabled"
                  : w.kernel == pci::KernelWindow::unset    ? "unassigned"
                  : w.kernel == pci::KernelWindow::disabled ? "disabled"
                                                            : "absent";
    wj["source"] = w.kernel == pci::KernelWindow::unknown ? "registers" : "kernel";
    wj["certain"] = !w.uncertain();
    wj["size"] = w.enabled && (known || w.cpu_start) ? json(w.end() - w.start() + 1) : num_or_null(w.kernel_size);
    const bool regs = w.registers_read && !w.upper_unknown && w.registers_enabled;
    wj["register_start"] = regs ? json(hex0x(w.bus_start)) : json(nullptr);
    wj["register_end"] = regs ? json(hex0x(w.bus_end)) : json(nullptr);
    wins.push_back(std::move(wj));
  }
  j["bridge_windows"] = std::move(wins);
  j["capabilities"] = caps_json(d.capabilities, false, d);
  j["extended_capabilities"] = caps_json(d.extended_capabilities, true, d);
  json rebar = json::array();
  for (const auto& rb : d.rebars) {
    if (rb.vf) {
      continue;
    }
    for (const auto& e : rb.entries) {
      json ej;
      ej["bar"] = e.bar;
      ej["supported_sizes"] = e.supported_sizes;
      ej["current_size"] = num_or_null(e.current_size);
      rebar.push_back(std::move(ej));
    }
  }
  j["resizable_bar"] = std::move(rebar);
  if (d.sriov) {
    json s;
    s["total_vfs"] = d.sriov->total_vfs;
    s["num_vfs"] = d.sriov->num_vfs;
    json vfb = json::array();
    for (std::size_t i = 0; i < d.sriov->vf_bars.size(); ++i) {
      const auto& b = d.sriov->vf_bars[i];
      json bj;
      bj["index"] = b.index;
      bj["kind"] = pci::to_string(b.kind);
      bj["bits"] = b.bits;
      bj["prefetchable"] = b.prefetchable;
      bj["bus_address"] = hex_or_null(b.bus_address);
      bj["size"] = num_or_null(b.size);
      bj["cpu_address"] = hex_or_null(b.cpu_address);
      bj["aperture"] = num_or_null(d.sriov->vf_apertures[i]);
      if (auto off = b.translation_offset()) {
        bj["translation_offset"] = *off;
      }
      if (b.register_address) {
        bj["register_address"] = hex0x(*b.register_address);
      }
      vfb.push_back(std::move(bj));
    }
    s["vf_bars"] = std::move(vfb);
    s["initial_vfs"] = d.sriov->initial_vfs;
    s["vf_offset"] = d.sriov->first_vf_offset;
    s["vf_stride"] = d.sriov->vf_stride;
    s["vf_device_id"] = fmt::format("{:#06x}", d.sriov->vf_device_id);
    s["vf_enable"] = d.sriov->vf_enable;
    j["sriov"] = std::move(s);
  } else {
    j["sriov"] = nullptr;
  }

  // Extras.
  j["name"] = d.name;
  j["class_name"] = d.class_name;
  j["driver"] = d.driver.empty() ? json(nullptr) : json(d.driver);
  j["numa_node"] = d.numa_node ? json(*d.numa_node) : json(nullptr);
  j["iommu_group"] = d.iommu_group ? json(*d.iommu_group) : json(nullptr);
  j["dma_mask_bits"] = d.dma_mask_bits ? json(*d.dma_mask_bits) : json(nullptr);
  j["consistent_dma_mask_bits"] = d.consistent_dma_mask_bits ? json(*d.consistent_dma_mask_bits) : json(nullptr);
  j["power_state"] = d.power_state.empty() ? json(nullptr) : json(d.power_state);
  j["config_bytes"] = d.config.size();
  j["asleep"] = d.asleep;
  j["absent"] = d.absent;
  j["physfn"] = d.physfn.empty() ? json(nullptr) : json(d.physfn);
  j["physfn_from"] = d.physfn_from == Device::PhysfnFrom::link            ? json("link")
                     : d.physfn_from == Device::PhysfnFrom::pf_capability ? json("pf-sriov-capability")
                                                                          : json(nullptr);
  j["vf_index"] = d.vf_index >= 0 ? json(d.vf_index) : json(nullptr);
  j["ids_from_pf"] = d.ids_from_pf;
  j["multifunction"] = d.multifunction;
  j["parent"] = d.parent_bdf.empty() ? json(nullptr) : json(d.parent_bdf);
  j["pcie_port_type"] = d.pcie ? json(pci::pcie_port_type_name(d.pcie->port_type)) : json(nullptr);
  if (d.acs) {
    j["acs"] = json{{"capability", fmt::format("{:#06x}", d.acs->capability)},
                    {"control", d.acs->control ? json(fmt::format("{:#06x}", *d.acs->control)) : json(nullptr)}};
  } else {
    j["acs"] = nullptr;
  }
  if (d.msix) {
    j["msix"] = json{{"vectors", d.msix->table_size},
                     {"table_bar", d.msix->table_bar},
                     {"table_offset", hex0x(d.msix->table_offset)},
                     {"pba_bar", d.msix->pba_bar},
                     {"pba_offset", hex0x(d.msix->pba_offset)},
                     {"enabled", d.msix->enabled}};
  } else {
    j["msix"] = nullptr;
  }
  if (d.rom && d.rom->raw) {
    // nothing more: raw registers are not part of the contract
  }
  json problems = json::array();
  for (const auto& p : d.problems) {
    problems.push_back(diagnostic_to_json(p));
  }
  j["problems"] = std::move(problems);
  return j;
}

json
bar_to_json(const PciModel& model, const std::vector<const Device*>& devices, const BarRenderContext& ctx)
{
  json root = json_document();
  json arr = json::array();
  for (const auto* d : devices) {
    arr.push_back(device_to_json(*d, ctx));
  }
  root["devices"] = std::move(arr);
  root["source"] = model.source;
  json problems = json::array();
  for (const auto& p : model.problems) {
    problems.push_back(diagnostic_to_json(p));
  }
  root["problems"] = std::move(problems);
  return root;
}

// ---------------------------------------------------------------------------------------
// Tree

namespace {

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
  j["name"] = d.name;
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

std::vector<BarSpan>
bar_spans(const Device& d)
{
  std::vector<BarSpan> out;
  for (const auto& b : d.bars) {
    if (!b.cpu_address && !b.bus_address) {
      continue;
    }
    if (!b.size || *b.size == 0) {
      continue;
    }
    BarSpan s;
    s.start = b.cpu_address ? *b.cpu_address : *b.bus_address;
    s.end = s.start + *b.size - 1;
    s.index = b.index;
    s.kind = pci::to_string(b.kind);
    s.bits = b.bits;
    s.prefetchable = b.prefetchable;
    s.label = fmt::format("BAR{} {}", b.index, bar_kind_text(b));
    out.push_back(s);
  }
  if (d.rom && d.rom->size && (d.rom->cpu_address || d.rom->bus_address)) {
    BarSpan s;
    s.start = d.rom->cpu_address ? *d.rom->cpu_address : *d.rom->bus_address;
    s.end = s.start + *d.rom->size - 1;
    s.index = 6;
    s.kind = "rom";
    s.label = "ROM";
    out.push_back(s);
  }
  if (d.sriov) {
    for (std::size_t i = 0; i < d.sriov->vf_bars.size(); ++i) {
      const auto& b = d.sriov->vf_bars[i];
      const auto ap = d.sriov->vf_apertures[i];
      if (!b.cpu_address || !ap) {
        continue;
      }
      BarSpan s;
      s.start = *b.cpu_address;
      s.end = s.start + *ap - 1;
      s.index = b.index;
      s.kind = pci::to_string(b.kind);
      s.bits = b.bits;
      s.prefetchable = b.prefetchable;
      s.vf = true;
      s.label = fmt::format("VF BAR{} {}", b.index, bar_kind_text(b));
      out.push_back(s);
    }
  }
  return out;
}

} // namespace memmap::render
