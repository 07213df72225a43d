// Capability list walks (PCI 3.0 6.7; PCIe 6.0 7.6.3): bounded, loop-checked, never trusting
// a pointer.
#include <memmap/pci/decode.hpp>

#include "decode_internal.hpp"

#include <array>

namespace memmap::pci {

namespace {

// At most this many entries: 48 fit in the 192 bytes past the header, 480 extended ones in
// the 3840 past 0x100 (the smallest capability is 4 and 8 bytes).
constexpr std::uint32_t k_cap_ttl = 48;
constexpr std::uint32_t k_ext_cap_ttl = (k_cfg_ext_space_size - k_cfg_ext_cap_start) / 8;

} // namespace

CapabilityList
walk_capabilities(const ConfigSpace& cfg, int header_type)
{
  CapabilityList list;
  const auto status = cfg.u16(k_cfg_status);
  if (!status || (*status & k_status_cap_list) == 0 || *status == 0xffff) {
    return list;
  }
  std::size_t pointer_reg = header_type == k_header_type_cardbus ? k_cfg_cardbus_cap_ptr : k_cfg_cap_ptr;
  const auto first = cfg.u8(pointer_reg);
  if (!first) {
    list.access_denied = true;
    return list;
  }
  std::array<bool, k_cfg_space_size> visited{};
  std::size_t where = *first & k_cap_pointer_mask;
  std::uint32_t ttl = k_cap_ttl;
  while (where != 0) {
    const auto at = static_cast<std::uint16_t>(where);
    const auto from = static_cast<std::uint32_t>(pointer_reg);
    if (where < k_cfg_header_size) {
      list.problems.push_back({DecodeProblem::cap_pointer_into_header, at, from});
      break;
    }
    if (!cfg.present(where, 4)) {
      list.access_denied = true;
      break;
    }
    if (visited[where]) {
      list.problems.push_back({DecodeProblem::cap_list_cycle, at, from});
      break;
    }
    visited[where] = true;
    const std::uint8_t id = *cfg.u8(where + k_cap_list_id);
    if (id == 0xff) {
      list.problems.push_back({DecodeProblem::cap_id_all_ones, at});
      break;
    }
    Capability c;
    c.id = id;
    c.offset = at;
    list.entries.push_back(c);
    if (--ttl == 0) {
      list.problems.push_back({DecodeProblem::cap_list_too_long, at, k_cap_ttl});
      break;
    }
    pointer_reg = where + k_cap_list_next;
    where = *cfg.u8(pointer_reg) & k_cap_pointer_mask;
  }
  return list;
}

CapabilityList
walk_extended_capabilities(const ConfigSpace& cfg)
{
  CapabilityList list;
  std::vector<bool> visited(k_cfg_ext_space_size, false);
  std::size_t where = k_cfg_ext_cap_start;
  std::uint32_t ttl = k_ext_cap_ttl;
  while (where != 0) {
    const auto at = static_cast<std::uint16_t>(where);
    const auto header = cfg.u32(where);
    if (!header) {
      list.access_denied = true;
      break;
    }
    if (*header == 0 || *header == 0xffffffffU) {
      if (where != k_cfg_ext_cap_start) {
        list.problems.push_back({DecodeProblem::ext_cap_chain_broken, at, *header});
      }
      break;
    }
    if (visited[where]) {
      list.problems.push_back({DecodeProblem::ext_cap_list_cycle, at});
      break;
    }
    visited[where] = true;
    Capability c;
    c.extended = true;
    c.id = static_cast<std::uint16_t>(*header & k_ext_cap_id_mask);
    c.version = static_cast<std::uint8_t>((*header >> k_ext_cap_version_shift) & k_ext_cap_version_mask);
    c.offset = at;
    list.entries.push_back(c);
    const std::size_t next = (*header >> k_ext_cap_next_shift) & k_ext_cap_next_mask;
    if (next != 0 && next < k_cfg_ext_cap_start) {
      list.problems.push_back({DecodeProblem::ext_cap_pointer_below_ext, at, static_cast<std::uint32_t>(next)});
      break;
    }
    if (--ttl == 0) {
      list.problems.push_back({DecodeProblem::ext_cap_list_too_long, at, k_ext_cap_ttl});
      break;
    }
    where = next;
  }
  return list;
}

} // namespace memmap::pci
