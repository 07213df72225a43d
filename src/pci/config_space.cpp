#include <memmap/pci/config_space.hpp>

#include <algorithm>

namespace memmap::pci {

namespace {

constexpr std::size_t k_max_config = 4096;

} // namespace

ConfigSpace::ConfigSpace(std::vector<std::uint8_t> bytes, std::vector<bool> present)
  : m_bytes(std::move(bytes)),
    m_present(std::move(present))
{
  const std::size_t n = std::min({m_bytes.size(), m_present.size(), k_max_config});
  m_bytes.resize(n);
  m_present.resize(n);
}

ConfigSpace
ConfigSpace::from_bytes(std::vector<std::uint8_t> bytes)
{
  std::vector<bool> present(bytes.size(), true);
  return ConfigSpace(std::move(bytes), std::move(present));
}

std::size_t
ConfigSpace::contiguous() const
{
  std::size_t n = 0;
  while (n < m_present.size() && m_present[n]) {
    ++n;
  }
  return n;
}

bool
ConfigSpace::present(std::size_t offset, std::size_t len) const
{
  if (offset >= m_bytes.size() || len > m_bytes.size() - offset) {
    return false;
  }
  for (std::size_t i = offset; i < offset + len; ++i) {
    if (!m_present[i]) {
      return false;
    }
  }
  return true;
}

std::optional<std::uint8_t>
ConfigSpace::u8(std::size_t offset) const
{
  if (!present(offset, 1)) {
    return std::nullopt;
  }
  return m_bytes[offset];
}

std::optional<std::uint16_t>
ConfigSpace::u16(std::size_t offset) const
{
  if (!present(offset, 2)) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(m_bytes[offset] | (m_bytes[offset + 1] << 8));
}

std::optional<std::uint32_t>
ConfigSpace::u32(std::size_t offset) const
{
  if (!present(offset, 4)) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(m_bytes[offset]) | (static_cast<std::uint32_t>(m_bytes[offset + 1]) << 8)
         | (static_cast<std::uint32_t>(m_bytes[offset + 2]) << 16)
         | (static_cast<std::uint32_t>(m_bytes[offset + 3]) << 24);
}

} // namespace memmap::pci
