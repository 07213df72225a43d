// A config space built byte by byte for the decoder tests: Cfg(n).u16(0, 0x8086).u32(...).done().
#pragma once

#include <memmap/pci/config_space.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace memmap::test {

struct Cfg {
  std::vector<std::uint8_t> b;
  explicit Cfg(std::size_t n = 256) : b(n, 0) {}
  Cfg& u8(std::size_t o, std::uint8_t v)
  {
    b[o] = v;
    return *this;
  }
  Cfg& u16(std::size_t o, std::uint16_t v)
  {
    b[o] = v & 0xff;
    b[o + 1] = v >> 8;
    return *this;
  }
  Cfg& u32(std::size_t o, std::uint32_t v)
  {
    u16(o, v & 0xffff);
    return u16(o + 2, static_cast<std::uint16_t>(v >> 16));
  }
  pci::ConfigSpace done() const { return pci::ConfigSpace::from_bytes(b); }
};

} // namespace memmap::test
