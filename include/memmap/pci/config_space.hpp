// A function's configuration space as far as it could be read: bytes plus a present mask.
// Non-root sysfs gives 64 bytes, `lspci -x` 64 (128 for CardBus), `-xxx` 256, `-xxxx` 4096;
// every accessor says "unknown" (nullopt) for a byte that was not read, never 0 or 0xff.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace memmap::pci {

class ConfigSpace {
public:
  ConfigSpace() = default;
  // `present[i]` says whether bytes[i] was read; both vectors have the same length
  // (at most 4096; longer input is cut).
  ConfigSpace(std::vector<std::uint8_t> bytes, std::vector<bool> present);
  // All of `bytes` present (a test helper and the dump reader's common case).
  static ConfigSpace from_bytes(std::vector<std::uint8_t> bytes);

  // The span covered (the highest readable offset + 1, rounded as read).
  std::size_t size() const { return m_bytes.size(); }
  bool empty() const { return m_bytes.empty(); }
  // Bytes readable from offset 0 without a gap (64 for a non-root sysfs read).
  std::size_t contiguous() const;

  bool present(std::size_t offset, std::size_t len = 1) const;
  std::optional<std::uint8_t> u8(std::size_t offset) const;
  std::optional<std::uint16_t> u16(std::size_t offset) const;   // little-endian
  std::optional<std::uint32_t> u32(std::size_t offset) const;

  const std::vector<std::uint8_t>& bytes() const { return m_bytes; }

private:
  std::vector<std::uint8_t> m_bytes;
  std::vector<bool> m_present;
};

} // namespace memmap::pci
