// The `bar` table's rows: every per-BAR, ROM and window column is filled here, and only here.
#include "pci_internal.hpp"

#include <algorithm>

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
offset_text(std::int64_t off)
{
  return fmt::format("{}{:#x}", off < 0 ? "-" : "+",
                     off < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(off)  // |INT64_MIN| too
                             : static_cast<std::uint64_t>(off));
}

namespace {

// The notes column of a `bar` window row.
std::string
window_notes(const BridgeWindow& w, const WindowView& v)
{
  std::vector<std::string> parts;
  if (v.live || v.range == "?" || w.kernel == pci::KernelWindow::unset) {
    parts.push_back(w.bits ? fmt::format("{}-bit", w.bits) : std::string("?-bit (the kernel's row only)"));
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

std::optional<std::uint64_t>
addr_of(const Bar& b)
{
  return b.cpu_address ? b.cpu_address : b.bus_address;
}

} // namespace

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
bar_notes(const Bar& b, const Device* vf)
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

int
bar_address_width(const Device& d)
{
  int width = 8;
  for (const auto& b : d.bars) {
    if (auto a = addr_of(b)) {
      width = std::max(width, hex_digits(*a + b.size.value_or(1) - 1));
    }
  }
  return width;
}

std::vector<BarRow>
bar_rows(const Device& d, const BarRenderContext& ctx, int width)
{
  std::vector<BarRow> rows;
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
  return rows;
}

void
write_bar_rows(const std::vector<BarRow>& rows, std::ostream& out)
{
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
}

} // namespace pci_detail

} // namespace memmap::render
