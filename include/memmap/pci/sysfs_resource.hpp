// sysfs `resource`: one "0x%016llx 0x%016llx 0x%016llx" line per resource slot (start,
// inclusive end, IORESOURCE_* flags). The layout follows from the line count:
// 7 (IOV off) or 13 (IOV on) for non-bridges, 11 or 17 with the four bridge-window rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <memmap/model/diagnostic.hpp>

namespace memmap::pci {

// IORESOURCE_* bits used here (include/linux/ioport.h; exported through sysfs).
inline constexpr std::uint64_t k_res_io = 0x100;
inline constexpr std::uint64_t k_res_mem = 0x200;
inline constexpr std::uint64_t k_res_prefetch = 0x2000;
inline constexpr std::uint64_t k_res_mem_64 = 0x100000;
inline constexpr std::uint64_t k_res_window = 0x200000;
inline constexpr std::uint64_t k_res_disabled = 0x10000000;
inline constexpr std::uint64_t k_res_unset = 0x20000000;
inline constexpr std::uint64_t k_res_pci_ea_bei = 0x20;
inline constexpr std::uint64_t k_res_rom_enable = 0x1;

struct ResourceRow {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::uint64_t flags = 0;

  bool empty() const { return start == 0 && end == 0 && flags == 0; }
  // Length in bytes; 0 for an empty row.
  std::uint64_t size() const { return (start == 0 && end == 0) || end < start ? 0 : end - start + 1; }
  // The start is an address only when the kernel assigned one.
  bool assigned() const { return size() != 0 && (flags & (k_res_unset | k_res_disabled)) == 0; }
  bool is_io() const { return (flags & k_res_io) != 0; }
  bool is_mem() const { return (flags & k_res_mem) != 0; }
};

struct SysfsResource {
  std::vector<ResourceRow> rows;  // as read, in file order
  bool iov = false;               // 13/17 lines: rows 7-12 are the SR-IOV VF BARs
  bool bridge = false;            // 11/17 lines: the last four rows are bridge windows
  std::vector<model::Diagnostic> problems;  // malformed lines, unknown line count

  const ResourceRow* bar(int i) const;        // rows 0-5
  const ResourceRow* rom() const;             // row 6
  const ResourceRow* vf_bar(int i) const;     // rows 7-12 when iov
  const ResourceRow* bridge_window(int i) const;  // +0 I/O, +1 mem, +2 prefetchable
};

// Parse the text of a `resource` file; `display` names it in problems. Never throws: a bad
// line or count is recorded in `problems` and the rows read so far are kept.
SysfsResource parse_sysfs_resource(std::string_view text, const std::string& display);

} // namespace memmap::pci
