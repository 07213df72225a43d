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
  std::size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }
  // Bytes readable from offset 0 without a gap (64 for a non-root sysfs read).
  std::size_t contiguous() const { return m_contiguous; }

  bool present(std::size_t offset, std::size_t len = 1) const;
  std::optional<std::uint8_t> u8(std::size_t offset) const;
  std::optional<std::uint16_t> u16(std::size_t offset) const;   // little-endian
  std::optional<std::uint32_t> u32(std::size_t offset) const;

  // All size() bytes (those not read as 0): a copy, for the rare caller that needs them.
  std::vector<std::uint8_t> bytes() const;

private:
  std::uint8_t at(std::size_t offset) const { return offset < m_bytes.size() ? m_bytes[offset] : 0; }

  // Stored compactly: a 4096-byte extended config space is mostly zeros past its last
  // capability, and a big machine holds thousands of them (64 MiB at 16384 functions). Bytes
  // past the last non-zero one are not stored (they read as 0), and the present mask is kept
  // only when it has a gap.
  std::vector<std::uint8_t> m_bytes;
  std::vector<bool> m_present;   // empty: every byte below m_size is present
  std::size_t m_size = 0;
  std::size_t m_contiguous = 0;
};

} // namespace memmap::pci
