// What a config-space decoder found wrong, as data: a code, the config-space offset of the
// register at fault and the values read there. The decoders never build message text; the
// one place that does is message() (src/pci/decode_problem.cpp), and diagnostic_id() is the
// one place that sorts the codes into the diagnostic ids users see.
#pragma once

#include <cstdint>
#include <string>

namespace memmap::pci {

enum class DecodeProblem : std::uint8_t {
  // Header. offset: the register; detail: the value read.
  header_all_ones,            // offset 0x00: every byte of 0x00-0x3f reads ff
  unknown_header_type,        // offset 0x0e; detail: the header type (layout bits)

  // Standard capability list. offset: where the walk stood.
  cap_pointer_into_header,    // offset: the pointer read (below 0x40); detail: the register holding it
  cap_list_cycle,             // offset: the capability reached again; detail: the register pointing there
  cap_id_all_ones,            // offset: the entry whose id reads 0xff
  cap_list_too_long,          // offset: the last entry kept; detail: the limit
  // Extended capability list.
  ext_cap_chain_broken,       // offset: the entry; detail: its header (0 or all ones)
  ext_cap_list_cycle,         // offset: the capability reached a second time
  ext_cap_pointer_below_ext,  // offset: the entry; detail: the next pointer (below 0x100)
  ext_cap_list_too_long,      // offset: the last entry kept; detail: the limit
  ext_space_aliased,          // offset 0x100: 0x100-0x13f repeat 0x00-0x3f; not walked

  // Type 1 bridge windows. offset: the base register; detail: base, detail2: limit.
  io_window_range_types,
  memory_window_range_types,
  pref_window_range_types,
  // A 32-bit I/O or 64-bit prefetchable window whose upper registers were not read.
  // offset: the upper base register (0x30 or 0x28).
  io_window_upper_not_read,
  pref_window_upper_not_read,

  // Capability bodies. offset: the register at fault.
  rebar_truncated,            // offset: entry 0's control register
  rebar_no_entries,           // offset: entry 0's control register
  rebar_entry_unreadable,     // offset: the entry's capability register; detail: the entry
  rebar_bar_out_of_range,     // offset: the entry's control register; detail: entry; detail2: BAR
  rebar_bar_repeated,         // as rebar_bar_out_of_range
  sriov_truncated,            // offset: the capability
};

struct DecodeIssue {
  DecodeProblem code{};
  std::uint16_t offset = 0;   // config-space offset of the register at fault
  std::uint32_t detail = 0;   // per code, see DecodeProblem
  std::uint32_t detail2 = 0;

  friend bool operator==(const DecodeIssue&, const DecodeIssue&) = default;
};

// The user-facing text of an issue (without the "BDF: " prefix).
std::string message(const DecodeIssue& issue);

// The diagnostic id an issue is reported under: "pci-config-short" for a register past the
// bytes read (unknown, not malformed), "pci-config-malformed", "pci-capability-chain",
// "pci-rebar", "pci-function-absent".
const char* diagnostic_id(DecodeProblem code);

} // namespace memmap::pci
