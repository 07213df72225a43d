// lspci's device selection: -s [[[[domain]:]bus]:][slot][.[func]] and -d [vendor]:[device]
// (each part may be empty or "*" for any).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
};

// Throws UsageError naming the bad part ("-s 04:zz.0: slot 'zz' is not hex 00-1f").
void parse_slot_selector(std::string_view text, Selector& sel);
void parse_id_selector(std::string_view text, Selector& sel);

} // namespace memmap::pci
