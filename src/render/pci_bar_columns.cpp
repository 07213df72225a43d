// memmap bar -o: one row per BAR (devices[].bars[] in JSON) as a table; the registry is
// bar_table(). The default view (render_bar_text) keeps its per-device blocks.
#include "pci_internal.hpp"

#include <fmt/format.h>

#include <memmap/render/pci.hpp>

namespace memmap::render {

using pci::Bar;
using pci::BarKind;
using pci::Device;
using namespace pci_detail;

const Table&
bar_table()
{
  using A = Align;
  using T = FieldType;
  static const Table t = {
    "bar",
    "devices[].bars",
    {
      {"BDF", "BDF", "", T::bdf, A::left, "the function (its devices[].bdf in JSON)"},
      {"DEVICE", "DEVICE", "", T::string, A::left,
       "the function's pci.ids name (devices[].name); ? where pci.ids has none"},
      {"DRIVER", "DRIVER", "", T::string, A::left,
       "its driver (devices[].driver): - none bound, ? unknown (a dump without -k)"},
      {"BAR", "BAR", "index", T::count, A::left, "BAR0 to BAR5; a 64-bit BAR at its lower index"},
      {"KIND", "KIND", "kind", T::enumeration, A::left, "io, mem32, mem64, with pref when prefetchable"},
      {"BITS", "BITS", "bits", T::count, A::right, "32 or 64"},
      {"PREF", "PREF", "prefetchable", T::boolean, A::left, "yes when prefetchable"},
      {"START", "START", "cpu_address", T::address, A::left,
       "CPU address (sysfs resource; the bus address for a dump); ? when unassigned or unknown"},
      {"END", "END", "", T::address, A::left, "last address, inclusive; ? when unknown"},
      {"RANGE", "RANGE", "", T::range, A::left, "START-END, as the default view shows it"},
      {"SIZE", "SIZE", "size", T::size, A::right, "size with binary units; ? when unknown"},
      {"BUS", "BUS", "bus_address", T::address, A::left,
       "the bus address the register holds; ? when not read or unassigned"},
      {"OFFSET", "OFFSET", "translation_offset", T::string, A::left,
       "CPU minus bus address where the host bridge translates; - where they are equal or unknown"},
      {"DECODE", "DECODE", "decode_enabled", T::boolean, A::left,
       "the command register's enable for the BAR's kind: on, off, ? not read"},
      {"STATE", "STATE", "state", T::enumeration, A::left,
       "unassigned, ignored, virtual, ...; - for a BAR with an address"},
      {"ALIGNED", "ALIGNED", "naturally_aligned", T::boolean, A::left,
       "yes when the address is a multiple of the size; ? when either is unknown"},
      {"INSIDE", "INSIDE", "inside_parent_window", T::boolean, A::left,
       "yes when the parent bridge's windows hold the BAR; ? when not checked"},
      {"WHERE", "WHERE", "placement", T::string, A::left,
       "the /proc/iomem or /proc/ioports line holding the BAR, with its claimer"},
      {"NOTES", "NOTES", "", T::string, A::left, "the default view's notes column"},
    },
    {"BDF", "BAR", "KIND", "RANGE", "SIZE", "NOTES", "WHERE"},
    "",
  };
  return t;
}

namespace {

std::string
yes_no(std::optional<bool> v, const char* yes = "yes", const char* no = "no")
{
  return v ? (*v ? yes : no) : "?";
}

std::string
cell(BarCol c, const Device& d, const Bar& b, const BarRenderContext& ctx, int width)
{
  const bool io = b.kind == BarKind::io;
  const int w = io ? 4 : width;
  const auto addr = b.cpu_address ? b.cpu_address : b.bus_address;
  const bool unknown_slice = b.from_pf && !addr && !b.unassigned;
  switch (c) {
  case BarCol::bdf: return d.bdf;
  case BarCol::device: return d.name.empty() ? "?" : d.name;
  case BarCol::driver: return !d.driver.empty() ? d.driver : d.driver_known ? "-" : "?";
  case BarCol::bar: return fmt::format("BAR{}", b.index);
  case BarCol::kind: return bar_kind_text(b);
  case BarCol::bits: return std::to_string(b.bits);
  case BarCol::prefetchable: return b.prefetchable ? "yes" : "no";
  case BarCol::start: return addr ? hex(*addr, w) : "?";
  case BarCol::end: return addr && b.size && *b.size ? hex(*addr + *b.size - 1, w) : "?";
  case BarCol::range: return unknown_slice ? std::string("?") : range_text(addr, b.size, w);
  case BarCol::size: return size_text(b.size);
  case BarCol::bus: return b.bus_address ? hex(*b.bus_address, w) : "?";
  case BarCol::offset: {
    const auto off = b.translation_offset();
    if (!off || *off == 0) {
      return "-";
    }
    return offset_text(*off);
  }
  case BarCol::decode: return yes_no(b.decode_enabled, "on", "off");
  case BarCol::state: {
    const auto st = b.state();
    return st.empty() ? "-" : st;
  }
  case BarCol::aligned: return yes_no(b.naturally_aligned());
  case BarCol::inside: return yes_no(b.inside_parent_window);
  case BarCol::where: {
    const auto s = placement_text(b.placement, io ? ctx.ioports_known : ctx.iomem_known,
                                  io ? "/proc/ioports" : "/proc/iomem");
    return s.empty() ? "?" : s;
  }
  case BarCol::notes: {
    const auto s = bar_notes(b, &d);
    return s.empty() ? "-" : s;
  }
  }
  return "?";
}

} // namespace

void
render_bar_table(const std::vector<const Device*>& devices, const BarRenderContext& ctx,
                 const Columns& cols, std::ostream& out)
{
  std::vector<TableRow> rows;
  for (const auto* d : devices) {
    const int width = bar_address_width(*d);
    for (const auto& b : d->bars) {
      rows.push_back(
        table_row<BarCol>(cols, [&](BarCol c) { return cell(c, *d, b, ctx, width); }));
    }
  }
  render_table(bar_table(), cols, rows, out);
}

} // namespace memmap::render
