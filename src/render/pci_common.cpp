// The column texts, bridge window view and iomem spans shared by `bar`, `tree` and `map`.
#include "pci_internal.hpp"

#include <fmt/format.h>

#include <memmap/render/format.hpp>

namespace memmap::render {

using pci::Bar;
using pci::BarKind;
using pci::BridgeWindow;
using pci::Device;
using pci::WindowKind;

namespace pci_detail {

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

namespace {

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

} // namespace

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

} // namespace pci_detail

using namespace pci_detail;

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
