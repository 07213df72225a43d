#pragma once

// Token readers shared by kernel_log.cpp and kernel_log_format.cpp (private to src/pci).
// Each `eat_*` consumes what it read from the front of `s` and leaves `s` as it was when
// the text there is not of its form.

#include <memmap/pci/kernel_log.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace memmap::pci::klog {

bool eat(std::string_view& s, std::string_view prefix);
// Hex digits, "0x" optional (%llx and %#llx both); nullopt past 64 bits.
std::optional<std::uint64_t> eat_hex(std::string_view& s);
std::optional<std::uint64_t> eat_dec(std::string_view& s);
// "[mem 0x...-0x... 64bit pref]" as lib/vsprintf.c resource_string() writes it.
std::optional<LogRange> eat_range(std::string_view& s);
// A 6.8+ resource name (drivers/pci/pci.c pci_resource_name()) and the space before "[".
std::optional<LogResourceId> eat_resource_name(std::string_view& s);
// The resource an old-form message names by its index in pci_dev.resource[] ("BAR 13").
LogResourceId from_resno(unsigned n);
// The resource of probe.c's old "reg 0x10: [...]" (a config register offset).
LogResourceId from_reg(std::uint64_t reg);

} // namespace memmap::pci::klog
