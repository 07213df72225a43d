// What the PCI renderers share (render/pci_*.cpp): the column texts of BARs and windows, the
// bridge window view and the `bar` table's rows. Not part of the public interface.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <memmap/pci/device.hpp>
#include <memmap/render/json.hpp>
#include <memmap/render/pci.hpp>

namespace memmap::render::pci_detail {

// "io", "mem64 pref", "mem32", "mem1M", "mem?".
std::string bar_kind_text(const pci::Bar& b);
// "start-end" in `width` hex digits, "start-?" without a size, "-" without an address.
std::string range_text(std::optional<std::uint64_t> addr, std::optional<std::uint64_t> size, int width);
std::string size_text(std::optional<std::uint64_t> size);
// "io", "mem", "pref".
std::string window_kind_text(const pci::BridgeWindow& w);

// lspci's words for a capability taken from its text, as far as they name it.
std::string text_cap_words(const std::string& words);
// A text capability's lspci words ("" for one walked in config space).
const std::string& cap_text(const pci::Capability& c, const pci::Device& d);

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
// How one bridge window reads in `bar` and `tree`: the kernel's row decides whether it
// exists; the registers are shown beside it only where the two disagree. `ww`: hex digits.
WindowView window_view(const pci::BridgeWindow& w, int ww);

// The `bar` table (pci_bar_rows.cpp): one row per BAR, the ROM and each bridge window. Its
// columns are the fields of BarRow, filled in bar_rows() only.
struct BarRow {
  std::string label, kind, range, size, notes, where;
};
// The hex digits of the memory address column: 8, or more for addresses above 4 GiB.
int bar_address_width(const pci::Device& d);
// "+0x1000", "-0x20000000": a translation offset.
std::string offset_text(std::int64_t off);
std::vector<BarRow> bar_rows(const pci::Device& d, const BarRenderContext& ctx, int width);
// The rows as aligned columns, trailing blanks trimmed.
void write_bar_rows(const std::vector<BarRow>& rows, std::ostream& out);
// A BAR's notes column; `vf`: the device a VF BAR placed from its PF belongs to.
std::string bar_notes(const pci::Bar& b, const pci::Device* vf = nullptr);
// Where an address lies in /proc/iomem or /proc/ioports ("" when that file is unknown).
// The kernel log's account of each of a device's resources (BAR n, ROM, VF BAR n, bridge
// windows by space) that has more than its probe line, in first-mentioned order.
struct ResourceHistory {
  std::string resource;          // "BAR 2", "bridge window pref"
  std::optional<int> number;     // BARs 0-5, ROM 6, VF BARs 7-12 (pci::resource_number)
  std::vector<const pci::LogEvent*> events;
  bool eventful = false;
};
std::vector<ResourceHistory> kernel_history(const pci::KernelLogEvents& log, const pci::Device& d);
std::string event_phrase(const pci::LogEvent& ev);
// "  kernel log (SOURCE, by line):" and one line per resource; nothing without a log.
void write_history(const pci::Device& d, const BarRenderContext& ctx, std::ostream& out);
// The device's "kernel_log" JSON: null when no log was read.
Json history_json(const pci::Device& d, const BarRenderContext& ctx);

std::string placement_text(const std::optional<pci::Placement>& p, bool space_known, const char* space_name);

} // namespace memmap::render::pci_detail
