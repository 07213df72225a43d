// lspci's device selection: -s [[[[domain]:]bus]:][slot][.[func]] and -d [vendor]:[device]
// (each part may be empty or "*" for any).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <memmap/pci/device.hpp>

namespace memmap::pci {

struct Selector {
  std::optional<std::uint32_t> domain;
  std::optional<std::uint8_t> bus;
  std::optional<std::uint8_t> slot;
  std::optional<std::uint8_t> func;
  std::optional<std::uint16_t> vendor;
  std::optional<std::uint16_t> device;

  bool matches(const Device& d) const;
  // The address part only, against a canonical "dddd:bb:dd.f" (false for another name).
  bool matches_address(std::string_view bdf) const;
};

// Throws UsageError naming the bad part ("-s 04:zz.0: slot 'zz' is not hex 00-1f"); `option`
// is how the message names the option ("-s", "--device").
void parse_slot_selector(std::string_view text, Selector& sel, const char* option = "-s");
void parse_id_selector(std::string_view text, Selector& sel);

// The one PCI function an lspci -s selector names among `bdfs` (canonical BDFs, any order):
// "4:0.0", "04:00", "0000:04:00.0", ".2" ... Throws UsageError naming `option` when the text
// is not a selector, matches no function ("matches no PCI function") or several (naming them).
std::string select_one(std::string_view text, const std::vector<std::string>& bdfs,
                       const char* option);

} // namespace memmap::pci
