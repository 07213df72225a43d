// Type 1 bridge windows (P2P 1.2 3.2.5.6-3.2.5.11) and CardBus windows.
#include <memmap/pci/decode.hpp>

#include "decode_internal.hpp"

#include <array>

namespace memmap::pci {

std::vector<BridgeWindow>
decode_bridge_windows(const ConfigSpace& cfg, const SysfsResource* res,
                      std::vector<DecodeIssue>& problems)
{
  std::vector<BridgeWindow> out;
  // The kernel's row decides whether the window exists; the registers stay beside it.
  auto apply_row = [&](BridgeWindow& w, int idx) {
    w.registers_enabled = w.bus_start <= w.bus_end;
    w.enabled = w.registers_enabled;
    const ResourceRow* row = res ? res->bridge_window(idx) : nullptr;
    if (!row) {
      return;  // no rows: the registers are all there is
    }
    if ((row->flags & k_res_unset) != 0) {
      w.kernel = KernelWindow::unset;
    } else if ((row->flags & k_res_disabled) != 0) {
      w.kernel = KernelWindow::disabled;
    } else if (row->size() != 0) {
      w.kernel = KernelWindow::assigned;
      w.cpu_start = row->start;
      w.cpu_end = row->end;
    } else {
      w.kernel = KernelWindow::none;  // all zero (or flags without a range)
    }
    if (row->size() != 0) {
      w.kernel_size = row->size();
    }
    w.enabled = w.kernel == KernelWindow::assigned;
  };

  // I/O window.
  const auto io_base = cfg.u8(k_cfg_io_base);
  const auto io_limit = cfg.u8(k_cfg_io_limit);
  if (io_base && io_limit) {
    const int type = *io_base & k_io_range_type_mask;
    if (type != (*io_limit & k_io_range_type_mask) || (type != k_io_range_type_16 && type != k_io_range_type_32)) {
      problems.push_back({DecodeProblem::io_window_range_types, k_cfg_io_base, *io_base, *io_limit});
    } else {
      BridgeWindow w;
      w.kind = WindowKind::io;
      w.bits = type == k_io_range_type_32 ? 32 : 16;
      std::uint64_t base = static_cast<std::uint64_t>(*io_base & k_io_range_mask) << 8;
      std::uint64_t limit = static_cast<std::uint64_t>(*io_limit & k_io_range_mask) << 8;
      if (type == k_io_range_type_32) {
        base |= static_cast<std::uint64_t>(cfg.u16(k_cfg_io_base_upper).value_or(0)) << 16;
        limit |= static_cast<std::uint64_t>(cfg.u16(k_cfg_io_limit_upper).value_or(0)) << 16;
        if (!cfg.present(k_cfg_io_base_upper, 4)) {
          w.upper_unknown = true;
          problems.push_back({DecodeProblem::io_window_upper_not_read, k_cfg_io_base_upper});
        }
      }
      w.bus_start = base;
      w.bus_end = limit | k_io_window_granule;
      w.registers_zero = *io_base == 0 && *io_limit == 0;
      apply_row(w, 0);
      out.push_back(w);
    }
  }

  // Memory window (always 32-bit).
  const auto mem_base = cfg.u16(k_cfg_memory_base);
  const auto mem_limit = cfg.u16(k_cfg_memory_limit);
  if (mem_base && mem_limit) {
    const int type = *mem_base & k_memory_range_type_mask;
    if (type != (*mem_limit & k_memory_range_type_mask) || type != 0) {
      problems.push_back({DecodeProblem::memory_window_range_types, k_cfg_memory_base, *mem_base, *mem_limit});
    } else {
      BridgeWindow w;
      w.kind = WindowKind::mem;
      w.bits = 32;
      w.bus_start = static_cast<std::uint64_t>(*mem_base & k_memory_range_mask) << 16;
      w.bus_end = (static_cast<std::uint64_t>(*mem_limit & k_memory_range_mask) << 16) | k_memory_window_granule;
      w.registers_zero = *mem_base == 0 && *mem_limit == 0;
      apply_row(w, 1);
      out.push_back(w);
    }
  }

  // Prefetchable window (32- or 64-bit).
  const auto pref_base = cfg.u16(k_cfg_pref_base);
  const auto pref_limit = cfg.u16(k_cfg_pref_limit);
  if (pref_base && pref_limit) {
    const int type = *pref_base & k_memory_range_type_mask;
    if (type != (*pref_limit & k_memory_range_type_mask) || (type != k_pref_range_type_32 && type != k_pref_range_type_64)) {
      problems.push_back({DecodeProblem::pref_window_range_types, k_cfg_pref_base, *pref_base, *pref_limit});
    } else {
      BridgeWindow w;
      w.kind = WindowKind::prefetchable;
      w.bits = type == k_pref_range_type_64 ? 64 : 32;
      std::uint64_t base = static_cast<std::uint64_t>(*pref_base & k_memory_range_mask) << 16;
      std::uint64_t limit = static_cast<std::uint64_t>(*pref_limit & k_memory_range_mask) << 16;
      if (type == k_pref_range_type_64) {
        base |= static_cast<std::uint64_t>(cfg.u32(k_cfg_pref_base_upper).value_or(0)) << 32;
        limit |= static_cast<std::uint64_t>(cfg.u32(k_cfg_pref_limit_upper).value_or(0)) << 32;
        if (!cfg.present(k_cfg_pref_base_upper, 8)) {
          w.upper_unknown = true;
          problems.push_back({DecodeProblem::pref_window_upper_not_read, k_cfg_pref_base_upper});
        }
      }
      w.bus_start = base;
      w.bus_end = limit | k_memory_window_granule;
      w.registers_zero = *pref_base == 0 && *pref_limit == 0;
      apply_row(w, 2);
      out.push_back(w);
    }
  }

  // No config bytes at all (a sleeping function): the kernel's rows are all there is.
  if (!io_base && !mem_base && !pref_base && res && res->bridge) {
    const std::array<WindowKind, 3> kinds{WindowKind::io, WindowKind::mem, WindowKind::prefetchable};
    for (int i = 0; i < 3; ++i) {
      const ResourceRow* row = res->bridge_window(i);
      if (!row || row->size() == 0 || (row->flags & (k_res_unset | k_res_disabled)) != 0) {
        continue;
      }
      BridgeWindow w;
      w.kind = kinds[static_cast<std::size_t>(i)];
      // The row has no I/O width flag: 16 or 32 bits is unknown without the registers.
      w.bits = w.kind == WindowKind::io ? 0 : (row->flags & k_res_mem_64) ? 64 : 32;
      w.bus_start = row->start;
      w.bus_end = row->end;
      w.cpu_start = row->start;
      w.cpu_end = row->end;
      w.enabled = true;
      w.registers_read = false;
      w.kernel = KernelWindow::assigned;
      w.kernel_size = row->size();
      out.push_back(w);
    }
  }
  return out;
}

std::vector<BridgeWindow>
decode_cardbus_windows(const ConfigSpace& cfg)
{
  std::vector<BridgeWindow> out;
  const auto control = cfg.u16(k_cfg_cb_bridge_control).value_or(0);
  for (int i = 0; i < 2; ++i) {
    const auto base = cfg.u32(k_cfg_cb_memory_base0 + k_cb_window_stride * static_cast<std::size_t>(i));
    const auto limit = cfg.u32(k_cfg_cb_memory_limit0 + k_cb_window_stride * static_cast<std::size_t>(i));
    if (!base || !limit) {
      continue;
    }
    BridgeWindow w;
    w.cardbus_index = i;
    w.kind = (control & (k_cb_ctl_prefetch_mem0 << i)) ? WindowKind::prefetchable : WindowKind::mem;
    w.bits = 32;
    w.bus_start = *base;
    w.bus_end = static_cast<std::uint64_t>(*limit) + k_io_window_granule;
    w.enabled = w.registers_enabled = w.bus_start <= w.bus_end;
    out.push_back(w);
  }
  for (int i = 0; i < 2; ++i) {
    auto base = cfg.u32(k_cfg_cb_io_base0 + k_cb_window_stride * static_cast<std::size_t>(i));
    auto limit = cfg.u32(k_cfg_cb_io_limit0 + k_cb_window_stride * static_cast<std::size_t>(i));
    if (!base || !limit) {
      continue;
    }
    BridgeWindow w;
    w.cardbus_index = i;
    w.kind = WindowKind::io;
    std::uint32_t b = *base;
    std::uint32_t l = *limit;
    if ((b & k_cb_io_32bit) == 0) {
      b &= 0xffff;
      l &= 0xffff;
      w.bits = 16;
    } else {
      w.bits = 32;
    }
    w.bus_start = b & k_cb_io_range_mask;
    w.bus_end = static_cast<std::uint64_t>(l & k_cb_io_range_mask) + 3;
    w.enabled = w.registers_enabled = w.bus_start <= w.bus_end;
    out.push_back(w);
  }
  return out;
}

} // namespace memmap::pci
