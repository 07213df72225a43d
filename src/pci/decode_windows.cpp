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

  // The I/O and prefetchable windows: a base/limit pair whose low bits say 16/32 (I/O) or
  // 32/64 (prefetchable), with upper registers for the wide form (P2P 1.2 3.2.5.6, 3.2.5.9).
  struct RangeRegs {
    WindowKind kind;
    std::size_t base, limit, base_upper, limit_upper;
    int reg_bytes;           // 1 (I/O) or 2 (prefetchable)
    int type_mask, type_narrow, type_wide;
    int bits_narrow, bits_wide;
    std::uint64_t range_mask;
    int shift;               // the base/limit register's bits start at this address bit
    int upper_shift;         // the upper registers' bits start here
    int upper_bytes;         // 2 (I/O) or 4 (prefetchable)
    std::uint64_t granule;
    DecodeProblem bad_types, upper_not_read;
    int row;                 // the kernel's bridge row
  };
  auto reg = [&cfg](std::size_t off, int bytes) -> std::optional<std::uint32_t> {
    if (bytes == 1) {
      return cfg.u8(off);
    }
    if (bytes == 2) {
      return cfg.u16(off);
    }
    return cfg.u32(off);
  };
  auto range_window = [&](const RangeRegs& r) -> bool {
    const auto base = reg(r.base, r.reg_bytes);
    const auto limit = reg(r.limit, r.reg_bytes);
    if (!base || !limit) {
      return false;
    }
    const int type = static_cast<int>(*base) & r.type_mask;
    if (type != (static_cast<int>(*limit) & r.type_mask) || (type != r.type_narrow && type != r.type_wide)) {
      problems.push_back({r.bad_types, static_cast<std::uint16_t>(r.base), *base, *limit});
      return true;
    }
    BridgeWindow w;
    w.kind = r.kind;
    w.bits = type == r.type_wide ? r.bits_wide : r.bits_narrow;
    std::uint64_t lo = static_cast<std::uint64_t>(*base & r.range_mask) << r.shift;
    std::uint64_t hi = static_cast<std::uint64_t>(*limit & r.range_mask) << r.shift;
    if (type == r.type_wide) {
      lo |= static_cast<std::uint64_t>(reg(r.base_upper, r.upper_bytes).value_or(0)) << r.upper_shift;
      hi |= static_cast<std::uint64_t>(reg(r.limit_upper, r.upper_bytes).value_or(0)) << r.upper_shift;
      if (!cfg.present(r.base_upper, static_cast<std::size_t>(2 * r.upper_bytes))) {
        w.upper_unknown = true;
        problems.push_back({r.upper_not_read, static_cast<std::uint16_t>(r.base_upper)});
      }
    }
    w.bus_start = lo;
    w.bus_end = hi | r.granule;
    w.registers_zero = *base == 0 && *limit == 0;
    apply_row(w, r.row);
    out.push_back(w);
    return true;
  };
  const bool io_read = range_window({WindowKind::io, k_cfg_io_base, k_cfg_io_limit, k_cfg_io_base_upper,
                                     k_cfg_io_limit_upper, 1, k_io_range_type_mask, k_io_range_type_16,
                                     k_io_range_type_32, 16, 32, k_io_range_mask, 8, 16, 2,
                                     k_io_window_granule, DecodeProblem::io_window_range_types,
                                     DecodeProblem::io_window_upper_not_read, 0});

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

  const bool pref_read = range_window(
    {WindowKind::prefetchable, k_cfg_pref_base, k_cfg_pref_limit, k_cfg_pref_base_upper,
     k_cfg_pref_limit_upper, 2, k_memory_range_type_mask, k_pref_range_type_32, k_pref_range_type_64,
     32, 64, k_memory_range_mask, 16, 32, 4, k_memory_window_granule,
     DecodeProblem::pref_window_range_types, DecodeProblem::pref_window_upper_not_read, 2});

  // No config bytes at all (a sleeping function): the kernel's rows are all there is.
  if (!io_read && !mem_base && !pref_read && res && res->bridge) {
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
