// The one place decode problems become text and diagnostic ids.
#include <memmap/pci/decode_problem.hpp>

#include <fmt/format.h>

namespace memmap::pci {

std::string
message(const DecodeIssue& p)
{
  switch (p.code) {
  case DecodeProblem::header_all_ones:
    return "the header reads all ones (every byte of 0x00-0x3f is ff): the function is powered "
           "off or gone; no BARs decoded";
  case DecodeProblem::unknown_header_type:
    return fmt::format("unknown header type {:#04x}; only sysfs rows decoded", p.detail);
  case DecodeProblem::cap_pointer_into_header:
    return fmt::format("capability pointer {:#04x} points into the header; list ends", p.offset);
  case DecodeProblem::cap_list_cycle:
    return fmt::format("capability chain loops back to {:#04x}", p.offset);
  case DecodeProblem::cap_id_all_ones:
    return fmt::format("capability chain broken at {:#04x} (id 0xff)", p.offset);
  case DecodeProblem::cap_list_too_long:
    return fmt::format("more than {} capabilities; list cut", p.detail);
  case DecodeProblem::ext_cap_chain_broken:
    return fmt::format("extended capability chain broken at {:#05x} (header {:#010x})", p.offset, p.detail);
  case DecodeProblem::ext_cap_list_cycle:
    return fmt::format("extended capability chain loops back to {:#05x}", p.offset);
  case DecodeProblem::ext_cap_pointer_below_ext:
    return fmt::format("extended capability at {:#05x} points to {:#05x}, below 0x100; list ends", p.offset,
                       p.detail);
  case DecodeProblem::ext_cap_list_too_long:
    return fmt::format("more than {} extended capabilities; list cut", p.detail);
  case DecodeProblem::ext_space_aliased:
    return "extended config space repeats the first bytes (aliased); not walked";
  case DecodeProblem::io_window_range_types:
    return fmt::format("unknown I/O window range types {:x}/{:x}", p.detail, p.detail2);
  case DecodeProblem::memory_window_range_types:
    return fmt::format("unknown memory window range types {:x}/{:x}", p.detail, p.detail2);
  case DecodeProblem::pref_window_range_types:
    return fmt::format("unknown prefetchable window range types {:x}/{:x}", p.detail, p.detail2);
  case DecodeProblem::io_window_upper_not_read:
    return fmt::format("I/O window: upper 16 bits ({:#04x}-{:#04x}) not read; its bus address is unknown",
                       p.offset, p.offset + 3U);
  case DecodeProblem::pref_window_upper_not_read:
    return fmt::format("prefetchable window: upper 32 bits ({:#04x}-{:#04x}) not read; its bus address is "
                       "unknown",
                       p.offset, p.offset + 7U);
  case DecodeProblem::rebar_truncated:
    return "Resizable BAR capability truncated";
  case DecodeProblem::rebar_no_entries:
    return "Resizable BAR capability declares 0 BARs (out of spec); no entries listed";
  case DecodeProblem::rebar_entry_unreadable:
    return fmt::format("Resizable BAR entry {} not readable", p.detail);
  case DecodeProblem::rebar_bar_out_of_range:
    return fmt::format("Resizable BAR entry {} names BAR {} (out of range)", p.detail, p.detail2);
  case DecodeProblem::rebar_bar_repeated:
    return fmt::format("Resizable BAR entry {} repeats BAR {}", p.detail, p.detail2);
  case DecodeProblem::sriov_truncated:
    return "SR-IOV capability truncated";
  }
  return "unknown decode problem";
}

const char*
diagnostic_id(DecodeProblem code)
{
  switch (code) {
  case DecodeProblem::header_all_ones:
    return "pci-function-absent";
  case DecodeProblem::io_window_upper_not_read:
  case DecodeProblem::pref_window_upper_not_read:
    // A register that lies past the bytes read is not malformed, only unknown.
    return "pci-config-short";
  case DecodeProblem::cap_pointer_into_header:
  case DecodeProblem::cap_list_cycle:
  case DecodeProblem::cap_id_all_ones:
  case DecodeProblem::cap_list_too_long:
  case DecodeProblem::ext_cap_chain_broken:
  case DecodeProblem::ext_cap_list_cycle:
  case DecodeProblem::ext_cap_pointer_below_ext:
  case DecodeProblem::ext_cap_list_too_long:
  case DecodeProblem::ext_space_aliased:
    return "pci-capability-chain";
  case DecodeProblem::rebar_truncated:
  case DecodeProblem::rebar_no_entries:
  case DecodeProblem::rebar_entry_unreadable:
  case DecodeProblem::rebar_bar_out_of_range:
  case DecodeProblem::rebar_bar_repeated:
    return "pci-rebar";
  case DecodeProblem::unknown_header_type:
  case DecodeProblem::io_window_range_types:
  case DecodeProblem::memory_window_range_types:
  case DecodeProblem::pref_window_range_types:
  case DecodeProblem::sriov_truncated:
    return "pci-config-malformed";
  }
  return "pci-config-malformed";
}

} // namespace memmap::pci
