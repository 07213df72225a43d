// Capability bodies: Resizable BAR, SR-IOV, MSI-X, PCI Express, ACS.
#include <memmap/pci/decode.hpp>

#include "decode_internal.hpp"

#include <set>

namespace memmap::pci {

using detail::bar_address;

Rebar
decode_rebar(const ConfigSpace& cfg, std::uint16_t offset, bool vf)
{
  Rebar rb;
  rb.offset = offset;
  rb.vf = vf;
  const auto ctrl0_at = static_cast<std::uint16_t>(offset + k_rebar_ctrl);
  const auto ctrl0 = cfg.u32(ctrl0_at);
  if (!ctrl0) {
    rb.problems.push_back({DecodeProblem::rebar_truncated, ctrl0_at});
    return rb;
  }
  rb.declared_entries = static_cast<int>((*ctrl0 >> k_rebar_ctrl_nbar_shift) & k_rebar_ctrl_nbar_mask);
  if (rb.declared_entries == 0) {
    rb.problems.push_back({DecodeProblem::rebar_no_entries, ctrl0_at});
    return rb;
  }
  std::set<int> seen_bars;
  for (int k = 0; k < rb.declared_entries; ++k) {
    const auto entry = static_cast<std::uint32_t>(k);
    const std::size_t cap_off = offset + k_rebar_cap + k_rebar_entry_stride * static_cast<std::size_t>(k);
    const std::size_t ctrl_off = cap_off + (k_rebar_ctrl - k_rebar_cap);
    const auto cap = cfg.u32(cap_off);
    const auto ctrl = cfg.u32(ctrl_off);
    if (!cap || !ctrl) {
      rb.problems.push_back({DecodeProblem::rebar_entry_unreadable, static_cast<std::uint16_t>(cap_off), entry});
      break;
    }
    RebarEntry e;
    e.bar = static_cast<int>(*ctrl & k_rebar_ctrl_bar_index);
    // CAP bits 31:4: bit n (n >= 4) means 2^(n-4+20) bytes; CTRL bits 31:16 extend it
    // with 2^(n+36) bytes for bit n-16 (256 TiB and up; beyond 2^63 ignored).
    for (int bit = 4; bit < 32; ++bit) {
      if (*cap & (1U << bit)) {
        e.supported_sizes.push_back(std::uint64_t{1} << (bit - 4 + 20));
      }
    }
    for (int bit = 16; bit < 32; ++bit) {
      const int shift = bit - 16 + 48;
      if ((*ctrl & (1U << bit)) && shift < 64) {
        e.supported_sizes.push_back(std::uint64_t{1} << shift);
      }
    }
    const int cur = static_cast<int>((*ctrl >> k_rebar_ctrl_size_shift) & k_rebar_ctrl_size_mask);
    if (cur + 20 < 64) {
      e.current_size = std::uint64_t{1} << (cur + 20);
    }
    const auto bar = static_cast<std::uint32_t>(e.bar);
    if (e.bar >= k_bars_normal) {
      rb.problems.push_back({DecodeProblem::rebar_bar_out_of_range, static_cast<std::uint16_t>(ctrl_off), entry, bar});
    }
    if (!seen_bars.insert(e.bar).second) {
      rb.problems.push_back({DecodeProblem::rebar_bar_repeated, static_cast<std::uint16_t>(ctrl_off), entry, bar});
    }
    rb.entries.push_back(std::move(e));
  }
  return rb;
}

std::optional<Sriov>
decode_sriov(const ConfigSpace& cfg, std::uint16_t offset, const SysfsResource* res)
{
  if (!cfg.present(offset, k_sriov_size)) {
    return std::nullopt;
  }
  Sriov s;
  s.offset = offset;
  s.control = *cfg.u16(offset + k_sriov_ctrl);
  s.vf_enable = (s.control & k_sriov_ctrl_vfe) != 0;
  s.vf_memory_enable = (s.control & k_sriov_ctrl_mse) != 0;
  s.initial_vfs = *cfg.u16(offset + k_sriov_initial_vf);
  s.total_vfs = *cfg.u16(offset + k_sriov_total_vf);
  s.num_vfs = *cfg.u16(offset + k_sriov_num_vf);
  s.first_vf_offset = *cfg.u16(offset + k_sriov_vf_offset);
  s.vf_stride = *cfg.u16(offset + k_sriov_vf_stride);
  s.vf_device_id = *cfg.u16(offset + k_sriov_vf_did);
  for (int i = 0; i < k_bars_normal; ++i) {
    const std::size_t bar_reg = offset + k_sriov_bar + 4U * static_cast<std::size_t>(i);
    const std::uint32_t low = *cfg.u32(bar_reg);
    const ResourceRow* row = res ? res->vf_bar(i) : nullptr;
    const bool row_used = row && !row->empty();
    if (low == 0 && !row_used) {
      continue;
    }
    Bar b;
    b.index = i;
    b.raw_low = low;
    b.kind = (low & k_bar_space_io) ? BarKind::io : BarKind::mem;
    const bool is64 = b.kind == BarKind::mem
                      && (((low & k_bar_mem_type_mask) == k_bar_mem_type_64)
                          || (row_used && (row->flags & k_res_mem_64)));
    b.bits = is64 ? 64 : 32;
    b.prefetchable = b.kind == BarKind::mem
                     && ((low & k_bar_mem_prefetch) || (row_used && (row->flags & k_res_prefetch)));
    b.mem_type = is64 ? "64-bit" : "32-bit";
    std::uint32_t high = 0;
    if (is64 && i + 1 < k_bars_normal) {
      high = *cfg.u32(bar_reg + 4);
      b.raw_high = high;
    } else if (is64) {
      b.broken_64 = true;
    }
    const std::uint64_t a = bar_address(low, high, b.kind == BarKind::io);
    if (a != 0) {
      b.bus_address = a;
    }
    std::optional<std::uint64_t> aperture;
    if (row_used) {
      b.resource_flags = row->flags;
      if (row->size() != 0) {
        aperture = row->size();
        if (s.total_vfs != 0 && row->size() % s.total_vfs == 0) {
          b.size = row->size() / s.total_vfs;
        }
      }
      if (row->assigned() && row->start != 0) {
        b.cpu_address = row->start;
      }
      if (!b.cpu_address && b.bus_address) {
        b.register_address = b.bus_address;  // the kernel could not assign the aperture
        b.bus_address.reset();
      }
    } else if (row && b.bus_address) {
      // An all-zero row: the kernel holds no aperture (as decode_bars: its view wins).
      b.register_address = b.bus_address;
      b.bus_address.reset();
    }
    b.unassigned = !b.bus_address && !b.cpu_address;
    b.decode_enabled = s.vf_memory_enable;
    s.vf_bars.push_back(b);
    s.vf_apertures.push_back(aperture);
    if (is64) {
      ++i;
    }
  }
  return s;
}

std::optional<Msix>
decode_msix(const ConfigSpace& cfg, std::uint16_t offset)
{
  const auto ctrl = cfg.u16(offset + k_msix_flags);
  const auto table = cfg.u32(offset + k_msix_table);
  const auto pba = cfg.u32(offset + k_msix_pba);
  if (!ctrl || !table || !pba) {
    return std::nullopt;
  }
  Msix m;
  m.offset = offset;
  m.table_size = (*ctrl & k_msix_flags_table_size) + 1;
  m.function_mask = (*ctrl & k_msix_flags_mask_all) != 0;
  m.enabled = (*ctrl & k_msix_flags_enable) != 0;
  m.table_bar = static_cast<int>(*table & k_msix_bir_mask);
  m.table_offset = *table & ~k_msix_bir_mask;
  m.pba_bar = static_cast<int>(*pba & k_msix_bir_mask);
  m.pba_offset = *pba & ~k_msix_bir_mask;
  return m;
}

std::optional<PcieInfo>
decode_pcie(const ConfigSpace& cfg, std::uint16_t offset)
{
  const auto flags = cfg.u16(offset + k_exp_flags);
  if (!flags) {
    return std::nullopt;
  }
  PcieInfo p;
  p.offset = offset;
  p.version = *flags & k_exp_flags_version;
  p.port_type = (*flags >> k_exp_flags_type_shift) & k_exp_flags_type_mask;
  p.slot = (*flags & k_exp_flags_slot) != 0;
  if (const auto lnkcap = cfg.u32(offset + k_exp_lnkcap)) {
    p.max_link_speed = static_cast<int>(*lnkcap & k_exp_link_speed_mask);
    p.max_link_width = static_cast<int>((*lnkcap >> k_exp_link_width_shift) & k_exp_link_width_mask);
  }
  if (const auto lnksta = cfg.u16(offset + k_exp_lnksta)) {
    p.link_speed = *lnksta & k_exp_link_speed_mask;
    p.link_width = (*lnksta >> k_exp_link_width_shift) & k_exp_link_width_mask;
  }
  return p;
}

std::optional<Acs>
decode_acs(const ConfigSpace& cfg, std::uint16_t offset)
{
  const auto cap = cfg.u16(offset + k_acs_cap);
  if (!cap) {
    return std::nullopt;
  }
  Acs a;
  a.offset = offset;
  a.capability = *cap;
  a.control = cfg.u16(offset + k_acs_ctrl);
  return a;
}

} // namespace memmap::pci
