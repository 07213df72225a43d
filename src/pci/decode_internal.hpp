// Helpers shared by the decode_*.cpp files; not part of the public interface.
#pragma once

#include <cstdint>

#include <memmap/pci/registers.hpp>

namespace memmap::pci::detail {

// A BAR's address from its register(s): I/O BARs drop bits 1:0, memory BARs bits 3:0.
inline std::uint64_t
bar_address(std::uint32_t low, std::uint32_t high, bool io)
{
  if (io) {
    return low & k_bar_io_address_mask;
  }
  return (static_cast<std::uint64_t>(high) << 32) | (low & k_bar_mem_address_mask);
}

} // namespace memmap::pci::detail
