#include <memmap/pci/config_space.hpp>

#include <algorithm>

namespace memmap::pci {

namespace {

constexpr std::size_t k_max_config = 4096;

} // namespace

ConfigSpace::ConfigSpace(std::vector<std::uint8_t> bytes, std::vector<bool> present)
{
  m_size = std::min({bytes.size(), present.size(), k_max_config});
  present.resize(m_size);
  while (m_contiguous < m_size && present[m_contiguous]) {
    ++m_contiguous;
  }
  if (m_contiguous < m_size) {
    m_present = std::move(present);
  }
  // Keep bytes up to the last non-zero one; an absent byte is stored as 0 (never read as such).
  std::size_t keep = m_size;
  while (keep > 0 && (bytes[keep - 1] == 0 || (!m_present.empty() && !m_present[keep - 1]))) {
    --keep;
  }
  m_bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep));
  for (std::size_t i = 0; i < keep && !m_present.empty(); ++i) {
    m_bytes[i] = m_present[i] ? m_bytes[i] : 0;
  }
}

ConfigSpace
ConfigSpace::from_bytes(std::vector<std::uint8_t> bytes)
{
  std::vector<bool> present(bytes.size(), true);
  return ConfigSpace(std::move(bytes), std::move(present));
}

std::vector<std::uint8_t>
ConfigSpace::bytes() const
{
  std::vector<std::uint8_t> out(m_bytes);
  out.resize(m_size, 0);
  return out;
}

bool
ConfigSpace::present(std::size_t offset, std::size_t len) const
{
  if (offset >= m_size || len > m_size - offset) {
    return false;
  }
  if (offset + len <= m_contiguous) {
    return true;
  }
  if (m_present.empty()) {
    return true;  // no gap: everything below m_size is present
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
  return at(offset);
}

std::optional<std::uint16_t>
ConfigSpace::u16(std::size_t offset) const
{
  if (!present(offset, 2)) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(at(offset) | (at(offset + 1) << 8));
}

std::optional<std::uint32_t>
ConfigSpace::u32(std::size_t offset) const
{
  if (!present(offset, 4)) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(at(offset)) | (static_cast<std::uint32_t>(at(offset + 1)) << 8)
         | (static_cast<std::uint32_t>(at(offset + 2)) << 16)
         | (static_cast<std::uint32_t>(at(offset + 3)) << 24);
}

} // namespace memmap::pci
